import * as z from 'zod';
import { ValidationError, type FieldProblem } from '../core/errors';
import { describe, id, ID_MAX_LENGTH, ID_PATTERN, instant, oneLine, parseWith, storableObject, text, truncate } from '../core/validation';
import { ingestDedupKey } from '../core/dedup-keys';
import { parseJsonSafely } from './safe-json';
import { parseJsonRequest } from './http';
import { SEVERITIES, type AlarmSignal, type Severity } from '../core/signal';

/**
 * The inbound side of the `ingest` Lambda: the three event shapes it receives, validated with zod
 * and reduced to {@link AlarmSignal}s.
 *
 * - EventBridge "CloudWatch Alarm State Change" events (single-metric, metric-math, composite
 *   alarms) — see "Alarm events and EventBridge" in the CloudWatch user guide.
 * - SNS events whose records carry the JSON a CloudWatch alarm action publishes.
 * - Lambda Function URL requests (API Gateway HTTP API payload format 2.0) carrying a monitor event.
 *
 * Pure: no AWS SDK, no environment, no clock. Every failure is a {@link ValidationError} (or, for
 * HTTP, a 4xx result) that says which field, what arrived and what was expected.
 */

// ---------------------------------------------------------------------------------------------
// Limits and vocabularies
// ---------------------------------------------------------------------------------------------

/** The monitor event size limit of the HTTP ingest contract (64 KiB). */
export const MONITOR_EVENT_MAX_BYTES = 64 * 1024;

/** CloudWatch alarm state values, as both EventBridge (`detail.state.value`) and SNS (`NewStateValue`) spell them. */
export const ALARM_STATE_VALUES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATE_VALUES)[number];

/** Alarm tags that attribute a CloudWatch alarm to a component, severity and market. */
export const TOCSIN_TAG_KEYS = { component: 'tocsin:component', severity: 'tocsin:severity', market: 'tocsin:market' } as const;

/** Severity of a CloudWatch alarm that says nothing about it (no tag, no description token). */
export const DEFAULT_ALARM_SEVERITY: Severity = 'major';

const MAX = {
  dedupKey: 512,
  monitorSummary: 1024,
  /** Summaries built from CloudWatch alarms: `<AlarmName>: <reason>`. */
  alarmSummary: 300,
  /** The state reason kept in `details`; CloudWatch reasons are a sentence or two. */
  reason: 1000,
} as const;

const ALARM_ARN = /^arn:(aws[a-z-]*):cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;
const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):(.+)$/;

// ---------------------------------------------------------------------------------------------
// Messages: every problem names what arrived and what was expected
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

const alarmArn = z
  .string()
  .regex(ALARM_ARN, { error: (issue) => `must be a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), got ${describe(issue.input)}` });

const topicArn = z
  .string()
  .regex(TOPIC_ARN, { error: (issue) => `must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), got ${describe(issue.input)}` });

const alarmStateValue = z.enum(ALARM_STATE_VALUES);

/** JSON carried inside a string (an SNS `Message`), parsed and then validated by `schema`. */
function jsonString<S extends z.ZodType>(schema: S) {
  return z
    .string()
    .transform((raw, ctx): unknown => {
      const parsed = parseJsonSafely(raw);
      if (parsed.ok) return parsed.value;
      const where = parsed.field ? `${parsed.field}: ` : '';
      ctx.addIssue({ code: 'custom', message: parsed.kind === 'syntax' ? `not valid JSON (${parsed.problem}); got ${describe(raw)}` : `${where}${parsed.problem}` });
      return z.NEVER;
    })
    .pipe(schema);
}

// ---------------------------------------------------------------------------------------------
// (1) Monitor events over HTTP — contract in DESIGN.md
// ---------------------------------------------------------------------------------------------

