import type { Notice, NoticeType } from '../lambda/core/model';
import { readNoticeMessage } from './envelope';
import { NoticeDeliveryError, TocsinError, type ValidationError } from './errors';

/** A gap opened: `expected` is the sequence number the incident waits for, `got` the lowest one held. */
export interface GapEvent {
  readonly incidentId: string;
  /** With `types`: the notice type whose `typeSequence` has the gap (the numbers are `typeSequence`s). */
  readonly type?: NoticeType;
  readonly expected: number;
  readonly got: number;
}

/** The gap wait ran out: these sequence numbers were never received and the receiver moves past them. */
export interface MissingEvent {
  readonly incidentId: string;
  /** With `types`: the notice type the missing `typeSequence` numbers are of. */
  readonly type?: NoticeType;
  readonly missing: readonly number[];
}

/** The participant's handler for one notice, called in sequence order per incident. */
export type DeliverNotice = (notice: Notice) => void | Promise<void>;

export interface NoticeReceiverOptions {
  /**
   * How long a notice that arrived early waits for the ones before it, in milliseconds. When
   * it runs out the receiver reports the missing numbers ({@link onMissing}) and delivers what
   * it holds. `0` delivers at once and only drops notices older than one already delivered.
   * @default 30_000
   */
  readonly gapWaitMs?: number;
  /** How many notice ids to remember for dropping duplicates (least recently seen forgotten first). @default 10_000 */
  readonly rememberNotices?: number;
  /** How many incidents to keep ordering state for (least recently active forgotten first). @default 1_000 */
  readonly rememberIncidents?: number;
  /** At most this many notices held across incidents; past it, the oldest gap is released early. @default 1_000 */
  readonly maxHeldNotices?: number;
  /**
   * The notice types this subscription takes, when its filter policy takes only some (e.g.
   * `['halt', 'resume-scheduled', 'resume']`). Gaps are then found per incident and type by
   * `typeSequence`, so the notices the filter withholds are no gap, and a lost halt still is.
   * Notices are delivered as they come unless one of their own type is missing before them; one
   * older (by `sequence`) than a notice already delivered for its incident is `stale`, so an old
   * halt never lands after the resume. @default every type: gaps by `sequence`
   */
  readonly types?: readonly NoticeType[];
  /** The clock, epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /**
   * Called once per gap when it opens, before anything it concerns is delivered. If it throws,
   * the call rejects with that error and the notices it would have released stay on hold.
   * @default ignore
   */
  readonly onGap?: (gap: GapEvent) => void;
  /** Called when the gap wait runs out and the receiver skips sequence numbers, before the notices after them are delivered (a throw is handled as for `onGap`). @default ignore */
  readonly onMissing?: (event: MissingEvent) => void;
}

/**
 * What became of one message:
 * - `delivered` — in order; it (and any held notices it unblocked) went to the handler;
 * - `held` — early: waits for the notices before it (also: a re-delivery of a notice still held);
 * - `duplicate` — a notice id already delivered (SNS and SQS deliver at least once);
 * - `stale` — older than a notice already delivered for its incident (its number was given up
 *   on after the gap wait): dropped, so an old `halt` never lands after the `resume`;
 * - `invalid` — not a `tocsin.notice/v1` notice; `error` names the field.
 *
 * `delivered` lists every notice handed to the handler during the call, in order, including
 * notices of other incidents whose gap wait ran out.
 */
export type ReceiveResult =
  | { readonly outcome: 'delivered' | 'held' | 'duplicate' | 'stale'; readonly notice: Notice; readonly delivered: readonly Notice[] }
  | { readonly outcome: 'invalid'; readonly error: ValidationError; readonly delivered: readonly Notice[] };

/** What the receiver holds in memory, for metrics and tests. */
export interface ReceiverSnapshot {
  readonly heldNotices: number;
  readonly incidents: number;
  readonly rememberedNotices: number;
}

interface Held {
  readonly notice: Notice;
  readonly heldAt: number;
}

interface IncidentTrack {
  readonly incidentId: string;
  /** With `types`: the type this track numbers by `typeSequence`. */
  readonly type?: NoticeType;
  /** The number (`sequence`, or `typeSequence` with `types`) to deliver next. */
  next: number;
  readonly held: Map<number, Held>;
  /** The `expected` of the last gap reported, so one gap is reported once. */
  reportedExpected?: number;
}

interface Step {
  readonly outcome: 'delivered' | 'held' | 'duplicate' | 'stale';
  readonly ready: Notice[];
}

