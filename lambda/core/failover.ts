import type { OpeningNotice, SignalPlan } from './alarm-rules';
import { announce, isParticipantFacing } from './audiences';
import type { DecisionContext } from './context';
import { withoutDrill, type LeaseState, type PromotionDecision } from './lease';
import { noChange, type Transition } from './model';

/**
 * Failover transitions, composed on the plan the alarm rules made for the failover's signal:
 * ONE transaction holds the new lease (conditional on the version the promoter saw), the
 * chosen standby's readiness record, the group's failover incident (opened, or the open one), a
 * `failover` timeline entry and one `failover` notice — the notice the incident opens with, or a
 * new one on the open incident — so a promotion announces itself exactly once.
 */

type Promotion = Extract<PromotionDecision, { kind: 'promote' }>;

/** The failover's summary and notice detail; an operator's `note` follows the summary and goes in `detail.note`, as a resumption's does. */
function describePromotion(decision: Promotion, note?: string) {
  const facts = `Failover: ${decision.to} now serves ${decision.lease.group} (epoch ${decision.lease.epoch})${decision.from ? `; ${decision.from} is fenced` : ''}.`;
  const summary = note ? `${facts} ${note}` : facts;
  const detail = { group: decision.lease.group, from: decision.from ?? null, to: decision.to, epoch: decision.lease.epoch, ...(note ? { note } : {}) };
  return { summary, detail };
}

/** How the incident a promotion opens announces itself: as the failover (with the operator's note, for a forced one). */
export function promotionOpening(decision: Promotion, note?: string): OpeningNotice {
  return { type: 'failover', ...describePromotion(decision, note) };
}

/**
 * A promotion as one transition. `plan` is what the alarm rules planned for the failover signal
 * (planned with {@link promotionOpening}, given the same `note`). No plan that writes the failover alarm means another
 * promoter recorded this very failover a moment ago: the promotion lost the race, and is never
 * committed without its notice.
 */
export function promotionTransition(plan: SignalPlan, decision: Promotion, ctx: DecisionContext, actor = 'promoter', note?: string): Transition {
  const draft = plan.draft;
  if (!draft?.parts.alarm) return noChange('lost-race');
  const { summary, detail } = describePromotion(decision, note);
  const market = draft.incident.market ?? ctx.config.markets[0]!.id;
  // Participants hear of a failover only when the group's component faces them.
  const tell = isParticipantFacing(decision.lease.group, ctx.config);
  draft.log('failover', actor, summary, detail).with({ lease: decision.lease, node: decision.candidate });
  if (!plan.opened && tell) {
    if (draft.incident.announced) draft.notify('failover', { market, summary, detail });
    else announce(draft, { type: 'failover', market, summary, detail });
  }
  if (decision.drillStartedAt === undefined) return draft.finish('promoted');
  // The promotion completes a drill: its result goes on the same incident, in the same transaction.
  const seconds = Math.round((ctx.now - decision.drillStartedAt) / 100) / 10;
  const drillSummary = `Failover drill of ${decision.lease.group} passed: ${decision.to} promoted ${seconds} s after the drill stopped ${decision.from ?? 'the holder'}'s heartbeats.`;
  const drillDetail = { group: decision.lease.group, result: 'passed', secondsToPromotion: seconds, from: decision.from ?? null, to: decision.to };
  draft.log('drill', 'promoter', drillSummary, drillDetail);
  if (tell) draft.notify('drill', { market, summary: drillSummary, detail: drillDetail });
  return draft.finish('drill-passed');
}

/** A drill that failed: the lease without its drill (heartbeats accepted again) and a `drill` notice on the drill incident. */
export function failedDrillTransition(plan: SignalPlan, lease: LeaseState, why: string, ctx: DecisionContext): Transition {
  const draft = plan.draft;
  if (!draft?.parts.alarm) return noChange('lost-race');
  const summary = `Failover drill of ${lease.group} failed: ${why}`;
  const detail = { group: lease.group, result: 'failed', reason: why };
  draft.log('drill', 'promoter', summary, detail).with({ lease: { ...withoutDrill(lease), version: lease.version + 1, updatedAt: ctx.now } });
  if (isParticipantFacing(lease.group, ctx.config)) {
    const market = draft.incident.market ?? ctx.config.markets[0]!.id;
    if (draft.incident.announced) draft.notify('drill', { market, summary, detail });
    else announce(draft, { type: 'drill', market, summary, detail });
  }
  return draft.finish('drill-failed');
}
