import type { LeaseState, NodeState } from './lease';
import type {
  AlarmState,
  GroupState,
  Incident,
  IncidentAlarm,
  EscalationTimer,
  MarketState,
  Notice,
  NoticeType,
  Page,
  PageType,
  TimelineEntry,
  TimelineKind,
  Transition,
} from './model';
import { NOTICE_SCHEMA, PAGE_SCHEMA } from './model';
import { fixFor } from './notice';

/** What a transition writes besides the incident, its timeline and its notices. */
export interface DraftParts {
  readonly group?: GroupState;
  readonly market?: MarketState;
  readonly lease?: LeaseState;
  readonly node?: NodeState;
  readonly alarm?: AlarmState;
  readonly incidentAlarm?: IncidentAlarm;
  readonly counts?: Transition['counts'];
  readonly polls?: Transition['polls'];
  readonly answer?: Transition['answer'];
}

type PendingEntry = Omit<TimelineEntry, 'incidentId' | 'entryId'>;

/**
 * Accumulates one transition of one incident. Rules extend the same draft (an alarm's rules,
 * then a halt, then a failover) and {@link finish} it once.
 *
 * The incident item is written only when the incident itself changes ({@link update},
 * {@link notify}, {@link touch}): attaching an alarm to an open incident writes the alarm and
 * its timeline entry, and conflicts with nothing else. Each notice takes the next number of the
 * incident's own sequence, so the numbers are gap-free exactly when the transition is written
 * whole (the store writes it as one transaction, conditional on the version read).
 */
export class IncidentDraft {
  private current: Incident;
  private touched: boolean;
  private readonly readVersion: number;
  private readonly entries: PendingEntry[] = [];
  private readonly outbox: Notice[] = [];
  private readonly pageOutbox: Page[] = [];
  private readonly timerOutbox: EscalationTimer[] = [];
  private extra: DraftParts = {};

  /** A draft over an incident as read (`version` = the version read; 0 for one being opened). */
  public constructor(
    incident: Incident,
    private readonly now: number,
  ) {
    this.current = incident;
    this.readVersion = incident.version;
    // A new incident is written, whatever else happens.
    this.touched = incident.version === 0;
  }

  public get incident(): Incident {
    return this.current;
  }

  /** Whether the incident item itself will be written. */
  public get incidentChanged(): boolean {
    return this.touched;
  }

  public get parts(): DraftParts {
    return this.extra;
  }

  public update(change: Partial<Incident>): this {
    this.current = { ...this.current, ...change };
    this.touched = true;
    return this;
  }

  /** Writes the incident (a new version) even though no field of it changed: operator notes. */
  public touch(): this {
    this.touched = true;
    return this;
  }

  public log(kind: TimelineKind, actor: string, text: string, data?: Record<string, unknown>): this {
    this.entries.push({ at: this.now, kind, actor, text, ...(data ? { data } : {}) });
    return this;
  }

  public notify(
    type: NoticeType,
    notice: { market: string; segments?: readonly string[]; effectiveAt?: number; summary: string; detail?: Record<string, unknown> },
  ): this {
    const sequence = this.current.noticeSequence + 1;
    const typeSequence = (this.current.typeSequences?.[type] ?? 0) + 1;
    this.update({ noticeSequence: sequence, typeSequences: { ...this.current.typeSequences, [type]: typeSequence } });
    this.outbox.push({
      schema: NOTICE_SCHEMA,
      noticeId: noticeId(this.current.id, sequence),
      type,
      incidentId: this.current.id,
      sequence,
      typeSequence,
      market: notice.market,
      segments: notice.segments ?? [],
      severity: this.current.severity,
      issuedAt: new Date(this.now).toISOString(),
      effectiveAt: new Date(notice.effectiveAt ?? this.now).toISOString(),
      summary: notice.summary,
      // What was known of the fault's start when the notice left (it moves earlier as older firings arrive).
      detail: { ...(notice.detail ?? {}), incidentStartedAt: new Date(this.current.startedAt).toISOString() },
      fix: fixFor(type),
    });
    return this;
  }

  /** A page to the operators of `stage` (the incident's next page number). */
  public page(type: PageType, stage: string): this {
    const sequence = (this.current.pageSequence ?? 0) + 1;
    this.update({ pageSequence: sequence });
    const incident = this.current;
    this.pageOutbox.push({
      schema: PAGE_SCHEMA,
      pageId: `${incident.id}-p${sequence}`,
      type,
      incidentId: incident.id,
      stage,
      severity: incident.severity,
      component: incident.component,
      ...(incident.market !== undefined ? { market: incident.market } : {}),
      summary: incident.summary,
      announced: incident.announced ?? false,
      issuedAt: new Date(this.now).toISOString(),
      openedAt: new Date(incident.openedAt).toISOString(),
    });
    return this;
  }

  /** Schedules an escalation step; the incident remembers it, so a stale timer is recognised. */
  public schedule(step: number, at: number): this {
    this.update({ nextEscalation: { step, at } });
    this.timerOutbox.push({ incidentId: this.current.id, step, at });
    return this;
  }

  /** Adds what else the transition writes (a market, a lease, an alarm…), in the same transaction. */
  public with(parts: DraftParts): this {
    this.extra = { ...this.extra, ...parts };
    return this;
  }

  public get changed(): boolean {
    return this.touched || this.entries.length > 0 || this.extra.alarm !== undefined;
  }

  public finish(action: string): Transition {
    const version = this.readVersion + 1;
    // Incident, alarm and poll versions are each written by one transaction only (a versioned
    // condition), so the tag is unique; padded, so entries of one millisecond sort by version.
    const poll = this.extra.polls?.[0];
    const suffix = this.touched
      ? `v${pad(version)}`
      : this.extra.alarm
        ? `a${fnv1a(this.extra.alarm.dedupKey)}-${pad(this.extra.alarm.version)}`
        : poll
          ? // After the incident's own entries of the same millisecond (the poll opened at version
            // readVersion): `v…0007p…` sorts after `v…0007.00` and before `v…0008.00`.
            `v${pad(this.readVersion)}p${fnv1a(poll.pollId)}-${pad(poll.version)}`
          : undefined;
    if (this.entries.length && suffix === undefined) {
      throw new Error(`timeline entries for ${this.current.id} need a versioned write (the incident, an alarm or a poll) to be numbered`);
    }
    const stamp = new Date(this.now).toISOString();
    const timeline = this.entries.map((entry, i) => ({ incidentId: this.current.id, entryId: `${stamp}#${suffix}.${String(i).padStart(2, '0')}`, ...entry }));
    return {
      action,
      incidentId: this.current.id,
      ...(this.touched ? { incident: { ...this.current, version } } : {}),
      ...this.extra,
      timeline,
      notices: this.outbox,
      ...(this.pageOutbox.length ? { pages: this.pageOutbox } : {}),
      ...(this.timerOutbox.length ? { timers: this.timerOutbox } : {}),
    };
  }
}

const pad = (n: number) => String(n).padStart(10, '0');

/** Stable across retries: the same incident and sequence always name the same notice. */
export function noticeId(incidentId: string, sequence: number): string {
  return `${incidentId}-n${sequence}`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable tag for a dedup key inside a sort key. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
