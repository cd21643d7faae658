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
import type { SignalSnapshot } from '../core/alarm-rules';
import {
  initialMarket,
  type AlarmState,
  type GroupState,
  type Incident,
  type IncidentCounts,
  type IncidentAlarm,
  type MarketState,
  type Notice,
  type PollAnswer,
  type ReadinessPoll,
  type TimelineEntry,
  type Transition,
} from '../core/model';
import type { PollRecord } from '../core/readiness-poll';
import { REQUEST_RETENTION_HOURS, type RequestRecord } from '../core/requests';
import type { LeaseState, NodeState } from '../core/lease';
import { NO_SILENCES, type SilenceSet } from '../core/silences';
import type { OutboxStore } from '../core/outbox';
import { incidentIdOfListKey, incidentListKey, type IncidentPage, type IncidentPageRequest } from '../core/incident-list';
import type { AlarmLookup, IncidentRecord, IncidentStore, LeaseGroupView, PublicSiteStore, StoredNotice } from '../core/ports';
import { EMPTY_SITE_INDEX, type SiteIndex } from '../core/public-status';

/**
 * Tocsin's state in one DynamoDB table (keys in `table-schema.ts`). The layout is known here
 * alone; the domain sees states, entries and notices.
 *
 * | pk                 | sk                     | what                                               | written when |
 * |--------------------|------------------------|----------------------------------------------------|--------------|
 * | `GROUP#<key>`      | `GROUP`                | which incident a grouping key points to            | an incident opens for it |
 * | `ALARM#<dedupKey>` | `ALARM`                | an alarm's newest state by source time (dedup)     | a delivery is newer |
 * | `INCIDENT#<id>`    | `STATE`                | the incident, O(1) in size (gsi1: open incidents; gsi2: all incidents) | the incident itself changes |
 * | `INCIDENT#<id>`    | `COUNTS`               | alarms / firing counters (hints, atomic ADD)       | an alarm joins or changes state |
 * | `INCIDENT#<id>`    | `ALARM#<dedupKey>`     | the alarm as its incident lists it                 | its state changes |
 * | `INCIDENT#<id>`    | `TIMELINE#<time>#<tag>`| one timeline entry, time-ordered                   | once |
 * | `INCIDENT#<id>`    | `NOTICE#<nnnnnn>`      | one outbox notice (the stream feeds notify)        | once; gsi1 `OUTBOX#PENDING` until sent |
 * | `INCIDENT#<id>`    | `PAGE#<nnnnnn>`        | one operator page (the stream feeds `pages`)       | once |
 * | `INCIDENT#<id>`    | `TIMER#<step>#<at>`    | an escalation timer (the stream feeds `pages`, which delays it on SQS) | once |
 * | `MARKET#<id>`      | `STATE`                | the market's state                                 | it changes |
 * | `LEASE#<group>`    | `LEASE`                | the failover lease (holder, epoch, version)        | every holder heartbeat |
 * | `LEASE#<group>`    | `NODE#<id>`            | a node's readiness, from its heartbeats            | every standby heartbeat |
 * | `LEASE#<group>`    | `SEEN`                 | when a promoter first saw the group (startup grace) | once |
 * | `SILENCES`         | `STATE`                | every silence not long over (≤ 100, one small item) | a silence command |
 * | `SITE`             | `INDEX`                | the incidents the public status site lists (≤ 50)   | participant notices are published |
 * | `POLL#<pollId>`    | `STATE`                | a readiness poll: market, halting incident, respondBy, closed why | opened; every answer (version only); closed |
 * | `POLL#<pollId>`    | `ANSWER#<participantId>` | one participant's latest answer to the poll       | it answers or changes its answer |
 * | `REQUEST#<requestId>` | `REQUEST`           | an operator command applied under its requestId: caller, body hash, answer (expires after `requestHours`) | with the command's transition, once |
 *
 * Indexes (`table-schema.ts`): gsi1 `INCIDENTS#OPEN` (open incidents, oldest first) and
 * `OUTBOX#PENDING` (notices not yet sent); gsi2 `INCIDENTS` / `<openedAt ISO>#<id>` (every
 * incident, open or resolved, newest first, paged: `listIncidents`). Every write of an incident
 * carries its gsi2 keys; an incident last written before gsi2 existed joins the list the next
 * time it changes (a resolved one never does: it ages out with its TTL).
 *
 * Every state item carries `version`; a transition is one TransactWriteItems in which each state
 * Put is conditional on the version read, and each timeline entry and notice on not existing.
 * No item grows with the number of alarms, and a plain attach of an alarm writes only that
 * alarm's items and its timeline entry: concurrent alarms of one incident never conflict.
 *
 * An answer to a readiness poll writes its answer item, the poll (version + 1) and its timeline
 * entry in one transaction; `schedule-resume` closes the poll over the version it read. So a
 * resumption is never decided on a tally that an answer changed meanwhile:
 *
 *   schedule-resume: read poll v7 + answers ─ tally met ─ commit market + poll v8 ─┐ one of the two
 *   answer (B → not ready):  read poll v7 ─ commit answer + poll v8 ───────────────┘ loses, re-reads
 *
 * An operator command with a `requestId` writes its request record in its transaction, only if no
 * live record of it exists (none, or one past its `expiresAt` that TTL has not yet deleted). A
 * repeat racing the first loses on that condition, re-reads the record and answers from it:
 *
 *   first:  read REQUEST#r (none) ─ commit market v4 + notice + REQUEST#r ─┐ one of the two loses,
 *   repeat: read REQUEST#r (none) ─ commit market v4 + notice + REQUEST#r ─┘ reads REQUEST#r, replays
 */

