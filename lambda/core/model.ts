import type { Severity, SignalStatus } from './signal';

/**
 * Tocsin's state, as the domain sees it. Times are epoch milliseconds; every stored thing
 * carries a `version` that the store turns into a condition, so two writers never both win.
 */

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type MarketStatus = 'trading' | 'halted' | 'resume-scheduled';

/**
 * The newest state the source reported for one alarm (dedup key), by the source's own timestamp:
 * one small item per alarm, the dedup guard. Written only when a delivery is newer than what it
 * holds (conditional on `version`), so concurrent alarms never write the same item and a replay
 * changes nothing.
 */
export interface AlarmState {
  readonly dedupKey: string;
  readonly status: SignalStatus;
  /** The source's time of this state, epoch ms. */
  readonly at: number;
  /**
   * The incident that accounts for this state. Absent for an OK of an alarm no open incident
   * listed (out-of-order delivery): a late, older firing still opens or joins one and finds it OK.
   */
  readonly incidentId?: string;
  /**
   * The newest source time of this alarm that an EARLIER incident accounted for, kept once the
   * alarm's item has moved on (to a new incident, or to an OK remembered after the incident
   * resolved): a delivery no newer than this is a replay of that incident's, never news for the
   * one open now.
   */
  readonly closedThrough?: number;
  readonly version: number;
}

/** One alarm as its incident lists it (one item per incident and dedup key). */
export interface IncidentAlarm {
  readonly incidentId: string;
  readonly dedupKey: string;
  readonly status: SignalStatus;
  /** Source time of the state change this item records. */
  readonly at: number;
  readonly severity: Severity;
  readonly component: string;
  readonly summary: string;
}

/**
 * How many alarms an incident has, and how many fire: kept by atomic increments beside the
 * incident, never inside its transactions, so they are hints. Every decision that depends on
 * "nothing fires any more" recounts the alarm items first.
 */
export interface IncidentCounts {
  readonly alarms: number;
  readonly firing: number;
}

export interface Incident {
  readonly id: string;
  /** The dedup or grouping key whose alarms this incident gathers (`manual:<id>` for operator incidents). */
  readonly groupKey: string;
  readonly status: IncidentStatus;
  /** The worst severity seen. */
  readonly severity: Severity;
  readonly component: string;
  readonly market?: string;
  readonly summary: string;
  /** When Tocsin opened it (its own clock). */
  readonly openedAt: number;
  /**
   * When the fault started: the earliest firing's SOURCE time seen so far, whatever the delivery
   * order. Moves earlier as older firings arrive (rarely: ~ln n times in a shuffled storm of n).
   */
  readonly startedAt: number;
  readonly acknowledgedAt?: number;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: number;
  readonly resolvedBy?: string;
  /** Set while every alarm is OK and auto-resolve waits out its quiet time (Tocsin's clock). */
  readonly resolvePendingSince?: number;
  /** Last participant notice sequence used: notices are numbered 1, 2, 3 … per incident. */
  readonly noticeSequence: number;
  /** Last sequence used per notice type (`typeSequence`). */
  readonly typeSequences?: Readonly<Partial<Record<NoticeType, number>>>;
  /**
   * Whether participants have been told of this incident (`incident-opened`): automatically for a
   * participant-facing component at `policy.announceSeverity`, by an operator's `announce`, or by
   * a halt. Unannounced incidents reach operators only. @default false
   */
  readonly announced?: boolean;
  /** Opened by Tocsin's own bookkeeping (readiness, refused promotion, failed drill): never announced by itself. */
  readonly internal?: boolean;
  /** Last operator page sequence used (`<incidentId>-p<n>`). @default 0 */
  readonly pageSequence?: number;
  /** The highest escalation stage paged so far (index into the stages); absent before any page. */
  readonly pagedStage?: number;
  /** The next escalation while unacknowledged: which step (stages, then reminders of the last) and when. */
  readonly nextEscalation?: { readonly step: number; readonly at: number };
  /** The silence the incident was opened under (a silenced alarm opened it): nobody was paged then. */
  readonly silencedBy?: string;
  /**
   * Set while the silence still holds it: until then (or an operator's unsilence, or an alarm
   * outside the silence firing) the incident is recorded only; then on-call is paged.
   */
  readonly silencedUntil?: number;
  /** When escalation started counting (the first page): `openedAt`, or the end of the silence it was opened under. */
  readonly escalationBase?: number;
  readonly version: number;
}

export const PAGE_SCHEMA = 'tocsin.page/v1';
export const PAGE_TYPES = ['opened', 'escalated', 'reminder', 'acknowledged', 'resolved', 'severity-raised'] as const;
export type PageType = (typeof PAGE_TYPES)[number];

