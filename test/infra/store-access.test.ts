import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parseConfig } from '../../lambda/core/config';
import { Store } from '../../lib/store';
import { CONFIG_MAX_BYTES, grantStoreAccess, storeEnvironment } from '../../lib/store-access';
import { logicalId, statementsOfRole } from './template-helpers';

describe('store access', () => {
  // No function here, so no bundling: a fresh stack per test is cheap.
  let stack: Stack;
  let store: Store;
  let role: iam.Role;

  beforeEach(() => {
    stack = new Stack(new App(), 'Probe');
    store = new Store(stack, 'Store');
    role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  });

  describe('grantStoreAccess', () => {
    it('grants each index by its own ARN, and the table key', () => {
      // Act
      grantStoreAccess(role, store.table, { tableActions: ['dynamodb:GetItem'], indexActions: { gsi1: ['dynamodb:Query'] } });

      // Assess
      const table = { 'Fn::GetAtt': [logicalId(stack, store.table), 'Arn'] };
      expect(statementsOfRole(Template.fromStack(stack), logicalId(stack, role))).toEqual([
        { Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: table },
        { Effect: 'Allow', Action: 'dynamodb:Query', Resource: { 'Fn::Join': ['', [table, '/index/gsi1']] } },
        expect.objectContaining({ Resource: { 'Fn::GetAtt': [logicalId(stack, store.key), 'Arn'] } }),
      ]);
    });

    it('rejects an index that TABLE_SCHEMA does not define', () => {
      // Act
      const grant = () => grantStoreAccess(role, store.table, { tableActions: [], indexActions: { gsi9: ['dynamodb:Query'] } });

      // Assess
      expect(grant).toThrow('store access names index "gsi9", which TABLE_SCHEMA does not define (it has: gsi1)');
    });

    it.each(['dynamodb:*', 'dynamodb:Get*', 's3:GetObject'])('rejects %s: single dynamodb actions only', (action) => {
      // Act
      const grant = () => grantStoreAccess(role, store.table, { tableActions: [action] });

      // Assess
      expect(grant).toThrow(`store access must list single dynamodb: actions (no wildcards); got "${action}"`);
    });
  });

  describe('storeEnvironment', () => {
    it('rejects a configuration whose JSON would not fit in Lambda\'s 4 KB environment', () => {
      // Prepare
      const components = Array.from({ length: 80 }, (_, n) => ({ id: `component-with-a-long-name-${n}` }));
      const config = parseConfig({ components });

      // Act
      const environment = () => storeEnvironment(store.table, config);

      // Assess
      expect(JSON.stringify(config).length).toBeGreaterThan(CONFIG_MAX_BYTES);
      expect(environment).toThrow(/the configuration is \d+ bytes as JSON, but a function's CONFIG variable may take at most 3584/);
    });
  });
});
