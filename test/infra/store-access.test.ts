import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { parseConfig } from '../../lambda/core/config';
import { Store } from '../../lib/store';
import { BUNDLED_CONFIG_IDENTIFIER, ENV } from '../../lambda/adapters/environment';
import { BUNDLED_CONFIG_MAX_BYTES, CONFIG_MAX_BYTES, grantStoreAccess, storeSettings } from '../../lib/store-access';
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
      expect(grant).toThrow('store access names index "gsi9", which TABLE_SCHEMA does not define (it has: gsi1, gsi2)');
    });

    it.each(['dynamodb:*', 'dynamodb:Get*', 's3:GetObject'])('rejects %s: single dynamodb actions only', (action) => {
      // Act
      const grant = () => grantStoreAccess(role, store.table, { tableActions: [action] });

      // Assess
      expect(grant).toThrow(`store access must list single dynamodb: actions (no wildcards); got "${action}"`);
    });
  });

  describe('storeSettings', () => {
    it('puts a configuration that fits in CONFIG, and writes nothing into the bundle', () => {
      // Prepare
      const config = parseConfig({ components: [{ id: 'shared-disk' }] });

      // Act
      const settings = storeSettings(store.table, config);

      // Assess
      expect(settings.environment[ENV.config]).toBe(JSON.stringify(config));
      expect(settings.define).toBeUndefined();
    });

    it("writes a configuration too large for Lambda's 4 KB environment into the bundle instead of CONFIG", () => {
      // Prepare: ninety participants, as many as a market has.
      const participants = Array.from({ length: 90 }, (_, n) => ({ id: `p-${n}`, name: `Participant ${n} Securities`, accountId: String(100000000000 + n), tradingValueShare: 0.01 }));
      const config = parseConfig({ participants });

      // Act
      const settings = storeSettings(store.table, config);

      // Assess
      expect(JSON.stringify(config).length).toBeGreaterThan(CONFIG_MAX_BYTES);
      expect(Object.keys(settings.environment)).toEqual([ENV.tableName]);
      expect(JSON.parse(JSON.parse(settings.define![BUNDLED_CONFIG_IDENTIFIER]!) as string)).toEqual(config);
    });

    it('rejects a configuration larger than the bundle takes', () => {
      // Prepare
      const components = Array.from({ length: 4000 }, (_, n) => ({ id: `component-with-a-long-name-${n}` }));
      const config = parseConfig({ components });

      // Act
      const settings = () => storeSettings(store.table, config);

      // Assess
      expect(JSON.stringify(config).length).toBeGreaterThan(BUNDLED_CONFIG_MAX_BYTES);
      expect(settings).toThrow(/the configuration is \d+ bytes as JSON; at most 262144 are taken/);
    });
  });
});
