import { decideCommand, commandMarket, parseOperatorCommand } from '../../lambda/core/commands';
import type { TocsinConfig, TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { IncidentDraft } from '../../lambda/core/draft';
import { decideSignal, decideSweep, groupKeyOf, type SignalSnapshot } from '../../lambda/core/incidents';
import { marketOfSignal } from '../../lambda/core/market';
import {
  initialMarket,
  isNoChange,
  type GroupState,
  type Incident,
  type KeyState,
  type MarketState,
  type Notice,
  type NoticeType,
  type TimelineEntry,
  type Transition,
} from '../../lambda/core/model';
import type { AlarmSignal } from '../../lambda/core/signal';
import { T0, TestClock } from './domain';

/**
 * An in-memory stand-in for the incident store, so the pure decisions can be chained without
 * DynamoDB. It reads what `DynamoDbIncidentStore.readForSignal` reads and commits a transition
 * under the same conditions the adapter writes it with (a state only over the version it was
 * read at, or over nothing for version ≤ 1; timeline entries and notices only once), plus the
 * design's promise that both sequences stay gap-free per incident. A decision that would lose
 * against the real store throws here, so the domain tests catch it too.
 */
export class IncidentWorld {
  public readonly groups = new Map<string, GroupState>();
  public readonly incidents = new Map<string, Incident>();
  public readonly markets = new Map<string, MarketState>();
  public readonly timelines = new Map<string, TimelineEntry[]>();
  public readonly outbox = new Map<string, Notice[]>();
  /** Every committed transition, in commit order. */
  public readonly log: Transition[] = [];
  public readonly clock: TestClock;
  private readonly contextOf: () => DecisionContext;

  public constructor(config: TocsinConfigInput = {}, clock: TestClock = new TestClock(T0)) {
    this.clock = clock;
    this.contextOf = clock.context(config);
  }

  /** A fresh decision context at the clock's current time. */
  public context(): DecisionContext {
    return this.contextOf();
  }

  public get config(): TocsinConfig {
    return this.contextOf().config;
  }

  /** Like the adapter's `readMarket`: a market nobody wrote yet is trading, version 0. */
  public market(id = this.config.markets[0]!.id): MarketState {
    return this.markets.get(id) ?? initialMarket(id, 0);
  }

  /** The incident, or a thrown error naming it (tests should not have to `!`). */
  public incident(id: string | undefined): Incident {
    const incident = id === undefined ? undefined : this.incidents.get(id);
    if (!incident) throw new Error(`no incident ${id} in the world (known: ${[...this.incidents.keys()].join(', ') || 'none'})`);
    return incident;
  }

  public groupKeyOf(signal: AlarmSignal): string {
    return groupKeyOf(signal, this.context());
  }

  /** The incident a group key points to now (open or resolved), if any. */
  public incidentOfGroup(groupKey: string): Incident | undefined {
    const id = this.groups.get(groupKey)?.incidentId;
    return id === undefined ? undefined : this.incidents.get(id);
  }

  public noticesOf(incidentId: string | undefined): readonly Notice[] {
    return incidentId === undefined ? [] : (this.outbox.get(incidentId) ?? []);
  }

  public timelineOf(incidentId: string | undefined): readonly TimelineEntry[] {
    return incidentId === undefined ? [] : (this.timelines.get(incidentId) ?? []);
  }

  /** `[type, sequence]` of every notice of one incident, in sequence order. */
  public noticeTrail(incidentId: string | undefined): [NoticeType, number][] {
    return this.noticesOf(incidentId).map((n) => [n.type, n.sequence]);
  }

  /** Mirrors `DynamoDbIncidentStore.readForSignal`. */
  public snapshotFor(signal: AlarmSignal): SignalSnapshot {
    const ctx = this.context();
    const key = groupKeyOf(signal, ctx);
    const market = this.market(marketOfSignal(signal, ctx.config));
    const group = this.groups.get(key);
    const incident = group?.incidentId ? this.incidents.get(group.incidentId) : undefined;
    const haltingId = market.status !== 'trading' ? market.incidentId : undefined;
    const halting = haltingId ? this.incidents.get(haltingId) : undefined;
    return {
      groupKey: key,
      market,
      ...(group ? { group } : {}),
      ...(incident ? { incident } : {}),
      ...(halting && halting.status !== 'resolved' ? { haltingIncident: halting } : {}),
    };
  }

  /** Mirrors `ingestSignal`: read, decide, commit (nothing for a no-change decision). */
  public deliver(signal: AlarmSignal): Transition {
    const transition = decideSignal(this.snapshotFor(signal), signal, this.context());
    this.commit(transition);
    return transition;
  }

  /** Delivers each signal in turn, the clock moving `stepMs` after each. */
  public deliverAll(signals: readonly AlarmSignal[], stepMs = 0): Transition[] {
    return signals.map((signal) => {
      const transition = this.deliver(signal);
      this.clock.advance(stepMs);
      return transition;
    });
  }

  /** Mirrors `sweepIncidents`: every unresolved incident waiting to auto-resolve is decided. */
  public sweep(): Transition[] {
    const out: Transition[] = [];
    for (const incident of [...this.incidents.values()]) {
      if (incident.status === 'resolved' || incident.resolvePendingSince === undefined) continue;
      const transition = decideSweep(incident, this.context());
      this.commit(transition);
      out.push(transition);
    }
    return out;
  }

  /** Mirrors `runCommand`: parse, read what the command needs, decide, commit. */
  public command(input: unknown, actor = 'operator-on-duty'): Transition {
    const command = parseOperatorCommand(input);
    const ctx = this.context();
    let incident = command.incidentId ? this.incidents.get(command.incidentId) : undefined;
    let transition: Transition;
    if (command.command === 'ack' || command.command === 'resolve' || command.command === 'annotate') {
      transition = decideCommand(command, { ...(incident ? { incident } : {}) }, actor, ctx);
    } else {
      const market = this.market(commandMarket(command, ctx.config, incident));
      if (command.command !== 'declare-halt' && market.incidentId) incident = this.incidents.get(market.incidentId);
      transition = decideCommand(command, { ...(incident ? { incident } : {}), market }, actor, ctx);
    }
    this.commit(transition);
    return transition;
  }

  /** Writes a transition whole, under the adapter's conditions; throws (writing nothing) if one fails. */
  public commit(transition: Transition): void {
    if (isNoChange(transition)) return;
    const { group, market, incident } = transition;
    if (group) checkVersion(`group ${group.groupKey}`, this.groups.get(group.groupKey), group);
    if (market) checkVersion(`market ${market.id}`, this.markets.get(market.id), market);
    if (incident) checkVersion(`incident ${incident.id}`, this.incidents.get(incident.id), incident);
    const timelines = appendChecked('timeline entry', transition.timeline, (e) => e.incidentId, this.timelines);
    const outbox = appendChecked('notice', transition.notices, (n) => n.incidentId, this.outbox);
    for (const notice of transition.notices) {
      const expectedId = `${notice.incidentId}-n${notice.sequence}`;
      if (notice.noticeId !== expectedId) throw new Error(`notice id ${notice.noticeId} is not ${expectedId}`);
    }

    if (group) this.groups.set(group.groupKey, group);
    if (market) this.markets.set(market.id, market);
    if (incident) this.incidents.set(incident.id, incident);
    for (const [id, entries] of timelines) this.timelines.set(id, entries);
    for (const [id, notices] of outbox) this.outbox.set(id, notices);
    this.log.push(transition);
  }

  /**
   * What must not depend on delivery order, keyed by group key (incident ids are handed out in
   * delivery order, so they are left out): per group, every incident it has had with its status,
   * key states and `[type, sequence]` notices, plus the OK reports the group remembers.
   */
  public outcome(): WorldOutcome {
    const byGroup: Record<string, GroupOutcome> = {};
    const sortedIncidents = [...this.incidents.values()].sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id));
    for (const incident of sortedIncidents) {
      const entry = (byGroup[incident.groupKey] ??= { incidents: [], rememberedKeys: {} });
      entry.incidents.push({ status: incident.status, keys: sortKeys(incident.keys), notices: this.noticeTrail(incident.id) });
    }
    for (const group of this.groups.values()) {
      const entry = (byGroup[group.groupKey] ??= { incidents: [], rememberedKeys: {} });
      entry.rememberedKeys = sortKeys(group.keys);
    }
    const groups: Record<string, GroupOutcome> = {};
    for (const key of Object.keys(byGroup).sort()) groups[key] = byGroup[key]!;
    return { incidentCount: this.incidents.size, groups };
  }
}

