import type { SignalSnapshot } from '../../lambda/core/alarm-rules';
import { noticeId } from '../../lambda/core/draft';
import { ConcurrentUpdateError } from '../../lambda/core/errors';
import type { LeaseState, NodeState } from '../../lambda/core/lease';
import {
  initialMarket,
  type AlarmState,
  type EscalationTimer,
  type GroupState,
  type Incident,
  type IncidentAlarm,
  type IncidentCounts,
  type MarketState,
  type Notice,
  type Page,
  type PollAnswer,
  type ReadinessPoll,
  type TimelineEntry,
  type Transition,
} from '../../lambda/core/model';
import type { PollRecord } from '../../lambda/core/readiness-poll';
import { incidentListKey, type IncidentPage, type IncidentPageRequest } from '../../lambda/core/incident-list';
import type { RequestRecord } from '../../lambda/core/requests';
import type { AlarmLookup, IncidentRecord, IncidentStore, LeaseGroupView, PublicSiteStore, StoredNotice } from '../../lambda/core/ports';
import { NO_SILENCES, type SilenceSet } from '../../lambda/core/silences';
import { EMPTY_SITE_INDEX, type SiteIndex } from '../../lambda/core/public-status';

/**
 * The `IncidentStore` port in memory, for domain tests that drive the real use cases.
 *
 * `commit` applies a transition under exactly the conditions `DynamoDbIncidentStore` writes it
 * with — each state (group, market, lease, node, alarm, incident) only over the version it was
 * read at (`version − 1`), or over nothing for version ≤ 1 (readiness polls and answers too); the incident's alarm entry as a plain
 * put; timeline entries, notices, operator pages (`PAGE#<n>`) and escalation timers
 * (`TIMER#<step>#<at>`) only if new, an operator request's record (`REQUEST#<requestId>`) only
 * if none of that requestId is stored (records never expire here) — all or nothing: a lost condition throws
 * `ConcurrentUpdateError` and writes nothing, as a cancelled transaction does. It also checks
 * what DynamoDB would refuse outright (two writes of one item in a transaction) and what the
 * design promises on top: notice ids are `<incidentId>-n<sequence>`, page ids
 * `<incidentId>-p<n>`, and each incident numbers both 1, 2, 3 … with no gap. Counters move by
 * increments outside any commit, as the adapter's `ADD` does.
 *
 * Stored values are copies without `undefined` attributes (the adapter's DocumentClient drops
 * them), so a test can neither change the store by mutating what it read nor see a field the
 * table would not hold.
 *
 * @example
 * const store = new MemoryIncidentStore();
 * await ingestSignal(store, signal, { context: clock.context(config) });
 * store.incidentAlarms('inc-1'); // [{ dedupKey, status, … }]
 */
export class MemoryIncidentStore implements IncidentStore, AlarmLookup, PublicSiteStore {
  private readonly groups = new Map<string, GroupState>();
  private readonly alarms = new Map<string, AlarmState>();
  private readonly incidents = new Map<string, Incident>();
  private readonly markets = new Map<string, MarketState>();
  private readonly leases = new Map<string, LeaseState>();
  private readonly nodes = new Map<string, Map<string, NodeState>>();
  private readonly counters = new Map<string, IncidentCounts>();
  private readonly listed = new Map<string, Map<string, IncidentAlarm>>();
  private readonly timelines = new Map<string, Map<string, TimelineEntry>>();
  private readonly outbox = new Map<string, Map<number, StoredNotice>>();
  /** Operator pages by incident and page number (the adapter's `PAGE#<n>`). */
  private readonly pageOutbox = new Map<string, Map<number, Page>>();
  /** Escalation timers by incident and `<step>#<at>` (the adapter's `TIMER#<step>#<at>`). */
  private readonly timerOutbox = new Map<string, Map<string, EscalationTimer>>();
  /** When a promoter first saw each failover group (the adapter's `LEASE#<group>` / `SEEN`). */
  private readonly seen = new Map<string, number>();
  private silenceSet: SilenceSet | undefined;
  private siteIndex: SiteIndex = EMPTY_SITE_INDEX;
  /** Readiness polls (the adapter's `POLL#<pollId>` / `STATE`). */
  private readonly polls = new Map<string, ReadinessPoll>();
  /** Answers by poll and participant (the adapter's `POLL#<pollId>` / `ANSWER#<participantId>`). */
  private readonly answers = new Map<string, Map<string, PollAnswer>>();
  /** Operator requests applied, by requestId (the adapter's `REQUEST#<requestId>` / `REQUEST`). */
  private readonly requests = new Map<string, RequestRecord>();
  private readonly holds: Hold[] = [];
  private readonly committed: Transition[] = [];

