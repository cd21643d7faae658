import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import { METRIC } from '../lambda/adapters/observability';
import { OUTBOX_STREAM_SETTINGS, PAGE_STREAM_FILTER, TOPICS } from '../lambda/adapters/table-schema';
import type { TocsinConfig } from '../lambda/core/config';
import {
  ANY_IN_A_PERIOD,
  createDeadLetterQueue,
  createFunction,
  FUNCTION_DEFAULTS,
  TABLE_STREAM_MAX_RECORD_AGE,
  TABLE_STREAM_READ_ACTIONS,
  tocsinMetric,
  TOPIC_PUBLISHER_KEY_ACTIONS,
} from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link Paging}. */
export interface PagingProps {
  /**
   * The incident store. It must have a stream (`tableStreamArn`): the page and timer inserts on
   * it are what the `pages` function relays. When the table has a customer-managed key
   * (`table.encryptionKey`), both functions may use it (`pages` to read the stream only).
   */
  readonly table: dynamodb.ITable;
  /** Tocsin's configuration with its defaults applied (the escalation stages); passed to `escalate` as `CONFIG`. */
  readonly config: TocsinConfig;
  /** Where the alarms on this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
}

/**
 * What `escalate` does with the store: a consistent GetItem of the incident, then the transition
 * it decides as conditional PutItems (one alone, or the Puts of a TransactWriteItems). An
 * escalation never changes an incident's counters, so no UpdateItem; it reads no index.
 */
export const ESCALATE_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'],
};

/**
 * What Lambda's SQS poller does, as the `escalate` function's role, with the escalation queue:
 * the actions of AWS's `AWSLambdaSQSQueueExecutionRole`. Not `queue.grantConsumeMessages`, which
 * adds `sqs:ChangeMessageVisibility` and `sqs:GetQueueUrl`, neither of which the poller uses.
 */
export const ESCALATION_QUEUE_CONSUME_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;

/** Queue → `escalate` delivery settings. */
export const ESCALATION_QUEUE_SETTINGS = {
  /** At most 10 timers an invocation, and no batching window: a due timer is run at once. */
  batchSize: 10,
  /**
   * Receives of a failing timer before SQS moves it to the dead-letter queue. Five, as AWS
   * advises for a queue a Lambda function consumes, so that a throttled invocation is not
   * mistaken for a failing timer; the sweep runs an escalation that is a minute overdue anyway.
   */
  maxReceiveCount: 5,
} as const;

/** How long `escalate` may run: the house default, a GetItem and a commit (retried on a lost race). */
export const ESCALATE_TIMEOUT = FUNCTION_DEFAULTS.timeout;

/**
 * The escalation queue's visibility timeout: six times the function's timeout, as AWS advises
 * for a queue a Lambda function consumes, so that a batch still being retried by Lambda's poller
 * is not delivered a second time.
 */
export const ESCALATION_VISIBILITY_TIMEOUT = Duration.seconds(6 * ESCALATE_TIMEOUT.toSeconds());

/**
 * Iterator age (how long the newest record of a batch waited in the stream) above which pages
 * are late: the contract pages a stage within 5 s of its time (shared/DESIGN.md, "Two audiences").
 */
export const PAGE_LATENESS_THRESHOLD = Duration.seconds(5);

/**
 * The operator pages (shared/DESIGN.md, "Two audiences"): the topic operators subscribe to (SMS,
 * e-mail, HTTPS, a pager's SQS queue, with filter policies on the `type`, `stage`, `severity`,
 * `component` and `market` message attributes), the `pages` function that relays the pages and
 * escalation timers transitions write to the store, and the delayed escalation queue with the
 * `escalate` function that runs each timer when it is due.
 *
 *   transition ─ PAGE#, TIMER# items ─ stream ─ pages ─┬─ Publish ─ pages topic ─ operators
 *                                                      └─ SendMessage (DelaySeconds ≤ 900) ─ escalation queue
 *   escalation queue ─ escalate ─ GetItem, decide, PutItem (next page and timer) ─ stream …
 *
 * The topic is encrypted with a key of its own and refuses publishing over plain HTTP, like the
 * notices topic; the escalation queue and both dead-letter queues are encrypted (SQS-managed)
 * and TLS-only. The queue is a standard one: FIFO queues take no per-message delay.
 *
 * `pages` reads the table's stream, filtered to page and timer inserts ({@link PAGE_STREAM_FILTER}),
 * with notify's delivery settings ({@link OUTBOX_STREAM_SETTINGS}): partial batch responses,
 * bisection of a failing batch, and the description of a batch given up on in its dead-letter
 * queue. `escalate` answers with the timers it failed, which SQS delivers again after the
 * visibility timeout and, after {@link ESCALATION_QUEUE_SETTINGS}.maxReceiveCount receives, moves
 * to the escalation dead-letter queue; the sweep runs an escalation whose timer was lost a minute late.
 *
 * Alarms tell the operators when either function fails, when a page or timer could not be sent
 * (`PageFailures`), when an escalation failed (`EscalationFailures`), when pages are late (stream
 * iterator age) and when anything waits in a dead-letter queue.
 *
 * @example
 * const paging = new Paging(this, 'Paging', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'PageTopicArn', { value: paging.topic.topicArn });
 */
