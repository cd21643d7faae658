import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import type { LeaseState, PromotionDecision } from './lease';
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
): Transition {
  const summary = `Failover: ${decision.to} now serves ${decision.lease.group} (epoch ${decision.lease.epoch})${decision.from ? `; ${decision.from} is fenced` : ''}.`;
  const detail = { group: decision.lease.group, from: decision.from ?? null, to: decision.to, epoch: decision.lease.epoch };
  const lease: LeaseState = decision.lease;
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
    const draft = new IncidentDraft(incident, ctx.now, incident.version - 1).log('failover', 'promoter', summary, detail);
    const extra = draft.finish('promoted');
    return { ...incidentTransition, action: 'promoted', incident: extra.incident!, lease, notices, timeline: [...timeline, ...extra.timeline] };
  }
  const draft = new IncidentDraft(incident, ctx.now, incident.version - 1)
    .log('failover', 'promoter', summary, detail)
    .notify('failover', { market: incident.market ?? 'unknown', summary, detail });
  const extra = draft.finish('promoted');
  return {
    ...incidentTransition,
    action: 'promoted',
    incident: extra.incident!,
    lease,
    timeline: [...incidentTransition.timeline, ...extra.timeline],
    notices: [...incidentTransition.notices, ...extra.notices],
  };
}

