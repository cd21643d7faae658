import * as z from 'zod';
import { monitorDedupKey } from '../../core/dedup-keys';
import { ValidationError } from '../../core/errors';
import type { AlarmSignal, Severity } from '../../core/signal';
import { describe, ID_MAX_LENGTH, ID_PATTERN, instant, oneLine, parseWith, storableValue, text, toId, truncate } from '../../core/validation';

/**
 * PagerDuty's Events API v2 (`POST /v2/enqueue`), validated with zod and reduced to what Tocsin
 * does with it, so that any tool with a PagerDuty integration (Grafana, Datadog, Zabbix, Uptime
 * Kuma…) can alert Tocsin. Pure: the clock and the id source are passed in.
 *
 * ```json
 * { "routing_key": "…", "event_action": "trigger", "dedup_key": "srv01/HTTP",
 *   "payload": { "summary": "…", "source": "srv01", "severity": "critical", "timestamp": "…",
 *                "component": "…", "group": "…", "class": "…", "custom_details": {…} },
 *   "client": "…", "client_url": "…", "links": [{ "href", "text" }], "images": [{ "src", "href", "alt" }] }
 * ```
 *
 * | PagerDuty | Tocsin |
 * |---|---|
 * | `trigger` | a firing signal; `dedup_key` generated (32 hex digits) and returned when absent |
 * | `resolve` | resolves the alarm of `dedup_key` (its component and severity as it fired) |
 * | `acknowledge` | acknowledges the incident that holds the alarm of `dedup_key` |
 * | `payload.severity` critical, error, warning, info | critical, major, minor, info |
 * | `payload.component`, else `payload.source` | the component, made an id |
 * | `payload.custom_details.market` | the market (an id), when present |
 * | `payload.summary` | the summary, on one line |
 *
 * Events are ordered by the time Tocsin receives them, as PagerDuty orders them:
 * `payload.timestamp` is kept in the details, never trusted to order a trigger against its resolve.
 */

/** Body size limit of `POST /pagerduty/v2/enqueue`: PagerDuty's own limit on an event is 512 KB. */
export const PAGERDUTY_MAX_BYTES = 512 * 1024;

export const PAGERDUTY_SEVERITIES: Readonly<Record<'critical' | 'error' | 'warning' | 'info', Severity>> = {
  critical: 'critical',
  error: 'major',
  warning: 'minor',
  info: 'info',
};

const MAX = { dedupKey: 255, summary: 1024, field: 255, url: 2048, links: 50 } as const;

const shortText = z.string().max(MAX.field);

const payloadSchema = z.looseObject({
  summary: z.string().min(1).max(MAX.summary),
  source: z.string().min(1).max(MAX.field),
  severity: z.enum(['critical', 'error', 'warning', 'info']),
  timestamp: instant.optional(),
  component: shortText.optional(),
  group: shortText.optional(),
  class: shortText.optional(),
  custom_details: storableValue().optional(),
});

/** A PagerDuty Events API v2 event. Unknown fields are allowed, as PagerDuty allows them. */
export const pagerDutyEventSchema = z
  .looseObject({
    /** PagerDuty's integration key; Tocsin reads it as the monitor's token when no `Authorization` header is sent. */
    routing_key: z.string().max(256).optional(),
    event_action: z.enum(['trigger', 'acknowledge', 'resolve']),
    dedup_key: text(MAX.dedupKey).optional(),
    payload: payloadSchema.optional(),
    client: shortText.optional(),
    client_url: z.string().max(MAX.url).optional(),
    links: z.array(z.looseObject({ href: z.string().max(MAX.url), text: z.string().max(MAX.field).optional() })).max(MAX.links).optional(),
    images: z.array(z.looseObject({ src: z.string().max(MAX.url), href: z.string().max(MAX.url).optional(), alt: z.string().max(MAX.field).optional() })).max(MAX.links).optional(),
  })
  .superRefine((event, ctx) => {
    if (event.event_action === 'trigger' && event.payload === undefined) ctx.addIssue({ code: 'custom', path: ['payload'], message: 'missing; a trigger event needs a payload' });
    if (event.event_action !== 'trigger' && event.dedup_key === undefined) ctx.addIssue({ code: 'custom', path: ['dedup_key'], message: `missing; ${event.event_action === 'acknowledge' ? 'an' : 'a'} ${event.event_action} event needs the dedup_key of its trigger` });
    const market = marketOf(event.payload?.custom_details);
    if (market !== undefined && !(typeof market === 'string' && market.length <= ID_MAX_LENGTH && ID_PATTERN.test(market))) {
      ctx.addIssue({ code: 'custom', path: ['payload', 'custom_details', 'market'], message: `must be lower-case letters, digits and dashes (e.g. "equities"), got ${describe(market)}` });
    }
  });

