import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { TABLE_SCHEMA, TOPICS, type TopicKey } from '../lambda/adapters/table-schema';

/**
 * Creates Tocsin's table and topics on the emulators from the same definitions the CDK stack
 * uses (`lambda/adapters/table-schema.ts`), so local runs and tests exercise the deployed shape.
 */

/** The CreateTable request for {@link TABLE_SCHEMA}. */
export function createTableInput(tableName: string): CreateTableCommandInput {
  const { partitionKey, sortKey, globalSecondaryIndexes, streamViewType } = TABLE_SCHEMA;
  const keys = [partitionKey, sortKey, ...globalSecondaryIndexes.flatMap((gsi) => [gsi.partitionKey, gsi.sortKey])];
  const attributes = new Map(keys.map((key) => [key.name, key.type]));
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
    KeySchema: [
      { AttributeName: partitionKey.name, KeyType: 'HASH' },
      { AttributeName: sortKey.name, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: globalSecondaryIndexes.map((gsi) => ({
      IndexName: gsi.indexName,
      KeySchema: [
        { AttributeName: gsi.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: gsi.sortKey.name, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: gsi.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType },
  };
}

/**
 * Creates the table (with its stream and TTL) unless it exists, and waits until it is ACTIVE.
 * Idempotent, so a restart with `--data DIR` finds its table again.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<{ tableName: string; streamArn: string }> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  for (let i = 0; i < 100; i += 1) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE' && Table.LatestStreamArn) return { tableName, streamArn: Table.LatestStreamArn };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

/** Creates (idempotently: CreateTopic returns the existing ARN) every topic Tocsin owns. */
export async function ensureTopics(client: SNSClient, prefix: string): Promise<Record<TopicKey, string>> {
  const entries = await Promise.all(
    (Object.keys(TOPICS) as TopicKey[]).map(async (key) => {
      const { TopicArn } = await client.send(
        new CreateTopicCommand({ Name: `${prefix}-${key}`, Attributes: { DisplayName: TOPICS[key].displayName } }),
      );
      if (!TopicArn) throw new Error(`CreateTopic for ${prefix}-${key} returned no ARN`);
      return [key, TopicArn] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<TopicKey, string>;
}

/** What a local deployment of Tocsin consists of. */
export interface LocalResources {
  readonly tableName: string;
  readonly streamArn: string;
  readonly noticeTopicArn: string;
  readonly pageTopicArn: string;
  readonly opsTopicArn: string;
}

/** Creates the table and topics named after `prefix` (e.g. `tocsin`, or a unique test prefix). */
export async function createLocalResources(prefix: string, clients?: { dynamodb?: DynamoDBClient; sns?: SNSClient }): Promise<LocalResources> {
  const dynamodb = clients?.dynamodb ?? new DynamoDBClient({});
  const sns = clients?.sns ?? new SNSClient({});
  try {
    const [table, topics] = await Promise.all([ensureTable(dynamodb, `${prefix}-state`), ensureTopics(sns, prefix)]);
    return { tableName: table.tableName, streamArn: table.streamArn, noticeTopicArn: topics.notices, pageTopicArn: topics.pages, opsTopicArn: topics.ops };
  } finally {
    if (!clients?.dynamodb) dynamodb.destroy();
    if (!clients?.sns) sns.destroy();
  }
}