/** What operators receive on the pages topic (contract: shared/DESIGN.md, "Two audiences"). */
export interface Page {
  readonly schema: typeof PAGE_SCHEMA;
  /** `<incidentId>-p<n>`: stable across re-sends, so a pager drops a page it has seen. */
  readonly pageId: string;
  readonly type: PageType;
  readonly incidentId: string;
  /** The escalation stage paged, e.g. `on-call`, `duty-manager`. */
  readonly stage: string;
  readonly severity: Severity;
  readonly component: string;
  readonly market?: string;
  readonly summary: string;
  /** Whether participants have been told of the incident. */
  readonly announced: boolean;
  readonly issuedAt: string;
  readonly openedAt: string;
}

/** A reminder to run an escalation step at `at`: written with the transition, delivered by a delayed queue. */
export interface EscalationTimer {
  readonly incidentId: string;
  readonly step: number;
  readonly at: number;
}

/** Which incident a grouping key points to: written only when an incident opens for it (or joins a halt). */
export interface GroupState {
  readonly groupKey: string;
  readonly incidentId?: string;
  readonly version: number;
}

export interface MarketState {
  readonly id: string;
  readonly status: MarketStatus;
  /** Segments affected; empty means the whole market. */
  readonly segments: readonly string[];
  /** The incident the halt belongs to; its notice sequence numbers the market's notices. */
  readonly incidentId?: string;
  readonly haltedAt?: number;
  /** When trading resumes (resume-scheduled). */
  readonly resumeAt?: number;
  /** When order acceptance opens, `resumeAt − resumeLeadMinutes`. */
  readonly ordersAcceptedFrom?: number;
  /** The latest readiness poll of this halt (the one `schedule-resume`'s quorum gate reads); cleared when trading resumes. */
  readonly pollId?: string;
  readonly updatedAt: number;
  readonly version: number;
}

/**
 * Why a readiness poll stopped taking answers before its `respondBy`: the resumption was
 * scheduled (its tally is what the decision rested on), or a newer poll of the same halt replaced
 * it. From `respondBy` on, a poll is closed whatever this says.
 */
export type PollClosedReason = 'resume-scheduled' | 'replaced';

/**
 * A readiness poll (TSE's rule since 2021): participants are asked whether they can take part in
 * the resumption of a halted market. Its answers are items of their own ({@link PollAnswer}); every
 * answer also moves the poll's `version`, so a decision on the tally (`schedule-resume`) and an
 * answer never both win: the one that commits second re-reads and decides again.
 */
export interface ReadinessPoll {
  readonly pollId: string;
  readonly market: string;
  /** The incident the market is halted for: the poll's notice and answers are on its timeline. */
  readonly incidentId: string;
  /** The segments halted when it opened; empty: the whole market. */
  readonly segments: readonly string[];
  readonly openedAt: number;
  readonly openedBy: string;
  /** Answers are taken until this time (exclusive). */
  readonly respondBy: number;
  readonly note?: string;
  /** Set when a decision closed it before `respondBy`. */
  readonly closedAt?: number;
  readonly closedReason?: PollClosedReason;
  readonly version: number;
}

/** One participant's answer to one poll; a changed answer is a new version of the same item. */
export interface PollAnswer {
  readonly pollId: string;
  readonly participantId: string;
  readonly ready: boolean;
  readonly note?: string;
  readonly answeredAt: number;
  /** The IAM caller (ARN) in AWS; `participant:<id>` where there is no auth (serve mode). */
  readonly answeredBy: string;
  readonly version: number;
}

/** A market nobody has written yet is trading. */
export function initialMarket(id: string, now: number): MarketState {
  return { id, status: 'trading', segments: [], updatedAt: now, version: 0 };
}

export type TimelineKind =
  | 'incident-opened'
  | 'alarm-attached'
  | 'alarm-fired-again'
  | 'alarm-resolved'
  | 'severity-raised'
  | 'resolve-pending'
  | 'resolve-cancelled'
  | 'incident-acknowledged'
  | 'incident-resolved'
  | 'halt'
  | 'resume-scheduled'
  | 'resume'
  | 'annotation'
  | 'failover'
  | 'drill'
  | 'escalated'
  | 'announced'
  | 'silence-ended'
  | 'readiness-poll'
  | 'readiness-answer'
  | 'readiness-poll-closed';

