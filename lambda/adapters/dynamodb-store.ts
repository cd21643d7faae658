import { ConditionalCheckFailedException, DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { ConcurrentUpdateError } from '../core/errors';
import type { SignalSnapshot } from '../core/incidents';
import { initialMarket, type GroupState, type Incident, type MarketState, type Notice, type TimelineEntry, type Transition } from '../core/model';
import type { LeaseState, NodeState } from '../core/lease';
import type { OutboxStore } from '../core/outbox';
import type { IncidentRecord, IncidentStore, StoredNotice } from '../core/ports';

/**
 * Tocsin's state in one DynamoDB table (keys in `table-schema.ts`):
 *
 * | pk                 | sk               | what                                        | gsi1pk            |
 * |--------------------|------------------|---------------------------------------------|-------------------|
 * | `GROUP#<key>`      | `GROUP`          | which incident a dedup/group key points to  |                   |
 * | `INCIDENT#<id>`    | `STATE`          | the incident                                | `INCIDENTS#OPEN` until resolved |
 * | `INCIDENT#<id>`    | `TIMELINE#<nnnnnn>` | one timeline entry                       |                   |
 * | `INCIDENT#<id>`    | `NOTICE#<nnnnnn>` | one outbox notice (the stream feeds notify) | `OUTBOX#PENDING` until sent |
 * | `MARKET#<id>`      | `STATE`          | the market's state                          |                   |
 * | `LEASE#<group>`    | `LEASE`          | the failover lease (holder, epoch, version) |                   |
 * | `LEASE#<group>`    | `NODE#<id>`      | a node's readiness, from its heartbeats     |                   |
 *
 * Every state item carries `version`; a transition is one TransactWriteItems in which each state
 * Put is conditional on the version read, and each timeline entry and notice on not existing.
 */

export const OPEN_INCIDENTS = 'INCIDENTS#OPEN';
export const PENDING_NOTICES = 'OUTBOX#PENDING';
export const NOTICE_ENTITY = 'notice';

const STATE = 'STATE';
const pad = (n: number) => String(n).padStart(6, '0');
const incidentPk = (id: string) => `INCIDENT#${id}`;
const groupKey = (key: string) => ({ pk: `GROUP#${key}`, sk: 'GROUP' });
const marketKey = (id: string) => ({ pk: `MARKET#${id}`, sk: STATE });
const incidentKey = (id: string) => ({ pk: incidentPk(id), sk: STATE });
const leaseKey = (group: string) => ({ pk: `LEASE#${group}`, sk: 'LEASE' });
const nodeKey = (group: string, nodeId: string) => ({ pk: `LEASE#${group}`, sk: `NODE#${nodeId}` });
const noticeKey = (notice: Notice) => ({ pk: incidentPk(notice.incidentId), sk: `NOTICE#${pad(notice.sequence)}` });

type Item = Record<string, unknown>;
type WriteItem = { Put: { TableName: string; Item: Item; ConditionExpression: string; ExpressionAttributeValues?: Item } };

export interface DynamoDbIncidentStoreOptions {
  readonly tableName: string;
  /** @default a DocumentClient over `new DynamoDBClient({})` (endpoint from AWS_ENDPOINT_URL_DYNAMODB locally) */
  readonly client?: DynamoDBDocumentClient;
  /**
   * Told the write capacity every commit consumed, as DynamoDB reports it (benchmarks and
   * cost checks). Note that DynamoDB Local reports a transaction at 1 unit per item where AWS
   * charges 2. @default not asked for
   */
  readonly onWriteCapacity?: (units: number, operation: 'put' | 'transaction') => void;
}

/** Builds the DocumentClient Tocsin uses everywhere: undefined attributes are simply left out. */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoDbIncidentStore implements IncidentStore, OutboxStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly onWriteCapacity: DynamoDbIncidentStoreOptions['onWriteCapacity'];

  public constructor(options: DynamoDbIncidentStoreOptions) {
    if (!options.tableName) throw new Error('DynamoDbIncidentStore needs a tableName');
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.onWriteCapacity = options.onWriteCapacity;
  }

  public async readForSignal(key: string, marketId: string): Promise<SignalSnapshot> {
    const [groupItem, market] = await Promise.all([this.get(groupKey(key)), this.readMarket(marketId)]);
    const group = groupItem ? fromItem<GroupState>(groupItem) : undefined;
    const haltingId = market.status !== 'trading' ? market.incidentId : undefined;
    const [incident, halting] = await Promise.all([
      group?.incidentId ? this.readIncident(group.incidentId) : undefined,
      haltingId && haltingId !== group?.incidentId ? this.readIncident(haltingId) : undefined,
    ]);
    const haltingIncident = haltingId && haltingId === group?.incidentId ? incident : halting;
    return {
      groupKey: key,
      market,
      ...(group ? { group } : {}),
      ...(incident ? { incident } : {}),
      ...(haltingIncident && haltingIncident.status !== 'resolved' ? { haltingIncident } : {}),
    };
  }

  /** A group's lease and its nodes' readiness records, in one strongly consistent query. */
  public async readLeaseGroup(group: string): Promise<{ lease?: LeaseState; nodes: NodeState[] }> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': leaseKey(group).pk },
      ConsistentRead: true,
    });
    const lease = items.find((i) => i.sk === 'LEASE');
    return {
      ...(lease ? { lease: fromItem<LeaseState>(lease) } : {}),
      nodes: items.filter((i) => String(i.sk).startsWith('NODE#')).map((i) => fromItem<NodeState>(i)),
    };
  }

  public async readIncident(incidentId: string): Promise<Incident | undefined> {
    const item = await this.get(incidentKey(incidentId));
    return item ? fromItem<Incident>(item) : undefined;
  }

  public async readMarket(marketId: string): Promise<MarketState> {
    const item = await this.get(marketKey(marketId));
    return item ? fromItem<MarketState>(item) : initialMarket(marketId, 0);
  }

  public async openIncidents(): Promise<Incident[]> {
    const items = await this.queryAll({
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :open',
      ExpressionAttributeValues: { ':open': OPEN_INCIDENTS },
    });
    return items.map((item) => fromItem<Incident>(item));
  }

  public async incidentRecord(incidentId: string): Promise<IncidentRecord | undefined> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId) },
      ConsistentRead: true,
    });
    const state = items.find((i) => i.sk === STATE);
    if (!state) return undefined;
    return {
      incident: fromItem<Incident>(state),
      timeline: items.filter((i) => String(i.sk).startsWith('TIMELINE#')).map((i) => fromItem<TimelineEntry>(i)),
      notices: items
        .filter((i) => String(i.sk).startsWith('NOTICE#'))
        .map((i): StoredNotice => ({ notice: i.notice as Notice, status: i.status === 'sent' ? 'sent' : 'pending' })),
    };
  }

  public async sentNoticeIds(notices: readonly Notice[]): Promise<ReadonlySet<string>> {
    const sent = new Set<string>();
    let keys: Item[] = notices.map(noticeKey);
    // BatchGet may return part of the keys as unprocessed under load: ask again for those.
    for (let attempt = 0; keys.length && attempt < 5; attempt += 1) {
      const out = await this.client.send(
        new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'noticeId, #s', ExpressionAttributeNames: { '#s': 'status' } } } }),
      );
      for (const item of out.Responses?.[this.tableName] ?? []) if (item.status === 'sent') sent.add(String(item.noticeId));
      keys = (out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
    }
    if (keys.length) throw new Error(`could not read the status of ${keys.length} outbox notices`);
    return sent;
  }

  public async pendingNotices(issuedBefore: number, limit: number): Promise<Notice[]> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pending AND gsi1sk < :before',
        ExpressionAttributeValues: { ':pending': PENDING_NOTICES, ':before': new Date(issuedBefore).toISOString() },
        Limit: limit,
      }),
    );
    return (Items ?? []).map((item) => item.notice as Notice);
  }

  /** Marks an outbox notice sent and takes it off the pending index. Repeating it changes nothing. */
  public async markSent(notice: Notice, messageId: string, sentAt: number): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: noticeKey(notice),
        UpdateExpression: 'SET #s = :sent, sentAt = :at, messageId = :mid REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':at': new Date(sentAt).toISOString(), ':mid': messageId },
      }),
    );
  }

  public async commit(transition: Transition): Promise<void> {
    const writes = this.writesOf(transition);
    if (writes.length === 0) return;
    try {
      const ReturnConsumedCapacity = this.onWriteCapacity ? 'TOTAL' : 'NONE';
      if (writes.length === 1) {
        // One item needs no transaction, and a plain conditional Put costs half the write units.
        const out = await this.client.send(new PutCommand({ ...writes[0]!.Put, ReturnConsumedCapacity }));
        this.onWriteCapacity?.(out.ConsumedCapacity?.CapacityUnits ?? 0, 'put');
      } else {
        const out = await this.client.send(new TransactWriteCommand({ TransactItems: writes, ReturnConsumedCapacity }));
        this.onWriteCapacity?.((out.ConsumedCapacity ?? []).reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0), 'transaction');
      }
    } catch (error) {
      throw asConcurrentUpdate(error) ?? error;
    }
  }

  private writesOf(transition: Transition): WriteItem[] {
    const writes: WriteItem[] = [];
    if (transition.group) writes.push(this.versioned(groupKey(transition.group.groupKey), 'group', transition.group));
    if (transition.market) writes.push(this.versioned(marketKey(transition.market.id), 'market', transition.market));
    if (transition.lease) writes.push(this.versioned(leaseKey(transition.lease.group), 'lease', transition.lease));
    if (transition.node) writes.push(this.versioned(nodeKey(transition.node.group, transition.node.nodeId), 'node', transition.node));
    if (transition.incident) {
      const incident = transition.incident;
      const open = incident.status !== 'resolved';
      writes.push(
        this.versioned(incidentKey(incident.id), 'incident', incident, open ? { gsi1pk: OPEN_INCIDENTS, gsi1sk: `${new Date(incident.openedAt).toISOString()}#${incident.id}` } : {}),
      );
    }
    for (const entry of transition.timeline) {
      writes.push(this.fresh({ pk: incidentPk(entry.incidentId), sk: `TIMELINE#${pad(entry.sequence)}`, entity: 'timeline', ...entry }));
    }
    for (const notice of transition.notices) {
      writes.push(
        this.fresh({
          pk: incidentPk(notice.incidentId),
          sk: noticeKey(notice).sk,
          entity: NOTICE_ENTITY,
          noticeId: notice.noticeId,
          status: 'pending',
          notice,
          gsi1pk: PENDING_NOTICES,
          gsi1sk: `${notice.issuedAt}#${notice.noticeId}`,
        }),
      );
    }
    return writes;
  }

  /** A state item, written only over the version it was read at (version − 1), or over nothing. */
  private versioned(key: { pk: string; sk: string }, entity: string, state: { version: number }, extra: Item = {}): WriteItem {
    const Item = { ...key, entity, ...state, ...extra };
    if (state.version <= 1) {
      return { Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' } };
    }
    return {
      Put: { TableName: this.tableName, Item, ConditionExpression: 'version = :read', ExpressionAttributeValues: { ':read': state.version - 1 } },
    };
  }

  /** An append-only item (timeline entry, notice): written once, never overwritten. */
  private fresh(Item: Item): WriteItem {
    return { Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  private async get(key: { pk: string; sk: string }): Promise<Item | undefined> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }));
    return Item;
  }

  private async queryAll(input: QueryCommandInput): Promise<Item[]> {
    const items: Item[] = [];
    let ExclusiveStartKey: Item | undefined;
    do {
      const page = await this.client.send(new QueryCommand({ ...input, ...(ExclusiveStartKey ? { ExclusiveStartKey } : {}) }));
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }
}

const STORAGE_ATTRIBUTES = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk'];

function fromItem<T>(item: Item): T {
  const out: Item = {};
  for (const [key, value] of Object.entries(item)) if (!STORAGE_ATTRIBUTES.includes(key)) out[key] = value;
  return out as T;
}

/** Lost races become a named error; anything else (throttling, a bad request) stays as it was. */
function asConcurrentUpdate(error: unknown): ConcurrentUpdateError | undefined {
  if (error instanceof ConditionalCheckFailedException) {
    return new ConcurrentUpdateError('the item changed since it was read', ['ConditionalCheckFailed'], { cause: error });
  }
  if (error instanceof TransactionCanceledException) {
    const reasons = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
    if (reasons.some((code) => code === 'ConditionalCheckFailed' || code === 'TransactionConflict')) {
      return new ConcurrentUpdateError(`transaction cancelled: ${reasons.join(', ')}`, reasons, { cause: error });
    }
  }
  return undefined;
}
