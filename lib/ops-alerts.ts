import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { TOPICS } from '../lambda/adapters/table-schema';
import { createCloudWatchTopic } from './alarm-topic';

/** CloudWatch's limit on an alarm name. */
const ALARM_NAME_MAX_LENGTH = 255;

/**
 * The operations topic: CloudWatch alarms about Tocsin's own failures (function errors, DLQ
 * depth) notify Tocsin's operators here, never the participants.
 *
 * The topic is made by {@link createCloudWatchTopic}: its key policy and topic policy admit the
 * CloudWatch service for alarms of this account only.
 *
 * Constructs alarm through {@link OpsAlerts.alarmOn}, so every Tocsin alarm is named with
 * {@link OpsAlerts.alarmNamePrefix}, notifies this topic when it fires and when it clears, and
 * treats missing data as "nothing went wrong".
 *
 * @example
 * const opsAlerts = new OpsAlerts(this, 'OpsAlerts');
 * opsAlerts.alarmOn(this, 'Errors', { metric: fn.metricErrors(), threshold: 0, evaluationPeriods: 1,
 *   comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD });
 */
/** How long a scheduled (every-minute) function may stay silent before its dead-man's switch fires. */
export const NOT_RUNNING_MINUTES = 3;

export class OpsAlerts extends Construct {
  /** The topic Tocsin's alarms notify. */
  public readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest. */
  public readonly key: kms.Key;
  /**
   * Prefix of the name of every alarm made by {@link alarmOn}: `<stack name>-ops-`. Tocsin's
   * ingest rule leaves these alarms out, so that Tocsin's own failures reach its operators and
   * never become market incidents.
   */
  public readonly alarmNamePrefix: string;

  public constructor(scope: Construct, id: string) {
    super(scope, id);

    // 'Key' and 'Topic' are the ids these had before the helper existed: keeping them keeps
    // the logical ids, so a deployed topic and its subscriptions are not replaced.
    const { topic, key } = createCloudWatchTopic(this, 'Topic', {
      displayName: TOPICS.ops.displayName,
      keyDescription: 'Tocsin operations alerts topic',
      keyId: 'Key',
    });
    this.topic = topic;
    this.key = key;
    this.alarmNamePrefix = `${Stack.of(this).stackName}-ops-`;
  }

  /**
   * Creates an alarm in `scope` that notifies the operations topic when it goes into ALARM and
   * when it returns to OK. Its name is {@link alarmNamePrefix} followed by its construct path
   * within the stack (`Tocsin-ops-Ingest-Errors`).
   *
   * @param props as for `cloudwatch.Alarm`; `treatMissingData` defaults to `NOT_BREACHING`,
   *   since Tocsin's alarms count failures and a failure that did not happen emits no data.
   * @throws Error when `props.alarmName` is given (the name is made here) or the name would
   *   exceed CloudWatch's 255 characters.
   */
  public alarmOn(scope: Construct, id: string, props: cloudwatch.AlarmProps): cloudwatch.Alarm {
    if (props.alarmName !== undefined) {
      throw new Error(
        `alarmOn(${scope.node.path}/${id}) names its alarms "${this.alarmNamePrefix}<path>"; got alarmName ` +
          `"${props.alarmName}": leave it out, so that the ingest rule can tell Tocsin's own alarms apart`,
      );
    }
    const stack = Stack.of(scope);
    const relativePath = [...scope.node.scopes.slice(stack.node.scopes.length).map((s) => s.node.id), id].join('-');
    const alarmName = `${this.alarmNamePrefix}${relativePath}`;
    if (alarmName.length > ALARM_NAME_MAX_LENGTH) {
      throw new Error(
        `alarm name "${alarmName}" has ${alarmName.length} characters; CloudWatch allows ${ALARM_NAME_MAX_LENGTH}: ` +
          'use a shorter stack name or construct ids',
      );
    }

    const alarm = new cloudwatch.Alarm(scope, id, {
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
      alarmName,
    });
    this.addAlarm(alarm);
    return alarm;
  }

  /**
   * A dead-man's switch on a scheduled function: fires when `fn` has not been invoked for
   * {@link NOT_RUNNING_MINUTES} minutes (the schedule stopped, was disabled, or cannot invoke it).
   * No data at all is as bad as zero invocations, so missing data breaches.
   */
  public alarmWhenNotRunning(scope: Construct, id: string, fn: lambda.IFunction, what: string): cloudwatch.Alarm {
    return this.alarmOn(scope, id, {
      alarmDescription: `${fn.node.path} has not run for ${NOT_RUNNING_MINUTES} minutes: ${what}`,
      metric: fn.metricInvocations({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: NOT_RUNNING_MINUTES,
      datapointsToAlarm: NOT_RUNNING_MINUTES,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
  }

  /** Fires when Lambda throttled `fn` (its concurrency, or the account's, ran out) in a minute. */
  public alarmOnThrottles(scope: Construct, id: string, fn: lambda.IFunction, what: string): cloudwatch.Alarm {
    return this.alarmOn(scope, id, {
      alarmDescription: `${fn.node.path} was throttled: ${what}`,
      metric: fn.metricThrottles({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }

  /**
   * Makes an existing alarm notify the operations topic when it fires and when it clears. Prefer
   * {@link alarmOn}, which also names the alarm so the ingest rule leaves it out.
   */
  public addAlarm(alarm: cloudwatch.AlarmBase): void {
    const action = new SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
  }
}
