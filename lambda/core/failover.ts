import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import { withoutDrill, type LeaseState, type PromotionDecision } from './lease';
import { noChange, type Transition } from './model';
import { fixFor } from './notice';

/**
 * A promotion as ONE transition: the new lease (conditional on the version the promoter saw),
 * the group's failover incident (opened, or the open one), a `failover` timeline entry and a
 * `failover` notice. `incidentTransition` is what the incident rules decided for the failover
 * signal; the notice it would have opened with becomes the failover notice, so a promotion
 * announces itself once.
 */
export function promotionTransition(
  incidentTransition: Transition,
  decision: Extract<PromotionDecision, { kind: 'promote' }>,
  ctx: DecisionContext,
  actor = 'promoter',
): Transition {
  const promoted = promotionOnly(incidentTransition, decision, ctx, actor);
  if (promoted.action !== 'promoted' || decision.drillStartedAt === undefined || !promoted.incident) return promoted;
  // The promotion completes a drill: its result goes on the same incident, in the same transaction.
  const seconds = Math.round((ctx.now - decision.drillStartedAt) / 100) / 10;
  const summary = `Failover drill of ${decision.lease.group} passed: ${decision.to} promoted ${seconds} s after the drill stopped ${decision.from ?? 'the holder'}'s heartbeats.`;
  const detail = { group: decision.lease.group, result: 'passed', secondsToPromotion: seconds, from: decision.from ?? null, to: decision.to };
  const drill = new IncidentDraft(promoted.incident, ctx.now, promoted.incident.version - 1)
    .log('drill', 'promoter', summary, detail)
    .notify('drill', { market: promoted.incident.market ?? 'unknown', summary, detail })
    .finish('drill-passed');
  return { ...promoted, action: 'drill-passed', incident: drill.incident!, timeline: [...promoted.timeline, ...drill.timeline], notices: [...promoted.notices, ...drill.notices] };
}

function promotionOnly(
  incidentTransition: Transition,
  decision: Extract<PromotionDecision, { kind: 'promote' }>,
  ctx: DecisionContext,
  actor: string,
): Transition {
  const summary = `Failover: ${decision.to} now serves ${decision.lease.group} (epoch ${decision.lease.epoch})${decision.from ? `; ${decision.from} is fenced` : ''}.`;
  const detail = { group: decision.lease.group, from: decision.from ?? null, to: decision.to, epoch: decision.lease.epoch };
  const lease: LeaseState = decision.lease;
  const node = decision.candidate;
  const incident = incidentTransition.incident;
  if (!incident) {
    // The failover signal carries the promoter's clock, so the incident rules write the incident
    // unless another promoter recorded the very same failover a moment ago (it read the lease
    // before that promotion, the incident after): then it lost the race. A promotion is never
    // committed without its notice.
    return noChange('lost-race');
  }
  const opened = incidentTransition.notices.find((n) => n.type === 'incident-opened');
  if (opened) {
    const notices = incidentTransition.notices.map((n) => (n === opened ? { ...n, type: 'failover' as const, summary, detail, fix: fixFor('failover') } : n));
    const timeline = [...incidentTransition.timeline];
    const draft = new IncidentDraft(incident, ctx.now, incident.version - 1).log('failover', actor, summary, detail);
    const extra = draft.finish('promoted');
    return { ...incidentTransition, action: 'promoted', incident: extra.incident!, lease, node, notices, timeline: [...timeline, ...extra.timeline] };
  }
  const draft = new IncidentDraft(incident, ctx.now, incident.version - 1)
    .log('failover', actor, summary, detail)
    .notify('failover', { market: incident.market ?? 'unknown', summary, detail });
  const extra = draft.finish('promoted');
  return {
    ...incidentTransition,
    action: 'promoted',
    incident: extra.incident!,
    lease,
    node,
    timeline: [...incidentTransition.timeline, ...extra.timeline],
    notices: [...incidentTransition.notices, ...extra.notices],
  };
}


/** A drill that failed: the lease without its drill (heartbeats accepted again) and a `drill` notice on the drill incident. */
export function failedDrillTransition(incidentTransition: Transition, lease: LeaseState, why: string, ctx: DecisionContext): Transition {
  const next: LeaseState = { ...withoutDrill(lease), version: lease.version + 1, updatedAt: ctx.now };
  const incident = incidentTransition.incident;
  if (!incident) return noChange('lost-race');
  const summary = `Failover drill of ${lease.group} failed: ${why}`;
  const detail = { group: lease.group, result: 'failed', reason: why };
  const drill = new IncidentDraft(incident, ctx.now, incident.version - 1).log('drill', 'promoter', summary, detail).notify('drill', { market: incident.market ?? 'unknown', summary, detail }).finish('drill-failed');
  return { ...incidentTransition, action: 'drill-failed', incident: drill.incident!, lease: next, timeline: [...incidentTransition.timeline, ...drill.timeline], notices: [...incidentTransition.notices, ...drill.notices] };
}
