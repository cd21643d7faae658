import type { GroupConfig } from './config';
import {
  decidePromotion,
  drillDeadlineMs,
  failoverSignal,
  readinessSignal,
  scheduledDrillDue,
  type LeaseState,
  type NodeState,
  type Observation,
  type PromotionDecision,
} from './lease';
import type { AlarmSignal, SignalStatus } from './signal';

/**
 * One promoter's check of one group, as a pure step: what it remembers between checks (its own
 * clock's view of the lease, which alarms it already raised) and what the check must do. The
 * `Promoter` (use-cases/promoter.ts) performs the actions against the store; the property test
 * drives this same step.
 */

/** What a promoter remembers of one group between checks (as long as it lives: one invocation in AWS). */
export interface GroupWatch {
  /** When this promoter first saw the group (readiness grace, first scheduled drill). */
  readonly firstSeen?: number;
  readonly observation?: Observation;
  /** The readiness alarm's status last raised. */
  readonly readiness?: SignalStatus;
  /** The lease version for which "no ready standby" was last raised (once per silent version). */
  readonly stalledRaisedFor?: number;
}

export type PromoterAction =
  | { readonly kind: 'mark-seen' }
  | { readonly kind: 'raise'; readonly signal: AlarmSignal }
  | { readonly kind: 'start-drill' }
  | { readonly kind: 'fail-drill'; readonly why: string }
  | { readonly kind: 'promote'; readonly decision: Extract<PromotionDecision, { kind: 'promote' }> };

export type CheckDecision = PromotionDecision['kind'] | 'lost-race' | 'drill-failed' | 'drill-started';

export interface PromoterStep {
  /** The watch after the check, before the outcome of a promotion is known ({@link afterPromotion}). */
  readonly watch: GroupWatch;
  /** In order. */
  readonly actions: readonly PromoterAction[];
  readonly decision: CheckDecision;
}

export function promoterStep(
  watch: GroupWatch,
  view: { readonly lease?: LeaseState; readonly nodes: readonly NodeState[]; readonly firstSeenAt?: number },
  group: GroupConfig,
  now: number,
): PromoterStep {
  const { lease, nodes } = view;
  const firstSeen = watch.firstSeen ?? now;
  let next: GroupWatch = { ...watch, firstSeen };
  // When Tocsin first saw the group is stored (once), so the grace outlives one promoter.
  const actions: PromoterAction[] = view.firstSeenAt === undefined ? [{ kind: 'mark-seen' }] : [];

  // A fresh deploy: a group that has never had a holder neither promotes nor raises anything
  // until its startup grace is over (nodes may not have started yet).
  if (!lease && now - (view.firstSeenAt ?? now) < group.startupGraceSeconds * 1000) {
    return { watch: next, actions, decision: 'watching' };
  }

  // The readiness alarm, raised (or cleared) when it changes; not in the first lease duration
  // this promoter watches a group, when standbys may not have reported yet.
  const settled = now - firstSeen >= group.leaseDurationSeconds * 1000;
  const readiness = readinessSignal(group, lease, nodes, now);
  if (settled && watch.readiness !== readiness.status) {
    actions.push({ kind: 'raise', signal: readiness });
    next = { ...next, readiness: readiness.status };
  }

  if (scheduledDrillDue(lease, group, firstSeen, now)) {
    const { observation: _dropped, ...rest } = next;
    return { watch: rest, actions: [...actions, { kind: 'start-drill' }], decision: 'drill-started' };
  }

  const decision = decidePromotion(lease, nodes, watch.observation, now, group);
  next = { ...next, observation: decision.observation };

  const drillOver = lease?.drillUntil !== undefined && now >= lease.drillUntil;
  if (lease?.drillStartedAt !== undefined && (decision.kind === 'no-ready-standby' || (decision.kind === 'watching' && drillOver))) {
    const why = decision.kind === 'no-ready-standby' ? 'no standby was ready to take over' : `not promoted within ${Math.round(drillDeadlineMs(group) / 1000)} s`;
    const { observation: _dropped, ...rest } = next;
    return { watch: rest, actions: [...actions, { kind: 'fail-drill', why }], decision: 'drill-failed' };
  }
  if (decision.kind === 'watching') return { watch: next, actions, decision: 'watching' };
  if (decision.kind === 'no-ready-standby') {
    // Not promoted, loudly: a critical incident once per silent lease version; policy may halt.
    if (watch.stalledRaisedFor !== decision.observation.version) {
      actions.push({ kind: 'raise', signal: failoverSignal(group, decision, now) });
      next = { ...next, stalledRaisedFor: decision.observation.version };
    }
    return { watch: next, actions, decision: 'no-ready-standby' };
  }
  return { watch: next, actions: [...actions, { kind: 'promote', decision }], decision: 'promote' };
}

/**
 * The watch after a promotion attempt: a committed one is watched from its commit, so the new
 * holder gets a whole lease to heartbeat; a lost race is forgotten and watched afresh.
 */
export function afterPromotion(watch: GroupWatch, promoted: LeaseState | undefined): GroupWatch {
  const { observation: _dropped, ...rest } = watch;
  return promoted ? { ...rest, observation: { version: promoted.version, since: promoted.updatedAt } } : rest;
}
