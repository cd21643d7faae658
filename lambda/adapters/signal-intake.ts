import type { DecisionContext } from '../core/context';
import type { IncidentStore } from '../core/ports';
import type { AlarmSignal } from '../core/signal';
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

export async function takeSignal(store: IncidentStore, context: () => DecisionContext, signal: AlarmSignal): Promise<IntakeResult> {
  count(METRIC.alarmsReceived);
  const outcome = await ingestSignal(store, signal, { context });
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