  /** Every committed transition, in commit order (copies). */
  public get log(): readonly Transition[] {
    return this.committed;
  }

  // ── The port ────────────────────────────────────────────────────────────────────────────

  /** Mirrors `DynamoDbIncidentStore.readForSignal`. */
  public async readForSignal(key: string, dedupKey: string, marketId: string): Promise<SignalSnapshot> {
    await this.checkpoint('readForSignal', [key, dedupKey, marketId]);
    const group = this.groups.get(key);
    const alarm = this.alarms.get(dedupKey);
    const market = this.marketNow(marketId);
    const haltingId = market.status !== 'trading' ? market.incidentId : undefined;
    const incident = group?.incidentId ? this.incidents.get(group.incidentId) : undefined;
    const haltingIncident = haltingId ? this.incidents.get(haltingId) : undefined;
    return copy({
      groupKey: key,
      market,
      ...(group ? { group } : {}),
      ...(alarm ? { alarm } : {}),
      ...(incident ? { incident } : {}),
      ...(haltingIncident && haltingIncident.status !== 'resolved' ? { haltingIncident } : {}),
      ...(this.silenceSet ? { silences: this.silenceSet } : {}),
    });
  }

  public async readNotices(incidentId: string): Promise<Notice[]> {
    await this.checkpoint('readNotices', [incidentId]);
    return this.storedNotices(incidentId).map((stored) => stored.notice);
  }

  public async readSiteIndex(): Promise<SiteIndex> {
    await this.checkpoint('readSiteIndex', []);
    return copy(this.siteIndex);
  }

  /** Like the adapter: written only over the version read. */
  public async saveSiteIndex(index: SiteIndex): Promise<void> {
    await this.checkpoint('saveSiteIndex', [index]);
    if (index.version !== this.siteIndex.version + 1) throw new ConcurrentUpdateError(`site index: version ${index.version} over version ${this.siteIndex.version}`, ['ConditionalCheckFailed']);
    this.siteIndex = copy(index);
  }

  public async readSilences(): Promise<SilenceSet> {
    await this.checkpoint('readSilences', []);
    return copy(this.silenceSet ?? NO_SILENCES);
  }

  public async readIncident(incidentId: string): Promise<Incident | undefined> {
    await this.checkpoint('readIncident', [incidentId]);
    return copyOf(this.incidents.get(incidentId));
  }

  public async readAlarm(dedupKey: string): Promise<AlarmState | undefined> {
    return copyOf(this.alarms.get(dedupKey));
  }

  public async readIncidentAlarm(incidentId: string, dedupKey: string): Promise<IncidentAlarm | undefined> {
    return copyOf(this.listed.get(incidentId)?.get(dedupKey));
  }

  public async readMarket(marketId: string): Promise<MarketState> {
    await this.checkpoint('readMarket', [marketId]);
    return copy(this.marketNow(marketId));
  }

  public async commit(transition: Transition): Promise<void> {
    await this.checkpoint('commit', [transition]);
    this.apply(transition);
  }

  public async addCounts(incidentId: string, change: IncidentCounts): Promise<IncidentCounts> {
    await this.checkpoint('addCounts', [incidentId, change]);
    const now = this.countsNow(incidentId);
    const next = { alarms: now.alarms + change.alarms, firing: now.firing + change.firing };
    this.counters.set(incidentId, next);
    return { ...next };
  }

  public async readCounts(incidentId: string): Promise<IncidentCounts> {
    await this.checkpoint('readCounts', [incidentId]);
    return { ...this.countsNow(incidentId) };
  }

  public async countAlarms(incidentId: string): Promise<IncidentCounts> {
    await this.checkpoint('countAlarms', [incidentId]);
    const alarms = this.incidentAlarms(incidentId);
    return { alarms: alarms.length, firing: alarms.filter((a) => a.status === 'firing').length };
  }