/**
 * Turns the at-least-once, unordered stream SNS delivers into what a participant's system
 * wants: each notice once, and per incident in `sequence` order 1, 2, 3 …
 *
 * - **Duplicates** are dropped by `noticeId` (bounded memory: the last `rememberNotices` ids).
 * - **Early notices** are held until the gap before them fills; the gap is reported once
 *   (`onGap`). After `gapWaitMs` the receiver reports the numbers it never got (`onMissing`)
 *   and delivers what it holds; a missing notice that turns up later is `stale` and dropped.
 * - **An incident never seen before** is expected to start at 1. If its first notice has a
 *   higher number, the receiver may have subscribed mid-incident or missed the start: that
 *   notice is held like any early one and delivered after the gap wait, with 1 … n−1 reported
 *   missing. We chose waiting over delivering at once because the notices before it may still
 *   be in flight (SNS does not preserve order), and a participant who subscribes mid-incident
 *   learns from `onMissing` exactly what to look up on the status page.
 *
 * Filter policies: `sequence` numbers every notice of an incident, so a subscription that
 * filters on `type` sees gaps by design (the filtered-out notices). Give such a receiver a
 * short `gapWaitMs` (or `0`: deliver at once, drop only stale ones).
 *
 * Delivery is serialised: calls to {@link receive} and {@link releaseDue} run one at a time,
 * so an async handler sees notices strictly in order. If the handler throws, the notice and
 * the ones after it go back on hold and the call rejects with {@link NoticeDeliveryError};
 * a re-delivery of that notice, or the next release, retries it.
 *
 * The receiver starts no timers: transports call {@link releaseDue} (the SQS consumer after
 * every poll, the HTTP handler on a timer set from {@link msUntilNextRelease}), and the clock
 * is injectable, so tests drive time by hand.
 *
 * @example
 * const receiver = new NoticeReceiver({ gapWaitMs: 10_000, onGap: (g) => log.warn('gap', g) });
 * const result = await receiver.receive(sqsMessage.Body, (notice) => applyToTradingSystem(notice));
 * if (result.outcome === 'invalid') log.error(result.error.message);
 */
export class NoticeReceiver {
  private readonly gapWaitMs: number;
  private readonly rememberNotices: number;
  private readonly rememberIncidents: number;
  private readonly maxHeldNotices: number;
  private readonly now: () => number;
  private readonly onGap: (gap: GapEvent) => void;
  private readonly onMissing: (event: MissingEvent) => void;
  private readonly types: ReadonlySet<NoticeType> | undefined;
  /** With `types`: the highest `sequence` delivered per incident (the stale check across types). */
  private readonly lastSequence = new Map<string, number>();
  /** Delivered (or stale) notice ids, least recently seen first. */
  private readonly seen = new Set<string>();
  /** Per incident ordering state, least recently active first. */
  private readonly incidents = new Map<string, IncidentTrack>();
  private heldCount = 0;
  /** Gap and missing reports of the current decision, emitted once the state is consistent. */
  private events: (() => void)[] = [];
  private tail: Promise<unknown> = Promise.resolve();

  public constructor(options: NoticeReceiverOptions = {}) {
    this.gapWaitMs = nonNegative('gapWaitMs', options.gapWaitMs ?? 30_000);
    this.rememberNotices = positive('rememberNotices', options.rememberNotices ?? 10_000);
    this.rememberIncidents = positive('rememberIncidents', options.rememberIncidents ?? 1_000);
    this.maxHeldNotices = positive('maxHeldNotices', options.maxHeldNotices ?? 1_000);
    this.now = options.now ?? Date.now;
    this.onGap = options.onGap ?? (() => undefined);
    this.onMissing = options.onMissing ?? (() => undefined);
    if (options.types !== undefined) {
      if (options.types.length === 0) throw new TocsinError('types must name at least one notice type, or be left out for every type');
      this.types = new Set(options.types);
    }
  }

  /** Which track a notice is ordered on: its incident, or its incident and type with `types`. */
  private keyOf(notice: Notice): string {
    return this.types ? `${notice.incidentId}\u0000${notice.type}` : notice.incidentId;
  }

  /** Its place on that track: `sequence`, or `typeSequence` with `types` (a notice sent before it existed has none: it waits for nothing). */
  private numberOf(notice: Notice): number {
    return this.types ? (notice.typeSequence ?? this.track(this.keyOf(notice), notice).next) : notice.sequence;
  }

