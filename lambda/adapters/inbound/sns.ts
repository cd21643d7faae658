import * as z from 'zod';
import type { AlarmSignal } from '../../core/signal';
import { describe, instant, parseWith } from '../../core/validation';
import { parseJsonSafely } from '../safe-json';
import { ALARM_ARN, alarmArn, alarmStateValue, signalFromAlarm, type IgnoredAlarm } from './cloudwatch-alarm';

/** SNS Lambda events whose records carry the JSON a CloudWatch alarm action publishes. Pure. */

const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):(.+)$/;

const topicArn = z
  .string()
  .regex(TOPIC_ARN, { error: (issue) => `must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), got ${describe(issue.input)}` });

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
