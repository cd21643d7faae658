/**
 * Dedup keys are namespaced by source, so that no source can address another's alarms: a monitor
 * that sends `tocsin:readiness:shared-disk` with status `resolved` must not resolve Tocsin's own
 * "No failover capacity" incident, nor one monitor's alarm another's.
 *
 * | source | dedup key as stored |
 * |---|---|
 * | CloudWatch (EventBridge, SNS) | the alarm ARN, `arn:<partition>:cloudwatch:<region>:<account>:alarm:<name>`: one per account and alarm |
 * | Tocsin itself | `tocsin:<kind>:<group>` (readiness, failover, drill; `lease.ts`) |
 * | the IAM ingest URL | `ingest:<dedupKey>` |
 * | a monitor with a bearer token | `monitor:<monitors[].id>:<its key>` (its `dedupKey`, Alertmanager fingerprint, PagerDuty `dedup_key`) |
 *
 * Each namespace starts with a word no other one starts with, and the part a caller chooses always
 * comes last, so no caller-chosen key can be read as another namespace's.
 */

export const INGEST_KEY_PREFIX = 'ingest:';
export const MONITOR_KEY_PREFIX = 'monitor:';

/** The stored key of a monitor event posted to the IAM ingest URL. */
export function ingestDedupKey(key: string): string {
  return `${INGEST_KEY_PREFIX}${key}`;
}

/** The stored key of an alarm from the monitor `monitorId` (an id: no `:` in it, so the split is unambiguous). */
export function monitorDedupKey(monitorId: string, key: string): string {
  return `${MONITOR_KEY_PREFIX}${monitorId}:${key}`;
}

/** The key as the monitor sent it, back from the stored one (what a PagerDuty-style answer names). */
export function callerDedupKey(monitorId: string, stored: string): string {
  const prefix = monitorDedupKey(monitorId, '');
  return stored.startsWith(prefix) ? stored.slice(prefix.length) : stored;
}
