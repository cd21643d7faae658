import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ENV } from '../adapters/environment';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { parseTimer, SqsEscalationQueue } from '../adapters/sqs-escalation-queue';
import { environmentConfig, environmentStore, requireEnv, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import type { EscalationQueue, IncidentStore } from '../core/ports';
import { runEscalationTimer } from '../core/use-cases/escalate';

/**
 * `escalate` (SQS, the delayed escalation queue): each message is an escalation timer. Due, it
 * pages the incident's next stage if nobody has acknowledged it; early (waits over 15 minutes
 * are chained), it goes back on the queue. Partial batch responses: a failed timer is retried,
 * then lands in the queue's dead-letter queue (and the sweep runs it a minute late).
 */

export interface EscalateDependencies {
  readonly store: IncidentStore;
  readonly queue: EscalationQueue;
  readonly context: () => DecisionContext;
}

export function createEscalateHandler(deps: EscalateDependencies) {
  return async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
    const failures: { itemIdentifier: string }[] = [];
    try {
      for (const record of event.Records ?? []) {
        const timer = parseTimer(record.body);
        if (!timer) {
          // Not ours and never will be: retrying cannot help, so it is logged and dropped.
          logger.error('not an escalation timer; dropped', { messageId: record.messageId });
          continue;
        }
        try {
          const outcome = await runEscalationTimer(deps.store, deps.queue, timer, { context: deps.context });
          if (outcome !== 'requeued' && (outcome.action === 'escalated' || outcome.action === 'reminded')) count(METRIC.escalations);
          logger.info('escalation timer', { incidentId: timer.incidentId, step: timer.step, lateMs: deps.context().now - timer.at, action: outcome === 'requeued' ? outcome : outcome.action });
        } catch (error) {
          count(METRIC.escalationFailures);
          logger.error('escalation failed; retrying', { incidentId: timer.incidentId, error: error as Error });
          failures.push({ itemIdentifier: record.messageId });
        }
      }
      return { batchItemFailures: failures };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createEscalateHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: SQSEvent) => {
  deployed ??= createEscalateHandler({ store: environmentStore(), queue: new SqsEscalationQueue(requireEnv(ENV.escalationQueueUrl)), context: systemContext(environmentConfig()) });
  return deployed(event);
};
