import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import { METRIC } from '../lambda/adapters/observability';
import { OUTBOX_STREAM_FILTER, OUTBOX_STREAM_SETTINGS, TOPICS } from '../lambda/adapters/table-schema';
import {
  ANY_IN_A_PERIOD,
  createDeadLetterQueue,
  createFunction,
  scheduleEveryMinute,
  TABLE_STREAM_MAX_RECORD_AGE,
  TABLE_STREAM_READ_ACTIONS,
  tocsinMetric,
  TOPIC_PUBLISHER_KEY_ACTIONS,
} from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, type StoreAccess } from './store-access';

/** Properties of {@link Notices}. */
export interface NoticesProps {
  /**
   * The incident store. It must have a stream (`tableStreamArn`): the outbox inserts on it are
   * what the notify function publishes. When the table has a customer-managed key
   * (`table.encryptionKey`), the function may use it, which reading the stream needs too.
   */
  readonly table: dynamodb.ITable;
  /** Where the alarms on this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
  /**
   * AWS accounts that may subscribe to the notices topic from their own account
   * (`participants[].accountId`): each gets `sns:Subscribe` for the protocols in
   * {@link SUBSCRIBER_PROTOCOLS}, and nothing else. @default none
   */
  readonly subscriberAccounts?: readonly string[];
}

/**
 * What a participant's account may subscribe with: its own queues, functions and HTTPS endpoints,
 * and e-mail (confirmed by the link SNS sends). SMS is left out: each message is billed to the
 * topic's owner, so a participant could run up the exchange's bill.
 */
export const SUBSCRIBER_PROTOCOLS = ['sqs', 'lambda', 'https', 'email', 'email-json'] as const;

/** The redrive finds pending notices through the index, then checks and marks them like notify. */
export const REDRIVE_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
  indexActions: { gsi1: ['dynamodb:Query'] },
};

/**
 * What `notify` does with the store: a consistent BatchGetItem of the outbox items (which of the
 * batch's notices were already sent) and an UpdateItem per notice published (mark it sent).
 */
export const NOTIFY_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'],
};

/**
 * Iterator age (how long the newest record of a batch waited in the stream) above which the
 * notices are late, and the operators hear of it.
 */
export const NOTICE_LATENESS_THRESHOLD = Duration.seconds(60);

/**
 * The participant notices: the topic trading participants subscribe to (SQS, HTTPS, e-mail,
 * Lambda, with filter policies on the `type`, `market` and `severity` message attributes), and
 * the `notify` function that publishes the store's outbox to it.
 *
 * The topic is encrypted with a key of its own, so that who may publish a notice is decided by
 * this key's policy and grants alone, and publishing over plain HTTP is refused.
 *
 * `notify` reads the table's stream, filtered to outbox inserts ({@link OUTBOX_STREAM_FILTER}),
 * in batches of up to ten (one SNS PublishBatch). It answers with the records it could not
 * publish (partial batch responses), so only those are retried, and a failing batch is halved
 * until the failing record stands alone. A record still failing after
 * `OUTBOX_STREAM_SETTINGS.retryAttempts` retries, or older than {@link TABLE_STREAM_MAX_RECORD_AGE},
 * is described in the dead-letter queue (shard and sequence numbers, not the notice); its notice
 * stays pending in the table (`OUTBOX#PENDING` on `gsi1`), so it can be published again.
 *
 * Alarms tell the operators when the function fails, when a notice could not be published
 * (`NoticeFailures`), when notices are late (stream iterator age) and when a batch was given up.
 *
 * @example
 * const notices = new Notices(this, 'Notices', { table: store.table, opsAlerts });
 * new CfnOutput(this, 'NoticeTopicArn', { value: notices.topic.topicArn });
 */
export class Notices extends Construct {
  /** The topic participants subscribe to. */
  public readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest. */
  public readonly key: kms.Key;
  /** The `notify` function (`lambda/handlers/notify.ts`), fed by the table's stream. */
  public readonly function: NodejsFunction;
  /** Descriptions of stream batches that `notify` gave up on, kept 14 days for inspection. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The stream → `notify` event source mapping. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Re-publishes notices still pending two minutes after issue (after the stream gave up on them). */
  public readonly redriveFunction: NodejsFunction;

