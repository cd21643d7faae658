import { decideSignal, groupKeyOf, type SignalSnapshot } from '../../lambda/core/alarm-rules';
import type { PolicyConfig } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { noticeId } from '../../lambda/core/draft';
import { initialMarket, isNoChange, NOTICE_SCHEMA, PAGE_SCHEMA, type NoticeType } from '../../lambda/core/model';
import { SEVERITIES, type AlarmSignal, type Severity } from '../../lambda/core/signal';
import { SECOND, T0, TestClock, TSE_CONFIG, alarm } from '../helpers/domain';
import { at, firing, IncidentWorld, ok, seededRandom, shuffled, storedAlarm, storedIncident, withRedeliveries } from '../helpers/domain-fixtures';

/**
 * The alarm rules (shared/DESIGN.md, "Incident model"): dedup by source time, grouping,
 * severity, inhibition, the halt policy, and the promise that delivery order does not change the
 * outcome. Single decisions are checked on `decideSignal`; chains run the real `ingestSignal`,
 * `runCommand` and `sweepIncidents` over an in-memory store that commits under the DynamoDB
 * adapter's conditions (test/helpers/memory-store.ts).
 */

type PolicyInput = Partial<PolicyConfig>;
const QUIET = 60 * SECOND; // the default autoResolveQuietSeconds
const iso = (ms: number) => new Date(ms).toISOString();

function world(policy: PolicyInput = {}): IncidentWorld {
  return new IncidentWorld({ ...TSE_CONFIG, policy });
}

function fixedContext(policy: PolicyInput = {}, id = 'inc-fixed'): DecisionContext {
  const ctx = new TestClock(T0 + 5 * SECOND).context({ ...TSE_CONFIG, policy })();
  return { ...ctx, newIncidentId: () => id };
}

const trading = () => initialMarket('equities', 0);
const label = (e: AlarmSignal) => `${e.status === 'firing' ? 'F' : 'OK'}(${e.dedupKey}@${(e.occurredAt - T0) / SECOND},${e.severity})`;

describe('groupKeyOf', () => {
  it.each<[PolicyConfig['groupBy'], AlarmSignal, string]>([
    ['dedupKey', firing('disk-1', 0), 'key:disk-1'],
    ['component', firing('disk-1', 0), 'component:shared-disk'],
    ['market', firing('disk-1', 0), 'market:equities'],
    ['market', firing('deriv-1', 0), 'market:derivatives'],
    ['market', alarm({ component: 'not-configured' }), 'market:equities'],
    ['market', alarm({ component: 'shared-disk', market: 'derivatives' }), 'market:derivatives'],
  ])('groups by %s: %j → %s', (groupBy, signal, expected) => {
    // Prepare
    const ctx = fixedContext({ groupBy });

    // Act
    const key = groupKeyOf(signal, ctx);

    // Assess
    expect(key).toBe(expected);
  });
});

describe('decideSignal: the first firing', () => {
  it('opens an incident: the incident, its alarm, the group pointer, incident-opened logged, notice 1, page 1 to on-call, the duty-manager’s timer, counters +1/+1', () => {
    // Prepare
    const ctx = fixedContext();
    const signal = firing('disk-1', 0, { severity: 'critical', details: { alarmName: 'disk-1' } });

    // Act
    const t = decideSignal({ groupKey: 'key:disk-1', market: trading() }, signal, ctx);

    // Assess
    expect(t.action).toBe('opened');
    expect(t.incident).toEqual({
      id: 'inc-fixed',
      groupKey: 'key:disk-1',
      status: 'open',
      severity: 'critical',
      component: 'shared-disk',
      market: 'equities',
      summary: signal.summary,
      openedAt: ctx.now,
      startedAt: at(0),
      noticeSequence: 1,
      typeSequences: { 'incident-opened': 1 },
      announced: true,
      pageSequence: 1,
      pagedStage: 0,
      nextEscalation: { step: 1, at: ctx.now + 300 * SECOND },
      version: 1,
    });
    expect(t.alarm).toEqual({ dedupKey: 'disk-1', status: 'firing', at: at(0), incidentId: 'inc-fixed', version: 1 });
    expect(t.incidentAlarm).toEqual({
      incidentId: 'inc-fixed',
      dedupKey: 'disk-1',
      status: 'firing',
      at: at(0),
      severity: 'critical',
      component: 'shared-disk',
      summary: signal.summary,
    });
    expect(t.group).toEqual({ groupKey: 'key:disk-1', incidentId: 'inc-fixed', version: 1 });
    expect(t.counts).toEqual({ incidentId: 'inc-fixed', alarms: 1, firing: 1 });
    expect(t.timeline).toEqual([
      {
        incidentId: 'inc-fixed',
        entryId: `${iso(ctx.now)}#v0000000001.00`,
        at: ctx.now,
        kind: 'incident-opened',
        actor: 'alarm:disk-1',
        text: signal.summary,
        data: { dedupKey: 'disk-1', severity: 'critical', source: 'cloudwatch', alarmName: 'disk-1' },
      },
    ]);
    expect(t.notices).toEqual([
      {
        schema: NOTICE_SCHEMA,
        noticeId: 'inc-fixed-n1',
        type: 'incident-opened',
        incidentId: 'inc-fixed',
        sequence: 1,
        typeSequence: 1,
        market: 'equities',
        segments: [],
        severity: 'critical',
        issuedAt: iso(ctx.now),
        effectiveAt: iso(at(0)),
        summary: signal.summary,
        detail: { component: 'shared-disk', source: 'cloudwatch', incidentStartedAt: iso(at(0)) },
        fix: {},
      },
    ]);
    expect(t.pages).toEqual([
      {
        schema: PAGE_SCHEMA,
        pageId: 'inc-fixed-p1',
        type: 'opened',
        incidentId: 'inc-fixed',
        stage: 'on-call',
        severity: 'critical',
        component: 'shared-disk',
        market: 'equities',
        summary: signal.summary,
        announced: true,
        issuedAt: iso(ctx.now),
        openedAt: iso(ctx.now),
      },
    ]);
    expect(t.timers).toEqual([{ incidentId: 'inc-fixed', step: 1, at: ctx.now + 300 * SECOND }]);
    expect(t.market).toBeUndefined();
  });

  it('decides the same transition, notice and page ids included, when the same delivery is decided again', () => {
    // Prepare: a retry after a lost race re-reads the same snapshot
    const snapshot: SignalSnapshot = { groupKey: 'key:disk-1', market: trading() };
    const signal = firing('disk-1', 0, { severity: 'critical' });

    // Act
    const first = decideSignal(snapshot, signal, fixedContext());
    const retry = decideSignal(snapshot, signal, fixedContext());

    // Assess
    expect(retry).toEqual(first);
    expect(first.notices[0]!.noticeId).toBe(noticeId('inc-fixed', 1));
    expect(noticeId('inc-fixed', 1)).toBe('inc-fixed-n1');
    expect(first.pages!.map((p) => p.pageId)).toEqual(['inc-fixed-p1']);
  });

  it('opens the incident over a group pointer left by a resolved incident, the pointer at its next version', () => {
    // Prepare
    const resolved = storedIncident({ status: 'resolved' });
    const snapshot: SignalSnapshot = {
      groupKey: 'key:disk-1',
      group: { groupKey: 'key:disk-1', incidentId: resolved.id, version: 3 },
      incident: resolved,
      alarm: storedAlarm({ status: 'resolved', at: at(5), version: 2 }),
      market: trading(),
    };

    // Act
    const t = decideSignal(snapshot, firing('disk-1', 20), fixedContext());

    // Assess: what the resolved incident accounted for (through 5 s) stays its own
    expect(t.action).toBe('opened');
    expect(t.group).toEqual({ groupKey: 'key:disk-1', incidentId: 'inc-fixed', version: 4 });
    expect(t.alarm).toEqual({ dedupKey: 'disk-1', status: 'firing', at: at(20), incidentId: 'inc-fixed', closedThrough: at(5), version: 3 });
  });

  it('names notices <incidentId>-n<sequence> and pages <incidentId>-p<n> in the world, from the first on', async () => {
    // Prepare
    const w = world();

    // Act
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(step.incidentId).toBe('inc-1');
    expect(w.noticesOf('inc-1').map((n) => n.noticeId)).toEqual(['inc-1-n1']);
    expect(w.pagesOf('inc-1').map((p) => p.pageId)).toEqual(['inc-1-p1']);
  });

  it.each<[string, AlarmSignal, NoticeType[]]>([
    ['a critical alarm of the participant-facing shared disk', firing('disk-1', 0, { severity: 'critical' }), ['incident-opened']],
    ['a major alarm of the participant-facing shared disk (below announceSeverity)', firing('disk-1', 0), []],
    ['a critical alarm of market data (internal)', firing('feed-1', 0, { severity: 'critical' }), []],
    ['a critical alarm of a component not configured', firing('deriv-1', 0, { severity: 'critical' }), []],
    ['a critical bookkeeping alarm of the shared disk', firing('disk-1', 0, { severity: 'critical', bookkeeping: true }), []],
  ])('opens an incident for %s: notices %j, and always page 1 to on-call', (_, signal, notices) => {
    // Act
    const t = decideSignal({ groupKey: `key:${signal.dedupKey}`, market: trading() }, signal, fixedContext());

    // Assess
    expect(t.action).toBe('opened');
    expect(t.notices.map((n) => n.type)).toEqual(notices);
    expect(t.incident!.announced ?? false).toBe(notices.length > 0);
    expect(t.incident!.noticeSequence).toBe(notices.length);
    expect(t.pages!.map((p) => [p.type, p.stage, p.announced])).toEqual([['opened', 'on-call', notices.length > 0]]);
  });
});

