import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, synthesizeTocsin, type SynthesizedTocsin } from './template-helpers';
import { itIsAStoreFunctionBehindAnIamUrl, itIsScopedAndWatchedLikeAStoreFunction } from './url-function-spec';

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
    it('may GetItem and Query on the table and Query gsi1 and gsi2, and nothing else in DynamoDB', () => {
      // Act
      const dynamo = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:GetItem', 'dynamodb:Query'], Resource: tableArn() },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn(), '/index/gsi1']] } },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn(), '/index/gsi2']] } },
      ]);
    });

    it('is the only function that may read gsi2 (the list of every incident)', () => {
      // Act: every policy statement in the stack that names gsi2, by the roles it is attached to.
      const readers = Object.values(template.findResources('AWS::IAM::Policy'))
        .filter((policy) => JSON.stringify(policy.Properties.PolicyDocument.Statement).includes('/index/gsi2'))
        .flatMap((policy) => policy.Properties.Roles as unknown[]);

      // Assess
      expect(readers).toEqual([{ Ref: ids.role }]);
    });
  });

  itIsScopedAndWatchedLikeAStoreFunction(() => ({ template, app, ids }), {
    constructId: 'StatusPage',
    output: 'StatusUrl',
    notGranted: ['dynamodb:*', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
  });
});