  /**
   * Feeds one raw message body (an SQS message `Body`, an SNS envelope's `Message`, or an
   * already parsed object) and hands every notice that is now in order to `deliver`.
   * Resolves with what became of the message; rejects only with {@link NoticeDeliveryError}.
   */
  public receive(body: string | object, deliver: DeliverNotice): Promise<ReceiveResult> {
    return this.exclusive(async () => {
      const read = readNoticeMessage(body);
      if (!read.ok) {
        const delivered = await this.deliverAll(this.report(this.collectDue()), deliver);
        return { outcome: 'invalid', error: read.error, delivered };
      }
      const step = this.accept(read.notice);
      const delivered = await this.deliverAll(this.report([...step.ready, ...this.collectDue()]), deliver);
      return { outcome: step.outcome, notice: read.notice, delivered };
    });
  }

  /** Delivers what was held past its gap wait (reporting the missing numbers). Call it on a timer. */
  public releaseDue(deliver: DeliverNotice): Promise<readonly Notice[]> {
    return this.exclusive(() => this.deliverAll(this.report(this.collectDue()), deliver));
  }

  /** Milliseconds until {@link releaseDue} has something to release (0: now); undefined when nothing is held. */
  public msUntilNextRelease(): number | undefined {
    let earliest: number | undefined;
    for (const track of this.incidents.values()) {
      const lowest = lowestHeld(track);
      if (lowest === undefined) continue;
      const due = lowest.heldAt + this.gapWaitMs;
      if (earliest === undefined || due < earliest) earliest = due;
    }
    return earliest === undefined ? undefined : Math.max(0, earliest - this.now());
  }

  /** Whether a notice with this id is waiting on hold (a transport keeps its message until it is delivered). */
  public isHeld(noticeId: string): boolean {
    for (const track of this.incidents.values()) {
      for (const held of track.held.values()) if (held.notice.noticeId === noticeId) return true;
    }
    return false;
  }

  public snapshot(): ReceiverSnapshot {
    return { heldNotices: this.heldCount, incidents: this.incidents.size, rememberedNotices: this.seen.size };
  }

  // --- the decision, synchronous -------------------------------------------------------------

  private accept(notice: Notice): Step {
    if (this.seen.has(notice.noticeId)) {
      this.remember(notice.noticeId);
      return { outcome: 'duplicate', ready: [] };
    }
    const track = this.track(this.keyOf(notice), notice);
    const number = this.numberOf(notice);
    if (number < track.next || (this.types && notice.sequence < (this.lastSequence.get(notice.incidentId) ?? 0))) {
      this.remember(notice.noticeId);
      return { outcome: 'stale', ready: [] };
    }
    const existing = track.held.get(number);
    // Same incident and number, another id: the contract gives each number one notice; keep the first.
    if (existing && existing.notice.noticeId !== notice.noticeId) return { outcome: 'duplicate', ready: [] };
    if (number === track.next) {
      if (existing) this.unhold(track, number);
      track.next = number + 1;
      const ready = [notice, ...this.drain(track)];
      this.reportGap(track);
      return { outcome: 'delivered', ready };
    }
    if (!existing) {
      track.held.set(number, { notice, heldAt: this.now() });
      this.heldCount += 1;
      this.reportGap(track);
    }
    return { outcome: 'held', ready: [] };
  }

  /** Releases every incident whose oldest gap has waited long enough, or the oldest gaps while too much is held. */
  private collectDue(): Notice[] {
    const now = this.now();
    const ready: Notice[] = [];
    for (const track of this.incidents.values()) {
      let released = false;
      for (let lowest = lowestHeld(track); lowest && lowest.heldAt + this.gapWaitMs <= now; lowest = lowestHeld(track)) {
        ready.push(...this.skipTo(track, lowest.number));
        released = true;
      }
      if (released) {
        track.reportedExpected = undefined;
        this.reportGap(track);
      }
    }
    while (this.heldCount > this.maxHeldNotices) {
      const oldest = this.oldestGap();
      if (!oldest) break;
      ready.push(...this.skipTo(oldest.track, oldest.number));
      oldest.track.reportedExpected = undefined;
      this.reportGap(oldest.track);
    }
    return ready;
  }

  /** Gives up on the numbers before `number`, reports them, and takes the run that starts there. */
  private skipTo(track: IncidentTrack, number: number): Notice[] {
    const missing: number[] = [];
    for (let n = track.next; n < number; n += 1) missing.push(n);
    if (missing.length > 0) this.events.push(() => this.onMissing({ incidentId: track.incidentId, ...(track.type ? { type: track.type } : {}), missing }));
    track.next = number;
    return this.drain(track);
  }