describe('ingest: duplicates and older deliveries', () => {
  it.each<[string, AlarmSignal]>([
    ['the same firing redelivered', firing('disk-1', 10)],
    ['an older OK delivered late', ok('disk-1', 5)],
    ['an OK with the same source time as the firing', ok('disk-1', 10)],
    ['the same firing redelivered with a lesser severity', firing('disk-1', 10, { severity: 'info' })],
  ])('refuses %s as a duplicate naming the incident, writing nothing', async (_, late) => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 10));
    const before = { incident: w.incident('inc-1'), alarm: w.alarm('disk-1'), commits: w.store.log.length };

    // Act
    const step = await w.deliver(late);

    // Assess
    expect(step.action).toBe('duplicate');
    expect(step.incidentId).toBe('inc-1');
    expect(isNoChange(step.outcome.transition)).toBe(true);
    expect(step.commits).toEqual([]);
    expect(w.store.log).toHaveLength(before.commits);
    expect(w.incident('inc-1')).toEqual(before.incident);
    expect(w.alarm('disk-1')).toEqual(before.alarm);
  });

  it('moves the incident’s start earlier for an older firing delivered late, with no timeline entry or notice', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 10));

    // Act
    const step = await w.deliver(firing('disk-1', 5));

    // Assess: the alarm's newest state stays the 10 s firing
    expect(step.action).toBe('duplicate');
    expect(step.commits).toHaveLength(1);
    const [t] = step.commits;
    expect(t!.incident).toMatchObject({ startedAt: at(5), version: 2 });
    expect([t!.alarm, t!.incidentAlarm, t!.counts]).toEqual([undefined, undefined, undefined]);
    expect(step.timeline).toEqual([]);
    expect(step.notices).toEqual([]);
    expect(w.incident('inc-1')).toMatchObject({ startedAt: at(5), version: 2 });
    expect(w.alarm('disk-1')).toMatchObject({ status: 'firing', at: at(10), version: 1 });
  });

  it.each([10, 50])('gathers a storm of %i critical firings of one key, in any order, into one incident with one notice and one page', async (n) => {
    // Prepare
    const w = world();
    const storm = shuffled(
      Array.from({ length: n }, (_, i) => firing('disk-1', i, { severity: 'critical' })),
      seededRandom(n),
    );

    // Act
    const actions = (await w.deliverAll(storm, 100)).map((s) => s.action);

    // Assess
    expect(w.incidents()).toHaveLength(1);
    expect(actions[0]).toBe('opened');
    expect(actions.slice(1).filter((a) => a !== 'refreshed' && a !== 'duplicate')).toEqual([]);
    expect(w.noticeTrail('inc-1')).toEqual([['incident-opened', 1]]);
    expect(w.pageTrail('inc-1')).toEqual([['opened', 'on-call']]);
    expect(w.timersOf('inc-1')).toHaveLength(1);
    expect(w.timelineOf('inc-1').map((e) => e.kind)).toEqual(['incident-opened']);
    expect(w.alarm('disk-1')).toMatchObject({ status: 'firing', at: at(n - 1), incidentId: 'inc-1' });
    expect(w.incident('inc-1').startedAt).toBe(at(0));
    expect(w.counts('inc-1')).toEqual({ alarms: 1, firing: 1 });
  });

  it('refreshes the alarm on a newer firing of the same key: the alarm’s item only', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 0));

    // Act
    const step = await w.deliver(firing('disk-1', 30));

    // Assess
    expect(step.action).toBe('refreshed');
    expect(step.commits).toEqual([
      { action: 'refreshed', incidentId: 'inc-1', alarm: { dedupKey: 'disk-1', status: 'firing', at: at(30), incidentId: 'inc-1', version: 2 }, timeline: [], notices: [] },
    ]);
    expect(w.incident('inc-1')).toMatchObject({ version: 1, noticeSequence: 0, pageSequence: 1 });
    expect(w.incidentAlarms('inc-1')).toEqual([expect.objectContaining({ dedupKey: 'disk-1', status: 'firing', at: at(0) })]);
  });
});