export class Paging extends Construct {
  /** The topic operators subscribe to for `tocsin.page/v1` pages. */
  public readonly topic: sns.Topic;
  /** Customer-managed key encrypting the topic's messages at rest. */
  public readonly key: kms.Key;
  /** The `pages` function (`lambda/handlers/pages.ts`), fed by the table's stream. */
  public readonly function: NodejsFunction;
  /** Descriptions of stream batches that `pages` gave up on, kept 14 days for inspection. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The stream → `pages` event source mapping. */
  public readonly eventSourceMapping: lambda.EventSourceMapping;
  /** Escalation timers, each delayed until it is due (at most 15 minutes at a time). */
  public readonly escalationQueue: sqs.Queue;
  /** Timers `escalate` kept failing on, kept 14 days for inspection. */
  public readonly escalationDeadLetterQueue: sqs.Queue;
  /** The `escalate` function (`lambda/handlers/escalate.ts`), fed by the escalation queue. */
  public readonly escalateFunction: NodejsFunction;
  /** The escalation queue → `escalate` event source mapping. */
  public readonly escalationEventSourceMapping: lambda.EventSourceMapping;

  public constructor(scope: Construct, id: string, props: PagingProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    const streamArn = table.tableStreamArn;
    if (streamArn === undefined) {
      throw new Error(`Paging needs a table with a stream (the pages and timers feed); ${table.node.path} has none`);
    }
    // Before anything is built: a configuration too large even for the bundle fails here.
    const escalateStore = storeSettings(table, config);

    this.key = new kms.Key(this, 'Key', {
      description: 'Tocsin operator pages topic',
      enableKeyRotation: true,
    });
    this.topic = new sns.Topic(this, 'Topic', {
      displayName: TOPICS.pages.displayName,
      masterKey: this.key,
      enforceSSL: true,
    });

    this.escalationDeadLetterQueue = createDeadLetterQueue(
      this,
      'EscalationDeadLetterQueue',
      'This queue is itself the dead-letter queue of the escalation queue; nothing consumes it automatically ' +
        '(the sweep runs an overdue escalation from the incident itself), so a dead-letter queue of its own would ' +
        'only move dead letters further from the operators its depth alarm pages.',
    );
    this.escalationQueue = new sqs.Queue(this, 'EscalationQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: ESCALATION_VISIBILITY_TIMEOUT,
      deadLetterQueue: { queue: this.escalationDeadLetterQueue, maxReceiveCount: ESCALATION_QUEUE_SETTINGS.maxReceiveCount },
    });

