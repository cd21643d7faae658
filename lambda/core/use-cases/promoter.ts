import type { TocsinConfig } from '../config';
import { ConflictError } from '../errors';
import { decidePromotion, groupConfig } from '../lease';
import type { IncidentStore } from '../ports';
import { afterPromotion, promoterStep, type CheckDecision, type GroupWatch, type PromoterAction } from '../promoter-step';
import { decideAndCommit, type UseCaseOptions } from './decide-and-commit';
import { failDrill, promotionOf, requestDrill } from './failover-commands';
import { ingestSignal } from './ingest-signal';

export interface CheckResult {
  readonly group: string;
  readonly decision: CheckDecision;
  readonly promoted?: { readonly from?: string; readonly to: string; readonly epoch: number; readonly incidentId?: string };
}

/**
 * A promoter: checks every group of the configuration, remembering what it saw between checks
 * (one scheduled invocation in AWS). The decisions are the pure `promoterStep`; this class reads,
 * performs the step's actions, and keeps the watch.
 */
export class Promoter {
  private readonly watches = new Map<string, GroupWatch>();

  public constructor(
    private readonly store: IncidentStore,
    private readonly options: UseCaseOptions,
  ) {}

  public async checkAll(config: TocsinConfig = this.options.context().config): Promise<CheckResult[]> {
    // Groups are independent: check them side by side, so one slow group delays no other.
    return Promise.all(config.groups.map((group) => this.check(group.id)));
  }

  public async check(groupId: string): Promise<CheckResult> {
    const ctx = this.options.context();
    const group = groupConfig(ctx.config, groupId);
    const step = promoterStep(this.watches.get(groupId) ?? {}, await this.store.readLeaseGroup(groupId), group, ctx.now);
    let result: CheckResult = { group: groupId, decision: step.decision };
    let watch = step.watch;
    for (const action of step.actions) {
      const promoted = await this.perform(groupId, action);
      if (action.kind === 'promote') {
        watch = afterPromotion(watch, promoted?.lease);
        result = promoted ? { group: groupId, decision: 'promote', promoted: promoted.summary } : { group: groupId, decision: 'lost-race' };
      }
    }
    // Remembered only once every action is done: an alarm that failed to go out is raised again next check.
    this.watches.set(groupId, watch);
    return result;
  }

  private async perform(groupId: string, action: PromoterAction) {
    const group = groupConfig(this.options.context().config, groupId);
    switch (action.kind) {
      case 'mark-seen':
        await this.store.markGroupSeen(groupId, this.options.context().now);
        return undefined;
      case 'raise':
        await ingestSignal(this.store, action.signal, this.options);
        return undefined;
      case 'start-drill':
        await requestDrill(this.store, groupId, 'schedule', this.options).catch((error: unknown) => {
          // Another promoter started it a moment ago: that is the same drill.
          if (!(error instanceof ConflictError)) throw error;
        });
        return undefined;
      case 'fail-drill':
        await failDrill(this.store, group, action.why, this.options);
        return undefined;
      case 'promote': {
        const seen = action.decision.observation;
        // Decided again on a fresh read: another promoter (or a late heartbeat) may have moved it.
        const outcome = await decideAndCommit(this.store, `promotion in ${groupId}`, this.options, (ctx) =>
          promotionOf(this.store, group, ({ lease, nodes }) => decidePromotion(lease, nodes, seen, ctx.now, group), 'promoter', ctx),
        );
        const lease = outcome.transition.lease;
        if ((outcome.action !== 'promoted' && outcome.action !== 'drill-passed') || !lease) return undefined;
        const from = action.decision.from;
        return { lease, summary: { ...(from ? { from } : {}), to: lease.holder, epoch: lease.epoch, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) } };
      }
    }
  }
}
