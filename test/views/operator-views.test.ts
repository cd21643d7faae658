import { parseConfig } from '../../lambda/core/config';
import type { LeaseState } from '../../lambda/core/lease';
import type { MarketState, TimelineEntry } from '../../lambda/core/model';
import type { Silence } from '../../lambda/core/silences';
import type { Outcome } from '../../lambda/core/use-cases/decide-and-commit';
import {
  groupTimeZone,
  incidentDetailView,
  incidentSummaryView,
  incidentView,
  leaseView,
  marketTimeZoneOf,
  marketView,
  noticeView,
  operateReply,
  silenceTimeZone,
  silenceView,
  statusOverview,
  timelineEntryView,
} from '../../lambda/views/operator-views';
import { MINUTE, SECOND, T0 } from '../helpers/domain';
import { haltedMarket, storedIncident } from '../helpers/domain-fixtures';
import { notice } from '../kit/notices';

/**
 * The operators' typed views, built from records with no store: ISO instants, each view naming
 * the IANA zone its instants belong to, and exactly the fields of the status and operate contract.
 */

const CONFIG = parseConfig({
  markets: [
    { id: 'equities', segments: ['prime', 'growth'], timeZone: 'Asia/Tokyo' },
    { id: 'nyse', timeZone: 'America/New_York' },
    { id: 'lse' },
  ],
  components: [
    { id: 'shared-disk', market: 'equities' },
    { id: 'order-router', market: 'nyse' },
    { id: 'billing' },
  ],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
});
const iso = (ms: number) => new Date(ms).toISOString();

describe('time zones of views', () => {
  it.each<[string, string | undefined, string]>([
    ['a configured market', 'nyse', 'America/New_York'],
    ['a market with the default zone', 'lse', 'UTC'],
    ['no market: the first market', undefined, 'Asia/Tokyo'],
    ['a market no longer configured: the first market', 'osaka', 'Asia/Tokyo'],
  ])('marketTimeZoneOf: %s', (_, market, zone) => {
    expect(marketTimeZoneOf(CONFIG, market)).toBe(zone);
  });

  it.each<[string, string, string]>([
    ["the market of the component of the group's id", 'shared-disk', 'Asia/Tokyo'],
    ['a group with no such component: the first market', 'matching', 'Asia/Tokyo'],
    ['a component of no market: the first market', 'billing', 'Asia/Tokyo'],
  ])('groupTimeZone: %s', (_, group, zone) => {
    expect(groupTimeZone(CONFIG, group)).toBe(zone);
  });

  it.each<[string, Silence['matchers'], string]>([
    ['its market matcher', { market: 'nyse', component: 'shared-disk' }, 'America/New_York'],
    ["its component's market", { component: 'order-router' }, 'America/New_York'],
    ['a dedup key prefix only: the first market', { dedupKeyPrefix: 'arn:aws:cloudwatch:' }, 'Asia/Tokyo'],
  ])('silenceTimeZone: %s', (_, matchers, zone) => {
    expect(silenceTimeZone(CONFIG, matchers)).toBe(zone);
  });
});

describe('marketView', () => {
  it.each<[string, MarketState, Record<string, unknown>]>([
    ['trading', { id: 'nyse', status: 'trading', segments: [], updatedAt: T0, version: 3 }, { market: 'nyse', status: 'trading', segments: [], timeZone: 'America/New_York' }],
    [
      'halted, some segments',
      haltedMarket('equities', 'inc-7', { segments: ['prime'] }),
      { market: 'equities', status: 'halted', segments: ['prime'], incidentId: 'inc-7', haltedAt: iso(T0), timeZone: 'Asia/Tokyo' },
    ],
    [
      'resume-scheduled',
      haltedMarket('equities', 'inc-7', { status: 'resume-scheduled', resumeAt: T0 + 60 * MINUTE, ordersAcceptedFrom: T0 + 45 * MINUTE }),
      { market: 'equities', status: 'resume-scheduled', segments: [], incidentId: 'inc-7', haltedAt: iso(T0), resumeAt: iso(T0 + 60 * MINUTE), ordersAcceptedFrom: iso(T0 + 45 * MINUTE), timeZone: 'Asia/Tokyo' },
    ],
  ])('%s: the state with ISO instants and its zone, nothing internal', (_, market, expected) => {
    expect(marketView(market, CONFIG)).toStrictEqual(expected);
  });
});

