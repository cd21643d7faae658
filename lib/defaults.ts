import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct, IConstruct } from 'constructs';

/**
 * Tocsin's house defaults for every Lambda function, kept in one place so that a change of
 * runtime or retention is one edit, and so that tests can assert against the same values.
 */
export const FUNCTION_DEFAULTS = {
  /** cdk-nag's AwsSolutions-L1 accepts only the newest Node.js runtime aws-cdk-lib knows. */
  runtime: Runtime.NODEJS_24_X,
  /**
   * esbuild's target: the runtime's Node.js major, which is also the major of the Node the
   * tooling runs on (package.json devDependencies.node). test/toolchain.test.ts keeps the three equal.
   */
  bundlingTarget: 'node24',
  /** Graviton: cheaper per GB-second, and nothing Tocsin bundles is native code. */
  architecture: Architecture.ARM_64,
  memorySize: 256,
  /** Handlers make a few DynamoDB / SNS calls; anything slower than this is stuck, not busy. */
  timeout: Duration.seconds(10),
  logRetention: logs.RetentionDays.ONE_MONTH,
  /** Source maps are emitted, but Node only applies them to stack traces when asked to. */
  nodeOptions: '--enable-source-maps',
} as const;

/** Powertools settings shared by every function: one service, one metrics namespace. */
export const POWERTOOLS_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'tocsin',
  POWERTOOLS_METRICS_NAMESPACE: 'Tocsin',
  POWERTOOLS_LOG_LEVEL: 'INFO',
} as const;

/** Properties of {@link createFunction}. */
export interface TocsinFunctionProps
  extends Omit<
    NodejsFunctionProps,
    | 'entry'
    | 'runtime'
    | 'architecture'
    | 'bundling'
    | 'role'
    | 'tracing'
    | 'logGroup'
    | 'logRetention'
    | 'logRetentionRole'
    | 'logRetentionRetryOptions'
  > {
  /** Path of the handler's TypeScript source file. */
  readonly entry: string;
  /**
   * How long the function's log events are kept.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Name of the exported handler function.
   *
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * Memory, in MB.
   *
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;
  /**
   * Extra environment variables, merged over the house ones (so a function may, say, raise
   * its own `POWERTOOLS_LOG_LEVEL`).
   *
   * @default - only the house variables
   */
  readonly environment?: Record<string, string>;
  /**
   * Global identifiers esbuild replaces with these JSON values when bundling (its `define`): what
   * does not fit in Lambda's 4 KB of environment, such as a large configuration (`storeSettings`).
   *
   * @default - none
   */
  readonly define?: Record<string, string>;
}

/**
 * Creates a Lambda function with Tocsin's house defaults: Node.js 24 on arm64, bundled locally
 * by esbuild (minified, with source maps), X-Ray tracing, Powertools settings, and its own log
 * group with a retention.
 *
 * The function gets its own role whose only permission beyond X-Ray is writing to that log
 * group, instead of the `AWSLambdaBasicExecutionRole` managed policy (which may write to every
 * log group in the account). Callers add further permissions with grants
 * (`table.grantReadWriteData(fn)`), so every function made here passes cdk-nag AwsSolutions.
 *
 * Siblings named `${id}Role` and `${id}LogGroup` are created in `scope` next to the function.
 *
 * @example
 * const ingest = createFunction(this, 'Ingest', { entry: 'lambda/handlers/ingest.ts' });
 * store.table.grantReadWriteData(ingest);
 */
export function createFunction(scope: Construct, id: string, props: TocsinFunctionProps): NodejsFunction {
  const { logRetention, environment, define, ...functionProps } = props;

  // Created explicitly so that its retention is ours, not Lambda's default of "never expire".
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: logRetention ?? FUNCTION_DEFAULTS.logRetention,
  });
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    description: `Execution role of ${scope.node.path}/${id}`,
  });
  logGroup.grantWrite(role);

  const fn = new NodejsFunction(scope, id, {
    ...functionProps,
    handler: functionProps.handler ?? 'handler',
    memorySize: functionProps.memorySize ?? FUNCTION_DEFAULTS.memorySize,
    timeout: functionProps.timeout ?? FUNCTION_DEFAULTS.timeout,
    runtime: FUNCTION_DEFAULTS.runtime,
    architecture: FUNCTION_DEFAULTS.architecture,
    role,
    logGroup,
    tracing: Tracing.ACTIVE,
    bundling: {
      forceDockerBundling: false,
      minify: true,
      sourceMap: true,
      // Stack traces need only the mappings; embedding the sources would double the bundle.
      sourcesContent: false,
      target: FUNCTION_DEFAULTS.bundlingTarget,
      // The Node.js 24 runtime ships AWS SDK v3: leaving it out of the bundle keeps each
      // function well under 250 KB and its cold start short. The SDK calls Tocsin makes are
      // long-stable ones (GetItem, TransactWriteItems, Publish), so runtime drift is harmless.
      externalModules: ['@aws-sdk/*'],
      ...(define ? { define } : {}),
    },
    environment: {
      NODE_OPTIONS: FUNCTION_DEFAULTS.nodeOptions,
      ...POWERTOOLS_ENVIRONMENT,
      ...environment,
    },
  });

  // Tracing.ACTIVE makes aws-cdk-lib add xray:PutTraceSegments / xray:PutTelemetryRecords on
  // "*" to the role's default policy. The acknowledgement sits on that policy only, and the
  // infra tests check that no statement other than these X-Ray ones uses Resource "*".
  acknowledge(
    role.node.findChild('DefaultPolicy'),
    'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
    'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions, so "*" is ' +
      'the narrowest grant active tracing allows; every other statement of this role is scoped.',
  );
  return fn;
}