  public async repairCounts(incidentId: string, expected: IncidentCounts, recount: IncidentCounts): Promise<boolean> {
    await this.checkpoint('repairCounts', [incidentId, expected, recount]);
    // The adapter's condition: the counters still hold what was read (absent reads as zeros).
    const now = this.countsNow(incidentId);
    if (now.alarms !== expected.alarms || now.firing !== expected.firing) return false;
    this.counters.set(incidentId, { alarms: recount.alarms, firing: recount.firing });
    return true;
  }

  /** Incidents not yet resolved, oldest first (the adapter's open-incident index: by `openedAt`, then id). */
  public async openIncidents(): Promise<Incident[]> {
    await this.checkpoint('openIncidents', []);
    const key = (i: Incident) => `${new Date(i.openedAt).toISOString()}#${i.id}`;
    return [...this.incidents.values()]
      .filter((i) => i.status !== 'resolved')
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
      .map(copy);
  }

  /** Every incident, newest first by the same key as the DynamoDB store's gsi2 (`incidentListKey`). */
  public async listIncidents(request: IncidentPageRequest): Promise<IncidentPage> {
    await this.checkpoint('listIncidents', [request]);
    const newestFirst = [...this.incidents.values()]
      .map((incident) => ({ incident, key: incidentListKey(incident) }))
      .filter(({ key }) => request.after === undefined || key < request.after)
      .sort((a, b) => (a.key < b.key ? 1 : a.key > b.key ? -1 : 0));
    const page = newestFirst.slice(0, request.limit);
    const last = page[page.length - 1];
    return { incidents: page.map(({ incident }) => copy(incident)), ...(newestFirst.length > request.limit && last ? { next: last.key } : {}) };
  }

  public async incidentRecord(incidentId: string): Promise<IncidentRecord | undefined> {
    await this.checkpoint('incidentRecord', [incidentId]);
    const incident = this.incidents.get(incidentId);
    if (!incident) return undefined;
    return copy({ incident, counts: this.countsNow(incidentId), timeline: this.timeline(incidentId), notices: this.storedNotices(incidentId) });
  }

  public async readLeaseGroup(group: string): Promise<LeaseGroupView> {
    await this.checkpoint('readLeaseGroup', [group]);
    const lease = this.leases.get(group);
    const nodes = [...(this.nodes.get(group)?.values() ?? [])].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const firstSeenAt = this.seen.get(group);
    return copy({ ...(lease ? { lease } : {}), nodes, ...(firstSeenAt !== undefined ? { firstSeenAt } : {}) });
  }

  /** Like the adapter (`attribute_not_exists`): only the first call writes; later ones leave its time. */
  public async markGroupSeen(group: string, at: number): Promise<void> {
    await this.checkpoint('markGroupSeen', [group, at]);
    if (!this.seen.has(group)) this.seen.set(group, at);
  }

  /** Mirrors `DynamoDbIncidentStore.readPoll`: the poll and its answers, by participant id. */
  public async readPoll(pollId: string): Promise<PollRecord | undefined> {
    await this.checkpoint('readPoll', [pollId]);
    const poll = this.polls.get(pollId);
    if (!poll) return undefined;
    const answers = this.answers.get(pollId) ?? new Map<string, PollAnswer>();
    return copy({ poll, answers: [...answers.keys()].sort().map((id) => answers.get(id)!) });
  }

  /** Mirrors `DynamoDbIncidentStore.readRequest` (records never expire here). */
  public async readRequest(requestId: string): Promise<RequestRecord | undefined> {
    await this.checkpoint('readRequest', [requestId]);
    return copyOf(this.requests.get(requestId));
  }

  // ── Inspection (tests read what the table holds, without going through the port) ────────

  /** Every operator request recorded, by requestId. */
  public allRequests(): RequestRecord[] {
    return [...this.requests.values()].map(copy);
  }

  /** When a promoter first saw the group, if one did. */
  public firstSeen(group: string): number | undefined {
    return this.seen.get(group);
  }

  public incident(incidentId: string): Incident | undefined {
    return copyOf(this.incidents.get(incidentId));
  }

  /** Every incident, in the order they were opened. */
  public allIncidents(): Incident[] {
    return [...this.incidents.values()].map(copy);
  }

  public group(groupKey: string): GroupState | undefined {
    return copyOf(this.groups.get(groupKey));
  }

  public allGroups(): GroupState[] {
    return [...this.groups.values()].map(copy);
  }

  /** An alarm's newest state (the dedup guard). */
  public alarm(dedupKey: string): AlarmState | undefined {
    return copyOf(this.alarms.get(dedupKey));
  }