describe('leaseView', () => {
  const lease: LeaseState = { group: 'shared-disk', holder: 'unit-2', epoch: 4, version: 17, updatedAt: T0, drillStartedAt: T0, drillBy: 'tanaka', lastDrillAt: T0 };

  it.each<[string, LeaseState, Record<string, unknown>]>([
    ['no drill', lease, { group: 'shared-disk', holder: 'unit-2', epoch: 4, timeZone: 'Asia/Tokyo' }],
    ['a drill running', { ...lease, drillUntil: T0 + 19 * SECOND }, { group: 'shared-disk', holder: 'unit-2', epoch: 4, drillUntil: iso(T0 + 19 * SECOND), timeZone: 'Asia/Tokyo' }],
  ])('%s: holder, epoch, the drill deadline and the zone; no version or drill bookkeeping', (_, state, expected) => {
    expect(leaseView(state, CONFIG)).toStrictEqual(expected);
  });
});

describe('incidentSummaryView and incidentDetailView', () => {
  it('an announced incident paged to on-call, the duty manager next', () => {
    expect(incidentSummaryView(storedIncident(), CONFIG)).toStrictEqual({
      incidentId: 'inc-7',
      status: 'open',
      severity: 'major',
      market: 'equities',
      summary: 'shared disk unit 1 memory error',
      openedAt: iso(T0),
      startedAt: iso(T0),
      announced: true,
      escalation: { stage: 'on-call', next: { stage: 'duty-manager', at: iso(T0 + 5 * MINUTE) } },
      timeZone: 'Asia/Tokyo',
    });
  });

  it.each<[string, Parameters<typeof storedIncident>[0], Record<string, unknown>]>([
    ['past the last stage: the last stage is named', { pagedStage: 5, nextEscalation: { step: 7, at: T0 } }, { escalation: { stage: 'duty-manager', next: { stage: 'duty-manager', at: iso(T0) } } }],
    ['opened under a silence', { pagedStage: undefined, nextEscalation: undefined, silencedBy: 'sil-1', silencedUntil: T0 + 60 * MINUTE }, { silenced: { silenceId: 'sil-1', until: iso(T0 + 60 * MINUTE) } }],
    ['of a New York market', { market: 'nyse' }, { market: 'nyse', timeZone: 'America/New_York' }],
    ['never announced (a field the record may lack)', { announced: undefined }, { announced: false }],
  ])('%s', (_, overrides, expected) => {
    expect(incidentSummaryView(storedIncident(overrides), CONFIG)).toMatchObject(expected);
  });

  it("of no market, under a silence: on the first market's clock, with no market and no escalation", () => {
    const view = incidentSummaryView(storedIncident({ market: undefined, pagedStage: undefined, nextEscalation: undefined, silencedBy: 'sil-1', silencedUntil: T0 }), CONFIG);
    expect(view.timeZone).toBe('Asia/Tokyo');
    expect(view).not.toHaveProperty('market');
    expect(view).not.toHaveProperty('escalation');
  });

  it('the detail adds who acknowledged and resolved it, and its alarm counts', () => {
    // Prepare
    const incident = storedIncident({ status: 'resolved', acknowledgedAt: T0 + MINUTE, acknowledgedBy: 'suzuki', resolvedAt: T0 + 9 * MINUTE, resolvedBy: 'tanaka' });

    // Act
    const view = incidentDetailView({ incident, counts: { alarms: 12, firing: 0 } }, CONFIG);

    // Assess
    expect(view).toStrictEqual({
      ...incidentSummaryView(incident, CONFIG),
      acknowledgedAt: iso(T0 + MINUTE),
      acknowledgedBy: 'suzuki',
      resolvedAt: iso(T0 + 9 * MINUTE),
      resolvedBy: 'tanaka',
      alarms: 12,
      alarmsFiring: 0,
    });
  });
});