describe('ingest: grouping policy', () => {
  // Only disk-1 is announced by itself: critical, on the participant-facing shared disk.
  const alarms = [firing('disk-1', 0, { severity: 'critical' }), firing('disk-2', 1), firing('feed-1', 2), firing('deriv-1', 3)];

  it.each<[PolicyConfig['groupBy'], string[][], boolean[]]>([
    ['dedupKey', [['disk-1'], ['disk-2'], ['feed-1'], ['deriv-1']], [true, false, false, false]],
    ['component', [['disk-1', 'disk-2'], ['feed-1'], ['deriv-1']], [true, false, false]],
    ['market', [['disk-1', 'disk-2', 'feed-1'], ['deriv-1']], [true, false]],
  ])('groupBy %s gathers the alarms %j into one incident each, announced: %j, each paged once', async (groupBy, expected, announced) => {
    // Prepare
    const w = world({ groupBy });

    // Act
    await w.deliverAll(alarms, SECOND);

    // Assess
    expect(w.incidents().map((i) => Object.keys(w.alarmsOf(i.id)))).toEqual(expected);
    expect(w.incidents().map((i) => w.noticeTrail(i.id).length > 0)).toEqual(announced);
    for (const incident of w.incidents()) {
      expect(w.noticeTrail(incident.id)).toEqual(incident.announced ? [['incident-opened', 1]] : []);
      expect(w.pageTrail(incident.id)).toEqual([['opened', 'on-call']]);
      expect(w.counts(incident.id)).toEqual({ alarms: Object.keys(w.alarmsOf(incident.id)).length, firing: Object.keys(w.alarmsOf(incident.id)).length });
    }
  });

  it.each<[string, AlarmSignal, NoticeType[]]>([
    ['a critical alarm of the participant-facing shared disk announces it', firing('disk-2', 1, { severity: 'critical' }), ['incident-opened']],
    ['a major alarm of the shared disk leaves it to operators', firing('disk-2', 1), []],
    ['a critical alarm of internal surveillance leaves it to operators', firing('surv-1', 1, { severity: 'critical' }), []],
    ['a critical bookkeeping alarm of the shared disk leaves it to operators', firing('disk-2', 1, { severity: 'critical', bookkeeping: true }), []],
  ])('on a market-wide incident opened by internal market data, %s', async (_, joining, notices) => {
    // Prepare: market grouping gathers every equities alarm into one incident
    const w = world({ groupBy: 'market' });
    await w.deliver(firing('feed-1', 0, { severity: 'critical' }));

    // Act
    const step = await w.deliver(joining);

    // Assess
    expect(step.action).toBe('attached');
    expect(step.notices.map((n) => n.type)).toEqual(notices);
    expect(w.incident('inc-1').announced ?? false).toBe(notices.length > 0);
    if (notices.length) expect(step.notices[0]).toMatchObject({ sequence: 1, summary: joining.summary, effectiveAt: iso(joining.occurredAt), detail: { component: 'shared-disk' } });
    expect(step.pages).toEqual([]);
  });

  it('attaches a second alarm of the group without writing the incident: its alarm items, one alarm-attached entry, the counters', async () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0));
    const incident = w.incident('inc-1');

    // Act
    const step = await w.deliver(firing('disk-2', 1));

    // Assess
    expect(step.action).toBe('attached');
    expect(step.incidentId).toBe('inc-1');
    expect(step.commits).toHaveLength(1);
    const [t] = step.commits;
    expect(t!.incident).toBeUndefined();
    expect(t!.group).toBeUndefined();
    expect(t!.alarm).toEqual({ dedupKey: 'disk-2', status: 'firing', at: at(1), incidentId: 'inc-1', version: 1 });
    expect(t!.counts).toEqual({ incidentId: 'inc-1', alarms: 1, firing: 1 });
    expect(step.timeline.map((e) => [e.kind, e.actor])).toEqual([['alarm-attached', 'alarm:disk-2']]);
    expect(step.notices).toEqual([]);
    expect(w.incident('inc-1')).toEqual(incident);
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-2': 'firing' });
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 2 });
  });

  it('opens one incident per market when grouping by market, the market taken from the alarm or its component', async () => {
    // Prepare
    const w = world({ groupBy: 'market' });

    // Act
    await w.deliverAll([firing('feed-1', 0), firing('deriv-1', 0)]);

    // Assess
    expect(w.incidents().map((i) => [i.groupKey, i.market])).toEqual([
      ['market:equities', 'equities'],
      ['market:derivatives', 'derivatives'],
    ]);
  });
});

describe('ingest: severity', () => {
  const ranked = (a: Severity, b: Severity) => (SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b);
  const pairs = SEVERITIES.flatMap((first) => SEVERITIES.map((then) => [first, then] as [Severity, Severity]));

  it.each(pairs)('keeps the worst of %s then %s, logging and paging severity-raised only when it rises, announcing when it reaches critical', async (first, then) => {
    // Prepare
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0, { severity: first }));

    // Act
    const step = await w.deliver(firing('disk-2', 1, { severity: then }));

    // Assess
    const worst = ranked(first, then);
    expect(w.incident('inc-1').severity).toBe(worst);
    const raised = step.timeline.filter((e) => e.kind === 'severity-raised');
    expect(raised.map((e) => e.text)).toEqual(worst === first ? [] : [`Severity raised from ${first} to ${then}.`]);
    // The incident item is written only when its severity changed.
    expect(step.commits.some((t) => t.incident)).toBe(worst !== first);
    expect(step.pages.map((p) => [p.type, p.stage, p.severity])).toEqual(worst === first ? [] : [['severity-raised', 'on-call', then]]);
    // The shared disk faces participants: they hear of it once it is critical, and only once.
    expect(step.notices.map((n) => [n.type, n.sequence, n.severity])).toEqual(first !== 'critical' && then === 'critical' ? [['incident-opened', 1, 'critical']] : []);
    expect(w.noticeTrail('inc-1')).toEqual(worst === 'critical' ? [['incident-opened', 1]] : []);
  });

  it('raises the severity on a newer firing of the same key too', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 0, { severity: 'minor' }));

    // Act
    const step = await w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('refreshed');
    expect(w.incident('inc-1').severity).toBe('critical');
    expect(step.timeline.map((e) => e.kind)).toEqual(['severity-raised']);
  });

  it('raises the severity for an older, more severe firing of a key: incident, timeline, a page, and the announcement it now deserves', async () => {
    // Prepare: the critical firing at 5 is overtaken by a newer firing before it arrives
    const w = world();
    await w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 10, { severity: 'minor' })]);

    // Act
    const step = await w.deliver(firing('disk-1', 5, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('severity-raised');
    expect(w.incident('inc-1')).toMatchObject({ severity: 'critical', startedAt: at(0), announced: true });
    expect(w.alarm('disk-1')).toMatchObject({ status: 'firing', at: at(10) });
    expect(step.timeline.map((e) => e.kind)).toEqual(['severity-raised']);
    expect(step.pages.map((p) => [p.type, p.stage])).toEqual([['severity-raised', 'on-call']]);
    expect(step.notices.map((n) => [n.type, n.sequence, n.severity])).toEqual([['incident-opened', 1, 'critical']]);
  });

  it('raises the severity of an internal component’s incident without telling participants', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('feed-1', 0, { severity: 'minor' }));

    // Act
    const step = await w.deliver(firing('feed-1', 1, { severity: 'critical' }));

    // Assess
    expect(w.incident('inc-1')).toMatchObject({ severity: 'critical', noticeSequence: 0 });
    expect(step.pages.map((p) => [p.type, p.severity, p.announced])).toEqual([['severity-raised', 'critical', false]]);
    expect(step.notices).toEqual([]);
  });

  it.each<Severity>(['minor', 'info'])('refuses an older firing of no worse severity (%s) as a duplicate', async (severity) => {
    // Prepare
    const w = world();
    await w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 10, { severity: 'minor' })]);

    // Act
    const step = await w.deliver(firing('disk-1', 5, { severity }));

    // Assess
    expect(step.action).toBe('duplicate');
    expect(step.commits).toEqual([]);
  });

  it('does not raise the severity for an OK report, however severe its label', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 0, { severity: 'minor' }));

    // Act
    const step = await w.deliver(ok('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(w.incident('inc-1').severity).toBe('minor');
    expect(step.timeline.map((e) => e.kind)).not.toContain('severity-raised');
  });

  it.each<[Severity, [NoticeType, Severity][]]>([
    [
      'critical',
      [
        ['incident-opened', 'critical'],
        ['incident-resolved', 'critical'],
      ],
    ],
    [
      'minor',
      [
        ['incident-opened', 'minor'],
        ['incident-resolved', 'critical'],
      ],
    ],
  ])('with announceSeverity %s, announces when the incident reaches it and numbers later notices with the raised severity', async (announceSeverity, expected) => {
    // Prepare
    const w = world({ announceSeverity });
    await w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 1, { severity: 'critical' }), ok('disk-1', 2)]);
    w.clock.advance(QUIET);

    // Act
    await w.sweep();

    // Assess
    expect(w.noticesOf('inc-1').map((n) => [n.type, n.severity])).toEqual(expected);
    expect(w.noticesOf('inc-1').map((n) => n.sequence)).toEqual([1, 2]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['severity-raised', 'on-call'],
      ['resolved', 'on-call'],
    ]);
  });
});