  public allAlarms(): AlarmState[] {
    return [...this.alarms.values()].map(copy);
  }

  /** The market as stored; one nobody wrote yet is trading, version 0. */
  public market(marketId: string): MarketState {
    return copy(this.marketNow(marketId));
  }

  /** The counters as stored: hints, moved by increments. */
  public counts(incidentId: string): IncidentCounts {
    return { ...this.countsNow(incidentId) };
  }

  /** The alarms an incident lists, by dedup key (as the adapter's `incidentAlarms`). */
  public incidentAlarms(incidentId: string): IncidentAlarm[] {
    const listed = this.listed.get(incidentId) ?? new Map<string, IncidentAlarm>();
    return [...listed.keys()].sort().map((key) => copy(listed.get(key)!));
  }

  /** In time order: by entry id, as the table's sort key orders them. */
  public timeline(incidentId: string): TimelineEntry[] {
    const entries = this.timelines.get(incidentId) ?? new Map<string, TimelineEntry>();
    return [...entries.keys()].sort().map((id) => copy(entries.get(id)!));
  }

  /** In sequence order. */
  public notices(incidentId: string): Notice[] {
    return this.storedNotices(incidentId).map((stored) => stored.notice);
  }

  /** The operator pages an incident's transitions wrote, in page-number order. */
  public pages(incidentId: string): Page[] {
    const pages = this.pageOutbox.get(incidentId) ?? new Map<number, Page>();
    return [...pages.keys()].sort((a, b) => a - b).map((n) => copy(pages.get(n)!));
  }

  /** The escalation timers an incident's transitions wrote, by step then time. */
  public timers(incidentId: string): EscalationTimer[] {
    const timers = this.timerOutbox.get(incidentId) ?? new Map<string, EscalationTimer>();
    return [...timers.values()].sort((a, b) => a.step - b.step || a.at - b.at).map(copy);
  }

  // ── Interleaving (for tests of concurrent use cases) ────────────────────────────────────

  /**
   * Holds the next call of `method` whose arguments satisfy `when`, before it reads or writes
   * anything, until released: so a test can run another use case in between, in a chosen order.
   */
  public holdBefore<M extends StoreMethod>(method: M, when: (...args: Parameters<Ports[M]>) => boolean = () => true): Held {
    let reached!: () => void;
    let release!: () => void;
    const hold: Hold = {
      method,
      when: (args) => when(...(args as Parameters<Ports[M]>)),
      reached: new Promise<void>((r) => (reached = r)),
      released: new Promise<void>((r) => (release = r)),
      arrive: () => reached(),
    };
    this.holds.push(hold);
    return { reached: hold.reached, release: () => release() };
  }

  private async checkpoint(method: StoreMethod, args: readonly unknown[]): Promise<void> {
    const index = this.holds.findIndex((h) => h.method === method && h.when(args));
    if (index < 0) return;
    const [hold] = this.holds.splice(index, 1);
    hold!.arrive();
    await hold!.released;
  }

  // ── Commit ──────────────────────────────────────────────────────────────────────────────

  private apply(transition: Transition): void {
    const items = new Set<string>();
    for (const item of itemsOf(transition)) {
      // DynamoDB refuses a transaction that names one item twice (a ValidationException, not a lost race).
      if (items.has(item)) throw new Error(`transaction "${transition.action}" writes ${item} twice`);
      items.add(item);
    }
    const lost = this.failedConditions(transition);
    if (lost.length) throw new ConcurrentUpdateError(`transaction cancelled: ${lost.join('; ')}`, lost.map(() => 'ConditionalCheckFailed'));
    this.checkNotices(transition.notices);
    this.checkPages(transition.pages ?? []);

    const { group, market, lease, node, alarm, incidentAlarm, incident } = transition;
    if (group) this.groups.set(group.groupKey, copy(group));
    if (market) this.markets.set(market.id, copy(market));
    if (lease) this.leases.set(lease.group, copy(lease));
    if (node) mapOf(this.nodes, node.group).set(node.nodeId, copy(node));
    if (alarm) this.alarms.set(alarm.dedupKey, copy(alarm));
    if (transition.silences) this.silenceSet = copy(transition.silences);
    for (const poll of transition.polls ?? []) this.polls.set(poll.pollId, copy(poll));
    if (transition.answer) mapOf(this.answers, transition.answer.pollId).set(transition.answer.participantId, copy(transition.answer));
    if (incidentAlarm) mapOf(this.listed, incidentAlarm.incidentId).set(incidentAlarm.dedupKey, copy(incidentAlarm));
    if (incident) this.incidents.set(incident.id, copy(incident));
    for (const entry of transition.timeline) mapOf(this.timelines, entry.incidentId).set(entry.entryId, copy(entry));
    for (const notice of transition.notices) mapOf(this.outbox, notice.incidentId).set(notice.sequence, { notice: copy(notice), status: 'pending' });
    for (const page of transition.pages ?? []) mapOf(this.pageOutbox, page.incidentId).set(pageNumber(page), copy(page));
    for (const timer of transition.timers ?? []) mapOf(this.timerOutbox, timer.incidentId).set(timerKey(timer), copy(timer));
    if (transition.request) this.requests.set(transition.request.requestId, copy(transition.request));
    this.committed.push(copy(transition));
  }

