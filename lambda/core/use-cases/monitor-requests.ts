import type { MonitorConfig } from '../config';
import { ConflictError } from '../errors';
import { rateWindow } from '../monitor-rate';
import type { AlarmLookup, IncidentStore, RateLimiter } from '../ports';
import type { AlarmSignal } from '../signal';
import type { Outcome, UseCaseOptions } from './decide-and-commit';
import { runIncidentCommand } from './incident-commands';
import { ingestSignal } from './ingest-signal';

/**
 * What the monitor URL does beyond ingesting signals: the per-monitor rate limit, and the
 * PagerDuty-style events that name an alarm only by its dedup key (`acknowledge`, `resolve`).
 */

export type Admission = { readonly admitted: true } | { readonly admitted: false; readonly retryAfterSeconds: number };

/** Counts one request of `monitor` in the current minute; refused past `ratePerMinute`. */
export async function admitMonitorRequest(limiter: RateLimiter, monitor: Pick<MonitorConfig, 'id' | 'ratePerMinute'>, now: number): Promise<Admission> {
  const window = rateWindow(now);
  const admitted = await limiter.admit(`monitor:${monitor.id}`, window.start, monitor.ratePerMinute, window.expiresAt);
  return admitted ? { admitted: true } : { admitted: false, retryAfterSeconds: window.retryAfterSeconds };
}

/** What an event that names an alarm by its key did. */
export interface KeyedOutcome {
  /** `acknowledged`, `unchanged`, `resolve-pending`, … or `unknown-alarm` / `already-resolved` when there was nothing to do. */
  readonly action: string;
  readonly incidentId?: string;
}

/**
 * Acknowledges the incident that accounts for the alarm `dedupKey`, on behalf of `actor`, through
 * the operators' `ack`. An alarm never seen, or whose incident is already resolved, changes nothing.
 */
export async function acknowledgeAlarm(store: IncidentStore & AlarmLookup, dedupKey: string, actor: string, options: UseCaseOptions): Promise<KeyedOutcome> {
  const alarm = await store.readAlarm(dedupKey);
  if (alarm?.incidentId === undefined) return { action: 'unknown-alarm' };
  const incidentId = alarm.incidentId;
  try {
    const outcome = await runIncidentCommand(store, { command: 'ack', incidentId }, actor, options);
    return { action: outcome.action, incidentId };
  } catch (error) {
    // Resolved meanwhile: nothing left to acknowledge, which is not the caller's fault.
    if (error instanceof ConflictError) return { action: 'already-resolved', incidentId };
    throw error;
  }
}

/**
 * Resolves the alarm `dedupKey` when the source says only "resolved" and names nothing else: the
 * signal is rebuilt from the alarm as its incident lists it (component, severity, summary) and the
 * incident's market, so it reaches the same incident whatever `policy.groupBy` says.
 */
export async function resolveAlarm(
  store: IncidentStore & AlarmLookup,
  dedupKey: string,
  from: Pick<AlarmSignal, 'source' | 'monitorId' | 'occurredAt'>,
  options: UseCaseOptions,
): Promise<KeyedOutcome> {
  const alarm = await store.readAlarm(dedupKey);
  if (alarm?.incidentId === undefined) return { action: 'unknown-alarm' };
  const [listed, incident] = await Promise.all([store.readIncidentAlarm(alarm.incidentId, dedupKey), store.readIncident(alarm.incidentId)]);
  if (!listed) return { action: 'unknown-alarm' };
  const signal: AlarmSignal = {
    dedupKey,
    status: 'resolved',
    // Receipt order (see ingestInReceiptOrder): after the trigger it resolves, whatever the clocks say.
    severity: listed.severity,
    component: listed.component,
    ...(incident?.market === undefined ? {} : { market: incident.market }),
    summary: listed.summary,
    occurredAt: Math.max(from.occurredAt, alarm.at + 1),
    source: from.source,
    ...(from.monitorId === undefined ? {} : { monitorId: from.monitorId }),
  };
  const outcome = await ingestSignal(store, signal, options);
  return { action: outcome.action, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) };
}

/**
 * Ingests a signal from a source that orders its events by receipt, as PagerDuty does, and carries
 * no time of its own that Tocsin could trust: the signal counts as newer than whatever the alarm
 * holds, so a trigger after a resolve received a millisecond earlier on another function
 * instance (whose clock may run a little behind) is not taken for an old replay.
 */
export async function ingestInReceiptOrder(store: IncidentStore & AlarmLookup, signal: AlarmSignal, options: UseCaseOptions): Promise<Outcome> {
  const alarm = await store.readAlarm(signal.dedupKey);
  return ingestSignal(store, alarm === undefined ? signal : { ...signal, occurredAt: Math.max(signal.occurredAt, alarm.at + 1) }, options);
}
