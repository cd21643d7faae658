import { isIgnoredAlarm, type IgnoredAlarm } from '../adapters/inbound/cloudwatch-alarm';
import { signalFromCloudWatchEvent } from '../adapters/inbound/eventbridge';
import { parseHttpRequest } from '../adapters/inbound/function-url';
import { classifyIngestEvent } from '../adapters/inbound/ingest-event';
import { signalsFromSnsEvent } from '../adapters/inbound/sns';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { takeSignal } from '../adapters/signal-intake';
import { errorResponse, json, rejection, type HttpResponse } from '../adapters/http';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import { ContentionError, ValidationError } from '../core/errors';
import type { IncidentStore } from '../core/ports';
import type { AlarmSignal } from '../core/signal';

/**
 * `ingest`: CloudWatch alarm state changes (EventBridge), CloudWatch alarm notifications (SNS)
 * and monitor events (Function URL POST) → incidents, market state, timeline, outbox.
 *
 * Invalid EventBridge / SNS input throws after the valid part is ingested: the asynchronous
 * invocation retries (a replay changes nothing) and then lands in the on-failure destination,
 * so a malformed alarm is never silently dropped. HTTP callers get a 4xx naming the field.
 */

export interface IngestDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
}

export interface IngestResult {
  readonly incidentId?: string;
  readonly action: string;
}

export function createIngestHandler(deps: IngestDependencies) {
  async function ingest(signal: AlarmSignal | IgnoredAlarm): Promise<IngestResult> {
    if (isIgnoredAlarm(signal)) {
      count(METRIC.alarmsReceived);
      count(METRIC.alarmsIgnored);
      logger.info('alarm ignored', { dedupKey: signal.dedupKey, reason: signal.reason });
      return { action: 'ignored' };
    }
    return takeSignal(deps.store, deps.context, signal);
  }

  function reject(error: ValidationError, source: string): never {
    count(METRIC.alarmsRejected);
    logger.error('event rejected', { source, error: error.message });
    throw error;
  }

  async function viaHttp(event: unknown): Promise<HttpResponse> {
    const request = parseHttpRequest(event);
    if (!request.ok) {
      count(METRIC.alarmsRejected);
      logger.warn('monitor event rejected', { statusCode: request.statusCode, error: request.error });
      return rejection(request);
    }
    try {
      const result = await ingest(request.signal);
      return json(202, result);
    } catch (error) {
      if (error instanceof ContentionError) count(METRIC.contention);
      else logger.error('monitor event failed', { error: error as Error });
      return errorResponse(error);
    }
  }

  async function viaSns(event: unknown): Promise<IngestResult[]> {
    const signals = signalsFromSnsEvent(event);
    const results: IngestResult[] = [];
    for (const signal of signals) results.push(await ingest(signal));
    return results;
  }

  return async function handler(event: unknown): Promise<HttpResponse | IngestResult | IngestResult[]> {
    try {
      let kind: ReturnType<typeof classifyIngestEvent>;
      try {
        kind = classifyIngestEvent(event);
      } catch (error) {
        if (error instanceof ValidationError) reject(error, 'unknown');
        throw error;
      }
      if (kind === 'http') return await viaHttp(event);
      try {
        return kind === 'sns' ? await viaSns(event) : await ingest(signalFromCloudWatchEvent(event));
      } catch (error) {
        if (error instanceof ValidationError) reject(error, kind);
        throw error;
      }
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createIngestHandler> | undefined;

/** The Lambda entry point: adapters built once per execution environment, from its variables. */
export const handler = (event: unknown) => {
  deployed ??= createIngestHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed(event);
};