  /** The conditions of the adapter's writes that do not hold, in words (empty: the commit may go ahead). */
  private failedConditions(transition: Transition): string[] {
    const lost: string[] = [];
    const versioned = (what: string, stored: { version: number } | undefined, next: { version: number }) => {
      const ok = next.version <= 1 ? stored === undefined : stored?.version === next.version - 1;
      if (!ok) lost.push(`${what}: version ${next.version} over ${stored ? `version ${stored.version}` : 'nothing'}`);
    };
    const { group, market, lease, node, alarm, incident } = transition;
    if (group) versioned(`group ${group.groupKey}`, this.groups.get(group.groupKey), group);
    // A market nobody wrote is read as version 0 but is not stored: version 1 goes over nothing.
    if (market) versioned(`market ${market.id}`, this.markets.get(market.id), market);
    if (lease) versioned(`lease ${lease.group}`, this.leases.get(lease.group), lease);
    if (node) versioned(`node ${node.group}/${node.nodeId}`, this.nodes.get(node.group)?.get(node.nodeId), node);
    if (alarm) versioned(`alarm ${alarm.dedupKey}`, this.alarms.get(alarm.dedupKey), alarm);
    if (transition.silences) versioned('silences', this.silenceSet, transition.silences);
    for (const poll of transition.polls ?? []) versioned(`poll ${poll.pollId}`, this.polls.get(poll.pollId), poll);
    if (transition.answer) {
      const { pollId, participantId } = transition.answer;
      versioned(`answer ${pollId}/${participantId}`, this.answers.get(pollId)?.get(participantId), transition.answer);
    }
    if (incident) versioned(`incident ${incident.id}`, this.incidents.get(incident.id), incident);
    for (const entry of transition.timeline) {
      if (this.timelines.get(entry.incidentId)?.has(entry.entryId)) lost.push(`timeline entry ${entry.incidentId} ${entry.entryId} exists`);
    }
    for (const notice of transition.notices) {
      if (this.outbox.get(notice.incidentId)?.has(notice.sequence)) lost.push(`notice ${notice.noticeId} exists`);
    }
    for (const page of transition.pages ?? []) {
      if (this.pageOutbox.get(page.incidentId)?.has(pageNumber(page))) lost.push(`page ${page.pageId} exists`);
    }
    for (const timer of transition.timers ?? []) {
      if (this.timerOutbox.get(timer.incidentId)?.has(timerKey(timer))) lost.push(`timer ${timer.incidentId} step ${timer.step} at ${timer.at} exists`);
    }
    if (transition.request && this.requests.has(transition.request.requestId)) lost.push(`request ${transition.request.requestId} exists`);
    return lost;
  }

  /** What the design promises beyond the adapter's conditions: stable ids, gap-free numbering. */
  private checkNotices(notices: readonly Notice[]): void {
    const last = new Map<string, number>();
    for (const notice of notices) {
      const expected = noticeId(notice.incidentId, notice.sequence);
      if (notice.noticeId !== expected) throw new Error(`notice id ${notice.noticeId} is not ${expected}`);
      const before = last.get(notice.incidentId) ?? this.outbox.get(notice.incidentId)?.size ?? 0;
      if (notice.sequence !== before + 1) throw new Error(`notice ${notice.noticeId} leaves a gap after sequence ${before} of ${notice.incidentId}`);
      last.set(notice.incidentId, notice.sequence);
    }
  }

