import { createHash } from 'node:crypto';
import * as z from 'zod';
import { monitorDedupKey } from '../../core/dedup-keys';
import type { AlarmSignal, Severity } from '../../core/signal';
import { CONTROL_CHARACTER, CONTROL_CHARACTER_RULE, describe, id, ID_MAX_LENGTH, ID_PATTERN, instant, oneLine, parseIsoInstant, parseWith, toId, truncate } from '../../core/validation';

/**
 * Prometheus Alertmanager's webhook receiver (`webhook_config`, payload version 4; Grafana's
 * webhook contact point sends the same shape as version 1), validated with zod and reduced to one
 * {@link AlarmSignal} per alert. Pure: no AWS, no environment, no clock.
 *
 * ```json
 * { "version": "4", "groupKey": "…", "truncatedAlerts": 0, "status": "firing", "receiver": "tocsin",
 *   "groupLabels": {…}, "commonLabels": {…}, "commonAnnotations": {…}, "externalURL": "http://alertmanager:9093",
 *   "alerts": [{ "status": "firing", "labels": {…}, "annotations": {…}, "startsAt": "…", "endsAt": "…",
 *                "generatorURL": "…", "fingerprint": "1a30ba71cca2921f" }] }
 * ```
 *
 * | signal | from the alert |
 * |---|---|
 * | dedup key | `monitor:<monitor id>:<fingerprint>`, else `…:labels-<sha256 of the sorted labels, 16 hex>` |
 * | status | `status` |
 * | occurredAt | `startsAt` when firing, `endsAt` when resolved |
 * | severity | label `severity`: critical → critical; major, error, high → major; minor, warning → minor; info, low → info; anything else or none → major |
 * | component | label `component`, else `job`, else `alertname`, made an id (`node_exporter` → `node-exporter`) |
 * | market | label `market` (must be an id) |
 * | summary | annotation `summary`, else `description`, else label `alertname`, on one line, at most 1024 characters |
 */

/** Alerts in one webhook: Alertmanager's `max_alerts` should be at most this (Tocsin's receiver snippet sets 100). */
export const ALERTMANAGER_MAX_ALERTS = 1000;
/** Body size limit of `POST /alertmanager`: 1,000 alerts of about 1 KiB each. */
export const ALERTMANAGER_MAX_BYTES = 1024 * 1024;
/** Labels and annotations per alert. */
export const ALERTMANAGER_MAX_LABELS = 64;
const MAX = { labelName: 128, labelValue: 1024, annotationValue: 8192, summary: 1024, url: 2048 } as const;

/** The severity label's words, mapped to Tocsin's; any other word (or none) is `major`. */
export const ALERTMANAGER_SEVERITIES: Readonly<Record<string, Severity>> = {
  critical: 'critical',
  major: 'major',
  error: 'major',
  high: 'major',
  minor: 'minor',
  warning: 'minor',
  info: 'info',
  low: 'info',
};
export const ALERTMANAGER_DEFAULT_SEVERITY: Severity = 'major';

const labelName = z
  .string()
  .min(1)
  .max(MAX.labelName)
  .refine((value) => !CONTROL_CHARACTER.test(value), { error: `a label name must not contain ${CONTROL_CHARACTER_RULE}` });

const bounded = <S extends z.ZodType>(record: S, what: string) =>
  record.refine((value) => Object.keys(value as object).length <= ALERTMANAGER_MAX_LABELS, {
    error: (issue) => `must have at most ${ALERTMANAGER_MAX_LABELS} ${what}, got ${Object.keys(issue.input as object).length}`,
  });

const labels = bounded(
  z.record(
    labelName,
    z
      .string()
      .max(MAX.labelValue)
      .refine((value) => !CONTROL_CHARACTER.test(value), { error: `a label value must not contain ${CONTROL_CHARACTER_RULE}` }),
  ),
  'labels',
);
const annotations = bounded(z.record(labelName, z.string().max(MAX.annotationValue)), 'annotations');

const fingerprint = z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, { error: (issue) => `must be 1–128 letters, digits, ".", "_", ":" or "-", got ${describe(issue.input)}` });

const alertSchema = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels,
  annotations: annotations.default({}),
  startsAt: instant,
  endsAt: z.string().max(64).optional(),
  generatorURL: z.string().max(MAX.url).optional(),
  fingerprint: fingerprint.optional(),
});

