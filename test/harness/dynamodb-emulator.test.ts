import {
  ConditionalCheckFailedException,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  DescribeTableCommand,
} from '@aws-sdk/client-dynamodb';
import { DescribeStreamCommand, GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { TABLE_SCHEMA } from '../../lambda/adapters/table-schema';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';

/**
 * Proves that the DynamoDB under test is the real DynamoDB Local, with the behaviour Tocsin's
 * store depends on, and not something assumed: conditional writes, transactions with
 * cancellation reasons, streams, TTL and the sparse index.
 */
describe('DynamoDB Local (started by the test harness)', () => {
  let aws: TestAws;
  let resources: LocalResources;

  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('ddb', aws);
  });
  afterAll(() => aws.destroy());

  it('is reached through AWS_ENDPOINT_URL_DYNAMODB on 127.0.0.1', () => {
    expect(process.env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates the table from TABLE_SCHEMA: keys, index, stream and TTL', async () => {
    // Act
    const { Table } = await aws.dynamodb.send(new DescribeTableCommand({ TableName: resources.tableName }));
    const ttl = await aws.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.tableName }));

    // Assess
    expect(Table?.KeySchema).toEqual([
      { AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' },
    ]);
    expect(Table?.GlobalSecondaryIndexes?.map((g) => g.IndexName)).toEqual(['gsi1', 'gsi2']);
    expect(Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' });
    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: TABLE_SCHEMA.timeToLiveAttribute,
      TimeToLiveStatus: 'ENABLED',
    });
  });

  it('rejects a conditional put that loses a race, returning the item it lost to', async () => {
    // Prepare: two writers both believe the lease is at version 1.
    const key = { pk: { S: 'LEASE#race' }, sk: { S: 'LEASE' } };
    await aws.dynamodb.send(new PutItemCommand({ TableName: resources.tableName, Item: { ...key, version: { N: '1' }, holder: { S: 'unit-1' } } }));
    const conditionalBump = (holder: string) =>
      new PutItemCommand({
        TableName: resources.tableName,
        Item: { ...key, version: { N: '2' }, holder: { S: holder } },
        ConditionExpression: 'version = :seen',
        ExpressionAttributeValues: { ':seen': { N: '1' } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });

    // Act
    await aws.dynamodb.send(conditionalBump('unit-2'));
    const loser = aws.dynamodb.send(conditionalBump('unit-3')).catch((error: unknown) => error);

    // Assess
    const error = await loser;
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item?.holder).toEqual({ S: 'unit-2' });
    const { Item } = await aws.dynamodb.send(new GetItemCommand({ TableName: resources.tableName, Key: key }));
    expect(Item?.holder).toEqual({ S: 'unit-2' });
  });

  it('fails a transaction with a failing condition, writes nothing, and reports the cancellation reason', async () => {
    // Prepare
    const incident = { pk: { S: 'INCIDENT#tx' }, sk: { S: 'STATE' } };
    await aws.dynamodb.send(new PutItemCommand({ TableName: resources.tableName, Item: { ...incident, status: { S: 'resolved' } } }));

    // Act: a timeline entry and an outbox item, conditional on the incident still being open.
    const error = await aws.dynamodb
      .send(
        new TransactWriteItemsCommand({
          TransactItems: [
            { Put: { TableName: resources.tableName, Item: { pk: { S: 'INCIDENT#tx' }, sk: { S: 'TIMELINE#0001' }, text: { S: 'ack' } } } },
            {
              ConditionCheck: {
                TableName: resources.tableName,
                Key: incident,
                ConditionExpression: '#status = :open',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':open': { S: 'open' } },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            { Put: { TableName: resources.tableName, Item: { pk: { S: 'OUTBOX#tx' }, sk: { S: 'NOTICE#0001' } } } },
          ],
        }),
      )
      .catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons;
    expect(reasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(reasons?.[1]?.Item?.status).toEqual({ S: 'resolved' });
    const timeline = await aws.dynamodb.send(
      new QueryCommand({ TableName: resources.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': { S: 'INCIDENT#tx' } } }),
    );
    expect(timeline.Items?.map((i) => i.sk?.S)).toEqual(['STATE']);
    const outbox = await aws.dynamodb.send(new GetItemCommand({ TableName: resources.tableName, Key: { pk: { S: 'OUTBOX#tx' }, sk: { S: 'NOTICE#0001' } } }));
    expect(outbox.Item).toBeUndefined();
  });

  it('shows a write in the table stream with its new image', async () => {
    // Prepare
    const marker = `stream-${Date.now()}`;

    // Act
    await aws.dynamodb.send(
      new PutItemCommand({ TableName: resources.tableName, Item: { pk: { S: 'OUTBOX#stream' }, sk: { S: marker }, kind: { S: 'notice' } } }),
    );

    // Assess: read every shard from its start until the insert shows up.
    const { StreamDescription } = await aws.streams.send(new DescribeStreamCommand({ StreamArn: resources.streamArn }));
    const records = [];
    for (const shard of StreamDescription?.Shards ?? []) {
      const { ShardIterator } = await aws.streams.send(
        new GetShardIteratorCommand({ StreamArn: resources.streamArn, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      const page = await aws.streams.send(new GetRecordsCommand({ ShardIterator }));
      records.push(...(page.Records ?? []));
    }
    const insert = records.find((r) => r.dynamodb?.Keys?.sk?.S === marker);
    expect(insert?.eventName).toBe('INSERT');
    expect(insert?.dynamodb?.NewImage?.kind).toEqual({ S: 'notice' });
    expect(insert?.dynamodb?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
  });

  it('indexes only the items that carry gsi1pk in the sparse index', async () => {
    // Prepare
    const open = `OPEN#${Date.now()}`;
    await aws.dynamodb.send(
      new PutItemCommand({ TableName: resources.tableName, Item: { pk: { S: 'INCIDENT#a' }, sk: { S: 'STATE' }, gsi1pk: { S: open }, gsi1sk: { S: '2020-10-01T07:04:00Z' } } }),
    );
    await aws.dynamodb.send(new PutItemCommand({ TableName: resources.tableName, Item: { pk: { S: 'INCIDENT#b' }, sk: { S: 'STATE' } } }));

    // Act
    const { Items } = await aws.dynamodb.send(
      new QueryCommand({ TableName: resources.tableName, IndexName: 'gsi1', KeyConditionExpression: 'gsi1pk = :p', ExpressionAttributeValues: { ':p': { S: open } } }),
    );

    // Assess
    expect(Items?.map((i) => i.pk?.S)).toEqual(['INCIDENT#a']);
  });
});