export interface TimelineEntry {
  readonly incidentId: string;
  /**
   * Time-ordered and unique without a shared counter: `<ISO time>#<suffix>`, the suffix made
   * from what the transition writes under a condition (the incident's new version, or the
   * alarm's), so concurrent writers never collide and entries read back in time order.
   */
  readonly entryId: string;
  readonly at: number;
  readonly kind: TimelineKind;
  /** `system`, an operator's name or IAM identity, or `alarm:<dedupKey>`. */
  readonly actor: string;
  readonly text: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export const NOTICE_SCHEMA = 'tocsin.notice/v1';
export const NOTICE_TYPES = ['incident-opened', 'halt', 'resume-scheduled', 'resume', 'failover', 'incident-resolved', 'update', 'drill', 'readiness-poll'] as const;
export type NoticeType = (typeof NOTICE_TYPES)[number];

/** What participants receive (contract: shared/DESIGN.md, "Notice"). */
export interface Notice {
  readonly schema: typeof NOTICE_SCHEMA;
  /** Stable across retries: receivers drop a notice whose id they have seen. */
  readonly noticeId: string;
  readonly type: NoticeType;
  readonly incidentId: string;
  /** 1, 2, 3 … per incident, no gaps: receivers order by it and see a gap. */
  readonly sequence: number;
  /**
   * 1, 2, 3 … per incident and notice type, no gaps: a subscriber whose filter policy takes only
   * some types detects a lost notice per (incident, type) without false gaps.
   */
  readonly typeSequence: number;
  readonly market: string;
  readonly segments: readonly string[];
  readonly severity: Severity;
  readonly issuedAt: string;
  readonly effectiveAt: string;
  readonly summary: string;
  readonly detail: Readonly<Record<string, unknown>>;
  /**
   * One sentence per configured language (`policy.languages`), times in the market's time zone
   * with the zone named, e.g. `{"en": "Trading halted on equities at 2020-10-01 09:00 Japan
   * Standard Time.", "ja": "…"}`. The ISO instants above stay the machine-readable truth.
   */
  readonly text?: Readonly<Partial<Record<import('./config').Language, string>>>;
  /** The same facts in FIX terms (TradSesStatus 340, SecurityTradingStatus 326, HaltReason 327). */
  readonly fix?: { readonly TradSesStatus?: 1 | 2; readonly SecurityTradingStatus?: 2 | 3; readonly HaltReason?: 5 };
}

/**
 * What one decision changes, written by the store as ONE transaction: the new states (each
 * conditional on the version it was read at), the timeline entries, the outbox notices.
 */
export interface Transition {
  /** Short word for the reply and the logs: `opened`, `attached`, `duplicate`, `halted`… */
  readonly action: string;
  /** The incident concerned when nothing about it is written (a duplicate alarm, say). */
  readonly incidentId?: string;
  readonly incident?: Incident;
  readonly group?: GroupState;
  readonly market?: MarketState;
  /** A failover group's lease (a promotion, a renewal), conditional on the version read. */
  readonly lease?: import('./lease').LeaseState;
  /** A node's readiness record. */
  readonly node?: import('./lease').NodeState;
  /** An alarm's newest state (conditional on its version). */
  readonly alarm?: AlarmState;
  /** The alarm as its incident lists it; written with `alarm`, whose condition guards it. */
  readonly incidentAlarm?: IncidentAlarm;
  readonly timeline: readonly TimelineEntry[];
  readonly notices: readonly Notice[];
  /** Operator pages, published to the pages topic from the outbox. */
  readonly pages?: readonly Page[];
  /** Escalation timers, handed to the delayed escalation queue from the outbox. */
  readonly timers?: readonly EscalationTimer[];
  /**
   * Changes to the incident's counters, applied after the transaction by atomic increments (so
   * concurrent alarms of one incident do not conflict); `settle` asks the use case to recount
   * and start the auto-resolve wait when no alarm fires any more.
   */
  readonly counts?: { readonly incidentId: string; readonly alarms: number; readonly firing: number; readonly settle?: boolean };
  /** The silences (conditional on the version read). */
  readonly silences?: import('./silences').SilenceSet;
  /** Readiness polls opened, answered or closed (each conditional on the version read). */
  readonly polls?: readonly ReadinessPoll[];
  /** A participant's answer (conditional on the version read). */
  readonly answer?: PollAnswer;
  /**
   * The operator request this transition applies (its `requestId`, and the answer given), written
   * only if no live record of that requestId exists: a repeat can never apply it twice.
   */
  readonly request?: import('./requests').RequestRecord;
}

/** A decision that writes nothing. */
export function noChange(action: string, incidentId?: string): Transition {
  return { action, ...(incidentId ? { incidentId } : {}), timeline: [], notices: [] };
}

export function isNoChange(transition: Transition): boolean {
  return (
    !transition.incident &&
    !transition.group &&
    !transition.market &&
    !transition.lease &&
    !transition.node &&
    !transition.alarm &&
    !transition.silences &&
    !transition.polls?.length &&
    !transition.answer &&
    transition.timeline.length === 0 &&
    transition.notices.length === 0 &&
    !transition.pages?.length &&
    !transition.timers?.length
  );
}