describe('ingest: an OK delivered before its own firing', () => {
  it('remembers the OK on the alarm’s own item, with no incident, group, timeline or notice', async () => {
    // Prepare
    const w = world();

    // Act
    const step = await w.deliver(ok('disk-1', 10));

    // Assess
    expect(step.action).toBe('recorded');
    expect(step.commits).toEqual([{ action: 'recorded', alarm: { dedupKey: 'disk-1', status: 'resolved', at: at(10), version: 1 }, timeline: [], notices: [] }]);
    expect(w.incidents()).toEqual([]);
    expect(w.group('key:disk-1')).toBeUndefined();
  });

  it.each<[string, AlarmSignal]>([
    ['the same OK again', ok('disk-1', 10)],
    ['an older OK', ok('disk-1', 5)],
  ])('refuses %s as a duplicate of the remembered OK', async (_, again) => {
    // Prepare
    const w = world();
    await w.deliver(ok('disk-1', 10));

    // Act
    const step = await w.deliver(again);

    // Assess
    expect(step.action).toBe('duplicate');
    expect(step.commits).toEqual([]);
  });

  it('opens the incident already resolve-pending when the older firing arrives, then resolves on the sweep', async () => {
    // Prepare
    const w = world();
    await w.deliver(ok('disk-1', 10));

    // Act
    const opened = await w.deliver(firing('disk-1', 0));
    w.clock.advance(QUIET);
    const swept = await w.sweep();

    // Assess
    expect(opened.action).toBe('opened');
    expect(opened.commits).toHaveLength(1);
    expect(opened.commits[0]!.incident).toMatchObject({ status: 'open', startedAt: at(0), resolvePendingSince: T0 });
    expect(opened.commits[0]!.alarm).toEqual({ dedupKey: 'disk-1', status: 'resolved', at: at(10), incidentId: 'inc-1', version: 2 });
    expect(opened.commits[0]!.counts).toEqual({ incidentId: 'inc-1', alarms: 1, firing: 0 });
    expect(opened.timeline.map((e) => e.kind)).toEqual(['incident-opened', 'resolve-pending']);
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'resolved' });
    expect(swept.resolved.map((o) => o.incidentId)).toEqual(['inc-1']);
    expect(w.incident('inc-1')).toMatchObject({ status: 'resolved', startedAt: at(0) });
    // A major alarm: operators hear of it from start to end, participants never.
    expect(w.noticeTrail('inc-1')).toEqual([]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['resolved', 'on-call'],
    ]);
  });

  it('opens the incident plainly open when autoResolve is false', async () => {
    // Prepare
    const w = world({ autoResolve: false });
    await w.deliver(ok('disk-1', 10));

    // Act
    const step = await w.deliver(firing('disk-1', 0));

    // Assess
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
    expect(step.timeline.map((e) => e.kind)).toEqual(['incident-opened']);
  });

  it('opens a firing incident when the remembered OK is older than the firing', async () => {
    // Prepare
    const w = world();
    await w.deliver(ok('disk-1', 0));

    // Act
    await w.deliver(firing('disk-1', 10));

    // Assess
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing' });
    expect(w.alarm('disk-1')).toMatchObject({ status: 'firing', at: at(10) });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
  });

  it('lists an alarm already OK on the open incident of its group when its older firing arrives', async () => {
    // Prepare: disk-2's OK (9 s) arrives before disk-1's firing opens the component's incident,
    // and before its own firing (5 s)
    const w = world({ groupBy: 'component' });
    await w.deliverAll([ok('disk-2', 9), firing('disk-1', 0)]);

    // Act
    const step = await w.deliver(firing('disk-2', 5));

    // Assess
    expect(step.action).toBe('attached');
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-2': 'resolved' });
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 1 });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
  });
});

