import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ENV } from '../../lambda/adapters/environment';
import { parseConfig, parseConfigJson } from '../../lambda/core/config';
import { listAcknowledgements } from '../../lib/defaults';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, synthWithAwsSolutionsChecks } from './template-helpers';

describe('StatusPage', () => {
  // One synthesis for the whole file: bundling the handler with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: { fn: string; role: string; url: string; opsTopic: string; table: string; tableKey: string };

  beforeAll(() => {
    // Prepare
    outdir = mkdtempSync(join(tmpdir(), 'tocsin-status-page-'));
    // The CLI turns asset metadata on; a bare App does not, and the bundle is found through it.
    app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });

    // Act
    stack = new TocsinStack(app, 'Tocsin', { config: SAMPLE_CONFIG });
    template = Template.fromStack(stack);

    const { statusPage } = stack;
    ids = {
      fn: logicalId(stack, statusPage.function),
      role: logicalId(stack, statusPage.function.role!),
      url: logicalId(stack, statusPage.functionUrl),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
  });

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const fnArn = () => ({ 'Fn::GetAtt': [ids.fn, 'Arn'] });
  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });

  describe('function', () => {
    const fnResource = () => template.findResources('AWS::Lambda::Function')[ids.fn]!;
    const variables = () => fnResource().Properties.Environment.Variables;

    it('knows the table by name', () => {
      expect(variables()[ENV.tableName]).toEqual({ Ref: ids.table });
    });

    it("gets the configuration as CONFIG JSON that parses back to the stack's", () => {
      // Act
      const config = parseConfigJson(variables()[ENV.config]);

      // Assess
      expect(config).toEqual(parseConfig(SAMPLE_CONFIG));
      expect(config).toEqual(stack.config);
      expect(config.policy).toMatchObject({ haltOnCritical: true, groupBy: 'market' });
    });

    it('publishes nothing, so it is not told the topics', () => {
      expect(Object.keys(variables())).not.toContain(ENV.noticeTopicArn);
      expect(Object.keys(variables())).not.toContain(ENV.opsTopicArn);
    });

    it('runs the bundled status handler', () => {
      // Prepare
      const bundle = join(outdir, fnResource().Metadata['aws:asset:path'] as string);

      // Act
      const map = JSON.parse(readFileSync(join(bundle, 'index.js.map'), 'utf8')) as { sources: string[] };

      // Assess
      expect(fnResource().Properties.Handler).toBe('index.handler');
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/status.ts'))).toBe(true);
      expect(map.sources.some((source) => source.endsWith('lambda/handlers/operate.ts'))).toBe(false);
    });

    it('has a Function URL with IAM authentication, and no public permission', () => {
      template.templateMatches({
        Resources: {
          [ids.url]: { Type: 'AWS::Lambda::Url', Properties: { AuthType: 'AWS_IAM', TargetFunctionArn: fnArn() } },
        },
      });
      expect(template.findResources('AWS::Lambda::Permission', { Properties: { FunctionName: fnArn() } })).toEqual({});
    });

    it('is called synchronously only: no event invoke config, no trigger', () => {
      const ofFunction = { Properties: { FunctionName: { Ref: ids.fn } } };

      expect(template.findResources('AWS::Lambda::EventInvokeConfig', ofFunction)).toEqual({});
      expect(template.findResources('AWS::Lambda::EventSourceMapping', ofFunction)).toEqual({});
    });
  });

  describe('IAM', () => {
    it('may GetItem and Query on the table and Query gsi1, and nothing else in DynamoDB', () => {
      // Act
      const dynamo = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: tableArn() },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn(), '/index/gsi1']] } },
      ]);
    });

    it.each(['dynamodb:*', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'])(
      'is not granted %s',
      (action) => {
        expect(statementsOfRole(template, ids.role).flatMap(actionsOf)).not.toContain(action);
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

    it('may publish to no topic and send to no queue', () => {
      const actions = statementsOfRole(template, ids.role).flatMap(actionsOf);

      expect(actions.filter((a) => a.startsWith('sns:') || a.startsWith('sqs:'))).toEqual([]);
    });
  });

  describe('alarms', () => {
    it('is one, on function errors, notifying the ops topic when it fires and when it clears', () => {
      // Prepare
      const alarms = template.findResources('AWS::CloudWatch::Alarm', {
        Properties: { AlarmName: Match.stringLikeRegexp('^Tocsin-ops-StatusPage-') },
      });

      // Assess
      expect(Object.values(alarms).map((alarm) => alarm.Properties)).toEqual([
        expect.objectContaining({
          AlarmName: 'Tocsin-ops-StatusPage-Errors',
          Namespace: 'AWS/Lambda',
          MetricName: 'Errors',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: ids.fn } }],
          Statistic: 'Sum',
          Period: 60,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: ids.opsTopic }],
          OKActions: [{ Ref: ids.opsTopic }],
        }),
      ]);
    });
  });

  describe('outputs', () => {
    it('StatusUrl', () => {
      template.hasOutput('StatusUrl', { Value: { 'Fn::GetAtt': [ids.url, 'FunctionUrl'] } });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('passes for the whole TocsinStack, acknowledging only X-Ray\'s "*" here', () => {
      // Act: the stack every other test here looked at, synthesized again under the checks.
      const synth = () => synthWithAwsSolutionsChecks(app);
      const acknowledged = () => listAcknowledgements(app.node.findChild('Tocsin').node.findChild('StatusPage'));

      // Assess
      expect(synth).not.toThrow();
      expect(acknowledged()).toEqual([
        {
          path: 'Tocsin/StatusPage/FunctionRole/DefaultPolicy',
          id: expect.stringMatching(/AwsSolutions-IAM5\[Resource::\*\]$/),
          reason: expect.stringMatching(/X-Ray/),
        },
      ]);
    });
  });
});
