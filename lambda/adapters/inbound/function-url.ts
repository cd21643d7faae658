import { ingestDedupKey } from '../../core/dedup-keys';
import { ValidationError } from '../../core/errors';
import type { AlarmSignal } from '../../core/signal';
import { parseJsonRequest } from '../http';
import { MONITOR_EVENT_MAX_BYTES, parseMonitorEvent } from './monitor-event';

/** The IAM ingest URL's requests (Lambda Function URL, payload format 2.0) carrying a monitor event. Pure. */

export type HttpIngestResult =
  | { readonly ok: true; readonly signal: AlarmSignal }
  | { readonly ok: false; readonly statusCode: 400 | 405 | 413 | 415; readonly error: string };

/**
 * Turns a Function URL request into a signal or into the 4xx the caller should get: 405 for a
 * method other than POST, 415 for a body that is not `application/json` (UTF-8), 413 for a body
 * over `maxBytes`, 400 for a body that is not JSON or not a valid monitor event. The signal's
 * dedup key is the event's, in the IAM URL's namespace (`ingest:<dedupKey>`).
 *
 * @example
 * const result = parseHttpRequest(event);
 * if (!result.ok) return { statusCode: result.statusCode, body: JSON.stringify({ error: result.error }) };
 */
export function parseHttpRequest(event: unknown, maxBytes: number = MONITOR_EVENT_MAX_BYTES): HttpIngestResult {
  const body = parseJsonRequest(event, maxBytes, 'monitor event');
  if (!body.ok) return body;
  try {
    const signal = parseMonitorEvent(body.value);
    // Namespaced: a caller of this URL can address its own alarms only (see core/dedup-keys.ts).
    return { ok: true, signal: { ...signal, dedupKey: ingestDedupKey(signal.dedupKey) } };
  } catch (error) {
    if (error instanceof ValidationError) return { ok: false, statusCode: 400, error: error.message };
    throw error;
  }
}