describe('ingest: after the incident resolved', () => {
  async function resolvedWorld(policy: PolicyInput = {}): Promise<IncidentWorld> {
    const w = world(policy);
    await w.deliverAll([firing('disk-1', 0), firing('disk-1', 5), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    await w.sweep();
    expect(w.incident('inc-1').status).toBe('resolved');
    return w;
  }

  it.each<[string, AlarmSignal]>([
    ['the opening firing replayed', firing('disk-1', 0)],
    ['a refresh replayed', firing('disk-1', 5)],
    ['the OK replayed', ok('disk-1', 10)],
    ['an older OK arriving late', ok('disk-1', 7)],
    ['an older, more severe firing arriving late', firing('disk-1', 3, { severity: 'critical' })],
  ])('refuses %s as a duplicate of the resolved incident, writing nothing', async (_, replay) => {
    // Prepare
    const w = await resolvedWorld();
    const commits = w.store.log.length;

    // Act
    const step = await w.deliver(replay);

    // Assess
    expect(step.action).toBe('duplicate');
    expect(step.incidentId).toBe('inc-1');
    expect(w.store.log).toHaveLength(commits);
    expect(w.incident('inc-1').severity).toBe('major');
  });

  it('opens a NEW incident when the key fires again after the resolution', async () => {
    // Prepare
    const w = await resolvedWorld();

    // Act
    const step = await w.deliver(firing('disk-1', 11));

    // Assess
    expect(step.action).toBe('opened');
    expect(step.incidentId).toBe('inc-2');
    expect(w.group('key:disk-1')!.incidentId).toBe('inc-2');
    expect(w.alarm('disk-1')).toMatchObject({ status: 'firing', at: at(11), incidentId: 'inc-2', closedThrough: at(10) });
    expect(w.pagesOf('inc-2').map((p) => [p.pageId, p.type])).toEqual([['inc-2-p1', 'opened']]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['resolved', 'on-call'],
    ]);
    expect([w.noticeTrail('inc-1'), w.noticeTrail('inc-2')]).toEqual([[], []]);
    expect(w.incident('inc-1').status).toBe('resolved');
    expect(w.incident('inc-2').startedAt).toBe(at(11));
  });

  it('remembers a newer OK on the alarm without reopening anything, and a replay of the old firing then opens nothing', async () => {
    // Prepare
    const w = await resolvedWorld();

    // Act
    const recorded = await w.deliver(ok('disk-1', 20));
    const replay = await w.deliver(firing('disk-1', 0));

    // Assess: the alarm keeps what the resolved incident accounted for (through 10 s)
    expect(recorded.action).toBe('recorded');
    expect(recorded.notices).toEqual([]);
    expect(w.alarm('disk-1')).toEqual({ dedupKey: 'disk-1', status: 'resolved', at: at(20), closedThrough: at(10), version: 4 });
    expect(w.group('key:disk-1')).toMatchObject({ incidentId: 'inc-1' });
    expect(replay.action).toBe('duplicate');
    expect(replay.commits).toEqual([]);
    expect(w.incidents()).toHaveLength(1);
  });

  it('opens an incident already OK for a firing no incident accounted for, older than the OK remembered after the resolution', async () => {
    // Prepare: 15 s is after what inc-1 accounted for (10 s) and before the OK remembered at 20 s
    const w = await resolvedWorld();
    await w.deliver(ok('disk-1', 20));

    // Act
    const step = await w.deliver(firing('disk-1', 15));

    // Assess
    expect(step.action).toBe('opened');
    expect(w.incident('inc-2')).toMatchObject({ startedAt: at(15), resolvePendingSince: w.clock.now });
    expect(w.alarmsOf('inc-2')).toEqual({ 'disk-1': 'resolved' });
  });

  it('opens a new incident for an alarm the resolved incident never saw, even when it fired before the resolved one ended', async () => {
    // Prepare: disk-2's firing (source time 5) is delayed past the resolution of the component's
    // incident, whose only alarm, disk-1, went OK at 10. disk-2 never went OK: it still fires.
    const w = await resolvedWorld({ groupBy: 'component' });

    // Act
    const step = await w.deliver(firing('disk-2', 5));

    // Assess: it is not a replay of anything inc-1 accounted for, so it must not be dropped
    expect(step.action).toBe('opened');
    expect(w.incidents()).toHaveLength(2);
    expect(w.incident('inc-2').startedAt).toBe(at(5));
  });
});

describe('ingest: replays after a new incident replaced a resolved one', () => {
  it('refuses a replay of the previous incident’s critical firing: it must not raise the new incident’s severity nor move its start', async () => {
    // Prepare: inc-1 (critical) resolved; the key fires again (minor) and opens inc-2
    const w = world();
    await w.deliverAll([firing('disk-1', 0, { severity: 'critical' }), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    await w.sweep();
    await w.deliver(firing('disk-1', 20, { severity: 'minor' }));
    const commits = w.store.log.length;

    // Act: at-least-once delivery hands the very first firing over once more
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('duplicate');
    expect(w.store.log).toHaveLength(commits);
    expect(w.incident('inc-2')).toMatchObject({ severity: 'minor', startedAt: at(20) });
  });

  it('refuses a replay of an alarm the resolved incident accounted for: it must not attach to the new incident', async () => {
    // Prepare: component grouping; inc-1 saw disk-1 fire and go OK and resolved; disk-2's late
    // firing then opened inc-2
    const w = world({ groupBy: 'component' });
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    await w.sweep();
    await w.deliver(firing('disk-2', 5));
    const commits = w.store.log.length;

    // Act: disk-1's old firing is delivered again
    const step = await w.deliver(firing('disk-1', 0));

    // Assess: it changes nothing; in particular inc-2 does not believe disk-1 is firing
    expect(step.commits).toEqual([]);
    expect(w.store.log).toHaveLength(commits);
    expect(w.alarmsOf('inc-2')).toEqual({ 'disk-2': 'firing' });
  });

  it('refuses a replay of the resolved incident’s firing once the alarm has joined the new incident', async () => {
    // Prepare: as above, then disk-1 fires again (12 s) and so joins inc-2
    const w = world({ groupBy: 'component' });
    await w.deliverAll([firing('disk-1', 0, { severity: 'critical' }), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    await w.sweep();
    await w.deliverAll([firing('disk-2', 5, { severity: 'minor' }), firing('disk-1', 12, { severity: 'minor' })]);
    const commits = w.store.log.length;

    // Act
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('duplicate');
    expect(w.store.log).toHaveLength(commits);
    expect(w.incident('inc-2')).toMatchObject({ severity: 'minor', startedAt: at(5) });
    expect(w.alarmsOf('inc-2')).toEqual({ 'disk-1': 'firing', 'disk-2': 'firing' });
    expect(w.alarm('disk-1')).toMatchObject({ at: at(12), incidentId: 'inc-2', closedThrough: at(10) });
  });
});

describe('ingest: inhibition while the market is halted', () => {
  async function haltedForDisk(): Promise<IncidentWorld> {
    const w = world();
    await w.deliver(firing('disk-1', 0));
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'shared disk failure' });
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
    return w;
  }

  it('attaches a new alarm of the halted component (another dedup key) to the halting incident, with no notice', async () => {
    // Prepare
    const w = await haltedForDisk();

    // Act
    const step = await w.deliver(firing('disk-2', 5, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('inhibited');
    expect(step.incidentId).toBe('inc-1');
    expect(w.incident('inc-1').severity).toBe('critical');
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-2': 'firing' });
    expect(step.timeline.map((e) => e.kind)).toEqual(['alarm-attached', 'severity-raised']);
    expect(step.timeline[0]!.text).toMatch(/^\(inhibited: market halted\) /);
    expect(step.notices).toEqual([]);
    expect(w.group('key:disk-2')).toEqual({ groupKey: 'key:disk-2', incidentId: 'inc-1', version: 1 });
    expect(w.incidents()).toHaveLength(1);
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 2 });
  });

  it('routes the inhibited alarm’s later reports to the halting incident', async () => {
    // Prepare
    const w = await haltedForDisk();
    await w.deliver(firing('disk-2', 5));

    // Act
    const step = await w.deliver(ok('disk-2', 6));

    // Assess
    expect(step.action).toBe('alarm-resolved');
    expect(step.incidentId).toBe('inc-1');
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-2': 'resolved' });
  });

  it('remembers an OK of a new alarm of the halted component without listing it; its older firing then joins the halting incident already OK', async () => {
    // Prepare
    const w = await haltedForDisk();

    // Act
    const recorded = await w.deliver(ok('disk-3', 9));
    const joined = await w.deliver(firing('disk-3', 8));

    // Assess
    expect(recorded.action).toBe('recorded');
    expect(recorded.commits.map((t) => [t.alarm, t.incidentAlarm, t.timeline, t.notices])).toEqual([
      [{ dedupKey: 'disk-3', status: 'resolved', at: at(9), version: 1 }, undefined, [], []],
    ]);
    expect(joined.action).toBe('inhibited');
    expect(joined.timeline.map((e) => [e.kind, e.actor])).toEqual([['alarm-attached', 'alarm:disk-3']]);
    expect(joined.notices).toEqual([]);
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-3': 'resolved' });
    expect(w.group('key:disk-3')).toMatchObject({ incidentId: 'inc-1' });
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 1 });
  });

  it('brings an OK remembered before the halt into the halting incident when its older firing arrives', async () => {
    // Prepare: disk-2's OK (source time 9) arrived before the halt and before its own firing (5)
    const w = world();
    await w.deliver(firing('disk-1', 0));
    await w.deliver(ok('disk-2', 9));
    await w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Act
    const step = await w.deliver(firing('disk-2', 5));

    // Assess: the group now points at the halting incident, which lists the alarm as OK
    expect(step.notices).toEqual([]);
    expect(w.group('key:disk-2')).toMatchObject({ incidentId: 'inc-1' });
    expect(w.alarm('disk-2')).toMatchObject({ status: 'resolved', at: at(9), incidentId: 'inc-1' });
    expect(w.alarmsOf('inc-1')).toEqual({ 'disk-1': 'firing', 'disk-2': 'resolved' });
  });

  it.each<[string, AlarmSignal]>([
    ['market data (internal)', firing('feed-1', 5)],
    ['surveillance, even when critical', firing('surv-1', 5, { severity: 'critical' })],
  ])('inhibits an alarm of another component of the halted market, %s: it joins the halting incident, with no incident, page or notice of its own', async (_, signal) => {
    // Prepare
    const w = await haltedForDisk();

    // Act
    const step = await w.deliver(signal);

    // Assess
    expect(step.action).toBe('inhibited');
    expect(step.incidentId).toBe('inc-1');
    expect(w.incidents()).toHaveLength(1);
    expect(step.notices).toEqual([]);
    expect(w.group(`key:${signal.dedupKey}`)).toMatchObject({ incidentId: 'inc-1' });
    expect(Object.keys(w.alarmsOf('inc-1'))).toEqual(['disk-1', signal.dedupKey].sort());
  });

  it.each<[string, AlarmSignal, NoticeType[]]>([
    ['of a component not configured, paged only', firing('deriv-1', 5, { severity: 'critical' }), []],
    ['of a participant-facing component, announced by its own rules', firing('deriv-2', 5, { severity: 'critical', component: 'clearing' }), ['incident-opened']],
  ])('opens its own incident for an alarm of another market %s', async (_, signal, notices) => {
    // Prepare
    const w = new IncidentWorld({ ...TSE_CONFIG, components: [...TSE_CONFIG.components!, { id: 'clearing', market: 'derivatives', participantFacing: true }] });
    await w.deliver(firing('disk-1', 0));
    await w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Act
    const step = await w.deliver(signal);

    // Assess
    expect(step.action).toBe('opened');
    expect(step.incidentId).toBe('inc-2');
    expect(w.incident('inc-2').market).toBe('derivatives');
    expect(w.noticeTrail('inc-2').map(([type]) => type)).toEqual(notices);
    expect(w.pageTrail('inc-2')).toEqual([['opened', 'on-call']]);
  });

  it('opens its own incident for Tocsin’s bookkeeping alarm on the halted market: it still pages, and tells participants nothing', async () => {
    // Prepare
    const w = await haltedForDisk();

    // Act
    const step = await w.deliver(firing('disk-2', 5, { severity: 'critical', bookkeeping: true, mayHalt: false }));

    // Assess
    expect(step.action).toBe('opened');
    expect(w.incident(step.incidentId)).toMatchObject({ internal: true, noticeSequence: 0 });
    expect(w.noticeTrail(step.incidentId)).toEqual([]);
    expect(w.pageTrail(step.incidentId)).toEqual([['opened', 'on-call']]);
  });

  it('announces the halting incident, unannounced until the halt, and numbers the halt after it', async () => {
    // Act: a major disk alarm reaches operators only, until an operator halts the market for it
    const w = await haltedForDisk();

    // Assess
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(w.incident('inc-1').announced).toBe(true);
  });

  it('stops inhibiting once the halting incident is resolved', async () => {
    // Prepare
    const w = await haltedForDisk();
    await w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Act
    const step = await w.deliver(firing('disk-2', 5));

    // Assess
    expect(step.action).toBe('opened');
    expect(step.incidentId).toBe('inc-2');
  });

  it('leaves an alarm that already has its own open incident there', async () => {
    // Prepare
    const w = world();
    await w.deliverAll([firing('disk-1', 0), firing('disk-2', 1)]);
    await w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Act
    const step = await w.deliver(firing('disk-2', 5));

    // Assess
    expect(step.action).toBe('refreshed');
    expect(step.incidentId).toBe('inc-2');
  });
});

describe('ingest: halt policy (haltOnCritical)', () => {
  it('halts the market in the same transition: notice 2 halt, market halted for the incident', async () => {
    // Prepare
    const w = world({ haltOnCritical: true });

    // Act
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('opened');
    expect(step.commits).toHaveLength(1);
    expect(step.notices.map((n) => [n.type, n.sequence, n.noticeId])).toEqual([
      ['incident-opened', 1, 'inc-1-n1'],
      ['halt', 2, 'inc-1-n2'],
    ]);
    expect(step.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['incident-opened', 'alarm:disk-1'],
      ['halt', 'policy'],
    ]);
    expect(step.commits[0]!.market).toEqual({ id: 'equities', status: 'halted', segments: [], incidentId: 'inc-1', haltedAt: w.clock.now, updatedAt: w.clock.now, version: 1 });
    expect(w.market('equities').status).toBe('halted');
  });

  it('halts when an open incident’s alarm turns critical, with severity-raised, the announcement and the halt in one transition', async () => {
    // Prepare
    const w = world({ haltOnCritical: true });
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));

    // Act
    const step = await w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('halted');
    expect(step.commits).toHaveLength(1);
    expect(step.timeline.map((e) => e.kind)).toEqual(['severity-raised', 'halt']);
    expect(step.notices.map((n) => [n.type, n.sequence])).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(step.pages.map((p) => [p.type, p.stage])).toEqual([['severity-raised', 'on-call']]);
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
  });

  it.each<[string, PolicyInput, AlarmSignal, NoticeType[]]>([
    ['the policy is off', { haltOnCritical: false }, firing('disk-1', 0, { severity: 'critical' }), ['incident-opened']],
    ['the component is not marked critical', { haltOnCritical: true }, firing('feed-1', 0, { severity: 'critical' }), []],
    ['the component is not configured', { haltOnCritical: true }, firing('deriv-1', 0, { severity: 'critical' }), []],
    ['the alarm is only major', { haltOnCritical: true }, firing('disk-1', 0, { severity: 'major' }), []],
    ['the alarm may not halt', { haltOnCritical: true }, firing('disk-1', 0, { severity: 'critical', mayHalt: false }), ['incident-opened']],
    ['the alarm is Tocsin’s bookkeeping', { haltOnCritical: true }, firing('disk-1', 0, { severity: 'critical', bookkeeping: true }), []],
  ])('does not halt when %s (notices: %j)', async (_, policy, signal, notices) => {
    // Prepare
    const w = world(policy);

    // Act
    const step = await w.deliver(signal);

    // Assess
    expect(step.action).toBe('opened');
    expect(step.commits.some((t) => t.market)).toBe(false);
    expect(step.notices.map((n) => n.type)).toEqual(notices);
    expect(step.pages.map((p) => p.type)).toEqual(['opened']);
    expect(w.market('equities').status).toBe('trading');
  });

  it('halts for a bookkeeping alarm that says it may (a holder went silent with no ready standby), announcing the incident first', async () => {
    // Prepare
    const w = world({ haltOnCritical: true });

    // Act
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical', bookkeeping: true, mayHalt: true }));

    // Assess
    expect(step.action).toBe('opened');
    expect(w.incident('inc-1')).toMatchObject({ internal: true, announced: true });
    expect(step.notices.map((n) => [n.type, n.sequence])).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
  });

  it('does not halt again when the market is already halted for another incident: the critical alarm joins it (inhibition)', async () => {
    // Prepare
    const w = world({ haltOnCritical: true });
    await w.deliver(firing('feed-1', 0));
    await w.command({ command: 'declare-halt', incidentId: 'inc-1' });
    const halted = w.market('equities');

    // Act
    const step = await w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess: the halting incident, already announced by its halt, is only raised
    expect(step.action).toBe('inhibited');
    expect(step.incidentId).toBe('inc-1');
    expect(step.commits.some((t) => t.market)).toBe(false);
    expect(step.notices).toEqual([]);
    expect(w.incident('inc-1')).toMatchObject({ severity: 'critical', noticeSequence: 2 });
    expect(w.market('equities')).toEqual(halted);
  });

  it('does not halt again for a second critical alarm of the halting incident', async () => {
    // Prepare
    const w = world({ haltOnCritical: true, groupBy: 'component' });
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Act
    const step = await w.deliver(firing('disk-2', 1, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('attached');
    expect(step.commits.some((t) => t.market)).toBe(false);
    expect(step.notices).toEqual([]);
  });
});

