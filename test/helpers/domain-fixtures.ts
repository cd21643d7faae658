import { groupKeyOf } from '../../lambda/core/alarm-rules';
import { parseOperatorCommand } from '../../lambda/core/commands';
import type { TocsinConfig, TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { IncidentDraft } from '../../lambda/core/draft';
import type { HeartbeatReply } from '../../lambda/core/lease';
import type {
  AlarmState,
  EscalationTimer,
  GroupState,
  Incident,
  IncidentAlarm,
  IncidentCounts,
  MarketState,
  Notice,
  NoticeType,
  Page,
  PageType,
  TimelineEntry,
  Transition,
} from '../../lambda/core/model';
import type { EscalationQueue } from '../../lambda/core/ports';
import type { AlarmSignal, SignalStatus } from '../../lambda/core/signal';
import type { Outcome, UseCaseOptions } from '../../lambda/core/use-cases/decide-and-commit';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { runEscalationTimer } from '../../lambda/core/use-cases/escalate';
import { recordHeartbeat } from '../../lambda/core/use-cases/heartbeat';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { Promoter, type CheckResult } from '../../lambda/core/use-cases/promoter';
import { sweepIncidents } from '../../lambda/core/use-cases/sweep';
import { MINUTE, T0, TestClock } from './domain';
import { MemoryIncidentStore } from './memory-store';

/** What the committed transitions of one call wrote, flattened: for participants, for operators. */
export interface Written {
  readonly commits: readonly Transition[];
  readonly timeline: readonly TimelineEntry[];
  readonly notices: readonly Notice[];
  readonly pages: readonly Page[];
  readonly timers: readonly EscalationTimer[];
}

/**
 * What one call into the use cases did: the use case's outcome, and every transition committed
 * while it ran (the alarm's, then a settle's), flattened into the timeline entries, notices,
 * pages and escalation timers they wrote. When calls interleave, a call's commits include the
 * other's made meanwhile.
 */
export interface Step extends Written {
  readonly action: string;
  readonly incidentId?: string;
  readonly outcome: Outcome;
}

/** What a sweep did: the incidents it resolved, and every transition it committed (overdue escalations too). */
export interface SweepStep extends Written {
  readonly resolved: readonly Outcome[];
}

/** What an escalation timer did when it came back from the delayed queue. */
export interface EscalationStep extends Written {
  readonly action: string;
  /** Timers put back on the queue (not yet due), with their delays in seconds. */
  readonly requeued: readonly { readonly timer: EscalationTimer; readonly delaySeconds: number }[];
}

/**
 * The real use cases — `ingestSignal`, `runCommand`, `sweepIncidents` — over an in-memory
 * {@link MemoryIncidentStore} that commits under the DynamoDB adapter's conditions, on a
 * controllable clock. Tests chain deliveries, commands and sweeps and read what the table holds.
 */
export class IncidentWorld {
  public readonly clock: TestClock;
  public readonly store: MemoryIncidentStore;
  /** What every use case is run with: the clock's context; a lost race is retried at once. */
  public readonly options: UseCaseOptions;
  private readonly contextOf: () => DecisionContext;
  private promoterOfWorld: Promoter | undefined;

  public constructor(config: TocsinConfigInput = {}, clock: TestClock = new TestClock(T0), store: MemoryIncidentStore = new MemoryIncidentStore()) {
    this.clock = clock;
    this.store = store;
    this.contextOf = clock.context(config);
    this.options = { context: this.contextOf, pause: async () => {} };
  }

  /** A fresh decision context at the clock's current time (it hands out the world's next incident id). */
  public context(): DecisionContext {
    return this.contextOf();
  }

  public get config(): TocsinConfig {
    return this.contextOf().config;
  }

  // ── Driving the use cases ───────────────────────────────────────────────────────────────

  /** `ingestSignal`: dedup, grouping, inhibition, lifecycle, halt policy, and the settle it may run. */
  public deliver(signal: AlarmSignal): Promise<Step> {
    return this.step(() => ingestSignal(this.store, signal, this.options));
  }

  /** Delivers each signal in turn, the clock moving `stepMs` after each. */
  public async deliverAll(signals: readonly AlarmSignal[], stepMs = 0): Promise<Step[]> {
    const steps: Step[] = [];
    for (const signal of signals) {
      steps.push(await this.deliver(signal));
      this.clock.advance(stepMs);
    }
    return steps;
  }

  /** `runCommand` on a command parsed as the `operate` function parses its body. */
  public command(input: unknown, actor = 'operator-on-duty'): Promise<Step> {
    return this.step(() => runCommand(this.store, parseOperatorCommand(input), actor, this.options));
  }

  /** `sweepIncidents`: every open incident settled on a recount, resolved after its quiet time; overdue escalations run. */
  public async sweep(): Promise<SweepStep> {
    const before = this.store.log.length;
    const resolved = await sweepIncidents(this.store, this.options);
    return { resolved, ...flatten(this.store.log.slice(before)) };
  }

  /**
   * `runEscalationTimer`: an escalation timer back from the delayed queue at the clock's time
   * (by default the one the incident waits for now). A timer not yet due is put back on a
   * recording queue, reported in `requeued`.
   */
  public async escalate(timer: EscalationTimer | string): Promise<EscalationStep> {
    const due = typeof timer === 'string' ? this.nextTimer(timer) : timer;
    const requeued: { timer: EscalationTimer; delaySeconds: number }[] = [];
    const queue: EscalationQueue = { schedule: async (t, delaySeconds) => void requeued.push({ timer: t, delaySeconds }) };
    const before = this.store.log.length;
    const outcome = await runEscalationTimer(this.store, queue, due, this.options);
    return { action: outcome === 'requeued' ? 'requeued' : outcome.action, requeued, ...flatten(this.store.log.slice(before)) };
  }

  /** The escalation timer the incident waits for now (throws when it waits for none). */
  public nextTimer(incidentId: string): EscalationTimer {
    const next = this.incident(incidentId).nextEscalation;
    if (!next) throw new Error(`incident ${incidentId} waits for no escalation`);
    return { incidentId, step: next.step, at: next.at };
  }

  /** `recordHeartbeat` of one node of a failover group. */
  public heartbeat(group: string, nodeId: string, ready = true, epoch?: number): Promise<HeartbeatReply> {
    return recordHeartbeat(this.store, { group, nodeId, ready, ...(epoch !== undefined ? { epoch } : {}) }, this.options);
  }

  /** One check of one group by the world's promoter (it remembers what it saw between checks, as one invocation does). */
  public async check(group: string): Promise<CheckResult & Written> {
    this.promoterOfWorld ??= new Promoter(this.store, this.options);
    const before = this.store.log.length;
    const result = await this.promoterOfWorld.check(group);
    return { ...result, ...flatten(this.store.log.slice(before)) };
  }

  private async step(run: () => Promise<Outcome>): Promise<Step> {
    const before = this.store.log.length;
    const outcome = await run();
    return { action: outcome.action, ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}), outcome, ...flatten(this.store.log.slice(before)) };
  }

  // ── Reading what the table holds ────────────────────────────────────────────────────────

  /** The market as stored; one nobody wrote yet is trading (version 0). */
  public market(id = this.config.markets[0]!.id): MarketState {
    return this.store.market(id);
  }

  /** The incident, or a thrown error naming it (tests should not have to `!`). */
  public incident(id: string | undefined): Incident {
    const incident = id === undefined ? undefined : this.store.incident(id);
    if (!incident) throw new Error(`no incident ${id} in the world (known: ${this.incidents().map((i) => i.id).join(', ') || 'none'})`);
    return incident;
  }

  /** Every incident, in the order they were opened. */
  public incidents(): Incident[] {
    return this.store.allIncidents();
  }

  public group(groupKey: string): GroupState | undefined {
    return this.store.group(groupKey);
  }

  /** An alarm's newest state by source time (the dedup guard). */
  public alarm(dedupKey: string): AlarmState | undefined {
    return this.store.alarm(dedupKey);
  }

  /** The alarms an incident lists, as `{ dedupKey: status }`, sorted by key. */
  public alarmsOf(incidentId: string | undefined): Record<string, SignalStatus> {
    return Object.fromEntries(this.incidentAlarms(incidentId).map((a) => [a.dedupKey, a.status]));
  }

  public incidentAlarms(incidentId: string | undefined): IncidentAlarm[] {
    return incidentId === undefined ? [] : this.store.incidentAlarms(incidentId);
  }

  /** The incident's counters as stored (hints). */
  public counts(incidentId: string): IncidentCounts {
    return this.store.counts(incidentId);
  }

  public groupKeyOf(signal: AlarmSignal): string {
    return groupKeyOf(signal, this.context());
  }

  public noticesOf(incidentId: string | undefined): readonly Notice[] {
    return incidentId === undefined ? [] : this.store.notices(incidentId);
  }

  /** In time order (by entry id), as the store reads it back. */
  public timelineOf(incidentId: string | undefined): readonly TimelineEntry[] {
    return incidentId === undefined ? [] : this.store.timeline(incidentId);
  }

  /** `[type, sequence]` of every notice of one incident, in sequence order. */
  public noticeTrail(incidentId: string | undefined): [NoticeType, number][] {
    return this.noticesOf(incidentId).map((n) => [n.type, n.sequence]);
  }

  /** The operator pages of one incident, in page-number order. */
  public pagesOf(incidentId: string | undefined): readonly Page[] {
    return incidentId === undefined ? [] : this.store.pages(incidentId);
  }

  /** `[type, stage]` of every page of one incident, in page-number order. */
  public pageTrail(incidentId: string | undefined): [PageType, string][] {
    return this.pagesOf(incidentId).map((p) => [p.type, p.stage]);
  }

  /** The escalation timers one incident's transitions scheduled. */
  public timersOf(incidentId: string | undefined): readonly EscalationTimer[] {
    return incidentId === undefined ? [] : this.store.timers(incidentId);
  }

  /**
   * What must not depend on delivery order. Incident ids are handed out in delivery order, so
   * incidents are keyed by group key (and ordered by when the fault started): each with its
   * status, its start (the earliest firing's source time), the state of each alarm it lists and
   * its `[type, sequence]` notices; and each alarm's newest state by source time. Left out on
   * purpose: `openedAt` and timeline entries (Tocsin's clock), and the time an incident's alarm
   * entry records — the source time of the state change it last saw, which depends on which
   * report arrived first.
   */
  public outcome(): WorldOutcome {
    const byGroup: Record<string, IncidentOutcome[]> = {};
    const incidents = this.incidents().sort((a, b) => a.startedAt - b.startedAt || a.openedAt - b.openedAt);
    for (const incident of incidents) {
      (byGroup[incident.groupKey] ??= []).push({
        status: incident.status,
        startedAt: incident.startedAt,
        alarms: this.alarmsOf(incident.id),
        notices: this.noticeTrail(incident.id),
      });
    }
    const groups: Record<string, IncidentOutcome[]> = {};
    for (const key of Object.keys(byGroup).sort()) groups[key] = byGroup[key]!;
    const alarms: Record<string, { status: SignalStatus; at: number }> = {};
    for (const alarm of this.store.allAlarms().sort((a, b) => a.dedupKey.localeCompare(b.dedupKey))) alarms[alarm.dedupKey] = { status: alarm.status, at: alarm.at };
    return { incidentCount: incidents.length, groups, alarms };
  }
}

