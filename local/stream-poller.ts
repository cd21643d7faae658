import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
  type AttributeValue as StreamsAttributeValue,
  type Shard,
} from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { AttributeValue as LambdaAttributeValue, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { OUTBOX_STREAM_FILTER, OUTBOX_STREAM_SETTINGS } from '../lambda/adapters/table-schema';

/**
 * The local stand-in for the event source mapping that feeds the `notify` function from the
 * table's stream in AWS (`lib/`, built from `OUTBOX_STREAM_FILTER` and `OUTBOX_STREAM_SETTINGS`).
 *
 * It reads every shard of a DynamoDB stream from TRIM_HORIZON, maps each record to the shape
 * Lambda delivers, drops the records the filter pattern rejects (they count as processed, as
 * with Lambda event filtering), and invokes the handler in ordered batches with Lambda's stream
 * semantics: partial batch responses (`ReportBatchItemFailures`), bisect-on-error, a retry limit
 * and an on-failure destination (an SQS queue). Never deployed.
 */

/**
 * An event filter pattern in the subset of the EventBridge grammar Tocsin uses: an object whose
 * leaves are arrays of allowed exact values. `{ eventName: ['INSERT'] }` matches a record whose
 * `eventName` is `'INSERT'`; nested objects match nested fields. A record field that is an array
 * matches when any of its elements is allowed (as in EventBridge).
 */
export interface FilterPattern {
  readonly [key: string]: readonly (string | number)[] | FilterPattern;
}

/** What a stream handler may return: nothing (the whole batch succeeded) or a partial batch response. */
export type StreamHandlerResult = { batchItemFailures: { itemIdentifier: string }[] } | void;

/** A Lambda-style DynamoDB stream handler. */
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<StreamHandlerResult>;

/** Options of a {@link StreamPoller}. */
export interface StreamPollerOptions {
  /** The stream to read (`ensureTable(...).streamArn`). */
  readonly streamArn: string;
  /** The function to invoke, e.g. the `notify` Lambda handler. */
  readonly handler: StreamHandler;
  /**
   * Only records matching this pattern reach the handler; `null` delivers every record.
   * @default OUTBOX_STREAM_FILTER
   */
  readonly filter?: FilterPattern | null;
  /** Most records per invocation. @default OUTBOX_STREAM_SETTINGS.batchSize */
  readonly batchSize?: number;
  /** Retries of a failing record before it is given up. @default OUTBOX_STREAM_SETTINGS.retryAttempts */
  readonly retryAttempts?: number;
  /** Split a failed batch in two and retry the halves. @default OUTBOX_STREAM_SETTINGS.bisectBatchOnError */
  readonly bisectBatchOnError?: boolean;
  /** SQS queue URL that receives given-up records. @default none: given-up records are only logged */
  readonly onFailureQueueUrl?: string;
  /** Pause between polls of the background loop and of {@link StreamPoller.drain}. @default 200 */
  readonly pollIntervalMs?: number;
  /** Progress and error lines. @default none */
  readonly log?: (line: string) => void;
}

/** Clients a {@link StreamPoller} uses; each defaults to `new X({})` (routed by `AWS_ENDPOINT_URL_*`). */
export interface StreamPollerClients {
  readonly streams?: DynamoDBStreamsClient;
  readonly sqs?: SQSClient;
}

/** Counters of a {@link StreamPoller} since it was built. */
export interface StreamPollerStats {
  /** Records the handler processed successfully (checkpointed past). */
  readonly delivered: number;
  /** Invocations that failed (threw, or returned batch item failures). */
  readonly failedAttempts: number;
  /** Records given up after their retries and sent to the on-failure queue. */
  readonly givenUp: number;
  /** Records the filter pattern skipped (processed without an invocation, as in Lambda). */
  readonly filteredOut: number;
}

/**
 * The body of one on-failure message. In AWS the on-failure destination of a stream event
 * source receives only batch metadata (`DDBStreamBatchInfo`: shard and sequence-number range)
 * and the consumer must read the records back from the stream; locally every message also
 * carries the given-up `record` itself and the `reason` of its last failure, which makes the
 * queue useful without a stream reader.
 */
export interface OnFailureMessage {
  readonly version: '1.0';
  readonly timestamp: string;
  readonly requestContext: { readonly condition: 'RetryAttemptsExhausted'; readonly approximateInvokeCount: number };
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord?: string;
    readonly approximateArrivalOfLastRecord?: string;
    readonly batchSize: 1;
    readonly streamArn: string;
  };
  /** Local addition: the record as the handler received it. */
  readonly record: DynamoDBRecord;
  /** Local addition: the error message of the last failed invocation, or `batchItemFailures`. */
  readonly reason: string;
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  /** Set once GetShardIterator has been called. */
  started: boolean;
  iterator: string | undefined;
  /** GetRecords gave no NextShardIterator: the shard is closed and fully read. */
  exhausted: boolean;
  lastSequenceNumber: string | undefined;
  /** Filtered, Lambda-shaped records read but not yet settled, in stream order. */
  readonly pending: DynamoDBRecord[];
  /** Sizes of the next batches (bisected halves, retried remainders) taken from `pending`. */
  readonly plan: number[];
}

type InvokeOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly index: number; readonly identified: boolean; readonly reason: string };

/**
 * Polls a DynamoDB stream and invokes a handler the way a Lambda event source mapping does.
 *
 * Semantics, per shard and in stream order:
 * - A batch is at most `batchSize` filtered records; nothing after a failing record is delivered
 *   before that record is settled (processed or given up).
 * - The handler throwing (or returning an invalid `itemIdentifier`) fails the whole batch; a
 *   partial batch response checkpoints before the lowest failed record, which is retried with
 *   everything after it in the batch.
 * - Each failed invocation counts an attempt for the record it failed at (the batch's first record
 *   when the whole batch failed). With `bisectBatchOnError`, a batch that failed at its first
 *   record and holds more than one is split in two and the halves retried, the first half first.
 * - A record that has failed `retryAttempts + 1` times is given up once it is isolated: alone in its
 *   batch, or named by a partial batch response (bisecting would isolate it). Without bisect the
 *   whole failing remainder of the batch is given up. Each given-up record becomes one
 *   {@link OnFailureMessage} on `onFailureQueueUrl`, and processing continues after it.
 */
export class StreamPoller {
  private readonly streamArn: string;
  private readonly handler: StreamHandler;
  private readonly filter: FilterPattern | null;
  private readonly batchSize: number;
  private readonly retryAttempts: number;
  private readonly bisect: boolean;
  private readonly onFailureQueueUrl: string | undefined;
  private readonly pollIntervalMs: number;
  private readonly log: (line: string) => void;

  private readonly injectedStreams: DynamoDBStreamsClient | undefined;
  private readonly injectedSqs: SQSClient | undefined;
  private ownStreams: DynamoDBStreamsClient | undefined;
  private ownSqs: SQSClient | undefined;

  private readonly shards = new Map<string, ShardState>();
  /** Failed invocations per record (by sequence number), for records not yet settled. */
  private readonly failures = new Map<string, { count: number; reason: string }>();
  private counters = { delivered: 0, failedAttempts: 0, givenUp: 0, filteredOut: 0 };

  /** Serialises passes of the background loop and of `drain()`. */
  private passTail: Promise<unknown> = Promise.resolve();
  private loop: Promise<void> | undefined;
  /** Bumped by `stop()`: loops, drains and passes of an older epoch end at their next check. */
  private epoch = 0;
  private readonly sleepers = new Set<() => void>();