export interface GroupOutcome {
  incidents: { status: Incident['status']; keys: Record<string, KeyState>; notices: [NoticeType, number][] }[];
  rememberedKeys: Record<string, KeyState>;
}

export interface WorldOutcome {
  incidentCount: number;
  groups: Record<string, GroupOutcome>;
}

function sortKeys(keys: Readonly<Record<string, KeyState>>): Record<string, KeyState> {
  const out: Record<string, KeyState> = {};
  for (const key of Object.keys(keys).sort()) out[key] = { status: keys[key]!.status, at: keys[key]!.at };
  return out;
}

/** The adapter's condition: version 1 (or 0) only over nothing, any later version only over version − 1. */
function checkVersion(what: string, stored: { version: number } | undefined, next: { version: number }): void {
  const ok = next.version <= 1 ? stored === undefined : stored?.version === next.version - 1;
  if (!ok) throw new Error(`lost write of ${what}: writing version ${next.version} over ${stored ? `version ${stored.version}` : 'nothing'}`);
}

function appendChecked<T extends { sequence: number }>(
  what: string,
  items: readonly T[],
  incidentOf: (item: T) => string,
  current: Map<string, T[]>,
): Map<string, T[]> {
  const next = new Map<string, T[]>();
  for (const item of items) {
    const id = incidentOf(item);
    const list = next.get(id) ?? [...(current.get(id) ?? [])];
    if (list.some((existing) => existing.sequence === item.sequence)) throw new Error(`${what} ${id}#${item.sequence} already exists`);
    if (item.sequence !== list.length + 1) throw new Error(`${what} ${id}#${item.sequence} leaves a gap after #${list.length}`);
    list.push(item);
    next.set(id, list);
  }
  return next;
}