export interface IncidentOutcome {
  status: Incident['status'];
  startedAt: number;
  alarms: Record<string, SignalStatus>;
  notices: [NoticeType, number][];
}

export interface WorldOutcome {
  incidentCount: number;
  groups: Record<string, IncidentOutcome[]>;
  alarms: Record<string, { status: SignalStatus; at: number }>;
}

function flatten(commits: readonly Transition[]): Written {
  return {
    commits,
    timeline: commits.flatMap((t) => t.timeline),
    notices: commits.flatMap((t) => t.notices),
    pages: commits.flatMap((t) => t.pages ?? []),
    timers: commits.flatMap((t) => t.timers ?? []),
  };
}

/** A halted market, as `halt` leaves it, for tests that start from one. */
export function haltedMarket(id: string, incidentId: string, overrides: Partial<MarketState> = {}): MarketState {
  return { id, status: 'halted', segments: [], incidentId, haltedAt: T0, updatedAt: T0, version: 1, ...overrides };
}

/**
 * An incident as stored, for tests of single decisions; defaults describe a fresh open one as
 * the rules leave it with the default escalation: announced (notice 1 `incident-opened`), on-call
 * paged (page 1), the duty-manager due 300 s after it opened. {@link unannounced} for one that
 * participants never heard of.
 */
