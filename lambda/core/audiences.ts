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
  if (step < stages.length) return incident.openedAt + stages[step]!.afterSeconds * 1000;
  if (repeatEverySeconds <= 0) return undefined;
  return incident.openedAt + (stages.at(-1)!.afterSeconds + (step - stages.length + 1) * repeatEverySeconds) * 1000;
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

/** Tells every stage paged so far (acknowledged, resolved, severity raised); ack and resolve stop escalation. */
export function pagePaged(draft: IncidentDraft, type: Extract<PageType, 'acknowledged' | 'resolved' | 'severity-raised'>, ctx: Pick<DecisionContext, 'config'>): IncidentDraft {
  const { stages } = escalationOf(ctx.config.policy);
  const paged = Math.min(draft.incident.pagedStage ?? 0, stages.length - 1);
  for (let i = 0; i <= paged; i += 1) draft.page(type, stages[i]!.name);
  if (type !== 'severity-raised') draft.update({ nextEscalation: undefined });
  return draft;
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
