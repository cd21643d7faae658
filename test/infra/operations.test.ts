import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { TocsinStack } from '../../lib/tocsin-stack';
import { actionsOf, logicalId, SAMPLE_CONFIG, statementsOfRole, synthesizeTocsin, type SynthesizedTocsin } from './template-helpers';
import { itIsAStoreFunctionBehindAnIamUrl, itIsScopedAndWatchedLikeAStoreFunction } from './url-function-spec';

describe('Operations', () => {
  // One synthesis for the whole file: bundling the handler with esbuild is the slow part.
  let outdir: string;
  let app: App;
  let stack: TocsinStack;
  let template: Template;
  let ids: { fn: string; role: string; url: string; opsTopic: string; table: string; tableKey: string };

  let synthesized: SynthesizedTocsin;

  beforeAll(() => {
    synthesized = synthesizeTocsin('operations', SAMPLE_CONFIG);
    ({ outdir, app, stack, template } = synthesized);

    const { operations } = stack;
    ids = {
      fn: logicalId(stack, operations.function),
      role: logicalId(stack, operations.function.role!),
      url: logicalId(stack, operations.functionUrl),
      opsTopic: logicalId(stack, stack.opsAlerts.topic),
      table: logicalId(stack, stack.store.table),
      tableKey: logicalId(stack, stack.store.key),
    };
  });

  afterAll(() => synthesized.cleanup());

  const tableArn = () => ({ 'Fn::GetAtt': [ids.table, 'Arn'] });

  describe('function', () => {
    itIsAStoreFunctionBehindAnIamUrl(() => ({ template, stack, outdir, ids }), { own: 'operate', other: 'ingest' });
  });

  describe('IAM', () => {
    it('may read, write and recount on the table, and query gsi1 (the open incidents unsilence wakes), and nothing else in DynamoDB', () => {
      // Act
      const dynamo = statementsOfRole(template, ids.role).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));

      // Assess
      expect(dynamo).toEqual([
        { Effect: 'Allow', Action: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'], Resource: tableArn() },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [tableArn(), '/index/gsi1']] } },
      ]);
    });
  });

  itIsScopedAndWatchedLikeAStoreFunction(() => ({ template, app, ids }), {
    constructId: 'Operations',
    output: 'OperateUrl',
    notGranted: ['dynamodb:*', 'dynamodb:Scan', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
  });
});
