import * as z from 'zod';
import { SEVERITIES, type AlarmSignal, type Severity } from '../../core/signal';
import { describe, ID_MAX_LENGTH, ID_PATTERN, oneLine, truncate } from '../../core/validation';

/**
 * What EventBridge and SNS deliveries of a CloudWatch alarm share: the state vocabulary, the
 * alarm ARN, and the reduction of an alarm's facts to a signal, with its component, severity and
 * market read from the alarm's tags or description. Pure.
 */

/** CloudWatch alarm state values, as both EventBridge (`detail.state.value`) and SNS (`NewStateValue`) spell them. */
export const ALARM_STATE_VALUES = ['ALARM', 'OK', 'INSUFFICIENT_DATA'] as const;
export type AlarmStateValue = (typeof ALARM_STATE_VALUES)[number];

/** Alarm tags that attribute a CloudWatch alarm to a component, severity and market. */
export const TOCSIN_TAG_KEYS = { component: 'tocsin:component', severity: 'tocsin:severity', market: 'tocsin:market' } as const;

/** Severity of a CloudWatch alarm that says nothing about it (no tag, no description token). */
export const DEFAULT_ALARM_SEVERITY: Severity = 'major';

const MAX = {
  /** Summaries built from CloudWatch alarms: `<AlarmName>: <reason>`. */
  alarmSummary: 300,
  /** The state reason kept in `details`; CloudWatch reasons are a sentence or two. */
  reason: 1000,
} as const;

export const ALARM_ARN = /^arn:(aws[a-z-]*):cloudwatch:([a-z0-9-]+):(\d{12}):alarm:(.+)$/;

export const alarmArn = z
  .string()
  .regex(ALARM_ARN, { error: (issue) => `must be a CloudWatch alarm ARN (arn:aws:cloudwatch:<region>:<account>:alarm:<name>), got ${describe(issue.input)}` });

export const alarmStateValue = z.enum(ALARM_STATE_VALUES);

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

/** What an EventBridge event or an SNS notification says about one alarm's state change. */
export interface AlarmFacts {
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

/** Reduces an alarm's state change to a signal (the dedup key: its ARN), or to an ignored INSUFFICIENT_DATA. */
export function signalFromAlarm(facts: AlarmFacts): AlarmSignal | IgnoredAlarm {
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
