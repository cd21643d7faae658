import type { IncidentCommand } from './commands';
import type { Notes } from './config';
import type { DecisionContext } from './context';
import { announce, pageOpened, pagePaged, participantActor } from './audiences';
import { IncidentDraft } from './draft';
import { ConflictError } from './errors';
import type { Incident, IncidentCounts, Transition } from './model';
import { noChange } from './model';

/**
 * The incident lifecycle, `open → acknowledged → resolved`, as pure functions: operator
 * acknowledgement, resolution and notes, and auto-resolve, which is decided on a RECOUNT of the
 * incident's alarm items, never on counters that a crash between two writes could leave wrong.
 */

/** Starts the auto-resolve quiet time (when the policy auto-resolves); returns whether it did. */
export function startResolveWait(draft: IncidentDraft, ctx: DecisionContext, why: string): boolean {
  if (!ctx.config.policy.autoResolve) return false;
  const quiet = ctx.config.policy.autoResolveQuietSeconds;
  draft.update({ resolvePendingSince: ctx.now }).log('resolve-pending', 'system', `${why}; resolves in ${quiet} s unless an alarm fires again.`);
  return true;
}

/**
 * Settles an incident on a recount of its alarm items (`tally`): cancels a pending resolve when an
 * alarm fires, starts one when none does, and — with `mayResolve` (the sweep) — resolves once
 * every alarm has been OK for the quiet time. An incident with no alarm (declared by an operator)
 * is never auto-resolved.
 *
 *   ingest OK(a): firing counter → 0 ─► recount: 0 firing ─► resolve-pending
 *   ingest F(b) concurrently, after the recount           ─► b firing while pending
 *   sweep: recount: 1 firing                              ─► resolve-cancelled (never resolved early)
 */
export function decideSettle(incident: Incident, tally: IncidentCounts, ctx: DecisionContext, options: { mayResolve: boolean }): Transition {
  if (incident.status === 'resolved' || tally.alarms === 0) return noChange('nothing-due', incident.id);
  const pending = incident.resolvePendingSince;
  if (tally.firing > 0) {
    if (pending === undefined) return noChange('firing', incident.id);
    return new IncidentDraft(incident, ctx.now)
      .update({ resolvePendingSince: undefined })
      .log('resolve-cancelled', 'system', `${tally.firing} alarm(s) still firing on a recount; the incident stays open.`)
      .finish('resolve-cancelled');
  }
  if (pending === undefined) {
    const draft = new IncidentDraft(incident, ctx.now);
    return startResolveWait(draft, ctx, 'every alarm of this incident is OK') ? draft.finish('resolve-pending') : noChange('nothing-due', incident.id);
  }
  if (!options.mayResolve || ctx.now - pending < ctx.config.policy.autoResolveQuietSeconds * 1000) return noChange('not-yet', incident.id);
  const draft = new IncidentDraft(incident, ctx.now);
  closeIncident(draft, 'auto-resolve', `All alarms OK for ${ctx.config.policy.autoResolveQuietSeconds} s.`, ctx);
  return draft.finish('resolved');
}

function closeIncident(draft: IncidentDraft, actor: string, why: string, ctx: DecisionContext, notes?: Notes): void {
  const incident = draft.incident;
  draft.update({ status: 'resolved', resolvedAt: ctx.now, resolvedBy: actor, resolvePendingSince: undefined }).log('incident-resolved', actor, `Incident resolved. ${why}`.trim());
  pagePaged(draft, 'resolved', ctx);
  // Participants hear the end of what they heard the start of.
  if (incident.announced) {
    draft.notify('incident-resolved', { market: incident.market ?? ctx.config.markets[0]!.id, summary: `Resolved: ${incident.summary}. ${why}`.trim(), detail: { resolvedBy: actor, ...(notes ? { notes } : {}) } });
  }
}