  constructor(options: StreamPollerOptions, clients: StreamPollerClients = {}) {
    this.streamArn = options.streamArn;
    this.handler = options.handler;
    this.filter = options.filter === undefined ? OUTBOX_STREAM_FILTER : options.filter;
    if (this.filter) assertFilterPattern(this.filter, 'filter');
    this.batchSize = options.batchSize ?? OUTBOX_STREAM_SETTINGS.batchSize;
    this.retryAttempts = options.retryAttempts ?? OUTBOX_STREAM_SETTINGS.retryAttempts;
    this.bisect = options.bisectBatchOnError ?? OUTBOX_STREAM_SETTINGS.bisectBatchOnError;
    this.onFailureQueueUrl = options.onFailureQueueUrl;
    this.pollIntervalMs = options.pollIntervalMs ?? 200;
    this.log = options.log ?? (() => {});
    if (!Number.isInteger(this.batchSize) || this.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${this.batchSize}`);
    if (!Number.isInteger(this.retryAttempts) || this.retryAttempts < 0) {
      throw new RangeError(`retryAttempts must be a non-negative integer, got ${this.retryAttempts}`);
    }
    if (!(this.pollIntervalMs >= 0)) throw new RangeError(`pollIntervalMs must be >= 0, got ${this.pollIntervalMs}`);
    this.injectedStreams = clients.streams;
    this.injectedSqs = clients.sqs;
  }

  /** Starts polling in the background; a no-op when already running. */
  start(): void {
    if (this.loop) return;
    this.loop = this.runLoop(this.epoch);
  }

  /**
   * Stops the background loop and any `drain()` in progress, and resolves once the current
   * invocation (if any) has returned. No timer or client of the poller's own is left behind.
   * Unsettled records stay pending; a later `start()` or `drain()` resumes with them.
   */
  async stop(): Promise<void> {
    this.epoch += 1;
    for (const wake of [...this.sleepers]) wake();
    try {
      await this.loop;
      await this.passTail;
    } finally {
      this.loop = undefined;
      this.ownStreams?.destroy();
      this.ownSqs?.destroy();
      this.ownStreams = undefined;
      this.ownSqs = undefined;
    }
  }

  /**
   * Resolves once the stream holds no unprocessed records: a full pass over every shard read
   * nothing new and nothing is pending. Works with or without `start()`. Rejects when
   * `timeoutMs` passes first, when a pass fails (e.g. the stream is unreachable), or on `stop()`.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    const epoch = this.epoch;
    const deadline = Date.now() + timeoutMs;
    const run = { abandoned: false };
    let timer: NodeJS.Timeout | undefined;
    // The timeout also holds while a pass is busy (a handler that hangs, a long retry sequence).
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`StreamPoller.drain: stream not drained after ${timeoutMs} ms`)), timeoutMs);
      timer.unref();
    });
    const loop = this.drainLoop(epoch, deadline, run);
    try {
      await Promise.race([loop, timeout]);
    } finally {
      clearTimeout(timer);
      run.abandoned = true;
      loop.catch(() => undefined);
    }
  }

  private async drainLoop(epoch: number, deadline: number, run: { abandoned: boolean }): Promise<void> {
    for (;;) {
      if (epoch !== this.epoch) throw new Error('StreamPoller stopped while draining');
      const { read, pending } = await this.exclusive(() => this.pass(epoch));
      if (run.abandoned) return;
      if (epoch !== this.epoch) throw new Error('StreamPoller stopped while draining');
      if (read === 0 && pending === 0) return;
      if (Date.now() >= deadline) throw new Error(`StreamPoller.drain: ${pending} record(s) still pending at the deadline`);
      await this.sleep(Math.min(this.pollIntervalMs, Math.max(0, deadline - Date.now())), epoch);
      if (run.abandoned) return;
    }
  }

  /** Counters since the poller was built. */
  stats(): StreamPollerStats {
    return { ...this.counters };
  }

  private async runLoop(epoch: number): Promise<void> {
    while (epoch === this.epoch) {
      try {
        await this.exclusive(() => this.pass(epoch));
      } catch (error) {
        this.log(`stream poller: poll failed: ${errorMessage(error)}`);
      }
      await this.sleep(this.pollIntervalMs, epoch);
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.passTail.then(fn, fn);
    this.passTail = run.catch(() => undefined);
    return run;
  }

  /** A pause that `stop()` cuts short; its timer never keeps the process alive. */
  private sleep(ms: number, epoch: number): Promise<void> {
    if (epoch !== this.epoch) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      timer.unref();
      this.sleepers.add(wake);
    });
  }

  private get streams(): DynamoDBStreamsClient {
    if (this.injectedStreams) return this.injectedStreams;
    this.ownStreams ??= new DynamoDBStreamsClient({});
    return this.ownStreams;
  }

  private get sqs(): SQSClient {
    if (this.injectedSqs) return this.injectedSqs;
    // fauxqs' queue URLs name a host of their own; keep every call on the endpoint variable.
    this.ownSqs ??= new SQSClient({ useQueueUrlAsEndpoint: false });
    return this.ownSqs;
  }

  /** One pass: discover shards, then read each readable shard until it has nothing new, settling as it goes. */
  private async pass(epoch: number): Promise<{ read: number; pending: number }> {
    let read = 0;
    if (epoch === this.epoch) await this.discoverShards();
    for (const shard of this.shards.values()) {
      if (epoch !== this.epoch) break;
      if (!this.readable(shard)) continue;
      await this.settle(shard, epoch);
      while (!shard.exhausted && epoch === this.epoch) {
        const records = await this.readPage(shard);
        read += records;
        await this.settle(shard, epoch);
        if (records === 0) break;
      }
    }
    let pending = 0;
    for (const shard of this.shards.values()) pending += shard.pending.length;
    return { read, pending };
  }

  /** A child shard is read only after its parent is finished, as Lambda does. */
  private readable(shard: ShardState): boolean {
    const parent = shard.parentShardId ? this.shards.get(shard.parentShardId) : undefined;
    return !parent || (parent.exhausted && parent.pending.length === 0);
  }

  private async discoverShards(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const { StreamDescription } = await this.streams.send(
        new DescribeStreamCommand({ StreamArn: this.streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      for (const shard of StreamDescription?.Shards ?? []) this.track(shard);
      exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  private track(shard: Shard): void {
    if (!shard.ShardId || this.shards.has(shard.ShardId)) return;
    this.shards.set(shard.ShardId, {
      shardId: shard.ShardId,
      parentShardId: shard.ParentShardId,
      started: false,
      iterator: undefined,
      exhausted: false,
      lastSequenceNumber: undefined,
      pending: [],
      plan: [],
    });
  }

  /** Reads one GetRecords page into `pending`; returns how many records the stream gave. */
  private async readPage(shard: ShardState): Promise<number> {
    if (!shard.started) {
      shard.iterator = await this.iteratorFor(shard);
      shard.started = true;
    }
    if (!shard.iterator) {
      shard.exhausted = true;
      return 0;
    }
    let page;
    try {
      page = await this.streams.send(new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: 1000 }));
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ExpiredIteratorException' || name === 'TrimmedDataAccessException') {
        this.log(`stream poller: ${name} on ${shard.shardId}; getting a new iterator`);
        shard.iterator = await this.iteratorFor(shard, name === 'TrimmedDataAccessException');
        return 0;
      }
      if (name === 'ResourceNotFoundException') {
        this.log(`stream poller: shard ${shard.shardId} is gone`);
        shard.iterator = undefined;
        shard.exhausted = true;
        return 0;
      }
      throw error;
    }
    const records = page.Records ?? [];
    for (const record of records) {
      const lambdaRecord = toLambdaRecord(record, this.streamArn);
      shard.lastSequenceNumber = lambdaRecord.dynamodb?.SequenceNumber ?? shard.lastSequenceNumber;
      if (this.filter && !matchesFilter(this.filter, lambdaRecord)) {
        this.counters.filteredOut += 1;
        continue;
      }
      shard.pending.push(lambdaRecord);
    }
    shard.iterator = page.NextShardIterator;
    if (!shard.iterator) shard.exhausted = true;
    return records.length;
  }

  private async iteratorFor(shard: ShardState, fromStart = false): Promise<string | undefined> {
    const after = !fromStart && shard.lastSequenceNumber;
    const { ShardIterator } = await this.streams.send(
      new GetShardIteratorCommand({
        StreamArn: this.streamArn,
        ShardId: shard.shardId,
        ...(after ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.lastSequenceNumber } : { ShardIteratorType: 'TRIM_HORIZON' }),
      }),
    );
    return ShardIterator;
  }

  /** Invokes the handler on `pending` until it is empty, applying the retry, bisect and give-up rules. */
  private async settle(shard: ShardState, epoch: number): Promise<void> {
    const { pending, plan } = shard;
    while (pending.length > 0 && epoch === this.epoch) {
      const size = Math.min(plan.shift() ?? this.batchSize, this.batchSize, pending.length);
      const batch = pending.slice(0, size);
      const outcome = await this.invoke(batch);
      if (outcome.ok) {
        this.done(pending, size);
        continue;
      }
      this.counters.failedAttempts += 1;
      const { index, identified, reason } = outcome;
      const rest = batch.slice(index);
      const head = sequenceNumber(rest[0]!);
      const failure = { count: (this.failures.get(head)?.count ?? 0) + 1, reason };
      this.failures.set(head, failure);
      this.log(`stream poller: batch of ${batch.length} failed at record ${index + 1} (attempt ${failure.count}): ${reason}`);
      this.done(pending, index);

      const exhausted = failure.count > this.retryAttempts;
      if (exhausted && !this.bisect) {
        await this.giveUp(shard, rest);
        continue;
      }
      if (exhausted && (rest.length === 1 || identified)) {
        await this.giveUp(shard, rest.slice(0, 1));
        if (rest.length > 1) plan.unshift(rest.length - 1);
        continue;
      }
      if (this.bisect && index === 0 && rest.length > 1) {
        const half = Math.ceil(rest.length / 2);
        plan.unshift(half, rest.length - half);
      } else {
        plan.unshift(rest.length);
      }
    }
  }

  /** The first `count` pending records were processed. */
  private done(pending: DynamoDBRecord[], count: number): void {
    for (const record of pending.splice(0, count)) this.failures.delete(sequenceNumber(record));
    this.counters.delivered += count;
  }

  private async invoke(batch: DynamoDBRecord[]): Promise<InvokeOutcome> {
    let result: StreamHandlerResult;
    try {
      // A fresh copy per invocation, as Lambda deserialises each event anew.
      result = await this.handler({ Records: structuredClone(batch) });
    } catch (error) {
      return { ok: false, index: 0, identified: false, reason: errorMessage(error) };
    }
    const failures = result?.batchItemFailures;
    if (failures === undefined || failures === null || (Array.isArray(failures) && failures.length === 0)) return { ok: true };
    if (!Array.isArray(failures)) return { ok: false, index: 0, identified: false, reason: 'batchItemFailures is not an array' };
    let lowest = Infinity;
    for (const failure of failures) {
      const id = failure?.itemIdentifier;
      const index = typeof id === 'string' && id !== '' ? batch.findIndex((record) => record.dynamodb?.SequenceNumber === id) : -1;
      // Lambda treats an empty, missing or unknown identifier as a failure of the whole batch.
      if (index < 0) return { ok: false, index: 0, identified: false, reason: `batchItemFailures names an unknown itemIdentifier: ${JSON.stringify(id)}` };
      lowest = Math.min(lowest, index);
    }
    return { ok: false, index: lowest, identified: true, reason: 'batchItemFailures' };
  }

  /** Sends one on-failure message per record, then drops the records from `pending`. */
  private async giveUp(shard: ShardState, records: DynamoDBRecord[]): Promise<void> {
    for (const record of records) {
      const seq = sequenceNumber(record);
      const failure = this.failures.get(seq) ?? this.failures.get(sequenceNumber(records[0]!));
      const arrival = record.dynamodb?.ApproximateCreationDateTime;
      const arrivalIso = arrival === undefined ? undefined : new Date(arrival * 1000).toISOString();
      const message: OnFailureMessage = {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: failure?.count ?? this.retryAttempts + 1 },
        DDBStreamBatchInfo: {
          shardId: shard.shardId,
          startSequenceNumber: seq,
          endSequenceNumber: seq,
          approximateArrivalOfFirstRecord: arrivalIso,
          approximateArrivalOfLastRecord: arrivalIso,
          batchSize: 1,
          streamArn: this.streamArn,
        },
        record,
        reason: failure?.reason ?? 'unknown',
      };
      if (this.onFailureQueueUrl) {
        await this.sqs.send(new SendMessageCommand({ QueueUrl: this.onFailureQueueUrl, MessageBody: JSON.stringify(message) }));
      }
      this.log(
        `stream poller: gave up record ${seq} (${record.eventName}) after ${message.requestContext.approximateInvokeCount} attempts` +
          (this.onFailureQueueUrl ? '; sent to the on-failure queue' : '; no on-failure queue, dropped'),
      );
    }
    for (const record of shard.pending.splice(0, records.length)) this.failures.delete(sequenceNumber(record));
    this.counters.givenUp += records.length;
  }
}

/**
 * Whether `value` (a Lambda-shaped record, or any JSON value) matches `pattern`: every key of the
 * pattern must be present; an array leaf lists the allowed exact values; an object recurses.
 */
export function matchesFilter(pattern: FilterPattern, value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const object = value as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    if (!Object.prototype.hasOwnProperty.call(object, key)) return false;
    const actual = object[key];
    if (isAllowedValues(expected)) {
      const candidates = Array.isArray(actual) ? actual : [actual];
      return candidates.some((candidate) => (typeof candidate === 'string' || typeof candidate === 'number') && expected.includes(candidate));
    }
    return matchesFilter(expected, actual);
  });
}

function isAllowedValues(value: FilterPattern[string]): value is readonly (string | number)[] {
  return Array.isArray(value);
}

/** Rejects patterns outside the supported grammar (prefix, exists, numeric, anything-but...). */
function assertFilterPattern(pattern: unknown, path: string): void {
  if (typeof pattern !== 'object' || pattern === null || Array.isArray(pattern)) {
    throw new TypeError(`${path} must be an object of fields`);
  }
  for (const [key, value] of Object.entries(pattern)) {
    if (Array.isArray(value)) {
      for (const allowed of value) {
        if (typeof allowed !== 'string' && typeof allowed !== 'number') {
          throw new TypeError(`${path}.${key}: only exact string or number values are supported, got ${JSON.stringify(allowed)}`);
        }
      }
    } else {
      assertFilterPattern(value, `${path}.${key}`);
    }
  }
}

/** Maps a DynamoDB Streams API record to the record Lambda delivers from the same stream. */
export function toLambdaRecord(record: StreamsRecord, streamArn: string): DynamoDBRecord {
  const stream = record.dynamodb ?? {};
  const dynamodb: NonNullable<DynamoDBRecord['dynamodb']> = {};
  if (stream.ApproximateCreationDateTime !== undefined) {
    dynamodb.ApproximateCreationDateTime = Math.floor(new Date(stream.ApproximateCreationDateTime).getTime() / 1000);
  }
  if (stream.Keys) dynamodb.Keys = toLambdaImage(stream.Keys);
  if (stream.NewImage) dynamodb.NewImage = toLambdaImage(stream.NewImage);
  if (stream.OldImage) dynamodb.OldImage = toLambdaImage(stream.OldImage);
  if (stream.SequenceNumber !== undefined) dynamodb.SequenceNumber = stream.SequenceNumber;
  if (stream.SizeBytes !== undefined) dynamodb.SizeBytes = stream.SizeBytes;
  if (stream.StreamViewType !== undefined) dynamodb.StreamViewType = stream.StreamViewType;
  const mapped: DynamoDBRecord = {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    dynamodb,
    eventSourceARN: streamArn,
  };
  if (record.userIdentity) mapped.userIdentity = { ...record.userIdentity };
  return mapped;
}

function toLambdaImage(image: Record<string, StreamsAttributeValue>): Record<string, LambdaAttributeValue> {
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, toLambdaValue(value)]));
}

/** Lambda's JSON carries binary values as base64 strings; the SDK gives bytes. */
function toLambdaValue(value: StreamsAttributeValue): LambdaAttributeValue {
  if (value.S !== undefined) return { S: value.S };
  if (value.N !== undefined) return { N: value.N };
  if (value.B !== undefined) return { B: Buffer.from(value.B).toString('base64') };
  if (value.SS !== undefined) return { SS: [...value.SS] };
  if (value.NS !== undefined) return { NS: [...value.NS] };
  if (value.BS !== undefined) return { BS: value.BS.map((b) => Buffer.from(b).toString('base64')) };
  if (value.M !== undefined) return { M: toLambdaImage(value.M) };
  if (value.L !== undefined) return { L: value.L.map(toLambdaValue) };
  if (value.NULL !== undefined) return { NULL: value.NULL };
  if (value.BOOL !== undefined) return { BOOL: value.BOOL };
  // The DynamoDB Streams client reads an empty map `{"M":{}}` back as `{}`; no other attribute
  // value can be empty, so that is what it was.
  if (Object.keys(value).length === 0) return { M: {} };
  throw new TypeError(`unsupported attribute value in a stream record: ${JSON.stringify(Object.keys(value))}`);
}

function sequenceNumber(record: DynamoDBRecord): string {
  const seq = record.dynamodb?.SequenceNumber;
  if (!seq) throw new Error(`stream record ${record.eventID ?? '?'} has no SequenceNumber`);
  return seq;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
