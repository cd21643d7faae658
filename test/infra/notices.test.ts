import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { ENV } from '../../lambda/adapters/environment';
import { METRIC } from '../../lambda/adapters/observability';
import { OUTBOX_STREAM_FILTER, OUTBOX_STREAM_SETTINGS } from '../../lambda/adapters/table-schema';
import { listAcknowledgements, POWERTOOLS_ENVIRONMENT } from '../../lib/defaults';
import { Notices } from '../../lib/notices';
import { OpsAlerts } from '../../lib/ops-alerts';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, type PolicyStatement, statementsOfRole, type SynthesizedTocsin, synthesizeTocsin, synthWithAwsSolutionsChecks } from './template-helpers';

describe('Notices', () => {
  // One synthesis for the whole file: bundling the handler with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: {
    fn: string;
    role: string;
    mapping: string;
    queue: string;
    topic: string;
    key: string;
    opsTopic: string;
    table: string;
    tableKey: string;
  };

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    synthesized = synthesizeTocsin('notices');
    ({ outdir, app, stack, template } = synthesized);

    const { notices } = stack;
    ids = {
      fn: logicalId(stack, notices.function),
      role: logicalId(stack, notices.function.role!),
      mapping: logicalId(stack, notices.eventSourceMapping),
      queue: logicalId(stack, notices.deadLetterQueue),
      topic: logicalId(stack, notices.topic),
      key: logicalId(stack, notices.key),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
  });

  afterAll(() => synthesized.cleanup());

  const fnRef = () => ({ Ref: ids.fn });
  const queueArn = () => ({ 'Fn::GetAtt': [ids.queue, 'Arn'] });
  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });
  const streamArn = () => ({ 'Fn::GetAtt': [ids.table, 'StreamArn'] });
  const statements = (): PolicyStatement[] => statementsOfRole(template, ids.role);

  describe('stream event source', () => {
    const mapping = () => template.findResources('AWS::Lambda::EventSourceMapping')[ids.mapping]!.Properties;

    it("is the function's only event source mapping, from the table stream", () => {
      // Prepare
      const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));

      // Assess: the stream's other reader is pages (test/infra/paging.test.ts).
      expect(mappings.filter((m) => JSON.stringify(m.Properties.FunctionName) === JSON.stringify(fnRef()))).toHaveLength(1);
      expect(mapping()).toMatchObject({ EventSourceArn: streamArn(), FunctionName: fnRef() });
    });

    it('delivers the batches OUTBOX_STREAM_SETTINGS says, from the oldest record on', () => {
      expect(mapping()).toMatchObject({
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: OUTBOX_STREAM_SETTINGS.batchSize,
        MaximumRetryAttempts: OUTBOX_STREAM_SETTINGS.retryAttempts,
        BisectBatchOnFunctionError: OUTBOX_STREAM_SETTINGS.bisectBatchOnError,
        MaximumRecordAgeInSeconds: 24 * 3600,
      });
      expect(OUTBOX_STREAM_SETTINGS).toEqual({ batchSize: 10, retryAttempts: 5, bisectBatchOnError: true });
    });

    it('takes partial batch responses, so only the failed records are retried', () => {
      expect(mapping().FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    });

    it('filters to outbox inserts with exactly the pattern the local poller applies', () => {
      // Act
      const filters = mapping().FilterCriteria.Filters as { Pattern: string }[];

      // Assess
      expect(filters).toEqual([{ Pattern: JSON.stringify(OUTBOX_STREAM_FILTER) }]);
      expect(JSON.parse(filters[0]!.Pattern)).toEqual({
        eventName: ['INSERT'],
        dynamodb: { NewImage: { entity: { S: ['notice'] } } },
      });
    });

    it('sends batches it gives up on to the dead-letter queue', () => {
      expect(mapping().DestinationConfig).toEqual({ OnFailure: { Destination: queueArn() } });
    });
  });

  describe('function', () => {
    const variables = () => template.findResources('AWS::Lambda::Function')[ids.fn]!.Properties.Environment.Variables;

    it('knows the table by name and the notices topic by ARN, and needs no configuration', () => {
      expect(variables()[ENV.tableName]).toEqual({ Ref: ids.table });
      expect(variables()[ENV.noticeTopicArn]).toEqual({ Ref: ids.topic });
      expect(variables()).not.toHaveProperty(ENV.config);
    });

    it('runs the bundled notify handler', () => {
      // Prepare
      const fn = template.findResources('AWS::Lambda::Function')[ids.fn]!;
      const bundle = join(outdir, fn.Metadata['aws:asset:path'] as string);

      // Act
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      // Assess
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/notify.ts'))).toBe(true);
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/ingest.ts'))).toBe(false);
    });
  });

  describe('IAM', () => {
    it('may publish to the notices topic only', () => {
      // Act
      const sns = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('sns:')));

      // Assess
      expect(sns).toEqual([{ Effect: 'Allow', Action: 'sns:Publish', Resource: { Ref: ids.topic } }]);
    });

    it('may use the topic key to publish and the table key for the store, and no other key', () => {
      // Act
      const kms = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

      // Assess
      expect(kms).toHaveLength(2);
      expect(kms).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: { 'Fn::GetAtt': [ids.key, 'Arn'] } },
          { Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: { 'Fn::GetAtt': [ids.tableKey, 'Arn'] } },
        ]),
      );
    });

    it('may BatchGetItem and UpdateItem on the table and read its stream, and nothing else in DynamoDB', () => {
      // Act
      const dynamo = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toHaveLength(2);
      expect(dynamo).toEqual(
        expect.arrayContaining([
          { Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem'], Resource: tableArn() },
          {
            Effect: 'Allow',
            Action: ['dynamodb:DescribeStream', 'dynamodb:GetShardIterator', 'dynamodb:GetRecords'],
            Resource: streamArn(),
          },
        ]),
      );
    });

    it.each([
      'dynamodb:*',
      'dynamodb:ListStreams',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:DeleteItem',
      'dynamodb:BatchWriteItem',
      'kms:GenerateDataKey*',
      'sns:*',
    ])('is not granted %s', (action) => {
      expect(statements().flatMap(actionsOf)).not.toContain(action);
    });

    it('may send to its dead-letter queue only', () => {
      // Act
      const sqs = statements().filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));

      // Assess
      expect(sqs).toEqual([
        { Effect: 'Allow', Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'], Resource: queueArn() },
      ]);
    });

    it('grants "*" only for the X-Ray actions that cannot be scoped', () => {
      // Act
      const wildcards = statements().filter((s) => JSON.stringify(s.Resource).includes('*'));

      // Assess
      expect(wildcards).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: '*' },
      ]);
    });
  });

  describe('dead-letter queue', () => {
    it('is encrypted, keeps messages 14 days and refuses requests without TLS', () => {
      template.templateMatches({
        Resources: {
          [ids.queue]: {
            Type: 'AWS::SQS::Queue',
            Properties: { SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 },
          },
        },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
    });
  });

  describe('alarms', () => {
    const noticesAlarms = () =>
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-Notices-') },
      });
    const alarm = (name: string) =>
      Object.values(noticesAlarms()).find((a) => a.Properties.AlarmName === `Tocsin-ops-Notices-${name}`)?.Properties;

    it('are five, each notifying the ops topic when it fires and when it clears', () => {
      // Prepare
      const alarms = Object.values(noticesAlarms());

      // Assess
      expect(alarms.map((a) => a.Properties.AlarmName).sort()).toEqual(
        ['DeadLetters', 'Errors', 'IteratorAge', 'NoticeFailures', 'RedriveErrors'].map((name) => `Tocsin-ops-Notices-${name}`),
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

    it('fire on any function error', () => {
      expect(alarm('Errors')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: fnRef() }],
        Statistic: 'Sum',
        Threshold: 0,
      });
    });

    it('fire on any message in the dead-letter queue', () => {
      expect(alarm('DeadLetters')).toMatchObject({
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        Statistic: 'Maximum',
        Threshold: 0,
      });
    });

    it('fire when notices are over a minute late (iterator age, in milliseconds)', () => {
      expect(alarm('IteratorAge')).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'IteratorAge',
        Dimensions: [{ Name: 'FunctionName', Value: fnRef() }],
        Statistic: 'Maximum',
        Threshold: 60_000,
      });
    });

    it('fire on any notice that could not be published (the NoticeFailures metric)', () => {
      expect(alarm('NoticeFailures')).toMatchObject({
        Namespace: POWERTOOLS_ENVIRONMENT.POWERTOOLS_METRICS_NAMESPACE,
        MetricName: METRIC.noticeFailures,
        Dimensions: [{ Name: 'service', Value: POWERTOOLS_ENVIRONMENT.POWERTOOLS_SERVICE_NAME }],
        Statistic: 'Sum',
        Threshold: 0,
      });
      expect(METRIC.noticeFailures).toBe('NoticeFailures');
    });
  });

  describe('topic policy', () => {
    it('lets no other account subscribe when no participant names one', () => {
      // Assess
      const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((p) =>
        JSON.stringify(p.Properties.Topics) === JSON.stringify([{ Ref: ids.topic }]),
      );
      expect(policies).toHaveLength(1);
      const actions = policies[0]!.Properties.PolicyDocument.Statement.flatMap((st: PolicyStatement) => actionsOf(st));
      expect(actions).not.toContain('sns:Subscribe');
    });
  });

  describe('outputs', () => {
    it('NoticeTopicArn', () => {
      template.hasOutput('NoticeTopicArn', { Value: { Ref: ids.topic } });
    });
  });

  describe('validation', () => {
    it('refuses a table without a stream, naming it', () => {
      // Prepare
      const scope = new Stack(new App(), 'Streamless');
      const table = new dynamodb.Table(scope, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
      const opsAlerts = new OpsAlerts(scope, 'OpsAlerts');

      // Act
      const build = () => new Notices(scope, 'Notices', { table, opsAlerts });

      // Assess
      expect(build).toThrow(/Notices needs a table with a stream .*Streamless\/Table has none/);
    });

    it('refuses a subscriber account that is not a 12-digit account id, naming it', () => {
      // Prepare
      const scope = new Stack(new App(), 'BadSubscriber');
      const table = new dynamodb.Table(scope, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING }, stream: dynamodb.StreamViewType.NEW_IMAGE });
      const opsAlerts = new OpsAlerts(scope, 'OpsAlerts');

      // Act
      const build = () => new Notices(scope, 'Notices', { table, opsAlerts, subscriberAccounts: ['21098765432'] });

      // Assess
      expect(build).toThrow('Notices subscriberAccounts must be 12-digit AWS account ids, got "21098765432"');
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging here only the dead-letter queue\'s SQS3 and X-Ray\'s "*"', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(app);
      const acknowledged = () => listAcknowledgements(app.node.findChild('Tocsin').node.findChild('Notices'));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: 'Tocsin/Notices/DeadLetterQueue',
          id: expect.stringMatching(/AwsSolutions-SQS3$/),
          reason: expect.stringMatching(/on-failure destination/),
        },
        {
          path: 'Tocsin/Notices/FunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
        {
          path: 'Tocsin/Notices/RedriveFunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
      expect(listAcknowledgements(app).filter(({ reason }) => reason.trim() === '')).toEqual([]);
    });
  });

  describe('redrive (the outbox safety net)', () => {
    it('runs every minute and may only publish to the notices topic and read/mark outbox items', () => {
      const redrive = stack.notices.redriveFunction;
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        Target: { Arn: { 'Fn::GetAtt': [logicalId(stack, redrive), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } },
      });
      const actions = statementsOfRole(template, logicalId(stack, redrive.role!)).flatMap(actionsOf);
      expect(actions).toEqual(expect.arrayContaining(['sns:Publish', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
      expect(actions).not.toEqual(expect.arrayContaining(['dynamodb:PutItem']));
    });
  });
});