export function storedIncident(overrides: Partial<Incident> = {}): Incident {
  return {
    id: 'inc-7',
    groupKey: 'key:disk-1',
    status: 'open',
    severity: 'major',
    component: 'shared-disk',
    market: 'equities',
    summary: 'shared disk unit 1 memory error',
    openedAt: T0,
    startedAt: T0,
    noticeSequence: 1,
    announced: true,
    pageSequence: 1,
    pagedStage: 0,
    nextEscalation: { step: 1, at: T0 + 5 * MINUTE },
    version: 1,
    ...overrides,
  };
}

/** A stored incident that reached operators only: no notice yet (on-call paged, as {@link storedIncident}). */
export function unannounced(overrides: Partial<Incident> = {}): Incident {
  return storedIncident({ noticeSequence: 0, announced: false, ...overrides });
}

/** An alarm's state as stored, for tests of single decisions; defaults: `disk-1` firing at T0 in `inc-7`. */
export function storedAlarm(overrides: Partial<AlarmState> = {}): AlarmState {
  return { dedupKey: 'disk-1', status: 'firing', at: T0, incidentId: 'inc-7', version: 1, ...overrides };
}

/** A draft over `incident` at `ctx.now`, the way commands continue an incident's numbering. */
export function draftOf(incident: Incident, ctx: DecisionContext): IncidentDraft {
  return new IncidentDraft(incident, ctx.now);
}

