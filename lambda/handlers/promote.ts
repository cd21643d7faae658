import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import { Promoter, type CheckResult } from '../core/use-cases/promoter';
import type { IncidentStore } from '../core/ports';

/**
 * `promote` (EventBridge Scheduler, every minute): watches every failover group's lease every
 * `checkIntervalSeconds` for a minute and a lease duration more, so that consecutive
 * invocations overlap: whenever a primary falls silent, some invocation has been watching long
 * enough to promote within `leaseDuration + checkInterval` of its last heartbeat. Overlapping
 * promoters are safe: every promotion is conditional on the lease version they saw.
 */

export interface PromoteDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
  readonly sleep?: (ms: number) => Promise<void>;
  /** How long this invocation keeps watching. @default 60 s + the longest lease + the longest check interval */
  readonly watchMs?: number;
}

export interface PromoteResult {
  readonly checks: number;
  readonly promotions: NonNullable<CheckResult['promoted']>[];
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** How long one scheduled invocation watches: the minute until the next, and a lease and a check more. */
export function watchWindowMs(context: DecisionContext): number {
  const groups = context.config.groups;
  const longest = (f: (g: (typeof groups)[number]) => number) => Math.max(0, ...groups.map(f));
  return 60_000 + longest((g) => g.leaseDurationSeconds) * 1000 + longest((g) => g.checkIntervalSeconds) * 1000;
}

export function createPromoteHandler(deps: PromoteDependencies) {
  const sleep = deps.sleep ?? realSleep;
  return async function handler(): Promise<PromoteResult> {
    const first = deps.context();
    if (first.config.groups.length === 0) return { checks: 0, promotions: [] };
    const interval = Math.min(...first.config.groups.map((g) => g.checkIntervalSeconds)) * 1000;
    const until = first.now + (deps.watchMs ?? watchWindowMs(first));
    const promoter = new Promoter(deps.store, { context: deps.context });
    const promotions: NonNullable<CheckResult['promoted']>[] = [];
    let checks = 0;
    // Checks keep a fixed cadence (first.now, + interval, + 2 × interval …), not "interval after the
    // last check ended": a check slowed by load does not push every later one back, and one that
    // overruns its slot is followed at once, so no check tick is lost.
    let next = first.now;
    try {
      for (;;) {
        for (const result of await promoter.checkAll()) {
          if (result.promoted) {
            promotions.push(result.promoted);
            count(METRIC.promotions);
            logger.warn('standby promoted', { group: result.group, ...result.promoted });
          }
          if (result.decision === 'no-ready-standby') count(METRIC.promotionsRefused);
        }
        checks += 1;
        next += interval;
        const now = deps.context().now;
        if (next > until || now > until) break;
        if (next > now) await sleep(next - now);
      }
      return { checks, promotions };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createPromoteHandler> | undefined;

/** The Lambda entry point. */
export const handler = () => {
  deployed ??= createPromoteHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed();
};
