import type { GroupConfig, TocsinConfig } from './config';
import { failedDrillTransition, promotionTransition } from './failover';
import { decideSignal, groupKeyOf } from './incidents';
import {
  decideForcedFailover,
  decideHeartbeat,
  drillDeadlineMs,
  failedDrillSignal,
  startDrill,
  decidePromotion,
  failoverSignal,
  groupConfig,
  readinessSignal,
  scheduledDrillDue,
  type Heartbeat,
  type HeartbeatReply,
  type Observation,
  type PromotionDecision,
} from './lease';
import { ConflictError } from './errors';
import { marketOfSignal } from './market';
import { noChange } from './model';
import type { IncidentStore } from './ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './commit';
import { ingestSignal } from './service';
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

/** A drill that did not promote: lease back to normal, a critical incident, a `drill` notice — one transaction. */
async function failDrillOf(store: IncidentStore, group: GroupConfig, why: string, options: UseCaseOptions): Promise<void> {
  await decideAndCommit(store, `failed drill of ${group.id}`, options, async (ctx) => {
    const { lease } = await store.readLeaseGroup(group.id);
    if (!lease || lease.drillStartedAt === undefined) return noChange('no-drill');
    const signal = failedDrillSignal(group, lease, why, ctx.now);
    const snapshot = await store.readForSignal(groupKeyOf(signal, ctx), marketOfSignal(signal, ctx.config));
    return failedDrillTransition(decideSignal(snapshot, signal, ctx), lease, why, ctx);
  });
}

/** `failover --group G [--to NODE]` by an operator: now, fenced, recorded, announced. */
export async function forceFailover(store: IncidentStore, groupId: string, to: string | undefined, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `failover of ${groupId}`, options, async (ctx) => {
    const group = groupConfig(ctx.config, groupId);
    const { lease, nodes } = await store.readLeaseGroup(groupId);
    const decision = decideForcedFailover(lease, nodes, group, to, ctx.now);
    const signal = failoverSignal(group, decision, ctx.now);
    const snapshot = await store.readForSignal(groupKeyOf(signal, ctx), marketOfSignal(signal, ctx.config));
    return promotionTransition(decideSignal(snapshot, signal, ctx), decision, ctx, actor);
  });
}

/** `drill --group G` by an operator: the holder's heartbeats stop counting; the promoter does the rest. */
export async function requestDrill(store: IncidentStore, groupId: string, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `drill of ${groupId}`, options, async (ctx) => {
    const group = groupConfig(ctx.config, groupId);
    const { lease } = await store.readLeaseGroup(groupId);
    return { action: 'drill-started', lease: startDrill(lease, group, actor, ctx.now), timeline: [], notices: [] };
  });
}

export interface CheckResult {
  readonly group: string;
  readonly decision: PromotionDecision['kind'] | 'lost-race' | 'drill-failed' | 'drill-started';
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
  private readonly firstSeen = new Map<string, number>();

  public constructor(
    private readonly store: IncidentStore,
    private readonly options: UseCaseOptions,
  ) {}

  public async checkAll(config: TocsinConfig = this.options.context().config): Promise<CheckResult[]> {
    // Groups are independent: check them side by side, so one slow group delays no other.
    return Promise.all(config.groups.map((group) => this.check(group.id)));
  }

  private failDrill(group: GroupConfig, why: string): Promise<void> {
    this.observations.delete(group.id);
    return failDrillOf(this.store, group, why, this.options);
  }

  public async check(groupId: string): Promise<CheckResult> {
    const ctx = this.options.context();
    const group = groupConfig(ctx.config, groupId);
    const { lease, nodes } = await this.store.readLeaseGroup(groupId);

    // The readiness alarm, raised (or cleared) when it changes, and once per promoter; not in the
    // first lease duration this promoter watches a group, when standbys may not have reported yet.
    if (!this.firstSeen.has(groupId)) this.firstSeen.set(groupId, ctx.now);
    const settled = ctx.now - this.firstSeen.get(groupId)! >= group.leaseDurationSeconds * 1000;
    const readiness = readinessSignal(group, lease, nodes, ctx.now);
    if (settled && this.readiness.get(groupId) !== readiness.status) {
      await ingestSignal(this.store, readiness, this.options);
      this.readiness.set(groupId, readiness.status);
    }

    if (scheduledDrillDue(lease, group, this.firstSeen.get(groupId)!, ctx.now)) {
      await requestDrill(this.store, groupId, 'schedule', this.options).catch((error: unknown) => {
        // Another promoter started it a moment ago: that is the same drill.
        if (!(error instanceof ConflictError)) throw error;
      });
      this.observations.delete(groupId);
      return { group: groupId, decision: 'drill-started' };
    }

    const decision = decidePromotion(lease, nodes, this.observations.get(groupId), ctx.now, group);
    this.observations.set(groupId, decision.observation);

    const drillOver = lease?.drillUntil !== undefined && ctx.now >= lease.drillUntil;
    if (lease?.drillStartedAt !== undefined && (decision.kind === 'no-ready-standby' || (decision.kind === 'watching' && drillOver))) {
      const why = decision.kind === 'no-ready-standby' ? 'no standby was ready to take over' : `not promoted within ${Math.round(drillDeadlineMs(group) / 1000)} s`;
      await this.failDrill(group, why);
      return { group: groupId, decision: 'drill-failed' };
    }
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
    if ((outcome.action !== 'promoted' && outcome.action !== 'drill-passed') || !promoted) {
      this.observations.delete(groupId);
      return { group: groupId, decision: 'lost-race' };
    }
    // Watch the new lease from the commit, so the new holder gets a whole lease to heartbeat.
    this.observations.set(groupId, { version: promoted.version, since: promoted.updatedAt });
    return {
      group: groupId,
      decision: 'promote',
      promoted: { ...(decision.from ? { from: decision.from } : {}), to: promoted.holder, epoch: promoted.epoch, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) },
    };
  }
}
