import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { METRIC } from '../../lambda/adapters/observability';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import { listAcknowledgements } from '../../lib/defaults';
import { ALARMS_TOPIC_DISPLAY_NAME, Ingest } from '../../lib/ingest';
import { OpsAlerts } from '../../lib/ops-alerts';
import { Store } from '../../lib/store';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, type SynthesizedTocsin, synthesizeTocsin, synthWithAwsSolutionsChecks } from './template-helpers';

describe('Ingest', () => {
  // One synthesis for the whole file: bundling the handler with esbuild is the slow part.
  let stack: TocsinStack;
  let template: Template;
  let ids: {
    fn: string;
    role: string;
    url: string;
    rule: string;
    queue: string;
    alarmsTopic: string;
    alarmsKey: string;
    opsTopic: string;
    table: string;
    tableKey: string;
  };

  let outdir: string;
  let app: App;

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    synthesized = synthesizeTocsin('ingest', SAMPLE_CONFIG);
    ({ outdir, app, stack, template } = synthesized);

    const { ingest } = stack;
    ids = {
      fn: logicalId(stack, ingest.function),
      role: logicalId(stack, ingest.function.role!),
      url: logicalId(stack, ingest.functionUrl),
      rule: logicalId(stack, ingest.rule),
      queue: logicalId(stack, ingest.deadLetterQueue),
      alarmsTopic: logicalId(stack, ingest.alarmsTopic),
      alarmsKey: logicalId(stack, ingest.node.findChild('AlarmsTopicKey')),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
  });

  afterAll(() => synthesized.cleanup());

  const fnArn = () => ({ 'Fn::GetAtt': [ids.fn, 'Arn'] });
  const queueArn = () => ({ 'Fn::GetAtt': [ids.queue, 'Arn'] });
  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });

  describe('EventBridge rule', () => {
    it('matches CloudWatch alarm state changes, leaving out Tocsin\'s own alarms', () => {
      // Assess
      template.templateMatches({
        Resources: {
          [ids.rule]: {
            Type: 'AWS::Events::Rule',
            Properties: {
              State: 'ENABLED',
              EventPattern: {
                source: ['aws.cloudwatch'],
                'detail-type': ['CloudWatch Alarm State Change'],
                detail: { alarmName: [{ 'anything-but': { prefix: 'Tocsin-ops-' } }] },
              },
            },
          },
        },
      });
    });

    it('leaves out every alarm of the stack, since all are named with the ops prefix', () => {
      // Prepare
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

      // Assess
      expect(alarms.length).toBeGreaterThan(0);
      for (const alarm of alarms) expect(alarm.Properties.AlarmName).toMatch(/^Tocsin-ops-/);
      expect(stack.opsAlerts.alarmNamePrefix).toBe('Tocsin-ops-');
    });

    it('targets the function, with retries and the dead-letter queue', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Arn: fnArn(),
            RetryPolicy: { MaximumRetryAttempts: 2 },
            DeadLetterConfig: { Arn: queueArn() },
          }),
        ],
      });
    });

    it('may invoke the function, and deliver dead letters to the queue', () => {
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: fnArn(),
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [ids.rule, 'Arn'] },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.queue }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ids.rule, 'Arn'] } } },
            }),
          ]),
        },
      });
    });
  });

  describe('alarms topic', () => {
    it('is encrypted with its own key, and named', () => {
      template.templateMatches({
        Resources: {
          [ids.alarmsTopic]: {
            Type: 'AWS::SNS::Topic',
            Properties: {
              DisplayName: ALARMS_TOPIC_DISPLAY_NAME,
              KmsMasterKeyId: { 'Fn::GetAtt': [ids.alarmsKey, 'Arn'] },
            },
          },
          [ids.alarmsKey]: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
        },
      });
    });

    it('refuses publishing without TLS', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: ids.alarmsTopic }],
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

    it('admits the alarm actions of this account only', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: ids.alarmsTopic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: ids.alarmsTopic },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
            }),
          ]),
        },
      });
    });

    it('lets CloudWatch use its key, since SNS encrypts on the publisher\'s behalf', () => {
      template.templateMatches({
        Resources: {
          [ids.alarmsKey]: {
            Properties: {
              KeyPolicy: {
                Statement: Match.arrayWith([
                  Match.objectLike({
                    Effect: 'Allow',
                    Principal: { Service: 'cloudwatch.amazonaws.com' },
                    Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
                  }),
                ]),
              },
            },
          },
        },
      });
    });

    it('is subscribed by the function, with the dead-letter queue', () => {
      template.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        TopicArn: { Ref: ids.alarmsTopic },
        Endpoint: fnArn(),
        RedrivePolicy: { deadLetterTargetArn: queueArn() },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        FunctionName: fnArn(),
        Principal: 'sns.amazonaws.com',
        SourceArn: { Ref: ids.alarmsTopic },
      });
    });
  });

  describe('function', () => {
    const variables = () => template.findResources('AWS::Lambda::Function')[ids.fn]!.Properties.Environment.Variables;

    it('knows the table by name', () => {
      expect(variables()[ENV.tableName]).toEqual({ Ref: ids.table });
    });

    it('gets the configuration as CONFIG JSON that parses back to the stack\'s', () => {
      // Act
      const config = parseConfigJson(variables()[ENV.config]);

      // Assess
      expect(config).toEqual(parseConfig(SAMPLE_CONFIG));
      expect(config).toEqual(stack.config);
      // With its defaults applied: a component is not participant-facing unless configured so.
      expect(config.components).toEqual([{ id: 'matching-engine', market: 'equities', critical: true, participantFacing: false }]);
    });

    it('runs the bundled ingest handler', () => {
      // Prepare
      const fn = template.findResources('AWS::Lambda::Function')[ids.fn]!;
      const bundle = join(outdir, fn.Metadata['aws:asset:path'] as string);

      // Act
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      // Assess
      expect(fn.Properties.Handler).toBe('index.handler');
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/ingest.ts'))).toBe(true);
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/operate.ts'))).toBe(false);
    });

    it('sends invocations that fail after 2 retries to the dead-letter queue', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.fn },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: queueArn() } },
      });
    });

    it('has a Function URL with IAM authentication, and no public permission', () => {
      template.templateMatches({
        Resources: {
          [ids.url]: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: fnArn() } },
        },
      });
      // The only public URL is the Monitors construct's (test/infra/monitors.test.ts), never ingest's.
      expect(template.findResources('AWS::Lambda::Permission', { Properties: { Principal: '*', FunctionName: fnArn() } })).toEqual({});
      expect(template.findResources('AWS::Lambda::Url', { Properties: { AuthType: 'NONE', TargetFunctionArn: fnArn() } })).toEqual({});
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

  describe('IAM', () => {
    it('may read, write and recount on the table, and nothing else in DynamoDB: no index', () => {
      // Act
      const dynamo = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toEqual([{ Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: tableArn() }]);
    });

    it.each(['dynamodb:*', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'])(
      'is not granted %s',
      (action) => {
        const actions = statementsOfRole(template, ids.role).flatMap(actionsOf);
        expect(actions).not.toContain(action);
      },
    );

    it('may use the table key, and no other key', () => {
      // Act
      const kms = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));

      // Assess
      expect(kms).toEqual([
        { Effect: 'Allow', Action: [...TABLE_KEY_ACTIONS], Resource: { 'Fn::GetAtt': [ids.tableKey, 'Arn'] } },
      ]);
    });

    it('may send to the dead-letter queue, and publish to no topic', () => {
      // Act
      const actions = statementsOfRole(template, ids.role).flatMap(actionsOf);

      // Assess
      expect(actions.filter((a) => a.startsWith('sqs:'))).toEqual([
        'sqs:SendMessage',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
      ]);
      expect(actions.filter((a) => a.startsWith('sns:'))).toEqual([]);
    });
  });

  describe('alarms', () => {
    const ingestAlarms = () =>
      template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-Ingest-') },
      });

    it('are four, each notifying the ops topic when it fires and when it clears', () => {
      // Prepare
      const alarms = Object.values(ingestAlarms());

      // Assess
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) {
        expect(alarm.Properties).toMatchObject({
          AlarmActions: [{ Ref: ids.opsTopic }],
          OKActions: [{ Ref: ids.opsTopic }],
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it.each([
      {
        on: 'function errors',
        alarmName: 'Tocsin-ops-Ingest-Errors',
        metric: () => ({
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Statistic: 'Sum',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
        }),
      },
      {
        on: 'dead-letter queue depth',
        alarmName: 'Tocsin-ops-Ingest-DeadLetters',
        metric: () => ({
          Namespace: 'AWS/SQS',
          MetricName: 'ApproximateNumberOfMessagesVisible',
          Statistic: 'Maximum',
          Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        }),
      },
      {
        on: 'rejected alarms (the custom metric the handler emits)',
        alarmName: 'Tocsin-ops-Ingest-AlarmsRejected',
        metric: () => ({
          Namespace: 'Tocsin',
          MetricName: METRIC.alarmsRejected,
          Statistic: 'Sum',
          Dimensions: [{ Name: 'service', Value: 'tocsin' }],
        }),
      },
    ])('alarms on $on', ({ alarmName, metric }) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: alarmName, Period: 60, ...metric() });
    });
  });

  describe('outputs', () => {
    it.each([
      { output: 'IngestUrl', value: () => ({ 'Fn::GetAtt': [ids.url, 'FunctionUrl'] }) },
      { output: 'AlarmsTopicArn', value: () => ({ Ref: ids.alarmsTopic }) },
    ])('$output', ({ output, value }) => {
      template.hasOutput(output, { Value: value() });
    });
  });

  describe('validation', () => {
    it('rejects a configuration too large even for the bundle (256 KiB), before building anything', () => {
      // Prepare: one too large for Lambda's 4 KB environment is written into the bundle instead (test/infra/store-access.test.ts).
      const scope = new Stack(new App(), 'Crowded');
      const store = new Store(scope, 'Store');
      const opsAlerts = new OpsAlerts(scope, 'OpsAlerts');
      const components = Array.from({ length: 4000 }, (_, n) => ({ id: `component-with-a-long-name-${n}` }));
      const config = parseConfig({ components });

      // Act
      const build = () => new Ingest(scope, 'Ingest', { table: store.table, config, opsAlerts });

      // Assess
      expect(build).toThrow(/configuration is \d+ bytes as JSON; at most 262144 are taken/);
      expect(scope.node.tryFindChild('Ingest')?.node.children ?? []).toEqual([]);
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging only the dead-letter queue\'s SQS3 here', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(app);
      const acknowledged = () => listAcknowledgements(app.node.findChild('Tocsin').node.findChild('Ingest'));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: 'Tocsin/Ingest/DeadLetterQueue',
          id: expect.stringMatching(/AwsSolutions-SQS3$/),
          reason: expect.stringMatching(/dead-letter queue/),
        },
        {
          path: 'Tocsin/Ingest/FunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
        {
          path: 'Tocsin/Ingest/SweepFunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
    });
  });

  describe('sweep (auto-resolve timer)', () => {
    it('runs the sweep function every minute through EventBridge Scheduler, with no retries', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: { 'Fn::GetAtt': [logicalId(stack, stack.ingest.sweepFunction), 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0 },
        },
      });
    });

    it('lets the scheduler invoke exactly the sweep function, no other version or function', () => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: [{ Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [logicalId(stack, stack.ingest.sweepFunction), 'Arn'] } }],
        },
      });
    });

    it('alarms on sweep errors', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'Tocsin-ops-Ingest-SweepErrors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, stack.ingest.sweepFunction) } }],
      });
    });
  });
});