export type PagerDutyEventInput = z.input<typeof pagerDutyEventSchema>;

/** What a PagerDuty event asks of Tocsin. `dedupKey` is the caller's key (returned as `dedup_key`); `storedKey` is Tocsin's. */
export type PagerDutyRequest =
  | { readonly action: 'trigger'; readonly dedupKey: string; readonly storedKey: string; readonly signal: AlarmSignal }
  | { readonly action: 'acknowledge' | 'resolve'; readonly dedupKey: string; readonly storedKey: string };

export interface PagerDutyContext {
  readonly monitorId: string;
  /** Receipt time, epoch ms: orders the events of one dedup key. */
  readonly now: number;
  /** A fresh dedup key for a trigger without one (PagerDuty's are 32 hex digits). */
  readonly newDedupKey: () => string;
}

/**
 * Validates a PagerDuty Events API v2 event and says what it asks.
 *
 * @throws ValidationError naming the fields, e.g. `invalid PagerDuty event: payload.severity: expected one of "critical", "error", "warning", "info"; got "high"`
 */
export function parsePagerDutyEvent(input: unknown, context: PagerDutyContext): PagerDutyRequest {
  const event = parseWith(pagerDutyEventSchema, input, 'PagerDuty event');
  const dedupKey = event.dedup_key ?? context.newDedupKey();
  const storedKey = monitorDedupKey(context.monitorId, dedupKey);
  if (event.event_action !== 'trigger') return { action: event.event_action, dedupKey, storedKey };
  const payload = event.payload!;
  const summary = oneLine(payload.summary);
  if (summary === '') throw new ValidationError('PagerDuty event', [{ field: 'payload.summary', problem: 'has nothing but whitespace and control characters' }]);
  const market = marketOf(payload.custom_details) as string | undefined;
  return {
    action: 'trigger',
    dedupKey,
    storedKey,
    signal: {
      dedupKey: storedKey,
      status: 'firing',
      severity: PAGERDUTY_SEVERITIES[payload.severity],
      component: toId(payload.component ?? payload.source, 'pagerduty'),
      ...(market === undefined ? {} : { market }),
      summary: truncate(summary, MAX.summary),
      occurredAt: context.now,
      source: 'monitor',
      monitorId: context.monitorId,
      details: {
        via: 'pagerduty',
        source: payload.source,
        severity: payload.severity,
        ...(payload.timestamp === undefined ? {} : { timestamp: new Date(payload.timestamp).toISOString() }),
        ...(payload.component === undefined ? {} : { component: payload.component }),
        ...(payload.group === undefined ? {} : { group: payload.group }),
        ...(payload.class === undefined ? {} : { class: payload.class }),
        ...(payload.custom_details === undefined ? {} : { custom_details: payload.custom_details }),
        ...(event.client === undefined ? {} : { client: event.client }),
        ...(event.client_url === undefined ? {} : { client_url: event.client_url }),
        ...(event.links === undefined ? {} : { links: event.links }),
        ...(event.images === undefined ? {} : { images: event.images }),
      },
    },
  };
}

function marketOf(customDetails: unknown): unknown {
  return customDetails !== null && typeof customDetails === 'object' && !Array.isArray(customDetails) ? (customDetails as Record<string, unknown>).market : undefined;
}
