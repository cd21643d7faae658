import * as z from 'zod';
import { SEVERITIES, type AlarmSignal } from '../../core/signal';
import { id, instant, parseWith, storableObject, text } from '../../core/validation';

/**
 * Tocsin's own monitor event (contract: shared/DESIGN.md, "Monitor event"), the body of the IAM
 * ingest URL and of the monitor URL's `POST /`, validated with zod and reduced to a signal. Pure.
 * The caller namespaces the dedup key by the way the event came in (`core/dedup-keys.ts`).
 */

/** The monitor event size limit of the HTTP ingest contract (64 KiB). */
export const MONITOR_EVENT_MAX_BYTES = 64 * 1024;

const MAX = { dedupKey: 512, summary: 1024 } as const;

const monitorEventShape = {
  dedupKey: text(MAX.dedupKey),
  status: z.enum(['firing', 'resolved']),
  severity: z.enum(SEVERITIES),
  component: id,
  market: id.optional(),
  summary: text(MAX.summary),
  occurredAt: instant,
  /** Kept on the timeline: checked for what DynamoDB can store; integers beyond ±(2^53 − 1) become strings of their digits. */
  details: storableObject().optional(),
};

/**
 * The monitor event of the HTTP ingest contract. Strict: an unknown top-level field is refused
 * (a typo such as `occured_at` must not be dropped silently).
 */
export const monitorEventSchema = z.strictObject(monitorEventShape, {
  error: (issue) =>
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')} (allowed: ${Object.keys(monitorEventShape).join(', ')})`
      : undefined,
});

export type MonitorEvent = z.input<typeof monitorEventSchema>;

/**
 * Validates a monitor event (already JSON-parsed) and reduces it to a signal.
 *
 * @throws ValidationError naming every wrong field, e.g.
 *   `invalid monitor event: occurredAt: must be an ISO-8601 date-time with seconds and an offset or Z (…), got "yesterday"`
 * @example
 * parseMonitorEvent({ dedupKey: 'arrowhead/shared-disk/unit-1', status: 'firing', severity: 'critical',
 *   component: 'shared-disk', market: 'equities', summary: 'unit 1 memory fault',
 *   occurredAt: '2020-10-01T07:04:13+09:00' }).occurredAt; // Date.UTC(2020, 8, 30, 22, 4, 13)
 */
export function parseMonitorEvent(input: unknown): AlarmSignal {
  const event = parseWith(monitorEventSchema, input, 'monitor event');
  return {
    dedupKey: event.dedupKey,
    status: event.status,
    severity: event.severity,
    component: event.component,
    ...(event.market === undefined ? {} : { market: event.market }),
    summary: event.summary,
    occurredAt: event.occurredAt,
    source: 'monitor',
    ...(event.details === undefined ? {} : { details: event.details }),
  };
}