export const OPEN_INCIDENTS = 'INCIDENTS#OPEN';
export const ALL_INCIDENTS = 'INCIDENTS';
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
const alarmKey = (dedupKey: string) => ({ pk: `ALARM#${dedupKey}`, sk: 'ALARM' });
const countsKey = (incidentId: string) => ({ pk: incidentPk(incidentId), sk: 'COUNTS' });
const silencesKey = { pk: 'SILENCES', sk: STATE };
const siteIndexKey = { pk: 'SITE', sk: 'INDEX' };
const pollPk = (pollId: string) => `POLL#${pollId}`;
const pollKey = (pollId: string) => ({ pk: pollPk(pollId), sk: STATE });
const requestKey = (requestId: string) => ({ pk: `REQUEST#${requestId}`, sk: 'REQUEST' });
const ANSWER = 'ANSWER#';
const answerKey = (answer: { pollId: string; participantId: string }) => ({ pk: pollPk(answer.pollId), sk: `${ANSWER}${answer.participantId}` });
const INCIDENT_ALARM = 'ALARM#';
const TIMELINE = 'TIMELINE#';
const NOTICE = 'NOTICE#';

type Item = Record<string, unknown>;
type WriteItem = { Put: { TableName: string; Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Item; ExpressionAttributeNames?: Record<string, string> } };

/**
 * One write as AWS prices it (DynamoDB pricing, on-demand): 1 write unit per KB (rounded up) of
 * each item; 2 per KB inside a transaction; plus 1 per KB for each item's entry in a
 * global secondary index it appears in (gsi1: open incidents and pending notices; gsi2: incidents).
 */
export interface WriteReport {
  readonly operation: 'put' | 'transaction' | 'update';
  /** Items written, and which (the item's entity: `alarm`, `incident`, `timeline`…). */
  readonly items: readonly string[];
  /** Write units on AWS pricing (item sizes estimated from their JSON encoding). */
  readonly awsWriteUnits: number;
}

export interface DynamoDbIncidentStoreOptions {
  readonly tableName: string;
  /** @default a DocumentClient over `new DynamoDBClient({})` (endpoint from AWS_ENDPOINT_URL_DYNAMODB locally) */
  readonly client?: DynamoDBDocumentClient;
  /**
   * Told about every write: which operation, the items written, and the write units AWS would
   * charge for it (benchmarks and cost checks; DynamoDB Local's own capacity figures do not follow
   * AWS pricing for transactions). @default not asked for
   */
  readonly onWrite?: (write: WriteReport) => void;
  /**
   * How long DynamoDB keeps what is done with (the table's TTL attribute `expiresAt`): an
   * incident's items (its timeline, alarms, pages, timers, sent notices, and the incident once
   * resolved) for `incidentDays` after they were written (sent, resolved); a node's heartbeat
   * record for `heartbeatDays` after its last heartbeat; an operator request's record (its
   * requestId, for repeats) for `requestHours`. Open incidents, notices not yet sent, markets,
   * leases and silences never expire. @default {@link DEFAULT_RETENTION}
   */
  readonly retention?: Retention;
  /** The clock the retention counts from. @default Date.now */
  readonly now?: () => number;
}

