import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC } from '../lambda/adapters/observability';
import type { TocsinConfig } from '../lambda/core/config';
import { createCloudWatchTopic } from './alarm-topic';
import { ANY_IN_A_PERIOD, createDeadLetterQueue, createFunction, scheduleEveryMinute, tocsinMetric } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link Ingest}. */
export interface IngestProps {
  /** The incident store; when it has a customer-managed key (`table.encryptionKey`), the function may use it. */
  readonly table: dynamodb.ITable;
  /** Tocsin's configuration with its defaults applied; passed to the function as `CONFIG`. */
  readonly config: TocsinConfig;
  /** Where the alarms on this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
}

/** Display name of the topic that CloudWatch alarm actions publish to. */
export const ALARMS_TOPIC_DISPLAY_NAME = 'Tocsin CloudWatch alarms';

/**
 * What `ingest` does with the store: one consistent BatchGetItem of the alarm, its group's pointer,
 * the market and the incident (GetItem when the incident was not guessed), conditional PutItems
 * (alone or as the Puts of a TransactWriteItems), UpdateItem of the incident's counters, and a
 * Query on the base table to recount an incident's alarms. No index.
 */
export const INGEST_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
};

/**
 * The sweep reads open incidents through the index, recounts each one's alarms (Query on the
 * base table), re-reads (GetItem) and writes (PutItem, alone or in a TransactWriteItems) the ones
 * it settles, and repairs counters (UpdateItem). An overdue escalation it runs is the same GetItem
 * and PutItems as `escalate`'s (`ESCALATE_STORE_ACCESS` in `paging.ts`): its page and next timer
 * are items in the table, which the `pages` function relays from the stream.
 */
export const SWEEP_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  indexActions: { gsi1: ['dynamodb:Query'] },
};

/**
 * Lambda's retries of an asynchronous invocation (EventBridge, SNS) and EventBridge's retries of
 * a failed delivery. Replays are harmless (ingest is idempotent), so retrying is only a matter of
 * time; two retries ride out a throttle or a lost transaction race without delaying a real
 * failure's arrival in the dead-letter queue by more than a few minutes.
 */
const RETRY_ATTEMPTS = 2;

/**
 * The way alarms come in: CloudWatch "Alarm State Change" events (an EventBridge rule), the
 * alarms topic that CloudWatch alarm actions publish to, and monitor events POSTed to a Function
 * URL with IAM authentication. All three reach the `ingest` function, which turns them into
 * incidents in the store.
 *
 * Nothing is dropped silently: an event that cannot be delivered or keeps failing lands in the
 * dead-letter queue (EventBridge's delivery failures, SNS's, and Lambda's on-failure destination
 * after {@link RETRY_ATTEMPTS} retries), and alarms tell the operators about function errors,
 * dead letters and rejected (malformed) alarms.
 *
 * Tocsin's own alarms (named with `opsAlerts.alarmNamePrefix`) are left out of the rule: they are
 * for the operators, and must not become market incidents.
 *
 * @example
 * const ingest = new Ingest(this, 'Ingest', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'IngestUrl', { value: ingest.functionUrl.url });
 */
export class Ingest extends Construct {
  /** The `ingest` function (`lambda/handlers/ingest.ts`). */
  public readonly function: NodejsFunction;
  /** HTTPS endpoint for monitor events; callers sign their requests (SigV4, `lambda:InvokeFunctionUrl`). */
  public readonly functionUrl: lambda.FunctionUrl;
  /** The topic CloudWatch alarm actions of this account may publish to; the function subscribes to it. */
  public readonly alarmsTopic: sns.Topic;
  /** The rule sending CloudWatch alarm state changes of this account to the function. */
  public readonly rule: events.Rule;
  /** Alarm events that could not be delivered or processed, kept 14 days for inspection and replay. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Resolves incidents whose alarms stayed OK for the quiet time (auto-resolve's timer). */
  public readonly sweepFunction: NodejsFunction;
  public readonly sweepSchedule: scheduler.CfnSchedule;

  public constructor(scope: Construct, id: string, props: IngestProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    // Before anything is built: a configuration too large even for the bundle fails here.
    const store = storeSettings(table, config);

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      'This queue is itself the dead-letter queue of the ingest rule, the alarms-topic subscription and ' +
        "the function's on-failure destination; nothing consumes it automatically, so a DLQ of its own " +
        'would only move dead letters further from the operators its depth alarm pages.',
    );

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'ingest.ts'),
      description: 'Tocsin ingest: CloudWatch alarms and monitor events to incidents',
      ...store,
      retryAttempts: RETRY_ATTEMPTS,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
    grantStoreAccess(this.function, table, INGEST_STORE_ACCESS);

    this.sweepFunction = createFunction(this, 'SweepFunction', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'sweep.ts'),
      description: 'Tocsin sweep: auto-resolves incidents whose alarms stayed OK for the quiet time',
      ...store,
      timeout: Duration.seconds(50),
    });
    grantStoreAccess(this.sweepFunction, table, SWEEP_STORE_ACCESS);
    this.sweepSchedule = scheduleEveryMinute(this, 'SweepSchedule', this.sweepFunction, 'Runs the Tocsin incident sweep every minute');

    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.alarmsTopic = createCloudWatchTopic(this, 'AlarmsTopic', {
      displayName: ALARMS_TOPIC_DISPLAY_NAME,
      keyDescription: 'Tocsin CloudWatch alarms topic (alarm actions publish here)',
    }).topic;
    this.alarmsTopic.addSubscription(
      new subscriptions.LambdaSubscription(this.function, { deadLetterQueue: this.deadLetterQueue }),
    );

    this.rule = new events.Rule(this, 'AlarmStateChangeRule', {
      description: "CloudWatch alarm state changes of this account, except Tocsin's own, to the ingest function",
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: events.Match.anythingButPrefix(opsAlerts.alarmNamePrefix) },
      },
      targets: [
        new targets.LambdaFunction(this.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: RETRY_ATTEMPTS,
        }),
      ],
    });

    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The ingest function failed (after its retries, the event is in the dead-letter queue).',
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'SweepErrors', {
      alarmDescription: 'The incident sweep failed: incidents whose alarms are OK are not being auto-resolved.',
      metric: this.sweepFunction.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'DeadLetters', {
      alarmDescription: 'Alarm events wait in the ingest dead-letter queue: they never became incidents.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'AlarmsRejected', {
      alarmDescription: 'The ingest function rejected malformed alarms or monitor events (see its log for the field).',
      metric: tocsinMetric(METRIC.alarmsRejected),
      ...ANY_IN_A_PERIOD,
    });
  }
}