/** `ack`: open → acknowledged. Acknowledging again changes nothing; a resolved incident refuses. */
export function acknowledge(incident: Incident, request: { actor: string; note?: string }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') {
    throw new ConflictError(`cannot acknowledge incident ${incident.id}: it is resolved`, { incidentId: incident.id, status: incident.status });
  }
  if (incident.status === 'acknowledged') return noChange('unchanged', incident.id);
  const draft = new IncidentDraft(incident, ctx.now)
    .update({ status: 'acknowledged', acknowledgedAt: ctx.now, acknowledgedBy: request.actor })
    .log('incident-acknowledged', request.actor, `Acknowledged. ${request.note ?? ''}`.trim());
  return pagePaged(draft, 'acknowledged', ctx).finish('acknowledged');
}

/** `resolve` by an operator: any open or acknowledged incident; resolving again changes nothing. */
export function resolveByOperator(incident: Incident, request: { actor: string; note?: string; notes?: Notes }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') return noChange('unchanged', incident.id);
  const draft = new IncidentDraft(incident, ctx.now);
  closeIncident(draft, request.actor, request.note ?? '', ctx, request.notes);
  return draft.finish('resolved');
}

/** `annotate`: a note on the timeline, on any incident (resolved ones too: post-mortems). */
export function annotate(incident: Incident, request: { actor: string; note: string }, ctx: DecisionContext): Transition {
  return new IncidentDraft(incident, ctx.now).touch().log('annotation', request.actor, request.note).finish('annotated');
}

/** A new incident opened by an operator (a halt declared with no incident named). */
export function openManualIncident(request: { actor: string; market: string; summary: string }, ctx: DecisionContext): IncidentDraft {
  const id = ctx.newIncidentId();
  const incident: Incident = {
    id,
    groupKey: `manual:${id}`,
    status: 'open',
    severity: 'critical',
    component: `market:${request.market}`,
    market: request.market,
    summary: request.summary,
    openedAt: ctx.now,
    startedAt: ctx.now,
    noticeSequence: 0,
    version: 0,
  };
  const draft = new IncidentDraft(incident, ctx.now).log('incident-opened', request.actor, request.summary, { manual: true });
  announce(draft, { market: request.market, summary: request.summary, detail: { declaredBy: participantActor(request.actor) } });
  return pageOpened(draft, ctx);
}

/**
 * `announce`: tells participants of the incident (`incident-opened`, with the operator's note),
 * or, once they know, sends them a numbered `update` (TSE's 第N報). A resolved incident refuses.
 */
export function announceByOperator(incident: Incident, request: { actor: string; note: string; notes?: Notes }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') {
    throw new ConflictError(`cannot announce incident ${incident.id}: it is resolved`, { incidentId: incident.id, status: incident.status });
  }
  const market = incident.market ?? ctx.config.markets[0]!.id;
  const draft = new IncidentDraft(incident, ctx.now);
  if (!incident.announced) {
    announce(draft, { market, summary: request.note, detail: { component: incident.component, announcedBy: request.actor, ...(request.notes ? { notes: request.notes } : {}) } });
    return draft.log('announced', request.actor, `Announced to participants: ${request.note}`).finish('announced');
  }
  draft.notify('update', { market, summary: request.note, detail: { announcedBy: request.actor, ...(request.notes ? { notes: request.notes } : {}) } });
  return draft.log('announced', request.actor, `Update to participants: ${request.note}`).finish('updated');
}

/**
 * Decides a command on one incident's lifecycle. `actor` is the operator (the IAM caller in AWS, `as` locally).
 * @throws ConflictError (409)
 */
export function decideIncidentCommand(command: IncidentCommand, incident: Incident, actor: string, ctx: DecisionContext): Transition {
  const note = command.note ? { note: command.note } : {};
  const notes = 'notes' in command && command.notes ? { notes: command.notes } : {};
  switch (command.command) {
    case 'ack':
      return acknowledge(incident, { actor, ...note }, ctx);
    case 'resolve':
      return resolveByOperator(incident, { actor, ...note, ...notes }, ctx);
    case 'annotate':
      return annotate(incident, { actor, note: command.note }, ctx);
    case 'announce':
      return announceByOperator(incident, { actor, note: command.note, ...notes }, ctx);
  }
}
