import { randomBytes } from 'node:crypto';
import { MONITOR_EVENT_MAX_BYTES, parseMonitorEvent } from '../adapters/inbound/monitor-event';
import { DynamoDbRateLimiter } from '../adapters/dynamodb-rate-limiter';
import { ENV } from '../adapters/environment';
import { errorResponse, functionUrlRequest, json, parseJsonRequest, rejection, type HttpResponse, type JsonRequestResult } from '../adapters/http';
import { ALERTMANAGER_MAX_BYTES, signalsFromAlertmanager } from '../adapters/inbound/alertmanager';
import { PAGERDUTY_MAX_BYTES, parsePagerDutyEvent } from '../adapters/inbound/pagerduty';
import { bearerToken, monitorOfToken, UNAUTHORIZED_MESSAGE } from '../adapters/monitor-auth';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { takeSignal, type IntakeResult } from '../adapters/signal-intake';
import { environmentConfig, environmentStore, requireEnv, systemContext } from '../adapters/wiring';
import type { MonitorConfig } from '../core/config';
import type { DecisionContext } from '../core/context';
import { callerDedupKey, monitorDedupKey } from '../core/dedup-keys';
import { ContentionError, ValidationError } from '../core/errors';
import type { AlarmLookup, IncidentStore, RateLimiter } from '../core/ports';
import type { AlarmSignal } from '../core/signal';
import { acknowledgeAlarm, admitMonitorRequest, ingestInReceiptOrder, resolveAlarm } from '../core/use-cases/monitor-requests';

/**
 * `monitor` (Function URL, auth NONE in AWS, bearer tokens checked here): alarms from monitors in
 * their own words. Every request needs `Authorization: Bearer <token>` whose SHA-256 is a
 * `monitors[].tokenSha256` (on the PagerDuty path, `routing_key` may carry the token instead);
 * then the monitor's rate limit; then the path:
 *
 * | path | body | answer |
 * |---|---|---|
 * | `POST /` | Tocsin's monitor event | 202 `{incidentId, action}` |
 * | `POST /alertmanager` | Alertmanager webhook, version 4 | 202 `{alerts, results: [{key, incidentId, action}]}` |
 * | `POST /pagerduty/v2/enqueue` | PagerDuty Events API v2 | 202 `{status: "success", message: "Event processed", dedup_key}` |
 *
 * 401 (one message for every token problem), 429 with `Retry-After`, 404 for another path, 405
 * for another method, 413 / 415 / 400 naming the field for a body it refuses (PagerDuty's
 * `{status: "invalid event", message, errors}` on its path); nothing is written for any of them.
 * A 5xx means Tocsin failed, never that the caller's input was wrong.
 */

type Route = 'monitor-event' | 'alertmanager' | 'pagerduty';

const ROUTES: Readonly<Record<string, Route>> = { '/': 'monitor-event', '/alertmanager': 'alertmanager', '/pagerduty/v2/enqueue': 'pagerduty' };
const BODY: Readonly<Record<Route, { maxBytes: number; what: string }>> = {
  'monitor-event': { maxBytes: MONITOR_EVENT_MAX_BYTES, what: 'monitor event' },
  alertmanager: { maxBytes: ALERTMANAGER_MAX_BYTES, what: 'Alertmanager webhook' },
  pagerduty: { maxBytes: PAGERDUTY_MAX_BYTES, what: 'PagerDuty event' },
};
/** Alerts of one webhook ingested at once: enough to overlap DynamoDB round trips, few enough not to contend. */
const ALERT_CONCURRENCY = 4;

export interface MonitorDependencies {
  readonly store: IncidentStore & AlarmLookup;
  readonly limiter: RateLimiter;
  readonly context: () => DecisionContext;
  /** A dedup key for a PagerDuty trigger without one. @default 32 random hex digits, as PagerDuty makes them */
  readonly newDedupKey?: () => string;
}