  /** Takes the held notices that now follow on without a gap, from `next`. */
  private drain(track: IncidentTrack): Notice[] {
    const out: Notice[] = [];
    for (let held = track.held.get(track.next); held; held = track.held.get(track.next)) {
      out.push(held.notice);
      this.unhold(track, track.next);
      track.next += 1;
    }
    return out;
  }

  private reportGap(track: IncidentTrack): void {
    const lowest = lowestHeld(track);
    if (!lowest) {
      track.reportedExpected = undefined;
      return;
    }
    if (track.reportedExpected === track.next) return;
    track.reportedExpected = track.next;
    const gap = { incidentId: track.incidentId, ...(track.type ? { type: track.type } : {}), expected: track.next, got: lowest.number };
    this.events.push(() => this.onGap(gap));
  }

  private oldestGap(): { track: IncidentTrack; number: number } | undefined {
    let oldest: { track: IncidentTrack; number: number; heldAt: number } | undefined;
    for (const track of this.incidents.values()) {
      const lowest = lowestHeld(track);
      if (lowest && (!oldest || lowest.heldAt < oldest.heldAt)) oldest = { track, number: lowest.number, heldAt: lowest.heldAt };
    }
    return oldest;
  }

  private track(key: string, notice: Notice): IncidentTrack {
    let track = this.incidents.get(key);
    if (track) this.incidents.delete(key);
    else track = { incidentId: notice.incidentId, ...(this.types ? { type: notice.type } : {}), next: 1, held: new Map() };
    this.incidents.set(key, track);
    if (this.incidents.size > this.rememberIncidents) {
      // Forget the least recently active incident that holds nothing (holding ones are bounded by maxHeldNotices).
      for (const [id, candidate] of this.incidents) {
        if (candidate.held.size === 0 && id !== key) {
          this.incidents.delete(id);
          break;
        }
      }
    }
    return track;
  }

  private unhold(track: IncidentTrack, sequence: number): void {
    if (track.held.delete(sequence)) this.heldCount -= 1;
  }

  private remember(noticeId: string): void {
    this.seen.delete(noticeId);
    this.seen.add(noticeId);
    if (this.seen.size > this.rememberNotices) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }

  // --- delivery, asynchronous and serialised ---------------------------------------------------

  /**
   * Emits the decision's gap and missing reports, before the notices they concern are delivered.
   * A report callback that throws leaves the state as if nothing had been delivered.
   */
  private report(ready: Notice[]): Notice[] {
    const events = this.events.splice(0);
    try {
      for (const emit of events) emit();
    } catch (error) {
      this.putBack(ready);
      throw error;
    }
    return ready;
  }

  private async deliverAll(ready: readonly Notice[], deliver: DeliverNotice): Promise<Notice[]> {
    const delivered: Notice[] = [];
    for (let i = 0; i < ready.length; i += 1) {
      const notice = ready[i]!;
      if (this.types && notice.sequence < (this.lastSequence.get(notice.incidentId) ?? 0)) {
        // Released from a gap after a later notice of another type went out: stale, dropped.
        this.remember(notice.noticeId);
        continue;
      }
      try {
        await deliver(notice);
      } catch (error) {
        this.putBack(ready.slice(i));
        throw new NoticeDeliveryError(notice, delivered, { cause: error });
      }
      this.remember(notice.noticeId);
      if (this.types) this.lastSequence.set(notice.incidentId, Math.max(notice.sequence, this.lastSequence.get(notice.incidentId) ?? 0));
      delivered.push(notice);
    }
    return delivered;
  }

  /** Undoes the delivery of notices the handler did not take: back on hold, the incident rewound to the first of them. */
  private putBack(notices: readonly Notice[]): void {
    const now = this.now();
    for (const notice of notices) {
      const track = this.track(this.keyOf(notice), notice);
      const number = this.numberOf(notice);
      if (!track.held.has(number)) {
        track.held.set(number, { notice, heldAt: now });
        this.heldCount += 1;
      }
      track.next = Math.min(track.next, number);
      track.reportedExpected = track.next;
    }
  }

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

function lowestHeld(track: IncidentTrack): (Held & { number: number }) | undefined {
  let lowest: (Held & { number: number }) | undefined;
  for (const [number, held] of track.held) if (!lowest || number < lowest.number) lowest = { ...held, number };
  return lowest;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TocsinError(`${name} must be a number ≥ 0, got ${String(value)}`);
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new TocsinError(`${name} must be a whole number ≥ 1, got ${String(value)}`);
  return value;
}