describe('incidentView', () => {
  it('numbers the timeline entries in order and lists the notices with their publication status', () => {
    // Prepare
    const entry = (seconds: number, kind: TimelineEntry['kind']): TimelineEntry => ({
      incidentId: 'inc-7',
      entryId: `${iso(T0 + seconds * SECOND)}#${seconds}`,
      at: T0 + seconds * SECOND,
      kind,
      actor: 'tanaka',
      text: kind,
      data: { internal: true },
    });
    const record = {
      incident: storedIncident(),
      counts: { alarms: 1, firing: 1 },
      timeline: [entry(0, 'incident-opened'), entry(30, 'halt')],
      notices: [
        { notice: notice(1, { incidentId: 'inc-7' }), status: 'sent' as const },
        { notice: notice(2, { incidentId: 'inc-7' }), status: 'pending' as const },
      ],
    };

    // Act
    const view = incidentView(record, CONFIG);

    // Assess
    expect(view.timeline).toStrictEqual([
      { sequence: 1, entryId: `${iso(T0)}#0`, at: iso(T0), kind: 'incident-opened', actor: 'tanaka', text: 'incident-opened' },
      { sequence: 2, entryId: `${iso(T0 + 30 * SECOND)}#30`, at: iso(T0 + 30 * SECOND), kind: 'halt', actor: 'tanaka', text: 'halt' },
    ]);
    expect(view.timeline).toStrictEqual(record.timeline.map(timelineEntryView));
    expect(view.notices).toStrictEqual([
      { noticeId: 'inc-7-n1', sequence: 1, type: 'incident-opened', status: 'sent', issuedAt: record.notices[0]!.notice.issuedAt, summary: 'incident-opened (1)' },
      noticeView(record.notices[1]!),
    ]);
    expect(view.notices[1]).toMatchObject({ sequence: 2, status: 'pending' });
    expect(view.incident).toMatchObject({ incidentId: 'inc-7', alarms: 1, alarmsFiring: 1, timeZone: 'Asia/Tokyo' });
  });
});

describe('silenceView', () => {
  const silence: Silence = {
    id: 'sil-1',
    matchers: { component: 'order-router' },
    from: T0,
    until: T0 + 120 * MINUTE,
    note: 'router patching',
    createdBy: 'suzuki',
    createdAt: T0 - MINUTE,
  };

  it.each<[string, Silence, number, Record<string, unknown>]>([
    ['scheduled', silence, T0 - MINUTE, { from: iso(T0), until: iso(T0 + 120 * MINUTE), inForce: false }],
    ['in force', silence, T0 + MINUTE, { inForce: true }],
    ['ended early by an operator: until is the end', { ...silence, endedAt: T0 + 30 * MINUTE, endedBy: 'tanaka' }, T0 + MINUTE, { until: iso(T0 + 30 * MINUTE), inForce: true }],
  ])('%s', (_, state, now, expected) => {
    const view = silenceView(state, CONFIG, now);
    expect(view).toMatchObject({ silenceId: 'sil-1', matchers: { component: 'order-router' }, note: 'router patching', createdBy: 'suzuki', timeZone: 'America/New_York', ...expected });
    expect(Object.keys(view).sort()).toEqual(['createdBy', 'from', 'inForce', 'matchers', 'note', 'silenceId', 'timeZone', 'until']);
  });
});

