import type { DecisionContext } from '../core/context';
import type { IncidentStore } from '../core/ports';
import type { AlarmSignal } from '../core/signal';
import type { Outcome, UseCaseOptions } from '../core/use-cases/decide-and-commit';
import { ingestSignal } from '../core/use-cases/ingest-signal';
import { count, logger, METRIC } from './observability';

/**
 * One signal into the store, counted and logged the same way whichever function received it
 * (`ingest` for CloudWatch and the IAM URL, `monitor` for the bearer-token URL).
 */

export interface IntakeResult {
  readonly incidentId?: string;
  readonly action: string;
}

/** How the signal is ingested: `ingestSignal`, or a variant of it (receipt order for PagerDuty events). */
export type Ingest<S extends IncidentStore> = (store: S, signal: AlarmSignal, options: UseCaseOptions) => Promise<Outcome>;

export async function takeSignal<S extends IncidentStore>(store: S, context: () => DecisionContext, signal: AlarmSignal, ingest: Ingest<S> = ingestSignal): Promise<IntakeResult> {
  count(METRIC.alarmsReceived);
  const outcome = await ingest(store, signal, { context });
  if (outcome.action === 'duplicate') count(METRIC.duplicateAlarms);
  if (outcome.action === 'opened') count(METRIC.incidentsOpened);
  if (outcome.transition.notices.length) count(METRIC.noticesWritten, outcome.transition.notices.length);
  if (outcome.attempts > 1) count(METRIC.contention, outcome.attempts - 1);
  logger.info('alarm ingested', {
    incidentId: outcome.incidentId,
    dedupKey: signal.dedupKey,
    status: signal.status,
    action: outcome.action,
    attempts: outcome.attempts,
    ...(signal.monitorId === undefined ? {} : { monitor: signal.monitorId }),
  });
  return { ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}), action: outcome.action };
}