/**
 * Acknowledges a validation finding (e.g. a cdk-nag rule) on `scope` and its children.
 * Every acknowledgement in Tocsin goes through here, so none is made without a reason.
 *
 * @throws Error when `reason` is empty.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim() === '') {
    throw new Error(`acknowledging ${id} on ${scope.node.path} needs a reason; got an empty one`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/** One acknowledged finding, as recorded in the construct tree. */
export interface RecordedAcknowledgement {
  /** Construct path the acknowledgement applies to (and below). */
  readonly path: string;
  /** The finding's id, as recorded (aws-cdk-lib may prefix it, e.g. `Annotation::`). */
  readonly id: string;
  readonly reason: string;
}

/**
 * Every acknowledgement recorded under `root`, however it was made (through
 * {@link acknowledge} or directly with `Validations.of(x).acknowledge`): the audit trail of
 * what Tocsin chose to accept and why.
 */
export function listAcknowledgements(root: IConstruct): RecordedAcknowledgement[] {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, unknown>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason: typeof reason === 'string' ? reason : '',
        })),
      ),
  );
}

/**
 * Runs `fn` every minute with EventBridge Scheduler, without retries (a missed minute is made
 * up by the next one; retrying an old run would only overlap it). The L1 schedule with a role of
 * its own: the L2 Lambda target grants invoke on `function:*` too (every version), which least
 * privilege and cdk-nag IAM5 both refuse.
 */
export function scheduleEveryMinute(scope: Construct, id: string, fn: NodejsFunction, description: string): scheduler.CfnSchedule {
  const role = new iam.Role(scope, `${id}Role`, {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(scope).account } },
    }),
    description: `Lets EventBridge Scheduler invoke ${fn.node.path}`,
  });
  role.addToPolicy(new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }));
  return new scheduler.CfnSchedule(scope, id, {
    description,
    scheduleExpression: 'rate(1 minute)',
    flexibleTimeWindow: { mode: 'OFF' },
    target: { arn: fn.functionArn, roleArn: role.roleArn, retryPolicy: { maximumRetryAttempts: 0 } },
  });
}

/**
 * One of Tocsin's own metrics (`lambda/adapters/observability.ts` METRIC), summed per minute, as
 * the handlers emit it through Powertools: namespace `Tocsin`, dimension `service`.
 */
export function tocsinMetric(metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
    metricName,
    // Powertools Metrics adds the service as a dimension of every metric it emits.
    dimensionsMap: { service: POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME },
    period: Duration.minutes(1),
    statistic: cloudwatch.Stats.SUM,
  });
}

/** The alarm condition Tocsin uses for counts of failures: any at all, in one period. */
export const ANY_IN_A_PERIOD = {
  threshold: 0,
  comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  evaluationPeriods: 1,
} as const;

/**
 * A dead-letter queue: SQS-managed encryption, TLS only, 14 days. Nothing consumes it; its depth
 * alarm pages the operators, so it has no dead-letter queue of its own (cdk-nag AwsSolutions-SQS3,
 * acknowledged with `whatFor`, which says what dead letters it holds).
 */
export function createDeadLetterQueue(scope: Construct, id: string, whatFor: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledge(queue, 'AwsSolutions::AwsSolutions-SQS3', whatFor);
  return queue;
}

/**
 * What Lambda's stream poller does, as a consumer function's role, with the table's stream;
 * granted on the stream's ARN only (`table.grantStream(fn, ...TABLE_STREAM_READ_ACTIONS)`).
 *
 * Not `dynamodb:ListStreams`, which `DynamoEventSource` (through `Table.grantStreamRead`) would
 * add on `"*"`, the only resource that action accepts: an event source mapping names its stream
 * by ARN, so nothing has to list the streams of the account.
 */
export const TABLE_STREAM_READ_ACTIONS = [
  'dynamodb:DescribeStream',
  'dynamodb:GetShardIterator',
  'dynamodb:GetRecords',
] as const;

/**
 * How old a stream record may get before Lambda stops retrying it and sends its batch's
 * description to the consumer's on-failure destination. The stream keeps records for 24 hours anyway.
 */
export const TABLE_STREAM_MAX_RECORD_AGE = Duration.days(1);

/**
 * What publishing to a topic encrypted with a customer-managed key needs of that key: SNS
 * encrypts each message under a data key made on the publisher's behalf. `topic.grantPublish`
 * would grant `kms:GenerateDataKey*`, whose wildcard also covers the key-pair actions and is a
 * cdk-nag IAM5 finding; these two are the actions AWS documents for publishers to an encrypted topic.
 */
export const TOPIC_PUBLISHER_KEY_ACTIONS = ['kms:Decrypt', 'kms:GenerateDataKey'] as const;
