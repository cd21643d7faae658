import type { IncidentCommand } from './commands';
import type { DecisionContext } from './context';
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
  closeIncident(draft, 'auto-resolve', `All alarms OK for ${ctx.config.policy.autoResolveQuietSeconds} s.`, ctx.now);
  return draft.finish('resolved');
}

function closeIncident(draft: IncidentDraft, actor: string, why: string, now: number): void {
  const incident = draft.incident;
  draft
    .update({ status: 'resolved', resolvedAt: now, resolvedBy: actor, resolvePendingSince: undefined })
    .log('incident-resolved', actor, `Incident resolved. ${why}`.trim())
    .notify('incident-resolved', { market: incident.market ?? 'unknown', summary: `Resolved: ${incident.summary}. ${why}`.trim(), detail: { resolvedBy: actor } });
}

/** `ack`: open → acknowledged. Acknowledging again changes nothing; a resolved incident refuses. */
export function acknowledge(incident: Incident, request: { actor: string; note?: string }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') {
    throw new ConflictError(`cannot acknowledge incident ${incident.id}: it is resolved`, { incidentId: incident.id, status: incident.status });
  }
  if (incident.status === 'acknowledged') return noChange('unchanged', incident.id);
  return new IncidentDraft(incident, ctx.now)
    .update({ status: 'acknowledged', acknowledgedAt: ctx.now, acknowledgedBy: request.actor })
    .log('incident-acknowledged', request.actor, `Acknowledged. ${request.note ?? ''}`.trim())
    .finish('acknowledged');
}

/** `resolve` by an operator: any open or acknowledged incident; resolving again changes nothing. */
export function resolveByOperator(incident: Incident, request: { actor: string; note?: string }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') return noChange('unchanged', incident.id);
  const draft = new IncidentDraft(incident, ctx.now);
  closeIncident(draft, request.actor, request.note ?? '', ctx.now);
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
  return new IncidentDraft(incident, ctx.now)
    .log('incident-opened', request.actor, request.summary, { manual: true })
    .notify('incident-opened', { market: request.market, summary: request.summary, detail: { declaredBy: request.actor } });
}

/**
 * Decides a command on one incident's lifecycle. `actor` is the operator (the IAM caller in AWS, `as` locally).
 * @throws ConflictError (409)
 */
export function decideIncidentCommand(command: IncidentCommand, incident: Incident, actor: string, ctx: DecisionContext): Transition {
  const note = command.note ? { note: command.note } : {};
  switch (command.command) {
    case 'ack':
      return acknowledge(incident, { actor, ...note }, ctx);
    case 'resolve':
      return resolveByOperator(incident, { actor, ...note }, ctx);
    case 'annotate':
      return annotate(incident, { actor, note: command.note }, ctx);
  }
}