export function createMonitorHandler(deps: MonitorDependencies) {
  const newDedupKey = deps.newDedupKey ?? (() => randomBytes(16).toString('hex'));

  function refuse(response: HttpResponse, why: string): HttpResponse {
    count(METRIC.alarmsRejected);
    logger.warn('monitor request refused', { statusCode: response.statusCode, error: why });
    return response;
  }

  /** A body refused on the PagerDuty path is answered as PagerDuty answers it. */
  function refuseBody(route: Route, statusCode: number, message: string, errors: readonly string[] = [message]): HttpResponse {
    const body = route === 'pagerduty' ? { status: 'invalid event', message: 'Event object is invalid', errors } : { error: message };
    return refuse(json(statusCode, body), message);
  }

  async function monitorEvent(value: unknown, monitor: MonitorConfig): Promise<HttpResponse> {
    const event = parseMonitorEvent(value);
    return json(202, await takeSignal(deps.store, deps.context, { ...event, dedupKey: monitorDedupKey(monitor.id, event.dedupKey), monitorId: monitor.id }));
  }

  async function alertmanager(value: unknown, monitor: MonitorConfig): Promise<HttpResponse> {
    const signals = signalsFromAlertmanager(value, monitor.id);
    const results = await inBatches(signals, ALERT_CONCURRENCY, async (signal: AlarmSignal): Promise<IntakeResult & { key: string }> => ({
      key: callerDedupKey(monitor.id, signal.dedupKey),
      ...(await takeSignal(deps.store, deps.context, signal)),
    }));
    return json(202, { alerts: signals.length, results });
  }

  async function pagerDuty(value: unknown, monitor: MonitorConfig, now: number): Promise<HttpResponse> {
    const request = parsePagerDutyEvent(value, { monitorId: monitor.id, now, newDedupKey });
    const options = { context: deps.context };
    let outcome: { action: string; incidentId?: string };
    if (request.action === 'trigger') {
      outcome = await takeSignal(deps.store, deps.context, request.signal, ingestInReceiptOrder);
    } else {
      count(METRIC.alarmsReceived);
      outcome =
        request.action === 'acknowledge'
          ? await acknowledgeAlarm(deps.store, request.storedKey, `monitor:${monitor.id}`, options)
          : await resolveAlarm(deps.store, request.storedKey, { source: 'monitor', monitorId: monitor.id, occurredAt: now }, options);
      logger.info(`pagerduty ${request.action}`, { incidentId: outcome.incidentId, dedupKey: request.storedKey, action: outcome.action, monitor: monitor.id });
    }
    // PagerDuty answers an acknowledge or resolve of a key it does not know with the same 202.
    return json(202, { status: 'success', message: 'Event processed', dedup_key: request.dedupKey });
  }

  async function serve(event: unknown): Promise<HttpResponse> {
    const request = functionUrlRequest(event);
    if (!request) return refuse(json(400, { error: 'not a Function URL request (payload format 2.0)' }), 'not a Function URL request');
    const ctx = deps.context();
    const route: Route | undefined = ROUTES[request.path];

    // Who: the bearer token, or (PagerDuty's integrations send no header) the event's routing_key.
    let token = bearerToken(request.headers.authorization);
    let body: JsonRequestResult | undefined;
    if (request.headers.authorization === undefined && route === 'pagerduty' && request.method === 'POST') {
      body = parseJsonRequest(event, BODY.pagerduty.maxBytes, BODY.pagerduty.what);
      const routingKey = body.ok && typeof body.value === 'object' && body.value !== null ? (body.value as { routing_key?: unknown }).routing_key : undefined;
      token = typeof routingKey === 'string' ? bearerToken(`Bearer ${routingKey}`) : undefined;
    }
    const monitor = monitorOfToken(token, ctx.config.monitors);
    if (!monitor) {
      count(METRIC.monitorRequestsUnauthorized);
      logger.warn('monitor request unauthorized', { path: request.path.slice(0, 64) });
      return json(401, { error: UNAUTHORIZED_MESSAGE }, { 'www-authenticate': 'Bearer realm="tocsin"' });
    }

    const admission = await admitMonitorRequest(deps.limiter, monitor, ctx.now);
    if (!admission.admitted) {
      count(METRIC.monitorRequestsThrottled);
      logger.warn('monitor request throttled', { monitor: monitor.id, ratePerMinute: monitor.ratePerMinute });
      return json(
        429,
        { error: `monitor ${monitor.id} sent more than ${monitor.ratePerMinute} requests this minute; retry after ${admission.retryAfterSeconds} s` },
        { 'retry-after': String(admission.retryAfterSeconds) },
      );
    }

    if (route === undefined) {
      return refuse(json(404, { error: `no such path ${JSON.stringify(request.path.slice(0, 64))}; POST to /, /alertmanager or /pagerduty/v2/enqueue` }), 'unknown path');
    }
    if (request.method !== 'POST') return refuse(rejection({ statusCode: 405, error: `method ${request.method.slice(0, 16)} is not allowed; use POST` }), 'method');
    body ??= parseJsonRequest(event, BODY[route].maxBytes, BODY[route].what);
    if (!body.ok) return refuseBody(route, body.statusCode, body.error);

    try {
      if (route === 'monitor-event') return await monitorEvent(body.value, monitor);
      if (route === 'alertmanager') return await alertmanager(body.value, monitor);
      return await pagerDuty(body.value, monitor, ctx.now);
    } catch (error) {
      if (error instanceof ValidationError) return refuseBody(route, 400, error.message, error.problems.map((p) => (p.field ? `${p.field}: ${p.problem}` : p.problem)));
      throw error;
    }
  }

  return async function handler(event: unknown): Promise<HttpResponse> {
    try {
      return await serve(event);
    } catch (error) {
      if (error instanceof ContentionError) count(METRIC.contention);
      else logger.error('monitor request failed', { error: error as Error });
      return errorResponse(error);
    } finally {
      flushMetrics();
    }
  };
}

/** Runs `task` over `items`, at most `concurrency` at a time, results in the items' order. */
async function inBatches<T, R>(items: readonly T[], concurrency: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

let deployed: ReturnType<typeof createMonitorHandler> | undefined;

/** The Lambda entry point: adapters built once per execution environment, from its variables. */
export const handler = (event: unknown) => {
  deployed ??= createMonitorHandler({
    store: environmentStore(),
    limiter: new DynamoDbRateLimiter(requireEnv(ENV.tableName)),
    context: systemContext(environmentConfig()),
  });
  return deployed(event);
};