describe('ingest: after an operator resolved an incident whose alarm still fires', () => {
  it('refuses replays as duplicates, and opens a new incident for a newer firing', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 0));
    await w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Act
    const replay = await w.deliver(firing('disk-1', 0));
    const again = await w.deliver(firing('disk-1', 1));

    // Assess
    expect(replay.action).toBe('duplicate');
    expect(replay.commits).toEqual([]);
    expect(again.action).toBe('opened');
    expect(again.incidentId).toBe('inc-2');
    expect(w.counts('inc-2')).toEqual({ alarms: 1, firing: 1 });
  });
});

describe('ingest: concurrent deliveries', () => {
  /** Delivers every signal at once, each decided before any of them commits. */
  async function atOnce(w: IncidentWorld, signals: readonly AlarmSignal[]) {
    const held = signals.map((signal) => w.store.holdBefore('commit', (t) => t.alarm?.dedupKey === signal.dedupKey));
    const steps = signals.map((signal) => w.deliver(signal));
    await Promise.all(held.map((h) => h.reached));
    for (const h of held) h.release();
    return Promise.all(steps);
  }

  it('attaches a storm of alarms to an open incident at the first attempt each: no item is written by two of them', async () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-0', 0));
    const storm = Array.from({ length: 20 }, (_, i) => firing(`disk-${i + 1}`, i + 1));

    // Act
    const steps = await atOnce(w, storm);

    // Assess
    expect(steps.map((s) => [s.action, s.outcome.attempts])).toEqual(storm.map(() => ['attached', 1]));
    expect(w.incident('inc-1').version).toBe(1);
    expect(Object.values(w.alarmsOf('inc-1'))).toEqual(Array(21).fill('firing'));
    expect(w.counts('inc-1')).toEqual({ alarms: 21, firing: 21 });
    expect(w.timelineOf('inc-1')).toHaveLength(21);
  });

  it('opens one incident for first firings of one group that all read no incident: the others lose the race, decide again and attach, announcing and paging once', async () => {
    // Prepare: each would announce the incident it opens (critical, participant-facing)
    const w = world({ groupBy: 'component' });
    const storm = Array.from({ length: 5 }, (_, i) => firing(`disk-${i + 1}`, 5 - i, { severity: 'critical' }));

    // Act
    const steps = await atOnce(w, storm);

    // Assess
    expect(steps.map((s) => s.action).sort()).toEqual(['attached', 'attached', 'attached', 'attached', 'opened']);
    expect(steps.filter((s) => s.outcome.attempts > 1)).toHaveLength(4);
    const [incident, ...others] = w.incidents();
    expect(others).toEqual([]);
    expect(w.noticeTrail(incident!.id)).toEqual([['incident-opened', 1]]);
    expect(w.pageTrail(incident!.id)).toEqual([['opened', 'on-call']]);
    expect(w.timersOf(incident!.id)).toHaveLength(1);
    expect(Object.keys(w.alarmsOf(incident!.id))).toEqual(['disk-1', 'disk-2', 'disk-3', 'disk-4', 'disk-5']);
    expect(w.counts(incident!.id)).toEqual({ alarms: 5, firing: 5 });
    expect(incident!.startedAt).toBe(at(1));
  });
});