  public constructor(scope: Construct, id: string, props: NoticesProps) {
    super(scope, id);
    const { table, opsAlerts } = props;
    const streamArn = table.tableStreamArn;
    if (streamArn === undefined) {
      throw new Error(`Notices needs a table with a stream (the outbox feed); ${table.node.path} has none`);
    }

    this.key = new kms.Key(this, 'Key', {
      description: 'Tocsin participant notices topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: TOPICS.notices.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic an explicit access policy: only the accounts named here may
    // subscribe from outside (their subscriptions need no confirmation when they own the endpoint).
    const subscribers = [...new Set(props.subscriberAccounts ?? [])];
    for (const account of subscribers) {
      if (!/^\d{12}$/.test(account)) throw new Error(`Notices subscriberAccounts must be 12-digit AWS account ids, got "${account}"`);
    }
    if (subscribers.length > 0) {
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'ParticipantAccountsSubscribe',
          principals: subscribers.map((account) => new iam.AccountPrincipal(account)),
          actions: ['sns:Subscribe'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: { 'sns:Protocol': [...SUBSCRIBER_PROTOCOLS] } },
        }),
      );
    }

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      "This queue is itself the on-failure destination of the notify function's stream event source; nothing " +
        'consumes it automatically, so a dead-letter queue of its own would only move dead letters further from ' +
        'the operators its depth alarm pages.',
    );

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'notify.ts'),
      description: 'Tocsin notify: publishes outbox notices from the table stream to the participant notices topic',
      environment: { [ENV.tableName]: table.tableName, [ENV.noticeTopicArn]: this.topic.topicArn },
    });

    // A mapping of our own rather than DynamoEventSource: the same properties, but without the
    // `dynamodb:ListStreams` on "*" that its grant adds (see TABLE_STREAM_READ_ACTIONS).
    this.eventSourceMapping = this.function.addEventSourceMapping('OutboxStream', {
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: OUTBOX_STREAM_SETTINGS.batchSize,
      retryAttempts: OUTBOX_STREAM_SETTINGS.retryAttempts,
      bisectBatchOnError: OUTBOX_STREAM_SETTINGS.bisectBatchOnError,
      reportBatchItemFailures: true,
      maxRecordAge: TABLE_STREAM_MAX_RECORD_AGE,
      filters: [lambda.FilterCriteria.filter(OUTBOX_STREAM_FILTER)],
      // Grants the function's role sqs:SendMessage on the queue: Lambda sends as the function.
      onFailure: new SqsDlq(this.deadLetterQueue),
    });
    table.grantStream(this.function, ...TABLE_STREAM_READ_ACTIONS);
    // BatchGetItem and UpdateItem on the table, and the table key (which also decrypts the stream).
    grantStoreAccess(this.function, table, NOTIFY_STORE_ACCESS);
    this.topic.grants.actions(this.function, ['sns:Publish'], { keyActions: [...TOPIC_PUBLISHER_KEY_ACTIONS] });

    this.redriveFunction = createFunction(this, 'RedriveFunction', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'redrive.ts'),
      description: 'Tocsin redrive: re-publishes outbox notices still pending two minutes after issue',
      environment: { [ENV.tableName]: table.tableName, [ENV.noticeTopicArn]: this.topic.topicArn },
      timeout: Duration.seconds(50),
    });
    grantStoreAccess(this.redriveFunction, table, REDRIVE_STORE_ACCESS);
    this.topic.grants.actions(this.redriveFunction, ['sns:Publish'], { keyActions: [...TOPIC_PUBLISHER_KEY_ACTIONS] });
    scheduleEveryMinute(this, 'RedriveSchedule', this.redriveFunction, 'Runs the Tocsin outbox redrive every minute');

    const oneMinute = Duration.minutes(1);
    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The notify function failed: the batch is retried, then described in the notices dead-letter queue.',
      metric: this.function.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'RedriveErrors', {
      alarmDescription: 'The outbox redrive failed: notices the stream gave up on are not being re-published.',
      metric: this.redriveFunction.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'NoticeFailures', {
      alarmDescription: 'A notice could not be published to the participant notices topic (see the notify log for why).',
      metric: tocsinMetric(METRIC.noticeFailures),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'IteratorAge', {
      alarmDescription:
        `Notices are late: outbox records waited more than ${NOTICE_LATENESS_THRESHOLD.toSeconds()} s in the table ` +
        'stream before notify got them.',
      // Lambda reports the age of the newest record of each batch, in milliseconds.
      metric: this.function.metric('IteratorAge', { period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: NOTICE_LATENESS_THRESHOLD.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    opsAlerts.alarmOn(this, 'DeadLetters', {
      alarmDescription:
        'Stream batches wait in the notices dead-letter queue: their notices were not published and stay pending in the table.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: oneMinute,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      ...ANY_IN_A_PERIOD,
    });
  }
}
