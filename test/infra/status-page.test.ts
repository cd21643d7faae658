import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { listAcknowledgements } from '../../lib/defaults';
import { TABLE_KEY_ACTIONS } from '../../lib/store-access';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, synthesizeTocsin, synthWithAwsSolutionsChecks, type SynthesizedTocsin } from './template-helpers';
import { itIsAStoreFunctionBehindAnIamUrl } from './url-function-spec';

describe('StatusPage', () => {
  // One synthesis for the whole file: bundling the handler with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: { fn: string; role: string; url: string; opsTopic: string; table: string; tableKey: string };

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    synthesized = synthesizeTocsin('status-page', SAMPLE_CONFIG);
    ({ outdir, app, stack, template } = synthesized);

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

  afterAll(() => synthesized.cleanup());

  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });

  describe('function', () => {
    itIsAStoreFunctionBehindAnIamUrl(() => ({ template, stack, outdir, ids }), { own: 'status', other: 'operate' });
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
