import { escalationOf, type TocsinConfig } from './config';
import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import type { Incident, NoticeType, PageType, Transition } from './model';
import { noChange } from './model';
import { SEVERITY_RANK, type Severity } from './signal';

/**
 * Tocsin's two audiences (shared/DESIGN.md, "Two audiences").
 *
 * - **Participants** hear market facts only: an incident is announced (`incident-opened`)
 *   automatically when its component is participant-facing and its severity reaches
 *   `policy.announceSeverity`, or when an operator announces it, or when a market is halted for
 *   it. Tocsin's own bookkeeping incidents and unknown components are never announced by
 *   themselves.
 * - **Operators** are paged about every incident: the first escalation stage when it opens, each
 *   later stage at its time while nobody has acknowledged it, and every stage already paged when
 *   it is acknowledged, raised in severity or resolved.
 *
 *   opened ─ page on-call ─┬─ (ack) ─ page "acknowledged" to on-call: stop
 *                          └─ +300 s unacknowledged ─ page duty-manager ─ (repeat every N s)
 */

/** Whether a configured component is participant-facing (unknown components never are). */
export function isParticipantFacing(component: string, config: TocsinConfig): boolean {
  return config.components.some((c) => c.id === component && c.participantFacing);
}

/** Whether an alarm's incident is announced to participants by itself. */
export function announcesAutomatically(component: string, severity: Severity, config: TocsinConfig): boolean {
  return isParticipantFacing(component, config) && SEVERITY_RANK[severity] >= SEVERITY_RANK[config.policy.announceSeverity];
}

/**
 * Who acted, as participants may read it: `policy` for a halt Tocsin's policy declared, else
 * `operator`. Operators' identities (IAM ARNs, which name the exchange's account and its staff)
 * stay on the timeline, the operators' view; a notice goes to every participant and vendor.
 */
export function participantActor(actor: string): 'policy' | 'operator' {
  return actor === 'policy' ? 'policy' : 'operator';
}

/**
 * Tells participants of the incident, once: its `incident-opened` notice (or the notice it opens
 * with, e.g. a failover). Later calls do nothing: an incident is announced one time.
 */
export function announce(
  draft: IncidentDraft,
  notice: { market: string; summary: string; effectiveAt?: number; detail?: Record<string, unknown>; type?: NoticeType },
): IncidentDraft {
  if (draft.incident.announced) return draft;
  return draft.update({ announced: true }).notify(notice.type ?? 'incident-opened', {
    market: notice.market,
    summary: notice.summary,
    ...(notice.effectiveAt !== undefined ? { effectiveAt: notice.effectiveAt } : {}),
    ...(notice.detail ? { detail: notice.detail } : {}),
  });
}

/** The escalation steps: each stage at its time, then reminders of the last one. */
function stepAt(incident: Incident, step: number, ctx: Pick<DecisionContext, 'config'>): number | undefined {
  const { stages, repeatEverySeconds } = escalationOf(ctx.config.policy);
  const base = incident.escalationBase ?? incident.openedAt;
  if (step < stages.length) return base + stages[step]!.afterSeconds * 1000;
  if (repeatEverySeconds <= 0) return undefined;
  return base + (stages.at(-1)!.afterSeconds + (step - stages.length + 1) * repeatEverySeconds) * 1000;
}

function stageOf(step: number, ctx: Pick<DecisionContext, 'config'>): string {
  const { stages } = escalationOf(ctx.config.policy);
  return stages[Math.min(step, stages.length - 1)]!.name;
}

function scheduleAfter(draft: IncidentDraft, step: number, ctx: Pick<DecisionContext, 'config' | 'now'>): void {
  let at = stepAt(draft.incident, step + 1, ctx);
  if (at === undefined) {
    draft.update({ nextEscalation: undefined });
    return;
  }
  // A late step (a timer that came back late, the sweep's safety net) must not leave reminders
  // already due: the next reminder counts from now, so operators get one page, not a burst.
  const { stages, repeatEverySeconds } = escalationOf(ctx.config.policy);
  if (step + 1 >= stages.length && at <= ctx.now) at = ctx.now + repeatEverySeconds * 1000;
  draft.schedule(step + 1, at);
}

/** A new incident pages the first stage at once and schedules the next step. */
export function pageOpened(draft: IncidentDraft, ctx: Pick<DecisionContext, 'config' | 'now'>): IncidentDraft {
  draft.update({ pagedStage: 0 }).page('opened', stageOf(0, ctx));
  scheduleAfter(draft, 0, ctx);
  return draft;
}

/**
 * Tells every stage paged so far (acknowledged, resolved, severity raised); ack and resolve stop
 * escalation. An incident nobody was paged about (opened under a silence) pages nobody now either.
 */