const monitorEventShape = {
  dedupKey: text(MAX.dedupKey),
  status: z.enum(['firing', 'resolved']),
  severity: z.enum(SEVERITIES),
  component: id,
  market: id.optional(),
  summary: text(MAX.monitorSummary),
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

// ---------------------------------------------------------------------------------------------
// (2) EventBridge "CloudWatch Alarm State Change"
// ---------------------------------------------------------------------------------------------

/**
 * An EventBridge "CloudWatch Alarm State Change" event: the fields Tocsin reads are checked, the
 * rest (metrics, alarmRule, reasonData, actionsSuppressedBy…) pass through untouched, so single
 * metric, metric math, anomaly detection and composite alarms all fit.
 */
export const cloudWatchAlarmEventSchema = z.looseObject({
  'detail-type': z.literal('CloudWatch Alarm State Change'),
  source: z.literal('aws.cloudwatch'),
  account: z.string().min(1),
  region: z.string().min(1),
  resources: z.array(alarmArn).min(1),
  detail: z.looseObject({
    alarmName: z.string().min(1),
    state: z.looseObject({
      value: alarmStateValue,
      reason: z.string().optional(),
      timestamp: instant,
    }),
    previousState: z.looseObject({ value: z.string().optional() }).optional(),
    configuration: z.looseObject({ description: z.string().nullish() }).optional(),
    /** Present when the alarm propagates its tags ("Alarm tags in action payloads"). Read leniently. */
    alarmTags: z.unknown().optional(),
  }),
});

/** An alarm transition that neither opens nor resolves anything (today: INSUFFICIENT_DATA). */
export interface IgnoredAlarm {
  readonly ignored: true;
  readonly reason: string;
  readonly dedupKey: string;
}

/** Tells an {@link IgnoredAlarm} from an {@link AlarmSignal}. */
export function isIgnoredAlarm(value: AlarmSignal | IgnoredAlarm): value is IgnoredAlarm {
  return 'ignored' in value && value.ignored;
}

/**
 * Reduces an EventBridge "CloudWatch Alarm State Change" event to a signal: the dedup key is the
 * alarm ARN (`resources[0]`), ALARM fires, OK resolves, INSUFFICIENT_DATA is ignored.
 *
 * @throws ValidationError e.g. `invalid CloudWatch alarm event: detail.state.value: expected one of "ALARM", "OK", "INSUFFICIENT_DATA"; got "BROKEN"`
 */
export function signalFromCloudWatchEvent(event: unknown): AlarmSignal | IgnoredAlarm {
  const parsed = parseWith(cloudWatchAlarmEventSchema, event, 'CloudWatch alarm event');
  const { detail } = parsed;
  return signalFromAlarm({
    dedupKey: parsed.resources[0]!,
    alarmName: detail.alarmName,
    state: detail.state.value,
    reason: detail.state.reason,
    occurredAt: detail.state.timestamp,
    previousState: detail.previousState?.value,
    description: detail.configuration?.description ?? undefined,
    tags: detail.alarmTags,
    account: parsed.account,
    region: parsed.region,
    via: 'eventbridge',
  });
}

// ---------------------------------------------------------------------------------------------
// (3) SNS records carrying a CloudWatch alarm notification
// ---------------------------------------------------------------------------------------------

/**
 * The JSON a CloudWatch alarm action publishes to SNS. `Region` is the region's display name
 * ("Asia Pacific (Tokyo)"), not its code, and older notifications carry no `AlarmArn`.
 */
export const cloudWatchAlarmNotificationSchema = z.looseObject({
  AlarmName: z.string().min(1),
  AlarmDescription: z.string().nullish(),
  AWSAccountId: z.string().regex(/^\d{12}$/, { error: (issue) => `must be a 12-digit AWS account id, got ${describe(issue.input)}` }),
  NewStateValue: alarmStateValue,
  NewStateReason: z.string().nullish(),
  StateChangeTime: instant,
  Region: z.string().nullish(),
  AlarmArn: alarmArn.nullish(),
  OldStateValue: z.string().nullish(),
  Trigger: z.unknown().optional(),
  /** Present when the alarm propagates its tags ("Alarm tags in action payloads"). Read leniently. */
  AlarmTags: z.unknown().optional(),
});

/** A Lambda event from an SNS subscription; each record's `Message` must be a CloudWatch alarm notification. */
export const snsEventSchema = z.looseObject({
  Records: z
    .array(
      z.looseObject({
        EventSource: z.literal('aws:sns'),
        Sns: z.looseObject({
          Type: z.literal('Notification'),
          MessageId: z.string().min(1),
          TopicArn: topicArn,
          Subject: z.string().nullish(),
          Message: jsonString(cloudWatchAlarmNotificationSchema),
          Timestamp: z.string(),
        }),
      }),
    )
    .min(1),
});

/**
 * Reduces each record of an SNS event to a signal. The dedup key is the notification's
 * `AlarmArn` or, when it has none, the same ARN rebuilt from the topic's region, the account and
 * the alarm name, so EventBridge and SNS deliveries of one alarm meet on one incident.
 *
 * @throws ValidationError for the whole event if any record is invalid, e.g.
 *   `invalid SNS event: Records[0].Sns.Message.NewStateValue: expected one of "ALARM", "OK", "INSUFFICIENT_DATA"; got "BROKEN"`
 */
export function signalsFromSnsEvent(event: unknown): Array<AlarmSignal | IgnoredAlarm> {
  const parsed = parseWith(snsEventSchema, event, 'SNS event');
  return parsed.Records.map((record) => {
    const message = record.Sns.Message;
    // The schema has matched TopicArn against TOPIC_ARN already.
    const [, partition = 'aws', topicRegion = ''] = TOPIC_ARN.exec(record.Sns.TopicArn) ?? [];
    const arn = message.AlarmArn ?? `arn:${partition}:cloudwatch:${topicRegion}:${message.AWSAccountId}:alarm:${message.AlarmName}`;
    const region = ALARM_ARN.exec(arn)?.[2] ?? topicRegion;
    return signalFromAlarm({
      dedupKey: arn,
      alarmName: message.AlarmName,
      state: message.NewStateValue,
      reason: message.NewStateReason ?? undefined,
      occurredAt: message.StateChangeTime,
      previousState: message.OldStateValue ?? undefined,
      description: message.AlarmDescription ?? undefined,
      tags: message.AlarmTags,
      account: message.AWSAccountId,
      region,
      via: 'sns',
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CloudWatch alarm → signal (shared by EventBridge and SNS)
// ---------------------------------------------------------------------------------------------

interface AlarmFacts {
  dedupKey: string;
  alarmName: string;
  state: AlarmStateValue;
  reason: string | undefined;
  occurredAt: number;
  previousState: string | undefined;
  description: string | undefined;
  tags: unknown;
  account: string;
  region: string;
  via: 'eventbridge' | 'sns';
}

function signalFromAlarm(facts: AlarmFacts): AlarmSignal | IgnoredAlarm {
  if (facts.state === 'INSUFFICIENT_DATA') {
    // An alarm without data says nothing about the component: opening an incident would page on
    // a metrics gap, resolving one would close a real fault because its metric went quiet.
    return {
      ignored: true,
      reason: `INSUFFICIENT_DATA: alarm "${facts.alarmName}" has no data to evaluate; it neither opens nor resolves an incident`,
      dedupKey: facts.dedupKey,
    };
  }
  const attribution = attributeAlarm(facts.alarmName, facts.description, facts.tags);
  const reason = facts.reason === undefined ? undefined : oneLine(facts.reason);
  const details: Record<string, unknown> = {
    alarmName: facts.alarmName,
    account: facts.account,
    region: facts.region,
    ...(reason === undefined ? {} : { reason: truncate(reason, MAX.reason) }),
    ...(facts.previousState === undefined ? {} : { previousState: facts.previousState }),
    via: facts.via,
    ...(attribution.notes.length === 0 ? {} : { attributionNotes: attribution.notes }),
  };
  return {
    dedupKey: facts.dedupKey,
    status: facts.state === 'ALARM' ? 'firing' : 'resolved',
    severity: attribution.severity,
    component: attribution.component,
    ...(attribution.market === undefined ? {} : { market: attribution.market }),
    summary: truncate(oneLine(`${facts.alarmName}: ${reason ?? facts.state}`), MAX.alarmSummary),
    occurredAt: facts.occurredAt,
    source: 'cloudwatch',
    details,
  };
}

/** Where a CloudWatch alarm's component, severity and market come from. */
export interface AlarmAttribution {
  readonly component: string;
  readonly severity: Severity;
  readonly market?: string;
  /** Tag or token values that were present but unusable, and were passed over. */
  readonly notes: readonly string[];
}

// Tags propagate as a key-value object per the CloudWatch docs; the ListTagsForResource list
// form ([{Key, Value}]) is read too, since both are "the alarm's tags".
const tagsSchema = z.union([
  z.record(z.string(), z.string()),
  z.array(z.looseObject({ Key: z.string(), Value: z.string() })).transform((list) => Object.fromEntries(list.map((t) => [t.Key, t.Value]))),
]);

const TOKEN = /(?:^|[^A-Za-z0-9_-])(component|severity|market)=([^\s,;()[\]{}"'<>]+)/g;

type Field = 'component' | 'severity' | 'market';

/**
 * Decides the component, severity and market of a CloudWatch alarm, field by field: an alarm tag
 * (`tocsin:component`, `tocsin:severity`, `tocsin:market`) beats a description token
 * (`component=shared-disk severity=critical market=equities`, any order, anywhere in the text),
 * which beats the default (component from the alarm name, severity `major`, no market).
 * A value that is present but invalid is passed over and noted, never fatal: a mistyped tag must
 * not lose the alarm.
 */
export function attributeAlarm(alarmName: string, description: string | undefined, tags: unknown): AlarmAttribution {
  const notes: string[] = [];
  const fromTags: Partial<Record<Field, string>> = {};
  if (tags !== undefined && tags !== null) {
    const parsed = tagsSchema.safeParse(tags);
    if (parsed.success) {
      for (const field of ['component', 'severity', 'market'] as const) {
        const value = parsed.data[TOCSIN_TAG_KEYS[field]];
        if (value !== undefined) fromTags[field] = value;
      }
    } else {
      notes.push(`alarm tags ignored: expected a key-value object, got ${describe(tags)}`);
    }
  }
  const fromDescription: Partial<Record<Field, string>> = {};
  for (const match of (description ?? '').matchAll(TOKEN)) {
    const field = match[1] as Field;
    // A token at the end of a sentence: "… severity=critical."
    fromDescription[field] ??= match[2]!.replace(/\.+$/, '');
  }

  const pick = <T extends string>(field: Field, valid: (value: string) => value is T, expected: string): T | undefined => {
    const candidates: Array<[string, string | undefined]> = [
      [`tag ${TOCSIN_TAG_KEYS[field]}`, fromTags[field]],
      [`description token ${field}=`, fromDescription[field]],
    ];
    for (const [where, value] of candidates) {
      if (value === undefined) continue;
      if (valid(value)) return value;
      notes.push(`${where} ${describe(value)} ignored: expected ${expected}`);
    }
    return undefined;
  };
  const isId = (value: string): value is string => value.length <= ID_MAX_LENGTH && ID_PATTERN.test(value);
  const isSeverity = (value: string): value is Severity => (SEVERITIES as readonly string[]).includes(value);
  const idRule = 'lower-case letters, digits and dashes';

  const market = pick('market', isId, idRule);
  return {
    component: pick('component', isId, idRule) ?? componentFromAlarmName(alarmName),
    severity: pick('severity', isSeverity, `one of ${SEVERITIES.join(', ')}`) ?? DEFAULT_ALARM_SEVERITY,
    ...(market === undefined ? {} : { market }),
    notes,
  };
}

/**
 * The default component of an alarm: its name lower-cased, every character outside [a-z0-9-]
 * replaced by '-'. Leading dashes are dropped and the result capped at 64 characters so that it
 * stays a valid id.
 */
export function componentFromAlarmName(alarmName: string): string {
  const component = alarmName
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, ID_MAX_LENGTH);
  return component === '' ? 'cloudwatch-alarm' : component;
}

// ---------------------------------------------------------------------------------------------
// Telling the three shapes apart
// ---------------------------------------------------------------------------------------------

export type IngestEventKind = 'eventbridge' | 'sns' | 'http';

/** What the ingest Lambda accepts, for messages. */
export const ACCEPTED_INGEST_SHAPES =
  'an EventBridge event with source "aws.cloudwatch" and detail-type "CloudWatch Alarm State Change", ' +
  'an SNS event (Records[].EventSource "aws:sns"), ' +
  'or a Lambda Function URL request (version "2.0" with requestContext.http)';

/**
 * Only the discriminating fields of each shape; the full validation happens in the parser for
 * that shape, so a malformed alarm event is reported field by field rather than as "unknown shape".
 * Any EventBridge envelope (`detail-type`, `source`, `detail`) counts as 'eventbridge': an event
 * the rule should not have routed here (say "CloudWatch Alarm Configuration Change") is then
 * refused by {@link signalFromCloudWatchEvent} with a message naming `detail-type`.
 */
export const ingestEventShapeSchema = z.union([
  z
    .looseObject({ 'detail-type': z.string(), source: z.string(), detail: z.looseObject({}) })
    .transform((): IngestEventKind => 'eventbridge'),
  z
    .looseObject({ Records: z.array(z.looseObject({ EventSource: z.literal('aws:sns') })).min(1) })
    .transform((): IngestEventKind => 'sns'),
  z
    .looseObject({ version: z.literal('2.0'), requestContext: z.looseObject({ http: z.looseObject({ method: z.string() }) }) })
    .transform((): IngestEventKind => 'http'),
]);

/**
 * Says which of the three shapes an ingest event is.
 *
 * @throws ValidationError `invalid ingest event: expected an EventBridge event … or a Lambda Function URL request …; got an object with keys "foo"`
 */
export function classifyIngestEvent(event: unknown): IngestEventKind {
  const result = ingestEventShapeSchema.safeParse(event);
  if (!result.success) {
    const problem: FieldProblem = { field: '', problem: `expected ${ACCEPTED_INGEST_SHAPES}; got ${describe(event)}` };
    throw new ValidationError('ingest event', [problem], { cause: result.error });
  }
  return result.data;
}

// ---------------------------------------------------------------------------------------------
// (4) Function URL requests
// ---------------------------------------------------------------------------------------------

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