    this.deadLetterQueue = createDeadLetterQueue(
      this,
      'DeadLetterQueue',
      "This queue is itself the on-failure destination of the pages function's stream event source; nothing " +
        'consumes it automatically, so a dead-letter queue of its own would only move dead letters further from ' +
        'the operators its depth alarm pages.',
    );

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'pages.ts'),
      description: 'Tocsin pages: relays pages from the table stream to the operator pages topic, and timers to the escalation queue',
      environment: { [ENV.pageTopicArn]: this.topic.topicArn, [ENV.escalationQueueUrl]: this.escalationQueue.queueUrl },
    });

    // A DynamoDB stream serves at most two concurrent readers per shard before its reads are
    // throttled: notify (Notices) and pages are exactly those two. A third consumer of the table's
    // changes must not read the stream too; fan out from one of these (or through EventBridge Pipes
    // or Kinesis Data Streams for DynamoDB) instead.
    //
    // A mapping of our own rather than DynamoEventSource: the same properties, but without the
    // `dynamodb:ListStreams` on "*" that its grant adds (see TABLE_STREAM_READ_ACTIONS).
    this.eventSourceMapping = this.function.addEventSourceMapping('PageStream', {
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: OUTBOX_STREAM_SETTINGS.batchSize,
      retryAttempts: OUTBOX_STREAM_SETTINGS.retryAttempts,
      bisectBatchOnError: OUTBOX_STREAM_SETTINGS.bisectBatchOnError,
      reportBatchItemFailures: true,
      maxRecordAge: TABLE_STREAM_MAX_RECORD_AGE,
      filters: [lambda.FilterCriteria.filter(PAGE_STREAM_FILTER)],
      // Grants the function's role sqs:SendMessage on the queue: Lambda sends as the function.
      onFailure: new SqsDlq(this.deadLetterQueue),
    });
    table.grantStream(this.function, ...TABLE_STREAM_READ_ACTIONS);
    // The stream is encrypted with the table's key: reading it takes kms:Decrypt (what
    // Table.grantStreamRead would add), and pages does nothing else with the store.
    table.encryptionKey?.grant(this.function, 'kms:Decrypt');
    this.topic.grants.actions(this.function, ['sns:Publish'], { keyActions: [...TOPIC_PUBLISHER_KEY_ACTIONS] });
    // The queue is SQS-managed encrypted: sending needs no key grant.
    this.escalationQueue.grant(this.function, 'sqs:SendMessage');

    this.escalateFunction = createFunction(this, 'EscalateFunction', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'escalate.ts'),
      description: 'Tocsin escalate: pages the next escalation stage of an incident nobody has acknowledged',
      ...escalateStore,
      environment: { ...escalateStore.environment, [ENV.escalationQueueUrl]: this.escalationQueue.queueUrl },
      timeout: ESCALATE_TIMEOUT,
    });
    // A mapping of our own rather than SqsEventSource, whose grantConsumeMessages adds actions the
    // poller does not use (see ESCALATION_QUEUE_CONSUME_ACTIONS).
    this.escalationEventSourceMapping = this.escalateFunction.addEventSourceMapping('EscalationQueueSource', {
      eventSourceArn: this.escalationQueue.queueArn,
      batchSize: ESCALATION_QUEUE_SETTINGS.batchSize,
      reportBatchItemFailures: true,
    });
    this.escalationQueue.grant(this.escalateFunction, ...ESCALATION_QUEUE_CONSUME_ACTIONS);
    // A timer due in more than 15 minutes goes back on the queue for the rest of its wait.
    this.escalationQueue.grant(this.escalateFunction, 'sqs:SendMessage');
    grantStoreAccess(this.escalateFunction, table, ESCALATE_STORE_ACCESS);

    const oneMinute = Duration.minutes(1);
    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The pages function failed: the batch is retried, then described in the pages dead-letter queue.',
      metric: this.function.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'EscalateErrors', {
      alarmDescription: 'The escalate function failed: its timers are delivered again, then moved to the escalation dead-letter queue.',
      metric: this.escalateFunction.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'PageFailures', {
      alarmDescription: 'A page could not be published, or an escalation timer not queued (see the pages log for why).',
      metric: tocsinMetric(METRIC.pageFailures),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'EscalationFailures', {
      alarmDescription: 'An escalation timer failed to run: its stage was not paged on time (see the escalate log for why).',
      metric: tocsinMetric(METRIC.escalationFailures),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'IteratorAge', {
      alarmDescription:
        `Pages are late: page and timer records waited more than ${PAGE_LATENESS_THRESHOLD.toSeconds()} s in the table ` +
        'stream before the pages function got them.',
      // Lambda reports the age of the newest record of each batch, in milliseconds.
      metric: this.function.metric('IteratorAge', { period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: PAGE_LATENESS_THRESHOLD.toMilliseconds(),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    opsAlerts.alarmOn(this, 'DeadLetters', {
      alarmDescription:
        'Stream batches wait in the pages dead-letter queue: their pages were not published, or their escalation timers not queued.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: oneMinute, statistic: cloudwatch.Stats.MAXIMUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'EscalationDeadLetters', {
      alarmDescription:
        'Escalation timers wait in the escalation dead-letter queue: escalate kept failing on them (the sweep retries the escalation itself).',
      metric: this.escalationDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: oneMinute,
        statistic: cloudwatch.Stats.MAXIMUM,
      }),
      ...ANY_IN_A_PERIOD,
    });
  }
}
