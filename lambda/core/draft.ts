import type { Incident, MarketState, Notice, NoticeType, TimelineEntry, TimelineKind, Transition, GroupState } from './model';
import { NOTICE_SCHEMA } from './model';
import { fixFor } from './notice';

/**
 * Accumulates one transition of one incident: each timeline entry and notice takes the next
 * number of the incident's own sequences, so the numbers are gap-free exactly when the
 * transition is written whole (which the store guarantees: one transaction).
 */
export class IncidentDraft {
  private current: Incident;
  private readonly entries: TimelineEntry[] = [];
  private readonly outbox: Notice[] = [];

  /** @param readVersion the version the incident was read at (0 for a new incident). */
  public constructor(
    incident: Incident,
    private readonly now: number,
    private readonly readVersion: number,
  ) {
    this.current = incident;
  }

  public get incident(): Incident {
    return this.current;
  }

  public update(change: Partial<Incident>): this {
    this.current = { ...this.current, ...change };
    return this;
  }

  public log(kind: TimelineKind, actor: string, text: string, data?: Record<string, unknown>): this {
    const sequence = this.current.timelineSequence + 1;
    this.current = { ...this.current, timelineSequence: sequence };
    this.entries.push({ incidentId: this.current.id, sequence, at: this.now, kind, actor, text, ...(data ? { data } : {}) });
    return this;
  }

  public notify(
    type: NoticeType,
    notice: { market: string; segments?: readonly string[]; effectiveAt?: number; summary: string; detail?: Record<string, unknown> },
  ): this {
    const sequence = this.current.noticeSequence + 1;
    this.current = { ...this.current, noticeSequence: sequence };
    this.outbox.push({
      schema: NOTICE_SCHEMA,
      noticeId: noticeId(this.current.id, sequence),
      type,
      incidentId: this.current.id,
      sequence,
      market: notice.market,
      segments: notice.segments ?? [],
      severity: this.current.severity,
      issuedAt: new Date(this.now).toISOString(),
      effectiveAt: new Date(notice.effectiveAt ?? this.now).toISOString(),
      summary: notice.summary,
      detail: notice.detail ?? {},
      fix: fixFor(type),
    });
    return this;
  }

  public get changed(): boolean {
    return this.entries.length > 0 || this.outbox.length > 0;
  }

  public finish(action: string, also: { group?: GroupState; market?: MarketState } = {}): Transition {
    return {
      action,
      incident: { ...this.current, version: this.readVersion + 1 },
      ...(also.group ? { group: also.group } : {}),
      ...(also.market ? { market: also.market } : {}),
      timeline: this.entries,
      notices: this.outbox,
    };
  }
}

/** Stable across retries: the same incident and sequence always name the same notice. */
export function noticeId(incidentId: string, sequence: number): string {
  return `${incidentId}-n${sequence}`;
}