  /** Pages as notices: ids `<incidentId>-p<n>`, each incident's numbers 1, 2, 3 … with no gap. */
  private checkPages(pages: readonly Page[]): void {
    const last = new Map<string, number>();
    for (const page of pages) {
      const n = pageNumber(page);
      const expected = `${page.incidentId}-p${n}`;
      if (!Number.isInteger(n) || n < 1 || page.pageId !== expected) throw new Error(`page id ${page.pageId} is not <incidentId>-p<n> of ${page.incidentId}`);
      const before = last.get(page.incidentId) ?? this.pageOutbox.get(page.incidentId)?.size ?? 0;
      if (n !== before + 1) throw new Error(`page ${page.pageId} leaves a gap after page ${before} of ${page.incidentId}`);
      last.set(page.incidentId, n);
    }
  }

  private marketNow(marketId: string): MarketState {
    return this.markets.get(marketId) ?? initialMarket(marketId, 0);
  }

  private countsNow(incidentId: string): IncidentCounts {
    return this.counters.get(incidentId) ?? { alarms: 0, firing: 0 };
  }

  private storedNotices(incidentId: string): StoredNotice[] {
    const notices = this.outbox.get(incidentId) ?? new Map<number, StoredNotice>();
    return [...notices.keys()].sort((a, b) => a - b).map((sequence) => copy(notices.get(sequence)!));
  }
}

/** The port's methods, by name (what {@link MemoryIncidentStore.holdBefore} can hold). */
type Ports = IncidentStore & PublicSiteStore;
export type StoreMethod = {
  [K in keyof Ports]: Ports[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Ports];

/** A held call: `reached` once the call waits, `release` lets it go on. */
export interface Held {
  readonly reached: Promise<void>;
  release(): void;
}

interface Hold {
  readonly method: StoreMethod;
  readonly when: (args: readonly unknown[]) => boolean;
  readonly reached: Promise<void>;
  readonly released: Promise<void>;
  readonly arrive: () => void;
}

/** The items a transition writes, named as the adapter keys them. */
function itemsOf(transition: Transition): string[] {
  const items: string[] = [];
  if (transition.group) items.push(`GROUP#${transition.group.groupKey}`);
  if (transition.market) items.push(`MARKET#${transition.market.id}`);
  if (transition.lease) items.push(`LEASE#${transition.lease.group}`);
  if (transition.node) items.push(`LEASE#${transition.node.group}/NODE#${transition.node.nodeId}`);
  if (transition.alarm) items.push(`ALARM#${transition.alarm.dedupKey}`);
  if (transition.silences) items.push('SILENCES');
  for (const poll of transition.polls ?? []) items.push(`POLL#${poll.pollId}/STATE`);
  if (transition.answer) items.push(`POLL#${transition.answer.pollId}/ANSWER#${transition.answer.participantId}`);
  if (transition.incidentAlarm) items.push(`INCIDENT#${transition.incidentAlarm.incidentId}/ALARM#${transition.incidentAlarm.dedupKey}`);
  if (transition.incident) items.push(`INCIDENT#${transition.incident.id}/STATE`);
  for (const entry of transition.timeline) items.push(`INCIDENT#${entry.incidentId}/TIMELINE#${entry.entryId}`);
  for (const notice of transition.notices) items.push(`INCIDENT#${notice.incidentId}/NOTICE#${notice.sequence}`);
  for (const page of transition.pages ?? []) items.push(`INCIDENT#${page.incidentId}/PAGE#${pageNumber(page)}`);
  for (const timer of transition.timers ?? []) items.push(`INCIDENT#${timer.incidentId}/TIMER#${timerKey(timer)}`);
  if (transition.request) items.push(`REQUEST#${transition.request.requestId}`);
  return items;
}

/** A page's number, as the adapter keys it: what follows the last `-p` of its id. */
function pageNumber(page: Page): number {
  return Number(page.pageId.slice(page.pageId.lastIndexOf('-p') + 2));
}

function timerKey(timer: EscalationTimer): string {
  return `${timer.step}#${timer.at}`;
}

function mapOf<K, V>(maps: Map<string, Map<K, V>>, key: string): Map<K, V> {
  let map = maps.get(key);
  if (!map) maps.set(key, (map = new Map<K, V>()));
  return map;
}

/** A deep copy without `undefined` attributes: what a DocumentClient with `removeUndefinedValues` stores. */
function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function copyOf<T>(value: T | undefined): T | undefined {
  return value === undefined ? undefined : copy(value);
}