// Seeded shuffles and redeliveries, shared with the storm tests on DynamoDB Local.
export { seededRandom, shuffled, withRedeliveries } from './random';

/** Source time `seconds` after T0. */
export const at = (seconds: number): number => T0 + seconds * 1000;

/**
 * The component (and market) an alarm key belongs to, by its prefix, matching TSE_CONFIG:
 * `disk-*` shared-disk (critical, participant-facing, equities), `feed-*` market-data,
 * `surv-*` surveillance (equities, internal), `deriv-*` matching-engine (not configured), which
 * reports itself as concerning derivatives.
 */
function sourceOf(dedupKey: string): Pick<AlarmSignal, 'component' | 'market'> {
  if (dedupKey.startsWith('disk-')) return { component: 'shared-disk' };
  if (dedupKey.startsWith('feed-')) return { component: 'market-data' };
  if (dedupKey.startsWith('surv-')) return { component: 'surveillance' };
  if (dedupKey.startsWith('deriv-')) return { component: 'matching-engine', market: 'derivatives' };
  throw new Error(`no component for test alarm key ${dedupKey}`);
}

/** A firing of alarm `dedupKey` at source time T0 + `seconds`. */
export function firing(dedupKey: string, seconds: number, overrides: Partial<AlarmSignal> = {}): AlarmSignal {
  return { ...testSignal(dedupKey, seconds, 'firing'), ...overrides };
}

/** An OK (resolved) report of alarm `dedupKey` at source time T0 + `seconds`. */
export function ok(dedupKey: string, seconds: number, overrides: Partial<AlarmSignal> = {}): AlarmSignal {
  return { ...testSignal(dedupKey, seconds, 'resolved'), ...overrides };
}

function testSignal(dedupKey: string, seconds: number, status: AlarmSignal['status']): AlarmSignal {
  return {
    dedupKey,
    status,
    severity: 'major',
    ...sourceOf(dedupKey),
    summary: `${dedupKey} ${status === 'firing' ? 'in alarm' : 'OK'}`,
    occurredAt: at(seconds),
    source: 'cloudwatch',
  };
}