describe('statusOverview', () => {
  it('lists the markets, the incidents oldest first, the held leases, the silences still to end, and the time', () => {
    // Prepare
    const now = T0 + 10 * MINUTE;
    const lease: LeaseState = { group: 'shared-disk', holder: 'unit-1', epoch: 1, version: 9, updatedAt: now };
    const over: Silence = { id: 'sil-old', matchers: { market: 'nyse' }, from: T0 - 60 * MINUTE, until: T0, note: 'over', createdBy: 'suzuki', createdAt: T0 - 60 * MINUTE };
    const current: Silence = { ...over, id: 'sil-now', until: now + MINUTE, note: 'now' };

    // Act
    const overview = statusOverview(
      {
        markets: [haltedMarket('equities', 'inc-b'), { id: 'nyse', status: 'trading', segments: [], updatedAt: T0, version: 0 }],
        incidents: [storedIncident({ id: 'inc-b', openedAt: T0 + MINUTE }), storedIncident({ id: 'inc-c', openedAt: T0 }), storedIncident({ id: 'inc-a', openedAt: T0 })],
        leases: [lease, undefined],
        silences: { silences: [over, current], version: 2 },
      },
      CONFIG,
      now,
    );

    // Assess
    expect(overview.markets.map((m) => [m.market, m.status, m.timeZone])).toEqual([
      ['equities', 'halted', 'Asia/Tokyo'],
      ['nyse', 'trading', 'America/New_York'],
    ]);
    expect(overview.incidents.map((i) => i.incidentId)).toEqual(['inc-a', 'inc-c', 'inc-b']);
    expect(overview.groups).toStrictEqual([{ group: 'shared-disk', holder: 'unit-1', epoch: 1, timeZone: 'Asia/Tokyo' }]);
    expect(overview.silences.map((x) => x.silenceId)).toEqual(['sil-now']);
    expect(overview.generatedAt).toBe(iso(now));
    expect(Object.keys(overview).sort()).toEqual(['generatedAt', 'groups', 'incidents', 'markets', 'silences']);
  });
});

describe('operateReply', () => {
  const transition = { action: 'halted', timeline: [], notices: [] };

  it.each<[string, Outcome, Record<string, unknown>]>([
    [
      'a halt: the market and the notices it issued',
      {
        action: 'halted',
        incidentId: 'inc-7',
        attempts: 1,
        transition: { ...transition, market: haltedMarket('equities', 'inc-7'), notices: [notice(1, { incidentId: 'inc-7' }), notice(2, { incidentId: 'inc-7' })] },
      },
      {
        ok: true,
        command: 'declare-halt',
        action: 'halted',
        incidentId: 'inc-7',
        market: { market: 'equities', status: 'halted', segments: [], incidentId: 'inc-7', haltedAt: iso(T0), timeZone: 'Asia/Tokyo' },
        notices: [
          { noticeId: 'inc-7-n1', type: 'incident-opened', sequence: 1 },
          { noticeId: 'inc-7-n2', type: 'halt', sequence: 2 },
        ],
      },
    ],
    [
      'a promotion: the lease',
      { action: 'promoted', incidentId: 'inc-9', attempts: 2, transition: { ...transition, lease: { group: 'shared-disk', holder: 'unit-2', epoch: 2, version: 3, updatedAt: T0 } } },
      { ok: true, command: 'failover', action: 'promoted', incidentId: 'inc-9', lease: { group: 'shared-disk', holder: 'unit-2', epoch: 2, timeZone: 'Asia/Tokyo' }, notices: [] },
    ],
    [
      'a silence: its id, nothing else',
      { action: 'silenced', silenceId: 'sil-1', attempts: 1, transition },
      { ok: true, command: 'silence', action: 'silenced', silenceId: 'sil-1', notices: [] },
    ],
  ])('%s', (_, outcome, expected) => {
    expect(operateReply(expected.command as 'declare-halt', outcome, CONFIG)).toStrictEqual(expected);
  });
});
