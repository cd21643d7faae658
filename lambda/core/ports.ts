import type { SignalSnapshot } from './alarm-rules';
import type { LeaseState, NodeState } from './lease';
import type { SilenceSet } from './silences';
import type { PublicStatus, SiteIndex } from './public-status';
import type { AlarmState, EscalationTimer, Incident, IncidentAlarm, IncidentCounts, MarketState, Notice, Page, TimelineEntry, Transition } from './model';
import type { PollRecord } from './readiness-poll';
import type { IncidentPage, IncidentPageRequest } from './incident-list';
import type { RequestRecord } from './requests';

/**
 * The incident store, as the domain needs it. The DynamoDB adapter implements it
 * (`lambda/adapters/dynamodb-store.ts`).
 *
 * `commit` writes a whole transition or nothing. Each state in it carries `version` = the
 * version read + 1, and is written only if the stored version is still the one read (or, for
 * version 1, only if nothing is stored); timeline entries and notices only if new; an operator
 * request's record only if no live record of its requestId exists. A lost race throws
 * `ConcurrentUpdateError`.
 */
export interface IncidentStore {
  /** What one alarm is decided on: its group's pointer and incident, its own state, the market, the halting incident. */
  readForSignal(groupKey: string, dedupKey: string, marketId: string): Promise<SignalSnapshot>;
  readIncident(incidentId: string): Promise<Incident | undefined>;
  /** A market nobody has written yet reads as trading (version 0). */
  readMarket(marketId: string): Promise<MarketState>;
  commit(transition: Transition): Promise<void>;
  /** Applies a transition's counter changes (atomic increments, outside any transaction); returns the counters after. */
  addCounts(incidentId: string, change: IncidentCounts): Promise<IncidentCounts>;
  /** The counters as stored (zeros when none). */
  readCounts(incidentId: string): Promise<IncidentCounts>;
  /** Recounts the incident's alarm items: the truth the counters only hint at. */
  countAlarms(incidentId: string): Promise<IncidentCounts>;
  /** Sets the counters to a recount, only if they still hold `expected`; returns whether it did. */
  repairCounts(incidentId: string, expected: IncidentCounts, recount: IncidentCounts): Promise<boolean>;
  /** The silences (maintenance windows); an empty set at version 0 when none was ever written. */
  readSilences(): Promise<SilenceSet>;
  /** Incidents not yet resolved, oldest first. */
  openIncidents(): Promise<Incident[]>;
  /**
   * Every incident the store still holds, open or resolved, newest first (by opening time, then
   * id: `incident-list.ts`), `request.limit` at a time after `request.after`; `next` names where
   * the following page starts, and is absent on the last page.
   */
  listIncidents(request: IncidentPageRequest): Promise<IncidentPage>;
  incidentRecord(incidentId: string): Promise<IncidentRecord | undefined>;
  /** A failover group's lease, its nodes' readiness records, and when Tocsin first saw the group. */
  readLeaseGroup(group: string): Promise<LeaseGroupView>;
  /** Records when Tocsin first saw a group (only the first call writes). */
  markGroupSeen(group: string, at: number): Promise<void>;
  /** A readiness poll and every participant's latest answer, read consistently; undefined for an unknown poll. */
  readPoll(pollId: string): Promise<PollRecord | undefined>;
  /**
   * The operator request applied under `requestId` (written by `commit` with its transition), read
   * consistently; undefined when none was, or when its record has expired.
   */
  readRequest(requestId: string): Promise<RequestRecord | undefined>;
}

export interface LeaseGroupView {
  readonly lease?: LeaseState;
  readonly nodes: NodeState[];
  /** When a promoter first saw the group (its startup grace runs from here). */
  readonly firstSeenAt?: number;
}

export interface IncidentRecord {
  readonly incident: Incident;
  readonly counts: IncidentCounts;
  /** In time order. */
  readonly timeline: readonly TimelineEntry[];
  readonly notices: readonly StoredNotice[];
}

export interface StoredNotice {
  readonly notice: Notice;
  readonly status: 'pending' | 'sent';
}

/** Publishes operator pages (the pages topic). */
export interface PagePublisher {
  publish(page: Page): Promise<void>;
}

/** Holds an escalation timer until it is due (a queue with per-message delays); at most `MAX_TIMER_DELAY_SECONDS` at a time. */
export interface EscalationQueue {
  schedule(timer: EscalationTimer, delaySeconds: number): Promise<void>;
}

/** SQS's longest per-message delay: a timer further away is re-queued when it comes back early. */
export const MAX_TIMER_DELAY_SECONDS = 900;

/** What the public status site is built from: market states, the notices participants were sent, and its own index. */
export interface PublicSiteStore {
  /** A market nobody has written yet reads as trading (version 0). */
  readMarket(marketId: string): Promise<MarketState>;
  /** An incident's participant notices, in sequence order (none for an unknown incident). */
  readNotices(incidentId: string): Promise<Notice[]>;
  /** The incidents the site lists (empty at version 0 when none was ever written). */
  readSiteIndex(): Promise<SiteIndex>;
  /** Writes the index over the version it was read at (`version − 1`); a lost race throws `ConcurrentUpdateError`. */
  saveSiteIndex(index: SiteIndex): Promise<void>;
}

/** Publishes the public status site (S3 behind CloudFront in AWS; served from memory locally). */
export interface PublicSitePublisher {
  /** Publishes the whole view, and the pages of the incidents named (the others are unchanged). */
  publish(status: PublicStatus, changedIncidents: readonly string[]): Promise<void>;
}

/**
 * Finds an alarm by its dedup key, for sources that name an alarm without describing it again
 * (PagerDuty's `acknowledge` and `resolve` carry only the `dedup_key`). The DynamoDB store
 * implements it beside {@link IncidentStore}.
 */
export interface AlarmLookup {
  /** An alarm's newest state (the dedup guard), if any delivery of it was ever recorded. */
  readAlarm(dedupKey: string): Promise<AlarmState | undefined>;
  /** The alarm as an incident lists it (its component, severity, summary), if it does. */
  readIncidentAlarm(incidentId: string, dedupKey: string): Promise<IncidentAlarm | undefined>;
}

/**
 * Counts requests in fixed windows, settled by the store (a conditional atomic increment), so
 * concurrent function instances share one count.
 */
export interface RateLimiter {
  /**
   * Counts one request of `key` in the window starting at `windowStart` (epoch ms) and says
   * whether it is within `limit`; a refused request is not counted. The window's record may be
   * forgotten after `expiresAt` (epoch ms).
   */
  admit(key: string, windowStart: number, limit: number, expiresAt: number): Promise<boolean>;
}
