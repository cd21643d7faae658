import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { OUTBOX_STREAM_FILTER } from '../../lambda/adapters/table-schema';
import type { LocalResources } from '../../local/resources';
import { matchesFilter, StreamPoller, type OnFailureMessage, type StreamHandler, type StreamPollerOptions } from '../../local/stream-poller';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';

/**
 * The local event source mapping (table stream → notify), run against the real DynamoDB Local
 * stream and the fauxqs SQS on-failure queue: the outbox filter, ordered batches, partial batch
 * responses, bisect-on-error, the retry limit, the on-failure destination and a clean stop.
 */
describe('StreamPoller (DynamoDB Local stream → handler, fauxqs on-failure queue)', () => {
  let aws: TestAws;
  let resources: LocalResources;
  let poller: StreamPoller | undefined;

  beforeAll(() => {
    aws = testClients();
  });
  beforeEach(async () => {
    resources = await createTestResources('poller', aws);
  });
  afterEach(async () => {
    await poller?.stop();
    poller = undefined;
  });
  afterAll(() => aws.destroy());

  /** Builds the poller under test on the test clients, polling fast. */
  function newPoller(options: Omit<StreamPollerOptions, 'streamArn'>): StreamPoller {
    poller = new StreamPoller({ streamArn: resources.streamArn, pollIntervalMs: 20, ...options }, { streams: aws.streams, sqs: aws.sqs });
    return poller;
  }

  /** Writes one item; `id` names it in the stream record (NewImage.id). */
  async function put(id: string, entity = 'notice'): Promise<void> {
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: resources.tableName,
        Item: { pk: { S: `OUTBOX#${id}` }, sk: { S: 'ITEM' }, entity: { S: entity }, id: { S: id } },
      }),
    );
  }

  async function putNotices(count: number): Promise<string[]> {
    const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
    for (const id of ids) await put(id);
    return ids;
  }

  const idOf = (record: DynamoDBRecord) => record.dynamodb?.NewImage?.id?.S ?? '?';
  const failed = (record: DynamoDBRecord) => ({ batchItemFailures: [{ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' }] });

  async function onFailureQueue(): Promise<string> {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('notify-failures') }));
    return QueueUrl as string;
  }

  async function receiveAll(queueUrl: string): Promise<OnFailureMessage[]> {
    const bodies: OnFailureMessage[] = [];
    for (;;) {
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: bodies.length ? 0 : 1 }));
      if (!Messages?.length) return bodies;
      bodies.push(...Messages.map((m) => JSON.parse(m.Body ?? '{}') as OnFailureMessage));
    }
  }

  /** Counts how often each record id was in an invocation the handler completed successfully. */
  function successCounter() {
    const counts = new Map<string, number>();
    return {
      counts,
      add(records: DynamoDBRecord[]) {
        for (const record of records) counts.set(idOf(record), (counts.get(idOf(record)) ?? 0) + 1);
      },
    };
  }

  it('matches the outbox filter like Lambda event filtering', () => {
    const record = { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'notice' }, id: { S: 'x' } } } };
    expect(matchesFilter(OUTBOX_STREAM_FILTER, record)).toBe(true);
    expect(matchesFilter(OUTBOX_STREAM_FILTER, { ...record, eventName: 'MODIFY' })).toBe(false);
    expect(matchesFilter(OUTBOX_STREAM_FILTER, { eventName: 'INSERT', dynamodb: { NewImage: { entity: { S: 'incident' } } } })).toBe(false);
    expect(matchesFilter(OUTBOX_STREAM_FILTER, { eventName: 'INSERT', dynamodb: { Keys: {} } })).toBe(false);
    expect(matchesFilter({ tags: ['a'] }, { tags: ['b', 'a'] })).toBe(true);
    expect(matchesFilter({ n: [5] }, { n: '5' })).toBe(false);
    expect(() => newPoller({ handler: async () => {}, filter: { eventName: [{ prefix: 'IN' }] } as never })).toThrow(/exact string or number/);
  });

  it('delivers only notice INSERTs, in write order, in batches of at most batchSize, shaped as Lambda delivers them', async () => {
    // Prepare: notices interleaved with other entities, a MODIFY and a REMOVE of a notice.
    const batches: DynamoDBRecord[][] = [];
    const handler: StreamHandler = async (event: DynamoDBStreamEvent) => {
      batches.push(event.Records);
    };
    await put('n1');
    await put('inc1', 'incident');
    await put('n2');
    await put('n3');
    await aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: resources.tableName,
        Key: { pk: { S: 'OUTBOX#n1' }, sk: { S: 'ITEM' } },
        UpdateExpression: 'SET #s = :sent',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':sent': { S: 'sent' } },
      }),
    );
    await put('hb1', 'heartbeat');
    await put('n4');
    await put('n5');
    await aws.dynamodb.send(new DeleteItemCommand({ TableName: resources.tableName, Key: { pk: { S: 'OUTBOX#n2' }, sk: { S: 'ITEM' } } }));
    await put('n6');
    await put('n7');
    const startedAt = Math.floor(Date.now() / 1000);

    // Act: the background loop and drain() together; then more writes while it runs.
    const subject = newPoller({ handler, batchSize: 3 });
    subject.start();
    await subject.drain();
    await put('n8');
    await put('lease', 'lease');
    await put('n9');
    await subject.drain();

    // Assess
    const records = batches.flat();
    expect(records.map(idOf)).toEqual(['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8', 'n9']);
    expect(batches.every((batch) => batch.length >= 1 && batch.length <= 3)).toBe(true);
    expect(batches.slice(0, 3).map((b) => b.length)).toEqual([3, 3, 1]);
    for (const record of records) {
      expect(record).toMatchObject({
        eventName: 'INSERT',
        eventSource: 'aws:dynamodb',
        eventSourceARN: resources.streamArn,
        dynamodb: { StreamViewType: 'NEW_AND_OLD_IMAGES', NewImage: { entity: { S: 'notice' } } },
      });
      expect(record.eventID).toEqual(expect.any(String));
      expect(record.dynamodb?.SequenceNumber).toMatch(/^\d+$/);
      expect(record.dynamodb?.Keys).toEqual({ pk: { S: `OUTBOX#${idOf(record)}` }, sk: { S: 'ITEM' } });
      const created = record.dynamodb?.ApproximateCreationDateTime;
      expect(Number.isInteger(created)).toBe(true);
      expect(Math.abs((created ?? 0) - startedAt)).toBeLessThan(3600);
    }
    expect(subject.stats()).toEqual({ delivered: 9, failedAttempts: 0, givenUp: 0, filteredOut: 5 });
  });

  it('retries from the lowest failed record of a partial batch response, and only from there', async () => {
    // Prepare: the 3rd record of a 5-record batch fails once.
    const calls: string[][] = [];
    const handler: StreamHandler = async ({ Records }) => {
      calls.push(Records.map(idOf));
      return calls.length === 1 ? failed(Records[2]!) : { batchItemFailures: [] };
    };
    await putNotices(5);

    // Act
    const subject = newPoller({ handler, batchSize: 5 });
    subject.start();
    await subject.drain();

    // Assess
    expect(calls).toEqual([
      ['n1', 'n2', 'n3', 'n4', 'n5'],
      ['n3', 'n4', 'n5'],
    ]);
    expect(subject.stats()).toMatchObject({ delivered: 5, failedAttempts: 1, givenUp: 0 });
  });

  it('gives up a poison record reported by batchItemFailures after retryAttempts + 1 attempts, sends it to the on-failure queue, and delivers every other record once', async () => {
    // Prepare: a handler that processes records in order and stops at the poison record.
    const queueUrl = await onFailureQueue();
    const ids = await putNotices(8);
    const poison = 'n4';
    const delivered = successCounter();
    let poisonAttempts = 0;
    const handler: StreamHandler = async ({ Records }) => {
      for (const record of Records) {
        if (idOf(record) === poison) {
          poisonAttempts += 1;
          return failed(record);
        }
        delivered.add([record]);
      }
      return undefined;
    };

    // Act
    const subject = newPoller({ handler, retryAttempts: 2, onFailureQueueUrl: queueUrl });
    subject.start();
    await subject.drain();

    // Assess
    expect(poisonAttempts).toBe(3);
    expect(Object.fromEntries(delivered.counts)).toEqual(Object.fromEntries(ids.filter((id) => id !== poison).map((id) => [id, 1])));
    const messages = await receiveAll(queueUrl);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      record: { eventName: 'INSERT', eventSourceARN: resources.streamArn, dynamodb: { NewImage: { id: { S: poison } } } },
      reason: 'batchItemFailures',
      DDBStreamBatchInfo: { batchSize: 1, streamArn: resources.streamArn },
    });
    expect(messages[0]?.DDBStreamBatchInfo.startSequenceNumber).toBe(messages[0]?.record.dynamodb?.SequenceNumber);
    expect(subject.stats()).toMatchObject({ delivered: 7, givenUp: 1 });
  });

  it('bisects batches that throw down to the poison record, gives it up, and delivers every other record once', async () => {
    // Prepare: a handler that throws whenever the poison record is in its batch.
    const queueUrl = await onFailureQueue();
    const ids = await putNotices(8);
    const poison = 'n4';
    const delivered = successCounter();
    const batchSizes: number[] = [];
    const handler: StreamHandler = async ({ Records }) => {
      batchSizes.push(Records.length);
      if (Records.some((r) => idOf(r) === poison)) throw new Error(`cannot publish ${poison}`);
      delivered.add(Records);
    };

    // Act
    const subject = newPoller({ handler, retryAttempts: 2, onFailureQueueUrl: queueUrl });
    subject.start();
    await subject.drain();

    // Assess: 8 → 4+4 → 2+2 → 1+1, then the poison alone until its retries run out.
    expect(Object.fromEntries(delivered.counts)).toEqual(Object.fromEntries(ids.filter((id) => id !== poison).map((id) => [id, 1])));
    expect(batchSizes).toEqual([8, 4, 2, 2, 1, 1, 1, 1, 4]);
    const messages = await receiveAll(queueUrl);
    expect(messages.map((m) => idOf(m.record))).toEqual([poison]);
    expect(messages[0]).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      reason: `cannot publish ${poison}`,
    });
    expect(subject.stats()).toEqual({ delivered: 7, failedAttempts: 6, givenUp: 1, filteredOut: 0 });
  });

  it('without bisect, gives up the whole failing batch, one on-failure message per record', async () => {
    // Prepare
    const queueUrl = await onFailureQueue();
    await putNotices(3);
    let calls = 0;
    const handler: StreamHandler = async ({ Records }) => {
      calls += 1;
      if (Records.some((r) => idOf(r) === 'n2')) throw new Error('boom');
    };

    // Act
    const subject = newPoller({ handler, retryAttempts: 1, bisectBatchOnError: false, onFailureQueueUrl: queueUrl });
    await subject.drain();

    // Assess
    expect(calls).toBe(2);
    const messages = await receiveAll(queueUrl);
    expect(messages.map((m) => idOf(m.record)).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(subject.stats()).toMatchObject({ delivered: 0, failedAttempts: 2, givenUp: 3 });
  });

  it('delivers every record once after a handler that throws for its first 3 calls recovers', async () => {
    // Prepare
    const ids = await putNotices(6);
    const delivered = successCounter();
    const order: string[] = [];
    let calls = 0;
    const handler: StreamHandler = async ({ Records }) => {
      calls += 1;
      if (calls <= 3) throw new Error(`transient failure ${calls}`);
      delivered.add(Records);
      order.push(...Records.map(idOf));
    };

    // Act: default settings (batch 10, 5 retries, bisect).
    const subject = newPoller({ handler });
    subject.start();
    await subject.drain();

    // Assess
    expect(order).toEqual(ids);
    expect([...delivered.counts.values()].every((n) => n === 1)).toBe(true);
    expect(subject.stats()).toEqual({ delivered: 6, failedAttempts: 3, givenUp: 0, filteredOut: 0 });
  });

  it('rejects drain() at its timeout even while an invocation hangs', async () => {
    // Prepare
    await putNotices(1);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const subject = newPoller({ handler: () => blocked });

    // Act
    const started = Date.now();
    const outcome = await subject.drain(300).catch((error: unknown) => error);
    const waited = Date.now() - started;
    release();

    // Assess
    expect(outcome).toEqual(expect.objectContaining({ message: expect.stringMatching(/not drained after 300 ms/) }));
    expect(waited).toBeLessThan(2_000);
    await subject.drain();
    expect(subject.stats()).toMatchObject({ delivered: 1 });
  });

  it('stops after the invocation in flight, leaves nothing running, and resumes with what is pending', async () => {
    // Prepare: a handler that blocks on its first call until released.
    await putNotices(4);
    const seen: string[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => (entered = resolve));
    const handler: StreamHandler = async ({ Records }) => {
      seen.push(...Records.map(idOf));
      if (seen.length === Records.length) {
        entered();
        await blocked;
      }
    };
    const subject = newPoller({ handler, batchSize: 2 });
    subject.start();
    await inHandler;

    // Act
    let stopped = false;
    const stopping = subject.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 50));
    const stoppedWhileBlocked = stopped;
    release();
    await stopping;
    await put('n5');
    await new Promise((r) => setTimeout(r, 150));
    const seenAfterStop = [...seen];

    // Assess: stop waited for the handler, nothing ran afterwards, and drain() picks up the rest.
    expect(stoppedWhileBlocked).toBe(false);
    expect(seenAfterStop).toEqual(['n1', 'n2']);
    await subject.drain();
    expect(seen).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    await subject.stop();
  });
});
