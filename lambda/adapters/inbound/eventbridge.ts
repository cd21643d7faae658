import * as z from 'zod';
import type { AlarmSignal } from '../../core/signal';
import { instant, parseWith } from '../../core/validation';
import { alarmArn, alarmStateValue, signalFromAlarm, type IgnoredAlarm } from './cloudwatch-alarm';

/** EventBridge "CloudWatch Alarm State Change" events (single-metric, metric-math, composite alarms). Pure. */

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