/** A halted market, as `halt` leaves it, for tests that start from one. */
export function haltedMarket(id: string, incidentId: string, overrides: Partial<MarketState> = {}): MarketState {
  return { id, status: 'halted', segments: [], incidentId, haltedAt: T0, updatedAt: T0, version: 1, ...overrides };
}

/** An incident as stored, for tests of single decisions; defaults describe a fresh open one. */
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
    keys: { 'disk-1': { status: 'firing', at: T0 } },
    noticeSequence: 1,
    timelineSequence: 1,
    version: 1,
    ...overrides,
  };
}

/** A draft over `incident` at `ctx.now`, the way commands continue an incident's numbering. */
export function draftOf(incident: Incident, ctx: DecisionContext): IncidentDraft {
  return new IncidentDraft(incident, ctx.now, incident.version);
}

/** A small, seeded PRNG (mulberry32): the same seed gives the same shuffles on every run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates with an injected random source. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Inserts `count` redeliveries of random items at random places (at-least-once delivery). */
export function withRedeliveries<T>(items: readonly T[], count: number, random: () => number): T[] {
  const out = [...items];
  for (let i = 0; i < count; i += 1) {
    const copy = items[Math.floor(random() * items.length)]!;
    out.splice(Math.floor(random() * (out.length + 1)), 0, copy);
  }
  return out;
}

/** Source time `seconds` after T0. */
export const at = (seconds: number): number => T0 + seconds * 1000;

/**
 * The component (and market) an alarm key belongs to, by its prefix, matching TSE_CONFIG:
 * `disk-*` shared-disk (critical, equities), `feed-*` market-data, `surv-*` surveillance
 * (equities), `deriv-*` matching-engine, which reports itself as concerning derivatives.
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
