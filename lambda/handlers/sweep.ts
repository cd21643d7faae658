import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import type { IncidentStore } from '../core/ports';
import { sweepIncidents } from '../core/use-cases/sweep';

/**
 * `sweep` (EventBridge Scheduler, every minute): the timer side of the incident rules. Resolves
 * incidents whose alarms have all been OK for `policy.autoResolveQuietSeconds`, writing the
 * `incident-resolved` notice in the same transaction. Any scheduled event will do as input.
 */

export interface SweepDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
}

export interface SweepResult {
  readonly resolved: string[];
}

export function createSweepHandler(deps: SweepDependencies) {
  return async function handler(): Promise<SweepResult> {
    try {
      const outcomes = await sweepIncidents(deps.store, { context: deps.context });
      const resolved = outcomes.flatMap((o) => (o.incidentId ? [o.incidentId] : []));
      for (const incidentId of resolved) logger.info('incident auto-resolved', { incidentId });
      if (resolved.length) count(METRIC.noticesWritten, resolved.length);
      return { resolved };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createSweepHandler> | undefined;

/** The Lambda entry point. */
export const handler = () => {
  deployed ??= createSweepHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed();
};
