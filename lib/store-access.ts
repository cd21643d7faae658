import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { BUNDLED_CONFIG_IDENTIFIER, ENV } from '../lambda/adapters/environment';
import { TABLE_SCHEMA } from '../lambda/adapters/table-schema';
import type { TocsinConfig } from '../lambda/core/config';

/**
 * What a function does with the incident store, in IAM action names. Transactions need no
 * action of their own: each `Put` of a `TransactWriteItems` is authorized as `dynamodb:PutItem`
 * (and a `ConditionCheck` would be `dynamodb:ConditionCheckItem`).
 */
export interface StoreAccess {
  /** Actions on the base table, e.g. `dynamodb:GetItem`. */
  readonly tableActions: readonly string[];
  /**
   * Actions on global secondary indexes, by index name (`{ gsi1: ['dynamodb:Query'] }`).
   *
   * @default - no index access
   */
  readonly indexActions?: Readonly<Record<string, readonly string[]>>;
}

/**
 * Lambda allows 4 KB for all of a function's environment variables together; the house
 * variables and the table name take a few hundred bytes, the rest is the configuration's.
 */
export const CONFIG_MAX_BYTES = 3584;

/**
 * What DynamoDB may do with the table's customer-managed key on a caller's behalf: the actions of
 * `key.grantEncryptDecrypt` (which AWS documents for using a table key), with its `ReEncrypt*`
 * and `GenerateDataKey*` written out. Spelled out, the grant needs no cdk-nag IAM5 acknowledgement,
 * and it leaves out the key-pair actions that a table never uses.
 */
export const TABLE_KEY_ACTIONS = [
  'kms:Decrypt',
  'kms:Encrypt',
  'kms:ReEncryptFrom',
  'kms:ReEncryptTo',
  'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext',
] as const;

const INDEX_NAMES: readonly string[] = TABLE_SCHEMA.globalSecondaryIndexes.map((index) => index.indexName);

/**
 * Grants `grantee` exactly `access` on `table`: each index by its own ARN (not `index/*`), and
 * {@link TABLE_KEY_ACTIONS} on the table's key when it has a customer-managed one (DynamoDB uses
 * the caller's permission on that key to read and write items).
 *
 * @throws Error naming the index when `access` mentions one that `TABLE_SCHEMA` does not define,
 *   or when an action is not a `dynamodb:` action.
 */
export function grantStoreAccess(grantee: iam.IGrantable, table: dynamodb.ITable, access: StoreAccess): void {
  const indexActions = Object.entries(access.indexActions ?? {});
  for (const action of [...access.tableActions, ...indexActions.flatMap(([, actions]) => actions)]) {
    if (!/^dynamodb:[A-Za-z]+$/.test(action)) {
      throw new Error(`store access must list single dynamodb: actions (no wildcards); got "${action}"`);
    }
  }
  for (const [indexName] of indexActions) {
    if (!INDEX_NAMES.includes(indexName)) {
      throw new Error(
        `store access names index "${indexName}", which TABLE_SCHEMA does not define (it has: ${INDEX_NAMES.join(', ')})`,
      );
    }
  }

  if (access.tableActions.length > 0) {
    iam.Grant.addToPrincipal({ grantee, actions: [...access.tableActions], resourceArns: [table.tableArn] });
  }
  for (const [indexName, actions] of indexActions) {
    iam.Grant.addToPrincipal({ grantee, actions: [...actions], resourceArns: [`${table.tableArn}/index/${indexName}`] });
  }
  table.encryptionKey?.grant(grantee, ...TABLE_KEY_ACTIONS);
}

/**
 * The largest configuration written into a bundle: far more than 300 participants and hundreds of
 * components need, and small beside a Lambda deployment package.
 */
export const BUNDLED_CONFIG_MAX_BYTES = 256 * 1024;

/** How a function that works on the incident store is told the table and the configuration. */
export interface StoreFunctionSettings {
  /** `TABLE_NAME`, and `CONFIG` when the configuration fits in Lambda's environment. */
  readonly environment: Record<string, string>;
  /**
   * What esbuild writes into the bundle (`define`): the configuration, when it is too large for the
   * environment (a market's ~90 participants are). `lambda/adapters/wiring.ts` reads it where
   * `CONFIG` is absent. Absent when `CONFIG` carries the configuration.
   */
  readonly define?: Record<string, string>;
}

/**
 * Settings of a function that works on the incident store: the table's name and the
 * configuration, as the JSON that `lambda/adapters/wiring.ts` parses — in `CONFIG` when it fits in
 * {@link CONFIG_MAX_BYTES}, else written into the function's bundle (so a change of configuration
 * is a new code asset, deployed like any other).
 *
 * @throws Error when the configuration's JSON exceeds {@link BUNDLED_CONFIG_MAX_BYTES}.
 */
export function storeSettings(table: dynamodb.ITable, config: TocsinConfig): StoreFunctionSettings {
  const json = JSON.stringify(config);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= CONFIG_MAX_BYTES) return { environment: { [ENV.tableName]: table.tableName, [ENV.config]: json } };
  if (bytes > BUNDLED_CONFIG_MAX_BYTES) {
    throw new Error(`the configuration is ${bytes} bytes as JSON; at most ${BUNDLED_CONFIG_MAX_BYTES} are taken (use fewer components or participants)`);
  }
  // Lambda refuses an environment over 4 KB: the configuration goes into the code instead.
  return { environment: { [ENV.tableName]: table.tableName }, define: { [BUNDLED_CONFIG_IDENTIFIER]: JSON.stringify(json) } };
}
