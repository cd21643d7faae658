import type { Severity, SignalStatus } from './signal';

/**
 * Tocsin's state, as the domain sees it. Times are epoch milliseconds; every stored thing
 * carries a `version` that the store turns into a condition, so two writers never both win.
 */

export type IncidentStatus = 'open' | 'acknowledged' | 'resolved';
export type MarketStatus = 'trading' | 'halted' | 'resume-scheduled';

/** The newest state the source reported for one dedup key, by the source's own timestamp. */
export interface KeyState {
  readonly status: SignalStatus;
  readonly at: number;
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
  readonly acknowledgedAt?: number;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: number;
  readonly resolvedBy?: string;
  /**
   * Newest state of every alarm attached, by dedup key. The incident is "firing" while any is.
   */
  readonly keys: Readonly<Record<string, KeyState>>;
  /** Set while every alarm is OK and auto-resolve waits out its quiet time (Tocsin's clock). */
  readonly resolvePendingSince?: number;
  /** Source time up to which this incident accounts for its alarms once resolved: older deliveries are replays. */
  readonly closedThrough?: number;
  /** Last participant notice sequence used: notices are numbered 1, 2, 3 … per incident. */
  readonly noticeSequence: number;
  /** Last timeline entry number. */
  readonly timelineSequence: number;
  readonly version: number;
}

/** Which incident a dedup / grouping key currently points to, plus OK reports seen while none was open. */
export interface GroupState {
  readonly groupKey: string;
  readonly incidentId?: string;
  /** Resolved reports that arrived while no incident was open (out-of-order delivery). */
  readonly keys: Readonly<Record<string, KeyState>>;
  /**
   * Per dedup key, the newest source time that the group's resolved incidents accounted for:
   * a re-delivery at or before it is a replay, whichever incident is open now.
   */
  readonly handled?: Readonly<Record<string, KeyState>>;
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
  readonly updatedAt: number;
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
  | 'drill';

export interface TimelineEntry {
  readonly incidentId: string;
  readonly sequence: number;
  readonly at: number;
  readonly kind: TimelineKind;
  /** `system`, an operator's name or IAM identity, or `alarm:<dedupKey>`. */
  readonly actor: string;
  readonly text: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export const NOTICE_SCHEMA = 'tocsin.notice/v1';
export const NOTICE_TYPES = ['incident-opened', 'halt', 'resume-scheduled', 'resume', 'failover', 'incident-resolved', 'update', 'drill'] as const;
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
  readonly market: string;
  readonly segments: readonly string[];
  readonly severity: Severity;
  readonly issuedAt: string;
  readonly effectiveAt: string;
  readonly summary: string;
  readonly detail: Readonly<Record<string, unknown>>;
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
  readonly timeline: readonly TimelineEntry[];
  readonly notices: readonly Notice[];
}

/** A decision that writes nothing. */
export function noChange(action: string, incidentId?: string): Transition {
  return { action, ...(incidentId ? { incidentId } : {}), timeline: [], notices: [] };
}

export function isNoChange(transition: Transition): boolean {
  return !transition.incident && !transition.group && !transition.market && !transition.lease && !transition.node && transition.timeline.length === 0;
}
