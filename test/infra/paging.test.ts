import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ENV } from '../../lambda/adapters/environment';
import { METRIC } from '../../lambda/adapters/observability';
import { OUTBOX_STREAM_SETTINGS, PAGE_STREAM_FILTER, TOPICS } from '../../lambda/adapters/table-schema';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import { listAcknowledgements, POWERTOOLS_ENVIRONMENT } from '../../lib/defaults';
import { SWEEP_STORE_ACCESS } from '../../lib/ingest';
import { OpsAlerts } from '../../lib/ops-alerts';
import {
  ESCALATE_STORE_ACCESS,
  ESCALATE_TIMEOUT,
  ESCALATION_QUEUE_CONSUME_ACTIONS,
  ESCALATION_QUEUE_SETTINGS,
  ESCALATION_VISIBILITY_TIMEOUT,
  Paging,
} from '../../lib/paging';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import type { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, type PolicyStatement, statementsOfRole, type SynthesizedTocsin, synthesizeTocsin, synthWithAwsSolutionsChecks } from './template-helpers';

describe('Paging', () => {
  // One synthesis for the whole file: bundling the handlers with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: {
    pagesFn: string;
    pagesRole: string;
    pagesMapping: string;
    pagesDlq: string;
    escalateFn: string;
    escalateRole: string;
    escalateMapping: string;
    queue: string;
    queueDlq: string;
    topic: string;
    key: string;
    noticeTopic: string;
    noticeKey: string;
    opsTopic: string;
    table: string;
    tableKey: string;
  };

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    synthesized = synthesizeTocsin('paging');
    ({ outdir, app, stack, template } = synthesized);

    const { paging } = stack;
    ids = {
      pagesFn: logicalId(stack, paging.function),
      pagesRole: logicalId(stack, paging.function.role!),
      pagesMapping: logicalId(stack, paging.eventSourceMapping),
      pagesDlq: logicalId(stack, paging.deadLetterQueue),
      escalateFn: logicalId(stack, paging.escalateFunction),
      escalateRole: logicalId(stack, paging.escalateFunction.role!),
      escalateMapping: logicalId(stack, paging.escalationEventSourceMapping),
      queue: logicalId(stack, paging.escalationQueue),
      queueDlq: logicalId(stack, paging.escalationDeadLetterQueue),
      topic: logicalId(stack, paging.topic),
      key: logicalId(stack, paging.key),
      noticeTopic: logicalId(stack, stack.notices.topic),
      noticeKey: logicalId(stack, stack.notices.key),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
    // Synthesis bundles every function with esbuild: on a busy machine that alone can take a minute.
  }, 180_000);

  afterAll(() => synthesized.cleanup());

  const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
  const tableArn = () => arnOf(ids.table);
  const streamArn = () => ({ 'Fn::GetAtt': [ids.table, 'StreamArn'] });
  const resource = (id: string) => template.toJSON().Resources[id] as { Type: string; Properties: Record<string, any> };
  const functionOf = (id: string) => template.findResources('AWS::Lambda::Function')[id]!;
  const of = (prefix: string) => (statements: PolicyStatement[]) => statements.filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));

  describe('pages topic', () => {
    it('is named from TOPICS and encrypted with a key of its own, not the notices key', () => {
      template.templateMatches({
        Resources: {
          [ids.topic]: {
            Type: 'AWS::SNS::Topic',
            Properties: { DisplayName: TOPICS.pages.displayName, KmsMasterKeyId: arnOf(ids.key) },
          },
        },
      });
      expect(TOPICS.pages.displayName).toBe('Tocsin operator pages');
      expect(ids.key).not.toBe(ids.noticeKey);
    });

    it('has a rotating key that admits no service (CloudWatch alarms go to the ops topic)', () => {
      // Prepare
      const key = resource(ids.key);

      // Assess
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(JSON.stringify(key)).not.toContain('.amazonaws.com');
    });

    it('refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: ids.topic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: '*',
              Action: 'sns:Publish',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('escalation queue', () => {
    it('is a standard queue (FIFO queues take no per-message delay) with no delay of its own', () => {
      expect(resource(ids.queue).Properties).not.toHaveProperty('FifoQueue');
      expect(resource(ids.queue).Properties).not.toHaveProperty('DelaySeconds');
    });

    it('is encrypted (SQS-managed) and refuses requests without TLS', () => {
      expect(resource(ids.queue).Properties).toMatchObject({ SqsManagedSseEnabled: true });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });

    it(`moves a timer to its dead-letter queue after ${ESCALATION_QUEUE_SETTINGS.maxReceiveCount} receives`, () => {
      expect(resource(ids.queue).Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: arnOf(ids.queueDlq), maxReceiveCount: 5 });
      expect(ESCALATION_QUEUE_SETTINGS.maxReceiveCount).toBe(5);
    });

    it('hides a received timer for six times the escalate timeout', () => {
      // Prepare
      const timeoutSeconds = functionOf(ids.escalateFn).Properties.Timeout as number;

      // Assess
      expect(timeoutSeconds).toBe(ESCALATE_TIMEOUT.toSeconds());
      expect(resource(ids.queue).Properties.VisibilityTimeout).toBe(6 * timeoutSeconds);
      expect(ESCALATION_VISIBILITY_TIMEOUT.toSeconds()).toBe(60);
    });

    it.each([
      ['the pages dead-letter queue', () => ids.pagesDlq],
      ['the escalation dead-letter queue', () => ids.queueDlq],
    ])('%s is encrypted, keeps messages 14 days and refuses requests without TLS', (_name, id) => {
      expect(resource(id()).Properties).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id() }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('stream event source (pages)', () => {
    const mapping = () => resource(ids.pagesMapping).Properties;

    it('is the only event source mapping of pages, from the table stream', () => {
      // Prepare
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));

      // Assess
      expect(mappings.filter((m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: ids.pagesFn }))).toHaveLength(1);
      expect(mapping()).toMatchObject({ EventSourceArn: streamArn(), FunctionName: { Ref: ids.pagesFn } });
    });

    it("delivers the batches OUTBOX_STREAM_SETTINGS says (notify's), from the oldest record on", () => {
      expect(mapping()).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: OUTBOX_STREAM_SETTINGS.batchSize,
        MaximumRetryAttempts: OUTBOX_STREAM_SETTINGS.retryAttempts,
        BisectBatchOnFunctionError: true,
        MaximumRecordAgeInSeconds: 24 * 3600,
      });
    });

    it('takes partial batch responses, so only the failed records are retried', () => {
      expect(mapping().FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });

    it('filters to page and timer inserts with exactly the pattern the local poller applies', () => {
      // Act
      const filters = mapping().FilterCriteria.Filters as { Pattern: string }[];

      // Assess
      expect(filters).toEqual([{ Pattern: JSON.stringify(PAGE_STREAM_FILTER) }]);
      expect(JSON.parse(filters[0]!.Pattern)).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { entity: { S: ['page', 'timer'] } } },
      });
    });

    it('sends batches it gives up on to the pages dead-letter queue', () => {
      expect(mapping().DestinationConfig).toEqual({ OnFailure: { Destination: arnOf(ids.pagesDlq) } });
    });
  });

  describe('queue event source (escalate)', () => {
    const mapping = () => resource(ids.escalateMapping).Properties;

    it('is the only event source mapping of escalate, from the escalation queue', () => {
      // Prepare
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));

      // Assess
      expect(mappings.filter((m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify({ Ref: ids.escalateFn }))).toHaveLength(1);
      expect(mapping()).toMatchObject({ EventSourceArn: arnOf(ids.queue), FunctionName: { Ref: ids.escalateFn } });
    });

    it('delivers up to 10 timers at once, without a batching window (a due timer runs at once)', () => {
      expect(mapping().BatchSize).toBe(10);
      expect(mapping()).not.toHaveProperty('MaximumBatchingWindowInSeconds');
    });

    it('takes partial batch responses, so only the failed timers are delivered again', () => {
      expect(mapping().FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });
  });

  describe('functions', () => {
    const variables = (id: string) => functionOf(id).Properties.Environment.Variables as Record<string, unknown>;

    it('pages knows the pages topic by ARN and the escalation queue by URL, and nothing of the store', () => {
      expect(variables(ids.pagesFn)[ENV.pageTopicArn]).toEqual({ Ref: ids.topic });
      expect(variables(ids.pagesFn)[ENV.escalationQueueUrl]).toEqual({ Ref: ids.queue });
      expect(variables(ids.pagesFn)).not.toHaveProperty(ENV.tableName);
      expect(variables(ids.pagesFn)).not.toHaveProperty(ENV.config);
      expect(variables(ids.pagesFn)).not.toHaveProperty(ENV.noticeTopicArn);
    });

    it("escalate knows the table, the escalation queue and the stack's configuration (its escalation stages)", () => {
      // Act
      const config = parseConfigJson(variables(ids.escalateFn)[ENV.config] as string);

      // Assess
      expect(variables(ids.escalateFn)[ENV.tableName]).toEqual({ Ref: ids.table });
      expect(variables(ids.escalateFn)[ENV.escalationQueueUrl]).toEqual({ Ref: ids.queue });
      expect(config).toEqual(stack.config);
      expect(config).toEqual(parseConfig({}));
      expect(variables(ids.escalateFn)).not.toHaveProperty(ENV.pageTopicArn);
    });

    it.each([
      { name: 'pages', id: () => ids.pagesFn, source: 'lambda/handlers/pages.ts' },
      { name: 'escalate', id: () => ids.escalateFn, source: 'lambda/handlers/escalate.ts' },
    ])('$name runs its own bundled handler', ({ id, source }) => {
      // Prepare
      const fn = functionOf(id());
      const bundle = join(outdir, fn.Metadata['aws:asset:path'] as string);

      // Act
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      // Assess
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(map.sources.some((s) => s.endsWith(source))).toBe(true);
      expect(map.sources.some((s) => s.endsWith('lambda/handlers/ingest.ts'))).toBe(false);
    });
  });

  describe('IAM of pages', () => {
    const statements = (): PolicyStatement[] => statementsOfRole(template, ids.pagesRole);

    it('may publish to the pages topic only', () => {
      expect(of('sns:')(statements())).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: ids.topic } }]);
    });

    it('may use the pages key to publish and the table key to decrypt the stream, and no other key', () => {
      // Act
      const kms = of('kms:')(statements());

      // Assess
      expect(kms).toHaveLength(2);
      expect(kms).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: arnOf(ids.key) },
          { Effect: 'Allow', Action: 'kms:Decrypt', Resource: arnOf(ids.tableKey) },
        ]),
      );
    });

    it('may read the table stream, and nothing else in DynamoDB', () => {
      expect(of('dynamodb:')(statements())).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords'], Resource: streamArn() },
      ]);
    });

    it('may send timers to the escalation queue, and batch descriptions to its dead-letter queue', () => {
      // Act
      const sqs = of('sqs:')(statements());

      // Assess
      expect(sqs).toHaveLength(2);
      expect(sqs).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: arnOf(ids.queue) },
          { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: arnOf(ids.pagesDlq) },
        ]),
      );
    });

    it.each([
      'dynamodb:*',
      'dynamodb:ListStreams',
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'kms:Encrypt',
      'kms:GenerateDataKey*',
      'sns:*',
      'sqs:*',
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
    ])('is not granted %s', (action) => {
      expect(statements().flatMap(actionsOf)).not.toContain(action);
    });

    it('may not publish to the notices topic: pages are for operators, not participants', () => {
      expect(JSON.stringify(statements())).not.toContain(ids.noticeTopic);
      expect(JSON.stringify(statements())).not.toContain(ids.noticeKey);
    });

    it('grants "*" only for the X-Ray actions that cannot be scoped', () => {
      expect(statements().filter((s) => JSON.stringify(s.Resource).includes('*'))).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]);
    });
  });

  describe('IAM of escalate', () => {
    const statements = (): PolicyStatement[] => statementsOfRole(template, ids.escalateRole);

    it('may GetItem and PutItem on the table, and nothing else in DynamoDB (no index, no stream)', () => {
      expect(of('dynamodb:')(statements())).toEqual([{ Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:PutItem'], Resource: tableArn() }]);
      expect(ESCALATE_STORE_ACCESS).toEqual({ tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem'] });
    });

    it('may use the table key for the store, and no other key', () => {
      expect(of('kms:')(statements())).toEqual([{ Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: arnOf(ids.tableKey) }]);
    });

    it("may do on the escalation queue what Lambda's SQS poller does, and send timers back to it, and nothing more", () => {
      // Act
      const sqs = of('sqs:')(statements());

      // Assess
      expect(sqs.map((s) => s.Resource)).toEqual(sqs.map(() => arnOf(ids.queue)));
      expect(sqs.flatMap(actionsOf).sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
      expect([...ESCALATION_QUEUE_CONSUME_ACTIONS].sort()).toEqual(['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage']);
    });

    it.each([
      'dynamodb:*',
      'dynamodb:UpdateItem',
      'dynamodb:Query',
      'dynamodb:BatchGetItem',
      'dynamodb:DeleteItem',
      'dynamodb:Scan',
      'dynamodb:GetRecords',
      'kms:GenerateDataKey*',
      'sns:Publish',
      'sqs:*',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueUrl',
      'sqs:PurgeQueue',
    ])('is not granted %s', (action) => {
      expect(statements().flatMap(actionsOf)).not.toContain(action);
    });

    it('grants "*" only for the X-Ray actions that cannot be scoped', () => {
      expect(statements().filter((s) => JSON.stringify(s.Resource).includes('*'))).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]);
    });
  });

  describe('the sweep, which runs overdue escalations', () => {
    it("has every store action escalate has, so its late escalations need no grant of their own", () => {
      // Act
      const sweepActions = statementsOfRole(template, logicalId(stack, stack.ingest.sweepFunction.role!))
        .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(tableArn()))
        .flatMap(actionsOf);

      // Assess
      expect(sweepActions).toEqual(expect.arrayContaining([...ESCALATE_STORE_ACCESS.tableActions]));
      expect(SWEEP_STORE_ACCESS.tableActions).toEqual(expect.arrayContaining([...ESCALATE_STORE_ACCESS.tableActions]));
    });
  });

  describe('alarms', () => {
    const pagingAlarms = () =>
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-Paging-') },
      });
    const alarm = (name: string) =>
      Object.values(pagingAlarms()).find((a) => a.Properties.AlarmName === `Tocsin-ops-Paging-${name}`)?.Properties;

    it('are seven, each notifying the ops topic when it fires and when it clears', () => {
      // Prepare
      const alarms = Object.values(pagingAlarms());

      // Assess
      expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
        ['DeadLetters', 'EscalateErrors', 'EscalationDeadLetters', 'EscalationFailures', 'Errors', 'IteratorAge', 'PageFailures']
          .map((name) => `Tocsin-ops-Paging-${name}`)
          .sort(),
      );
      for (const a of alarms) {
        expect(a.Properties).toMatchObject({
          AlarmActions: [{ Ref: ids.opsTopic }],
          OKActions: [{ Ref: ids.opsTopic }],
          ComparisonOperator: 'GreaterThanThreshold',
          EvaluationPeriods: 1,
          Period: 60,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it.each([
      { name: 'Errors', fn: () => ids.pagesFn },
      { name: 'EscalateErrors', fn: () => ids.escalateFn },
    ])('$name fires on any error of its function', ({ name, fn }) => {
      expect(alarm(name)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: fn() } }],
        Statistic: 'Sum',
        Threshold: 0,
      });
    });

    it.each([
      { name: 'DeadLetters', queue: () => ids.pagesDlq },
      { name: 'EscalationDeadLetters', queue: () => ids.queueDlq },
    ])('$name fires on any message in its dead-letter queue', ({ name, queue }) => {
      expect(alarm(name)).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue(), 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
      });
    });

    it.each([
      { name: 'PageFailures', metric: METRIC.pageFailures },
      { name: 'EscalationFailures', metric: METRIC.escalationFailures },
    ])('$name fires on any count of the $metric metric', ({ name, metric }) => {
      expect(alarm(name)).toMatchObject({
        Namespace: POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME }],
        Statistic: 'Sum',
        Threshold: 0,
      });
      expect(name).toBe(metric);
    });

    it('IteratorAge fires when pages wait in the stream longer than the 5 s the contract allows (in milliseconds)', () => {
      expect(alarm('IteratorAge')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.pagesFn } }],
        Statistic: 'Maximum',
        Threshold: 5_000,
      });
    });
  });

  describe('outputs', () => {
    it('PageTopicArn', () => {
      template.hasOutput('PageTopicArn', { Value: { Ref: ids.topic } });
    });
  });

  describe('validation', () => {
    const streamless = () => {
      const scope = new Stack(new App(), 'Streamless');
      const table = new dynamodb.Table(scope, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
      return { scope, table, opsAlerts: new OpsAlerts(scope, 'OpsAlerts') };
    };

    it('rejects a table without a stream, naming it', () => {
      // Prepare
      const { scope, table, opsAlerts } = streamless();

      // Act
      const build = () => new Paging(scope, 'Paging', { table, config: parseConfig({}), opsAlerts });

      // Assess
      expect(build).toThrow(/Paging needs a table with a stream .*Streamless\/Table has none/);
    });

    it("fails when the configuration is too large even for escalate's bundle, before building anything", () => {
      // Prepare
      const scope = new Stack(new App(), 'Crowded');
      const table = new dynamodb.Table(scope, 'Table', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      });
      const opsAlerts = new OpsAlerts(scope, 'OpsAlerts');
      const config = parseConfig({ components: Array.from({ length: 4000 }, (_, i) => ({ id: `component-with-a-long-name-${i}` })) });

      // Act
      const build = () => new Paging(scope, 'Paging', { table, config, opsAlerts });

      // Assess
      expect(build).toThrow(/the configuration is \d+ bytes as JSON; at most 262144 are taken/);
      expect(scope.node.tryFindChild('Paging')?.node.children ?? []).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging here only the dead-letter queues\' SQS3 and X-Ray\'s "*"', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(app);
      const acknowledged = () => listAcknowledgements(app.node.findChild('Tocsin').node.findChild('Paging'));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: 'Tocsin/Paging/EscalationDeadLetterQueue',
          id: expect.stringMatching(/AwsSolutions-SQS3$/),
          reason: expect.stringMatching(/dead-letter queue of the escalation queue/),
        },
        {
          path: 'Tocsin/Paging/DeadLetterQueue',
          id: expect.stringMatching(/AwsSolutions-SQS3$/),
          reason: expect.stringMatching(/on-failure destination/),
        },
        {
          path: 'Tocsin/Paging/FunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
        {
          path: 'Tocsin/Paging/EscalateFunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
      expect(listAcknowledgements(app).filter(({ reason }) => reason.trim() === '')).toEqual([]);
    });
  });
});