export interface Retention {
  readonly incidentDays: number;
  readonly heartbeatDays: number;
  /** How long a repeat of an operator request is answered from its record. @default 24 (`REQUEST_RETENTION_HOURS`) */
  readonly requestHours?: number;
}

/** 400 days: an incident's record outlives an annual audit. */
export const DEFAULT_RETENTION: Retention = { incidentDays: 400, heartbeatDays: 7 };

const DAY_SECONDS = 86_400;
/** `expiresAt`: epoch SECONDS, as DynamoDB's TTL reads it. */
const expiresAfter = (fromMs: number, days: number) => Math.floor(fromMs / 1000) + Math.round(days * DAY_SECONDS);

/** Builds the DocumentClient Tocsin uses everywhere: undefined attributes are simply left out. */
export function documentClient(client: DynamoDBClient = new DynamoDBClient({})): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export class DynamoDbIncidentStore implements IncidentStore, AlarmLookup, OutboxStore, PublicSiteStore {
  private readonly tableName: string;
  private readonly client: DynamoDBDocumentClient;
  private readonly onWrite: DynamoDbIncidentStoreOptions['onWrite'];
  private readonly retention: Retention;
  private readonly now: () => number;
  /** Grouping key → the incident its pointer last named: a hint that saves a round trip, never trusted. */
  private readonly groupHints = new Map<string, string>();

  public constructor(options: DynamoDbIncidentStoreOptions) {
    if (!options.tableName) throw new Error('DynamoDbIncidentStore needs a tableName');
    this.tableName = options.tableName;
    this.client = options.client ?? documentClient();
    this.onWrite = options.onWrite;
    this.retention = options.retention ?? DEFAULT_RETENTION;
    this.now = options.now ?? Date.now;
  }

  /**
   * One round trip in the steady state of a storm: the group's pointer, the alarm, the market and
   * — guessed from the last pointer this store saw for the group — the incident, in one
   * consistent BatchGetItem. The guess is only a hint: the incident used is always the one the
   * pointer read in the same batch names (a second read when the guess was wrong).
   */
  public async readForSignal(key: string, dedupKey: string, marketId: string): Promise<SignalSnapshot> {
    const hinted = this.groupHints.get(key);
    const wanted = [groupKey(key), alarmKey(dedupKey), marketKey(marketId), silencesKey, ...(hinted ? [incidentKey(hinted)] : [])];
    const found = await this.batchGet(wanted);
    const item = (k: { pk: string; sk: string }) => found.get(`${k.pk}\u0000${k.sk}`);
    const groupItem = item(groupKey(key));
    const alarmItem = item(alarmKey(dedupKey));
    const marketItem = item(marketKey(marketId));
    const silencesItem = item(silencesKey);
    const group = groupItem ? fromItem<GroupState>(groupItem) : undefined;
    const market = marketItem ? fromItem<MarketState>(marketItem) : initialMarket(marketId, 0);
    if (group?.incidentId) this.remember(key, group.incidentId);
    const haltingId = market.status !== 'trading' ? market.incidentId : undefined;
    const known = (id: string | undefined) => (id !== undefined && id === hinted && item(incidentKey(id)) ? fromItem<Incident>(item(incidentKey(id))!) : undefined);
    const [incident, halting] = await Promise.all([
      group?.incidentId ? (known(group.incidentId) ?? this.readIncident(group.incidentId)) : undefined,
      haltingId && haltingId !== group?.incidentId ? (known(haltingId) ?? this.readIncident(haltingId)) : undefined,
    ]);
    const haltingIncident = haltingId && haltingId === group?.incidentId ? incident : halting;
    return {
      groupKey: key,
      market,
      ...(group ? { group } : {}),
      ...(alarmItem ? { alarm: fromItem<AlarmState>(alarmItem) } : {}),
      ...(incident ? { incident } : {}),
      ...(haltingIncident && haltingIncident.status !== 'resolved' ? { haltingIncident } : {}),
      ...(silencesItem ? { silences: fromItem<SilenceSet>(silencesItem) } : {}),
    };
  }

  private remember(key: string, incidentId: string): void {
    this.groupHints.delete(key);
    this.groupHints.set(key, incidentId);
    // A bounded hint cache: the oldest goes first.
    if (this.groupHints.size > 1000) this.groupHints.delete(this.groupHints.keys().next().value as string);
  }

  /** Strongly consistent BatchGetItem, asking again for unprocessed keys; items by `pk\0sk`. */
  private async batchGet(keys: Array<{ pk: string; sk: string }>): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    let pending: Item[] = keys;
    for (let attempt = 0; pending.length; attempt += 1) {
      if (attempt === 8) throw new Error(`DynamoDB left ${pending.length} keys unprocessed 8 times`);
      if (attempt) await new Promise((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt));
      const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.tableName] ?? []) found.set(`${String(item.pk)}\u0000${String(item.sk)}`, item);
      pending = (out.UnprocessedKeys?.[this.tableName]?.Keys as Item[] | undefined) ?? [];
    }
    return found;
  }

  public async readSilences(): Promise<SilenceSet> {
    const item = await this.get(silencesKey);
    return item ? fromItem<SilenceSet>(item) : NO_SILENCES;
  }

  public async addCounts(incidentId: string, change: IncidentCounts): Promise<IncidentCounts> {
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: countsKey(incidentId),
        UpdateExpression: 'SET entity = :entity ADD alarms :alarms, firing :firing',
        ExpressionAttributeValues: { ':entity': 'counts', ':alarms': change.alarms, ':firing': change.firing },
        ReturnValues: 'ALL_NEW',
      }),
    );
    this.onWrite?.({ operation: 'update', items: ['counts'], awsWriteUnits: 1 });
    return { alarms: Number(out.Attributes?.alarms ?? 0), firing: Number(out.Attributes?.firing ?? 0) };
  }

  public async readCounts(incidentId: string): Promise<IncidentCounts> {
    const item = await this.get(countsKey(incidentId));
    return { alarms: Number(item?.alarms ?? 0), firing: Number(item?.firing ?? 0) };
  }

  public async countAlarms(incidentId: string): Promise<IncidentCounts> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :alarm)',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':alarm': INCIDENT_ALARM },
      ExpressionAttributeNames: { '#s': 'status' },
      ProjectionExpression: '#s',
      ConsistentRead: true,
    });
    return { alarms: items.length, firing: items.filter((i) => i.status === 'firing').length };
  }

  public async repairCounts(incidentId: string, expected: IncidentCounts, recount: IncidentCounts): Promise<boolean> {
    const unchanged = 'alarms = :ea AND firing = :ef';
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: countsKey(incidentId),
          UpdateExpression: 'SET entity = :entity, alarms = :a, firing = :f',
          ConditionExpression: expected.alarms === 0 && expected.firing === 0 ? `attribute_not_exists(pk) OR (${unchanged})` : unchanged,
          ExpressionAttributeValues: { ':entity': 'counts', ':a': recount.alarms, ':f': recount.firing, ':ea': expected.alarms, ':ef': expected.firing },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** A group's lease, its nodes' readiness records and when it was first seen, in one strongly consistent query. */
  public async readLeaseGroup(group: string): Promise<LeaseGroupView> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': leaseKey(group).pk },
      ConsistentRead: true,
    });
    const lease = items.find((i) => i.sk === 'LEASE');
    const seen = items.find((i) => i.sk === 'SEEN');
    return {
      ...(lease ? { lease: fromItem<LeaseState>(lease) } : {}),
      nodes: items.filter((i) => String(i.sk).startsWith('NODE#')).map((i) => fromItem<NodeState>(i)),
      ...(seen ? { firstSeenAt: Number(seen.firstSeenAt) } : {}),
    };
  }

  public async markGroupSeen(group: string, at: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: leaseKey(group).pk, sk: 'SEEN', entity: 'group-seen', group, firstSeenAt: at },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // Another promoter saw it first: its time stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The poll and its answers: one strongly consistent Query of the poll's partition. */
  public async readPoll(pollId: string): Promise<PollRecord | undefined> {
    const items = await this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': pollPk(pollId) },
      ConsistentRead: true,
    });
    const poll = items.find((i) => i.sk === STATE);
    if (!poll) return undefined;
    return { poll: fromItem<ReadinessPoll>(poll), answers: items.filter((i) => String(i.sk).startsWith(ANSWER)).map((i) => fromItem<PollAnswer>(i)) };
  }

  /** The request's record; one past its `expiresAt` reads as none (TTL deletes it within days, not at once). */
  public async readRequest(requestId: string): Promise<RequestRecord | undefined> {
    const item = await this.get(requestKey(requestId));
    if (!item || Number(item.expiresAt) <= Math.floor(this.now() / 1000)) return undefined;
    return fromItem<RequestRecord>(item);
  }

  public async readIncident(incidentId: string): Promise<Incident | undefined> {
    const item = await this.get(incidentKey(incidentId));
    return item ? fromItem<Incident>(item) : undefined;
  }

  public async readAlarm(dedupKey: string): Promise<AlarmState | undefined> {
    const item = await this.get(alarmKey(dedupKey));
    return item ? fromItem<AlarmState>(item) : undefined;
  }

  public async readIncidentAlarm(incidentId: string, dedupKey: string): Promise<IncidentAlarm | undefined> {
    const item = await this.get({ pk: incidentPk(incidentId), sk: `${INCIDENT_ALARM}${dedupKey}` });
    return item ? fromItem<IncidentAlarm>(item) : undefined;
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

  /** Every incident, newest first, a page at a time: one Query of gsi2, asking one more than the page to know whether another follows. */
  public async listIncidents(request: IncidentPageRequest): Promise<IncidentPage> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :all',
        ExpressionAttributeValues: { ':all': ALL_INCIDENTS },
        ScanIndexForward: false,
        Limit: request.limit + 1,
        ...(request.after !== undefined
          ? { ExclusiveStartKey: { ...incidentKey(incidentIdOfListKey(request.after)), gsi2pk: ALL_INCIDENTS, gsi2sk: request.after } }
          : {}),
      }),
    );
    const incidents = Items.slice(0, request.limit).map((item) => fromItem<Incident>(item));
    const last = incidents[incidents.length - 1];
    return { incidents, ...(Items.length > request.limit && last ? { next: incidentListKey(last) } : {}) };
  }

  public async incidentRecord(incidentId: string): Promise<IncidentRecord | undefined> {
    const [state, counts, timeline, notices] = await Promise.all([
      this.get(incidentKey(incidentId)),
      this.readCounts(incidentId),
      this.queryPrefix(incidentId, TIMELINE),
      this.queryPrefix(incidentId, NOTICE),
    ]);
    if (!state) return undefined;
    return {
      incident: fromItem<Incident>(state),
      counts,
      timeline: timeline.map((i) => fromItem<TimelineEntry>(i)),
      notices: notices.map((i): StoredNotice => ({ notice: i.notice as Notice, status: i.status === 'sent' ? 'sent' : 'pending' })),
    };
  }

  public async readNotices(incidentId: string): Promise<Notice[]> {
    return (await this.queryPrefix(incidentId, NOTICE)).map((i) => i.notice as Notice);
  }

  public async readSiteIndex(): Promise<SiteIndex> {
    const item = await this.get(siteIndexKey);
    return item ? fromItem<SiteIndex>(item) : EMPTY_SITE_INDEX;
  }

  public async saveSiteIndex(index: SiteIndex): Promise<void> {
    try {
      await this.client.send(new PutCommand(this.versioned(siteIndexKey, 'site-index', index).Put));
    } catch (error) {
      throw asConcurrentUpdate(error) ?? error;
    }
  }

  /** The alarms an incident lists, by dedup key (status views, tests). */
  public async incidentAlarms(incidentId: string): Promise<IncidentAlarm[]> {
    return (await this.queryPrefix(incidentId, INCIDENT_ALARM)).map((i) => fromItem<IncidentAlarm>(i));
  }

  private queryPrefix(incidentId: string, prefix: string): Promise<Item[]> {
    return this.queryAll({
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': incidentPk(incidentId), ':prefix': prefix },
      ConsistentRead: true,
    });
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
        UpdateExpression: 'SET #s = :sent, sentAt = :at, messageId = :mid, expiresAt = :exp REMOVE gsi1pk, gsi1sk',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':at': new Date(sentAt).toISOString(), ':mid': messageId, ':exp': expiresAfter(sentAt, this.retention.incidentDays) },
      }),
    );
  }

  public async commit(transition: Transition): Promise<void> {
    const writes = this.writesOf(transition);
    if (writes.length === 0) return;
    try {
      if (writes.length === 1) {
        // One item needs no transaction, and a plain conditional Put costs half the write units.
        await this.client.send(new PutCommand(writes[0]!.Put));
      } else {
        await this.client.send(new TransactWriteCommand({ TransactItems: writes }));
      }
      this.onWrite?.(priced(writes));
    } catch (error) {
      throw asConcurrentUpdate(error) ?? error;
    }
  }

  private writesOf(transition: Transition): WriteItem[] {
    const writes: WriteItem[] = [];
    // What an incident leaves behind expires `incidentDays` after it was written.
    const expiresAt = expiresAfter(this.now(), this.retention.incidentDays);
    const expiring = { expiresAt };
    if (transition.group) writes.push(this.versioned(groupKey(transition.group.groupKey), 'group', transition.group, expiring));
    if (transition.market) writes.push(this.versioned(marketKey(transition.market.id), 'market', transition.market));
    if (transition.lease) writes.push(this.versioned(leaseKey(transition.lease.group), 'lease', transition.lease));
    if (transition.node) {
      writes.push(this.versioned(nodeKey(transition.node.group, transition.node.nodeId), 'node', transition.node, { expiresAt: expiresAfter(this.now(), this.retention.heartbeatDays) }));
    }
    if (transition.alarm) writes.push(this.versioned(alarmKey(transition.alarm.dedupKey), 'alarm', transition.alarm, expiring));
    if (transition.silences) writes.push(this.versioned(silencesKey, 'silences', transition.silences));
    for (const poll of transition.polls ?? []) writes.push(this.versioned(pollKey(poll.pollId), 'poll', poll, expiring));
    if (transition.answer) writes.push(this.versioned(answerKey(transition.answer), 'poll-answer', transition.answer, expiring));
    if (transition.incidentAlarm) {
      // Guarded by the alarm's versioned write in the same transaction: a replay never gets here.
      const a = transition.incidentAlarm;
      writes.push({ Put: { TableName: this.tableName, Item: { pk: incidentPk(a.incidentId), sk: `${INCIDENT_ALARM}${a.dedupKey}`, entity: 'incident-alarm', ...a, expiresAt } } });
    }
    if (transition.incident) {
      const incident = transition.incident;
      const open = incident.status !== 'resolved';
      const listed = incidentListKey(incident);
      writes.push(
        this.versioned(incidentKey(incident.id), 'incident', incident, {
          gsi2pk: ALL_INCIDENTS,
          gsi2sk: listed,
          ...(open ? { gsi1pk: OPEN_INCIDENTS, gsi1sk: listed } : { expiresAt: expiresAfter(incident.resolvedAt ?? this.now(), this.retention.incidentDays) }),
        }),
      );
    }
    for (const entry of transition.timeline) {
      writes.push(this.fresh({ pk: incidentPk(entry.incidentId), sk: `${TIMELINE}${entry.entryId}`, entity: 'timeline', ...entry, expiresAt }));
    }
    for (const page of transition.pages ?? []) {
      writes.push(this.fresh({ pk: incidentPk(page.incidentId), sk: `PAGE#${page.pageId.slice(page.pageId.lastIndexOf('-p') + 2).padStart(6, '0')}`, entity: 'page', pageId: page.pageId, page, expiresAt }));
    }
    for (const timer of transition.timers ?? []) {
      // One timer per step and time: a replayed transition cannot schedule it twice.
      writes.push(this.fresh({ pk: incidentPk(timer.incidentId), sk: `TIMER#${String(timer.step).padStart(4, '0')}#${timer.at}`, entity: 'timer', timer, expiresAt }));
    }
    if (transition.request) writes.push(this.requestWrite(transition.request));
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

  /** A request's record: written over nothing, or over a record whose time is up. */
  private requestWrite(request: RequestRecord): WriteItem {
    const now = Math.floor(this.now() / 1000);
    const expiresAt = now + Math.round((this.retention.requestHours ?? REQUEST_RETENTION_HOURS) * 3600);
    return {
      Put: {
        TableName: this.tableName,
        Item: { ...requestKey(request.requestId), entity: 'request', ...request, expiresAt },
        ConditionExpression: 'attribute_not_exists(pk) OR #expires <= :now',
        ExpressionAttributeNames: { '#expires': 'expiresAt' },
        ExpressionAttributeValues: { ':now': now },
      },
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

function priced(writes: readonly WriteItem[]): WriteReport {
  const transaction = writes.length > 1;
  let units = 0;
  for (const { Put } of writes) {
    const kb = Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(Put.Item)) / 1024));
    units += (transaction ? 2 : 1) * kb + (Put.Item.gsi1pk !== undefined ? kb : 0) + (Put.Item.gsi2pk !== undefined ? kb : 0);
  }
  return { operation: transaction ? 'transaction' : 'put', items: writes.map((w) => String(w.Put.Item.entity)), awsWriteUnits: units };
}

const STORAGE_ATTRIBUTES = ['pk', 'sk', 'entity', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'expiresAt'];

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
