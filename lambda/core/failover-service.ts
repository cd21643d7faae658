import type { TocsinConfig } from './config';
import { promotionTransition } from './failover';
import { decideSignal, groupKeyOf } from './incidents';
import {
  decideHeartbeat,
  decidePromotion,
  failoverSignal,
  groupConfig,
  readinessSignal,
  type Heartbeat,
  type HeartbeatReply,
  type Observation,
  type PromotionDecision,
} from './lease';
import { marketOfSignal } from './market';
import { noChange } from './model';
import type { IncidentStore } from './ports';
import { decideAndCommit, ingestSignal, type UseCaseOptions } from './service';
import type { SignalStatus } from './signal';

/** A heartbeat: renew (holder), record readiness (standby), or tell the node it is fenced. */
export async function recordHeartbeat(store: IncidentStore, beat: Heartbeat, options: UseCaseOptions): Promise<HeartbeatReply> {
  let reply: HeartbeatReply | undefined;
  await decideAndCommit(store, `heartbeat of ${beat.nodeId}`, options, async (ctx) => {
    const { lease, nodes } = await store.readLeaseGroup(beat.group);
    const decision = decideHeartbeat(lease, nodes.find((n) => n.nodeId === beat.nodeId), beat, ctx.now, ctx.config);
    reply = decision.reply;
    if (!decision.lease && !decision.node) return noChange(decision.reply.role);
    return { action: 'heartbeat', ...(decision.lease ? { lease: decision.lease } : {}), ...(decision.node ? { node: decision.node } : {}), timeline: [], notices: [] };
  });
  return reply!;
}

export interface CheckResult {
  readonly group: string;
  readonly decision: PromotionDecision['kind'] | 'lost-race';
  readonly promoted?: { readonly from?: string; readonly to: string; readonly epoch: number; readonly incidentId?: string };
}

/**
 * A promoter: checks every group of the configuration, remembering what it saw between checks
 * (its observations live as long as it does: one scheduled invocation in AWS).
 */
export class Promoter {
  private readonly observations = new Map<string, Observation>();
  private readonly readiness = new Map<string, SignalStatus>();
  private readonly stalledAlarmRaised = new Map<string, number>();

  public constructor(
    private readonly store: IncidentStore,
    private readonly options: UseCaseOptions,
  ) {}

  public async checkAll(config: TocsinConfig = this.options.context().config): Promise<CheckResult[]> {
    const results: CheckResult[] = [];
    for (const group of config.groups) results.push(await this.check(group.id));
    return results;
  }

  public async check(groupId: string): Promise<CheckResult> {
    const ctx = this.options.context();
    const group = groupConfig(ctx.config, groupId);
    const { lease, nodes } = await this.store.readLeaseGroup(groupId);

    // The readiness alarm, raised (or cleared) when it changes, and once per promoter.
    const readiness = readinessSignal(group, lease, nodes, ctx.now);
    if (this.readiness.get(groupId) !== readiness.status) {
      await ingestSignal(this.store, readiness, this.options);
      this.readiness.set(groupId, readiness.status);
    }

    const decision = decidePromotion(lease, nodes, this.observations.get(groupId), ctx.now, group);
    this.observations.set(groupId, decision.observation);
    if (decision.kind === 'watching') return { group: groupId, decision: 'watching' };

    if (decision.kind === 'no-ready-standby') {
      // Not promoted, loudly: a critical incident once per silent lease version; policy may halt.
      if (this.stalledAlarmRaised.get(groupId) !== decision.observation.version) {
        await ingestSignal(this.store, failoverSignal(group, decision, ctx.now), this.options);
        this.stalledAlarmRaised.set(groupId, decision.observation.version);
      }
      return { group: groupId, decision: 'no-ready-standby' };
    }

    const outcome = await decideAndCommit(this.store, `promotion in ${groupId}`, this.options, async (attempt) => {
      // Decide again on a fresh read: another promoter (or a late heartbeat) may have moved it.
      const fresh = await this.store.readLeaseGroup(groupId);
      const again = decidePromotion(fresh.lease, fresh.nodes, decision.observation, attempt.now, group);
      if (again.kind !== 'promote') return noChange('lost-race');
      const signal = failoverSignal(group, again, attempt.now);
      const snapshot = await this.store.readForSignal(groupKeyOf(signal, attempt), marketOfSignal(signal, attempt.config));
      return promotionTransition(decideSignal(snapshot, signal, attempt), again, attempt);
    });
    const promoted = outcome.transition.lease;
    if (outcome.action !== 'promoted' || !promoted) {
      this.observations.delete(groupId);
      return { group: groupId, decision: 'lost-race' };
    }
    this.observations.set(groupId, { version: promoted.version, since: ctx.now });
    return {
      group: groupId,
      decision: 'promote',
      promoted: { ...(decision.from ? { from: decision.from } : {}), to: promoted.holder, epoch: promoted.epoch, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) },
    };
  }
}