export function pagePaged(draft: IncidentDraft, type: Extract<PageType, 'acknowledged' | 'resolved' | 'severity-raised'>, ctx: Pick<DecisionContext, 'config'>): IncidentDraft {
  const { stages } = escalationOf(ctx.config.policy);
  const { pagedStage, silencedBy } = draft.incident;
  // (An incident stored before pages existed has no stage recorded: its on-call hears of it.)
  if (pagedStage !== undefined || silencedBy === undefined) {
    for (let i = 0; i <= Math.min(pagedStage ?? 0, stages.length - 1); i += 1) draft.page(type, stages[i]!.name);
  }
  if (type !== 'severity-raised') draft.update({ nextEscalation: undefined, silencedUntil: undefined });
  return draft;
}

/**
 * A new incident opened by a silenced alarm: recorded, nobody paged. Its first page waits for
 * the silence's end (a timer at `until`; an operator's unsilence comes sooner).
 */
export function holdUnderSilence(draft: IncidentDraft, silence: { id: string; until: number }): IncidentDraft {
  return draft.update({ silencedBy: silence.id, silencedUntil: silence.until }).schedule(0, silence.until);
}

/**
 * An incident nobody has been paged about is paged now: its silence ended (by itself or by an
 * operator), or an alarm outside the silence fired, or an operator halted the market for it.
 * Escalation counts from now. Does nothing to an incident already paged.
 */
export function wake(draft: IncidentDraft, reason: string, ctx: Pick<DecisionContext, 'config' | 'now'>): IncidentDraft {
  const incident = draft.incident;
  if (incident.pagedStage !== undefined || incident.status !== 'open' || incident.silencedBy === undefined) return draft;
  draft.update({ silencedUntil: undefined, escalationBase: ctx.now });
  if (incident.silencedUntil !== undefined) draft.log('silence-ended', 'system', `${reason} Operators are paged now.`, { silenceId: incident.silencedBy });
  return pageOpened(draft, ctx);
}

/**
 * The silence an incident was opened under is over (its time ran out, or an operator ended it):
 * still firing, it pages on-call now; every alarm already OK (its resolve wait running), it is
 * left to resolve quietly — an alarm that fires again pages then.
 */
export function silenceOver(incident: Incident, reason: string, ctx: DecisionContext): Transition {
  if (incident.status !== 'open' || incident.silencedUntil === undefined || incident.pagedStage !== undefined) return noChange('not-silenced', incident.id);
  const draft = new IncidentDraft(incident, ctx.now);
  if (incident.resolvePendingSince !== undefined) {
    draft
      .update({ silencedUntil: undefined, nextEscalation: undefined })
      .log('silence-ended', 'system', `${reason} Every alarm is already OK: nobody is paged.`, { silenceId: incident.silencedBy });
    return draft.finish('silence-ended');
  }
  return wake(draft, reason, ctx).finish('silence-ended');
}

/** How early a timer may fire and still count as on time (queues deliver to the second). */
export const ESCALATION_EARLY_MS = 1000;

/**
 * An escalation timer came due: page its stage (or remind the last one) if the incident is still
 * unacknowledged and this timer is the one it waits for, and schedule the next step. A stale
 * timer (acknowledged, resolved, or superseded) changes nothing; an early one says `not-yet`.
 */
export function decideEscalation(incident: Incident, timer: { step: number; at: number }, ctx: DecisionContext): Transition {
  const next = incident.nextEscalation;
  if (incident.status !== 'open' || !next || next.step !== timer.step || next.at !== timer.at) return noChange('stale-timer', incident.id);
  if (ctx.now < timer.at - ESCALATION_EARLY_MS) return noChange('not-yet', incident.id);
  if (incident.pagedStage === undefined) return silenceOver(incident, 'The silence it was opened under ended.', ctx);
  const { stages } = escalationOf(ctx.config.policy);
  const draft = new IncidentDraft(incident, ctx.now);
  const reminder = timer.step >= stages.length;
  const stage = stageOf(timer.step, ctx);
  draft.update({ pagedStage: Math.min(timer.step, stages.length - 1) }).page(reminder ? 'reminder' : 'escalated', stage);
  draft.log('escalated', 'system', `${reminder ? 'Reminder to' : 'Escalated to'} ${stage}: not acknowledged ${Math.round((ctx.now - incident.openedAt) / 1000)} s after it opened.`, { stage, step: timer.step });
  scheduleAfter(draft, timer.step, ctx);
  return draft.finish(reminder ? 'reminded' : 'escalated');
}

/** Escalations overdue by more than `graceMs` (a timer lost on its way): the sweep runs them late rather than never. */
export function overdueEscalation(incident: Incident, now: number, graceMs: number): { step: number; at: number } | undefined {
  const next = incident.nextEscalation;
  return incident.status === 'open' && next && now - next.at > graceMs ? next : undefined;
}