describe('notices and timeline entries', () => {
  /** Two alarms of one component, flapping, with a halt and a resolution: every kind of write. */
  async function busyWorld(): Promise<IncidentWorld> {
    const w = world({ groupBy: 'component', haltOnCritical: true });
    await w.deliverAll(
      [firing('disk-1', 0), firing('disk-2', 1), ok('disk-1', 2), firing('disk-1', 3, { severity: 'critical' }), ok('disk-1', 4), ok('disk-2', 5), firing('disk-2', 6)],
      SECOND,
    );
    await w.command({ command: 'annotate', incidentId: 'inc-1', note: 'vendor on site' });
    w.clock.advance(SECOND);
    await w.deliver(ok('disk-2', 7));
    w.clock.advance(QUIET);
    await w.sweep();
    return w;
  }

  it('numbers one incident’s notices 1..n, one per transition that announces, ids <incidentId>-n<sequence>', async () => {
    // Act
    const w = await busyWorld();

    // Assess
    const notices = w.noticesOf('inc-1');
    expect(notices.map((n) => [n.type, n.sequence, n.noticeId])).toEqual([
      ['incident-opened', 1, 'inc-1-n1'],
      ['halt', 2, 'inc-1-n2'],
      ['incident-resolved', 3, 'inc-1-n3'],
    ]);
    for (const transition of w.store.log) {
      const announced = transition.notices.map((n) => n.type).filter((type) => type !== 'halt');
      expect(announced.length).toBeLessThanOrEqual(1);
    }
    expect(notices.every((n) => n.detail.incidentStartedAt === iso(at(0)))).toBe(true);
  });

  it('pages on-call when it opens, when its severity rises and when it resolves, numbered 1..n as <incidentId>-p<n>', async () => {
    // Act
    const w = await busyWorld();

    // Assess: the incident was announced on its way (critical), so the pages after it say so
    expect(w.pagesOf('inc-1').map((p) => [p.pageId, p.type, p.stage, p.severity, p.announced])).toEqual([
      ['inc-1-p1', 'opened', 'on-call', 'major', false],
      ['inc-1-p2', 'severity-raised', 'on-call', 'critical', true],
      ['inc-1-p3', 'resolved', 'on-call', 'critical', true],
    ]);
    expect(w.incident('inc-1')).toMatchObject({ pageSequence: 3 });
    expect(w.incident('inc-1').nextEscalation).toBeUndefined();
  });

  it('gives every timeline entry a unique id, and reads them back in time order', async () => {
    // Act
    const w = await busyWorld();

    // Assess
    const timeline = w.timelineOf('inc-1');
    const written = w.store.log.flatMap((t) => t.timeline);
    expect(new Set(written.map((e) => e.entryId)).size).toBe(written.length);
    expect(timeline).toHaveLength(written.length);
    expect(timeline.map((e) => e.at)).toEqual([...timeline.map((e) => e.at)].sort((a, b) => a - b));
    for (const entry of timeline) expect(entry.entryId.startsWith(`${iso(entry.at)}#`)).toBe(true);
    expect(timeline.map((e) => e.kind)).toEqual([
      'incident-opened',
      'alarm-attached',
      'alarm-resolved',
      'alarm-fired-again',
      'severity-raised',
      'halt',
      'alarm-resolved',
      'alarm-resolved',
      'resolve-pending',
      'alarm-fired-again',
      'resolve-cancelled',
      'annotation',
      'alarm-resolved',
      'resolve-pending',
      'incident-resolved',
    ]);
  });
});