/** The webhook body. Unknown fields are allowed: Alertmanager and Grafana add fields over time. */
export const alertmanagerWebhookSchema = z.looseObject({
  version: z.enum(['4', '1'], { error: (issue) => `expected "4" (Alertmanager) or "1" (Grafana's webhook), got ${describe(issue.input)}` }),
  receiver: z.string().max(256).optional(),
  status: z.enum(['firing', 'resolved']).optional(),
  alerts: z.array(alertSchema).min(1).max(ALERTMANAGER_MAX_ALERTS),
  groupKey: z.string().max(4096).optional(),
  externalURL: z.string().max(MAX.url).optional(),
  truncatedAlerts: z.number().int().min(0).optional(),
});

export type AlertmanagerWebhook = z.input<typeof alertmanagerWebhookSchema>;
type Alert = z.output<typeof alertSchema>;

/** Alertmanager's "no time" (Go's zero `time.Time`), which a firing alert may carry as `endsAt`. */
const ZERO_TIME_BEFORE = Date.UTC(1970, 0, 1);

/**
 * Validates an Alertmanager webhook and reduces each alert to a signal from monitor `monitorId`.
 *
 * @throws ValidationError naming the alert and field, e.g.
 *   `invalid Alertmanager webhook: alerts[3].labels.market: must be lower-case letters, digits and dashes (e.g. "shared-disk"), got "Equities"`
 */
export function signalsFromAlertmanager(input: unknown, monitorId: string): AlarmSignal[] {
  const webhook = parseWith(alertmanagerWebhookSchema.superRefine(checkAlerts), input, 'Alertmanager webhook');
  return webhook.alerts.map((alert) => signalFromAlert(alert as Alert, monitorId, webhook));
}

/** What the schema cannot say field by field: the market is an id, a resolved alert has its end. */
function checkAlerts(webhook: { alerts: Alert[] }, ctx: z.RefinementCtx): void {
  webhook.alerts.forEach((alert, index) => {
    const market = alert.labels.market;
    if (market !== undefined && !(market.length <= ID_MAX_LENGTH && ID_PATTERN.test(market))) {
      ctx.addIssue({ code: 'custom', path: ['alerts', index, 'labels', 'market'], message: `must be lower-case letters, digits and dashes (e.g. "equities"), got ${describe(market)}` });
    }
    if (alert.labels.component === undefined && alert.labels.job === undefined && alert.labels.alertname === undefined) {
      ctx.addIssue({ code: 'custom', path: ['alerts', index, 'labels'], message: 'needs a "component", "job" or "alertname" label to name the component' });
    }
    if (alert.status === 'resolved') {
      const ends = alert.endsAt === undefined ? undefined : parseIsoInstant(alert.endsAt);
      if (ends === undefined || ends < ZERO_TIME_BEFORE) {
        ctx.addIssue({ code: 'custom', path: ['alerts', index, 'endsAt'], message: `a resolved alert needs the ISO-8601 time it ended, got ${describe(alert.endsAt)}` });
      }
    }
  });
}

function signalFromAlert(alert: Alert, monitorId: string, webhook: z.output<typeof alertmanagerWebhookSchema>): AlarmSignal {
  const { labels: l, annotations: a } = alert;
  const component = toId(l.component ?? l.job ?? l.alertname ?? '', 'alertmanager');
  const severity = ALERTMANAGER_SEVERITIES[(l.severity ?? '').trim().toLowerCase()] ?? ALERTMANAGER_DEFAULT_SEVERITY;
  const rawSummary = [a.summary, a.description, l.alertname, component].map((s) => (s === undefined ? '' : oneLine(s))).find((s) => s !== '')!;
  const occurredAt = alert.status === 'firing' ? alert.startsAt : parseIsoInstant(alert.endsAt!)!;
  const key = alert.fingerprint ?? `labels-${labelsHash(l)}`;
  return {
    dedupKey: monitorDedupKey(monitorId, key),
    status: alert.status,
    severity,
    component,
    ...(l.market === undefined ? {} : { market: id.parse(l.market) }),
    summary: truncate(rawSummary, MAX.summary),
    occurredAt,
    source: 'monitor',
    monitorId,
    details: {
      via: 'alertmanager',
      ...(alert.fingerprint === undefined ? {} : { fingerprint: alert.fingerprint }),
      labels: l,
      ...(Object.keys(a).length ? { annotations: a } : {}),
      ...(alert.generatorURL ? { generatorURL: alert.generatorURL } : {}),
      ...(webhook.receiver === undefined ? {} : { receiver: webhook.receiver }),
      ...(webhook.externalURL === undefined ? {} : { externalURL: webhook.externalURL }),
    },
  };
}

/** A stable key for an alert without a fingerprint: the SHA-256 of its labels, sorted by name. */
export function labelsHash(labels: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((name) => [name, labels[name]]);
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}
