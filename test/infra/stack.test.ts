import { App, type CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { TABLE_SCHEMA, TOPICS } from '../../lambda/adapters/table-schema';
import { ConfigError } from '../../lambda/core/errors';
import { acknowledge, listAcknowledgements } from '../../lib/defaults';
import { TocsinStack } from '../../lib/tocsin-stack';

/** The logical id CloudFormation sees for a construct's L1 resource. */
const logicalId = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

const keySchema = (partitionKey: { name: string }, sortKey: { name: string }) => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' },
  { AttributeName: sortKey.name, KeyType: 'RANGE' },
];

describe('TocsinStack', () => {
  // One synthesis for the whole file: synthesis is the slow part.
  let stack: TocsinStack;
  let template: Template;
  let ids: {
    table: string;
    tableKey: string;
    noticeTopic: string;
    noticeKey: string;
    pageTopic: string;
    pageKey: string;
    opsTopic: string;
    opsKey: string;
  };

  beforeAll(() => {
    // Prepare
    const app = new App();

    // Act
    stack = new TocsinStack(app, 'Tocsin');
    template = Template.fromStack(stack);
    ids = {
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
      noticeTopic: logicalId(stack, stack.notices.topic),
      noticeKey: logicalId(stack, stack.notices.key),
      pageTopic: logicalId(stack, stack.paging.topic),
      pageKey: logicalId(stack, stack.paging.key),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      opsKey: logicalId(stack, stack.opsAlerts.key),
    };
  });

  describe('table', () => {
    it('is the only table', () => {
      // Assess
      template.resourceCountIs('AWS::DynamoDB::Table', 1);
    });

    it('bills on demand', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { BillingMode: 'PAY_PER_REQUEST' });
    });

    it('has point-in-time recovery', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      });
    });

    it('streams new and old images, as TABLE_SCHEMA says', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        StreamSpecification: { StreamViewType: TABLE_SCHEMA.streamViewType },
      });
      expect(TABLE_SCHEMA.streamViewType).toBe('NEW_AND_OLD_IMAGES');
    });

    it('expires items on the TABLE_SCHEMA TTL attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      });
    });

    it('has exactly the TABLE_SCHEMA keys and attribute definitions', () => {
      // Prepare
      const keys = [
        TABLE_SCHEMA.partitionKey,
        TABLE_SCHEMA.sortKey,
        ...TABLE_SCHEMA.globalSecondaryIndexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ];

      // Assess
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: keySchema(TABLE_SCHEMA.partitionKey, TABLE_SCHEMA.sortKey),
        AttributeDefinitions: Match.arrayEquals(
          keys.map((key) => ({ AttributeName: key.name, AttributeType: key.type })),
        ),
      });
    });

    it('has exactly the TABLE_SCHEMA global secondary indexes', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        GlobalSecondaryIndexes: TABLE_SCHEMA.globalSecondaryIndexes.map((index) => ({
          IndexName: index.indexName,
          KeySchema: keySchema(index.partitionKey, index.sortKey),
          Projection: { ProjectionType: index.projection },
        })),
      });
    });

    it('is encrypted with its own customer-managed key', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [ids.tableKey, 'Arn'] },
        },
      });
    });

    it('is retained on stack deletion and replacement, with its key', () => {
      template.templateMatches({
        Resources: {
          [ids.table]: { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
          [ids.tableKey]: { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' },
        },
      });
    });

    it('has deletion protection', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: true });
    });

    it('has two stream readers, notify and pages: as many as a DynamoDB stream serves per shard unthrottled', () => {
      // Prepare
      const streamArn = { 'Fn::GetAtt': [ids.table, 'StreamArn'] };

      // Act
      const readers = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))
        .filter((mapping) => JSON.stringify(mapping.Properties.EventSourceArn) === JSON.stringify(streamArn))
        .map((mapping) => mapping.Properties.FunctionName);

      // Assess
      expect(readers).toEqual(
        expect.arrayContaining([
          { Ref: logicalId(stack, stack.notices.function) },
          { Ref: logicalId(stack, stack.paging.function) },
        ]),
      );
      expect(readers).toHaveLength(2);
    });
  });

  describe('topics', () => {
    const topics = [
      { name: 'notices', topic: () => ids.noticeTopic, key: () => ids.noticeKey, displayName: TOPICS.notices.displayName },
      { name: 'pages', topic: () => ids.pageTopic, key: () => ids.pageKey, displayName: TOPICS.pages.displayName },
      { name: 'ops', topic: () => ids.opsTopic, key: () => ids.opsKey, displayName: TOPICS.ops.displayName },
    ];

    it('are these three and the ingest alarms topic', () => {
      template.resourceCountIs('AWS::SNS::Topic', 4);
    });

    it.each(topics)('$name topic is encrypted with its own key and named from TOPICS', ({ topic, key, displayName }) => {
      template.templateMatches({
        Resources: {
          [topic()]: {
            Type: 'AWS::SNS::Topic',
            Properties: { DisplayName: displayName, KmsMasterKeyId: { 'Fn::GetAtt': [key(), 'Arn'] } },
          },
        },
      });
    });

    it.each(topics)('$name topic refuses publishing without TLS', ({ topic }) => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topic() }],
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

    it('ops key lets CloudWatch alarms encrypt and decrypt messages', () => {
      template.templateMatches({
        Resources: {
          [ids.opsKey]: {
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

    it('ops topic admits CloudWatch alarms of this account only', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: ids.opsTopic }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
            }),
          ]),
        },
      });
    });

    it('notices key does not admit CloudWatch: alarms are for operators, not participants', () => {
      const noticeKey = template.findResources('AWS::KMS::Key')[ids.noticeKey];

      expect(noticeKey).toBeDefined();
      expect(JSON.stringify(noticeKey)).not.toContain('cloudwatch.amazonaws.com');
    });

    it("pages key does not admit CloudWatch: Tocsin's own alarms go to the ops topic, pages are about incidents", () => {
      const pageKey = template.findResources('AWS::KMS::Key')[ids.pageKey];

      expect(pageKey).toBeDefined();
      expect(JSON.stringify(pageKey)).not.toContain('cloudwatch.amazonaws.com');
    });
  });

  describe('keys', () => {
    it('are one per table and topic', () => {
      template.resourceCountIs('AWS::KMS::Key', 5);
    });

    it('all rotate', () => {
      template.allResourcesProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    });
  });

  describe('IAM', () => {
    it('grants "*" only for the X-Ray actions that cannot be scoped', () => {
      // Prepare: createFunction acknowledges AwsSolutions-IAM5[Resource::*] on each role's
      // default policy, so any other "*" that lands there would pass cdk-nag unseen.
      const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
        (policy) => policy.Properties.PolicyDocument.Statement as { Resource: unknown }[],
      );

      // Act
      const wildcards = statements.filter((statement) => JSON.stringify(statement.Resource).includes('*'));

      // Assess: besides X-Ray, only the public site's incident pages, by key prefix in its own bucket.
      for (const statement of wildcards) {
        if (JSON.stringify(statement).includes('s3:PutObject')) {
          expect(JSON.stringify(statement.Resource).match(/\*/g)).toHaveLength(1);
          expect(JSON.stringify(statement.Resource)).toMatch(/PublicStatusBucket[0-9A-F]{8}","Arn"\]\},"\/incidents\/\*"/);
          continue;
        }
        expect(statement).toEqual({
          Effect: 'Allow',
          Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          Resource: '*',
        });
      }
    });
  });

  describe("dead-man's switches and throttles", () => {
    it('alarms when a scheduled function has not run for 3 minutes, missing data breaching', () => {
      const notRunning = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmName).includes('NotRunning'));
      expect(notRunning.map((a) => String(a.Properties.AlarmName).replace(/^.*-ops-/, '')).sort()).toEqual(
        ['Watchdogs-PromoteNotRunning', 'Watchdogs-SweepNotRunning', 'Watchdogs-RedriveNotRunning', 'Watchdogs-RebuildNotRunning'].sort(),
      );
      for (const alarm of notRunning) {
        expect(alarm.Properties).toMatchObject({
          MetricName: 'Invocations',
          Namespace: 'AWS/Lambda',
          Threshold: 1,
          ComparisonOperator: 'LessThanThreshold',
          EvaluationPeriods: 3,
          DatapointsToAlarm: 3,
          TreatMissingData: 'breaching',
        });
      }
    });

    it('alarms on throttles of every function that must not wait', () => {
      const throttles = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => a.Properties.MetricName === 'Throttles');
      expect(throttles).toHaveLength(9);
      for (const alarm of throttles) expect(alarm.Properties).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [expect.anything()] });
    });
  });

  describe('outputs', () => {
    it.each([
      { output: 'TableName', value: () => ({ Ref: ids.table }) },
      { output: 'NoticeTopicArn', value: () => ({ Ref: ids.noticeTopic }) },
      { output: 'PageTopicArn', value: () => ({ Ref: ids.pageTopic }) },
      { output: 'OpsTopicArn', value: () => ({ Ref: ids.opsTopic }) },
    ])('$output', ({ output, value }) => {
      template.hasOutput(output, { Value: value() });
    });
  });

  describe('configuration', () => {
    it('exposes the configuration with its defaults applied', () => {
      // Prepare
      const app = new App();

      // Act
      const configured = new TocsinStack(app, 'Configured', {
        config: { groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] },
      });

      // Assess
      expect(configured.config.groups[0]).toMatchObject({ leaseDurationSeconds: 10, heartbeatSeconds: 2 });
      expect(stack.config.markets).toEqual([{ id: 'equities', segments: [], timeZone: 'UTC' }]);
    });

    it.each([
      {
        field: 'groups[0].leaseDurationSeconds',
        message: /groups\[0\]\.leaseDurationSeconds: must be more than 3 × heartbeatSeconds \(6\), got 5/,
        config: { groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], heartbeatSeconds: 2, leaseDurationSeconds: 5 }] },
      },
      { field: 'groups[0].nodes', message: /groups\[0\]\.nodes: /, config: { groups: [{ id: 'shared-disk', nodes: ['unit-1'] }] } },
      // A typo must not fall back to the default silently.
      { field: 'policy', message: /policy: .*"leaseDuration"/, config: { policy: { leaseDuration: 15 } } },
    ])('rejects an invalid configuration at synth time, naming $field', ({ message, config }) => {
      // Prepare
      const app = new App();

      // Act
      const build = () => new TocsinStack(app, 'Invalid', { config: config as never });

      // Assess
      expect(build).toThrow(ConfigError);
      expect(build).toThrow(message);
      expect(app.node.tryFindChild('Invalid')).toBeUndefined();
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes with every acknowledgement carrying a reason', () => {
      // Prepare
      const app = new App();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      new TocsinStack(app, 'Tocsin');

      // Act
      const synth = () => app.synth();

      // Assess
      expect(synth).not.toThrow();
      expect(listAcknowledgements(app).filter(({ reason }) => reason.trim() === '')).toEqual([]);
    });

    it('fails synthesis on a finding, so the check above is not vacuous', () => {
      // Prepare
      const app = new App();
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      new kms.Key(new Stack(app, 'Careless'), 'Unrotated');

      // Act
      const synth = () => app.synth();

      // Assess
      expect(synth).toThrow(/AwsSolutions-KMS5/);
    });

    it('rejects an acknowledgement without a reason', () => {
      // Prepare
      const scope = new Stack(new App(), 'Lazy');

      // Act
      const lazy = () => acknowledge(scope, 'AwsSolutions-IAM5', '  ');

      // Assess
      expect(lazy).toThrow(/needs a reason/);
      expect(listAcknowledgements(scope)).toEqual([]);
    });
  });
});