describe('delivery order does not change the outcome', () => {
  /**
   * 20 events over 7 alarms of 4 components and 2 markets, in source order: repeats, flapping,
   * an OK-only alarm, an alarm that ends firing, OKs of another alarm in the same group.
   */
  const events: readonly AlarmSignal[] = [
    firing('disk-1', 0),
    firing('deriv-1', 1),
    firing('surv-2', 2),
    ok('surv-1', 3),
    ok('surv-2', 4),
    firing('disk-2', 5),
    firing('surv-2', 6),
    firing('feed-1', 8),
    firing('disk-1', 10),
    ok('deriv-1', 11),
    firing('feed-1', 12),
    firing('feed-1', 16),
    ok('disk-1', 20),
    firing('deriv-1', 21),
    ok('disk-2', 25),
    firing('disk-1', 30),
    ok('deriv-1', 31),
    ok('disk-1', 40),
    firing('feed-2', 45),
    ok('feed-2', 50),
  ];
  const SHUFFLES = 200;

  /** Major alarms are announced here (`announceSeverity: 'major'`): the shared disk's incidents reach participants, the others only operators. */
  async function outcomeOf(delivery: readonly AlarmSignal[], groupBy: PolicyConfig['groupBy']) {
    const w = world({ groupBy, announceSeverity: 'major' });
    await w.deliverAll(delivery, SECOND);
    w.clock.advance(QUIET);
    await w.sweep();
    return w.outcome();
  }

  it('has 20 events in source order', () => {
    expect(events).toHaveLength(20);
    expect(events.map((e) => e.occurredAt)).toEqual([...events.map((e) => e.occurredAt)].sort((a, b) => a - b));
  });

  it.each<[PolicyConfig['groupBy'], Record<string, [string, number, string[]]>]>([
    [
      'dedupKey',
      {
        'key:deriv-1': ['resolved', 1, []],
        'key:disk-1': ['resolved', 0, ['incident-opened', 'incident-resolved']],
        'key:disk-2': ['resolved', 5, ['incident-opened', 'incident-resolved']],
        'key:feed-1': ['open', 8, []],
        'key:feed-2': ['resolved', 45, []],
        'key:surv-2': ['open', 2, []],
      },
    ],
    [
      'component',
      {
        'component:market-data': ['open', 8, []],
        'component:matching-engine': ['resolved', 1, []],
        'component:shared-disk': ['resolved', 0, ['incident-opened', 'incident-resolved']],
        'component:surveillance': ['open', 2, []],
      },
    ],
    [
      'market',
      {
        'market:derivatives': ['resolved', 1, []],
        'market:equities': ['open', 0, ['incident-opened']],
      },
    ],
  ])('in source order, groupBy %s ends with the expected incidents', async (groupBy, expected) => {
    // Act
    const outcome = await outcomeOf(events, groupBy);

    // Assess
    const seen: Record<string, [string, number, string[]]> = {};
    for (const [key, incidents] of Object.entries(outcome.groups)) {
      for (const incident of incidents) seen[key] = [incident.status, (incident.startedAt - T0) / SECOND, incident.notices.map(([type]) => type)];
    }
    expect(seen).toEqual(expected);
    expect(outcome.incidentCount).toBe(Object.keys(expected).length);
  });

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component', 'market'])(
    `groupBy %s: every one of ${SHUFFLES} shuffles, with redeliveries, ends as the ordered delivery does`,
    async (groupBy) => {
      // Prepare
      const expected = await outcomeOf(events, groupBy);
      const failures: { seed: number; order: string[]; outcome: unknown }[] = [];

      // Act
      for (let seed = 1; seed <= SHUFFLES; seed += 1) {
        const random = seededRandom(seed);
        const delivery = withRedeliveries(shuffled(events, random), Math.floor(random() * 8), random);
        const outcome = await outcomeOf(delivery, groupBy);
        if (JSON.stringify(outcome) !== JSON.stringify(expected)) failures.push({ seed, order: delivery.map(label), outcome });
      }

      // Assess: on failure, the first failing orders are printed with their outcomes
      expect({ failing: failures.length, first: failures.slice(0, 2) }).toEqual({ failing: 0, first: [] });
    },
  );

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component', 'market'])(
    `groupBy %s: the worst severity of each incident, and whether participants heard of it, do not depend on the order either (${SHUFFLES} shuffles)`,
    async (groupBy) => {
      // Prepare: the same events, with severities that vary within each alarm (announced at critical)
      const ladder: Severity[] = ['info', 'critical', 'minor', 'major'];
      const graded = events.map((e, i) => (e.status === 'firing' ? { ...e, severity: ladder[i % ladder.length]! } : e));
      const severities = async (delivery: readonly AlarmSignal[]) => {
        const w = world({ groupBy });
        await w.deliverAll(delivery, SECOND);
        w.clock.advance(QUIET);
        await w.sweep();
        return Object.fromEntries(
          w
            .incidents()
            .map((i) => [i.groupKey, [i.severity, w.noticeTrail(i.id)]] as const)
            .sort(([a], [b]) => a.localeCompare(b)),
        );
      };
      const expected = await severities(graded);
      // Not vacuous: some incidents are announced and some are not.
      const trails = Object.values(expected).map(([, trail]) => trail.length > 0);
      expect(trails).toContain(true);
      expect(trails).toContain(false);
      const failing: number[] = [];

      // Act
      for (let seed = 1; seed <= SHUFFLES; seed += 1) {
        const random = seededRandom(seed);
        if (JSON.stringify(await severities(withRedeliveries(shuffled(graded, random), 4, random))) !== JSON.stringify(expected)) failing.push(seed);
      }

      // Assess
      expect(failing).toEqual([]);
    },
  );

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component'])(
    'groupBy %s: the incident keeps the worst severity it was sent, whatever the delivery order',
    async (groupBy) => {
      // Prepare: the critical firing of disk-1 is older than its OK; delivered after the OK, it is
      // not a replay of anything the incident has seen
      const critical = [firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 5, { severity: 'critical' }), ok('disk-1', 10)];
      const inOrder = world({ groupBy });
      const late = world({ groupBy });

      // Act
      await inOrder.deliverAll(critical);
      await late.deliverAll([critical[0]!, critical[2]!, critical[1]!]);

      // Assess
      expect(inOrder.incident('inc-1').severity).toBe('critical');
      expect(late.incident('inc-1').severity).toBe(inOrder.incident('inc-1').severity);
    },
  );

  it(`starts the incident at the earliest firing whatever the order, while its opening notice takes effect at the first firing delivered (${SHUFFLES} shuffles)`, async () => {
    // Prepare: a storm on one component, with OKs among the firings
    const storm = [
      firing('disk-1', 0),
      firing('disk-2', 1),
      firing('disk-3', 2),
      ok('disk-1', 3),
      firing('disk-4', 4),
      firing('disk-1', 5),
      ok('disk-3', 6),
      firing('disk-5', 7),
    ];
    const failures: { seed: number; order: string[]; startedAt: number; effectiveAt: string; expected: string }[] = [];

    // Act
    for (let seed = 1; seed <= SHUFFLES; seed += 1) {
      const random = seededRandom(seed);
      const delivery = withRedeliveries(shuffled(storm, random), 3, random);
      const w = world({ groupBy: 'component', announceSeverity: 'major' });
      await w.deliverAll(delivery, SECOND);
      const incident = w.incident('inc-1');
      const [opening] = w.noticesOf('inc-1');
      const firstFiring = delivery.find((e) => e.status === 'firing')!;
      if (incident.startedAt !== at(0) || opening!.effectiveAt !== iso(firstFiring.occurredAt) || opening!.detail.incidentStartedAt !== opening!.effectiveAt) {
        failures.push({ seed, order: delivery.map(label), startedAt: incident.startedAt, effectiveAt: opening!.effectiveAt, expected: iso(firstFiring.occurredAt) });
      }
    }

    // Assess
    expect({ failing: failures.length, first: failures.slice(0, 2) }).toEqual({ failing: 0, first: [] });
  });
});

describe('replays change nothing', () => {
  /** Source events over two alarms of one component and one of another, with resolutions between. */
  const pool: readonly AlarmSignal[] = [
    firing('disk-1', 0, { severity: 'critical' }),
    firing('disk-2', 2, { severity: 'minor' }),
    firing('feed-1', 3, { severity: 'info' }),
    ok('disk-1', 4),
    firing('disk-1', 6, { severity: 'major' }),
    ok('disk-2', 8),
    ok('feed-1', 9),
    ok('disk-1', 10),
    firing('disk-2', 100, { severity: 'info' }),
    firing('feed-1', 110, { severity: 'minor' }),
    firing('disk-1', 120, { severity: 'minor' }),
    ok('disk-2', 130),
    ok('disk-1', 140),
    ok('feed-1', 150),
  ];
  const RUNS = 200;

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component'])(
    `groupBy %s: in ${RUNS} random schedules with sweeps between deliveries, re-delivering any event already delivered writes nothing`,
    async (groupBy) => {
      const failures: { seed: number; schedule: string[]; replay: string; action: string }[] = [];
      for (let seed = 1; seed <= RUNS; seed += 1) {
        // Prepare
        const random = seededRandom(seed);
        const w = world({ groupBy });
        const delivered: AlarmSignal[] = [];
        const schedule: string[] = [];
        for (const event of shuffled(pool, random)) {
          await w.deliver(event);
          delivered.push(event);
          schedule.push(label(event));
          if (random() < 0.3) {
            w.clock.advance(QUIET);
            await w.sweep();
            schedule.push('sweep');
          }
          w.clock.advance(SECOND);

          // Act
          const replay = delivered[Math.floor(random() * delivered.length)]!;
          const step = await w.deliver(replay);

          // Assess (collected, so a failure prints its schedule)
          if (step.commits.length && failures.length < 3) failures.push({ seed, schedule: [...schedule], replay: label(replay), action: step.action });
          if (step.commits.length) break;
        }
      }
      expect(failures).toEqual([]);
    },
  );
});
