import type { PolicyConfig } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { noticeId } from '../../lambda/core/draft';
import { acknowledge, annotate, decideSignal, decideSweep, groupKeyOf, openManualIncident, resolveByOperator } from '../../lambda/core/incidents';
import { initialMarket, isNoChange, NOTICE_SCHEMA } from '../../lambda/core/model';
import { SEVERITIES, type AlarmSignal, type Severity } from '../../lambda/core/signal';
import { ConflictError } from '../../lambda/core/errors';
import { MINUTE, SECOND, T0, TestClock, TSE_CONFIG, alarm } from '../helpers/domain';
import { at, firing, IncidentWorld, ok, seededRandom, shuffled, storedIncident, withRedeliveries } from '../helpers/domain-fixtures';

/**
 * The incident rules (shared/DESIGN.md, "Incident model"), decided by pure functions and chained
 * through an in-memory world that reads and writes the way the DynamoDB store does.
 */

type PolicyInput = Partial<PolicyConfig>;
const QUIET = 60 * SECOND; // the default autoResolveQuietSeconds

function world(policy: PolicyInput = {}): IncidentWorld {
  return new IncidentWorld({ ...TSE_CONFIG, policy });
}

function fixedContext(policy: PolicyInput = {}, id = 'inc-fixed'): DecisionContext {
  const ctx = new TestClock(T0 + 5 * SECOND).context({ ...TSE_CONFIG, policy })();
  return { ...ctx, newIncidentId: () => id };
}

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
  it('opens an incident, logs incident-opened and writes notice 1 incident-opened', () => {
    // Prepare
    const ctx = fixedContext();
    const signal = firing('disk-1', 0, { severity: 'critical', details: { alarmName: 'disk-1' } });

    // Act
    const t = decideSignal({ groupKey: 'key:disk-1', market: initialMarket('equities', 0) }, signal, ctx);

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
      keys: { 'disk-1': { status: 'firing', at: at(0) } },
      noticeSequence: 1,
      timelineSequence: 1,
      version: 1,
    });
    expect(t.timeline).toEqual([
      {
        incidentId: 'inc-fixed',
        sequence: 1,
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
        market: 'equities',
        segments: [],
        severity: 'critical',
        issuedAt: new Date(ctx.now).toISOString(),
        effectiveAt: new Date(at(0)).toISOString(),
        summary: signal.summary,
        detail: { component: 'shared-disk', source: 'cloudwatch' },
        fix: {},
      },
    ]);
    expect(t.group).toEqual({ groupKey: 'key:disk-1', incidentId: 'inc-fixed', keys: {}, version: 1 });
    expect(t.market).toBeUndefined();
  });

  it('decides the same transition, notice id included, when the same delivery is decided again', () => {
    // Prepare: a retry after a lost race re-reads the same snapshot
    const snapshot = { groupKey: 'key:disk-1', market: initialMarket('equities', 0) };

    // Act
    const first = decideSignal(snapshot, firing('disk-1', 0), fixedContext());
    const retry = decideSignal(snapshot, firing('disk-1', 0), fixedContext());

    // Assess
    expect(retry).toEqual(first);
    expect(first.notices[0]!.noticeId).toBe(noticeId('inc-fixed', 1));
    expect(noticeId('inc-fixed', 1)).toBe('inc-fixed-n1');
  });

  it('names notices <incidentId>-n<sequence> in the world, from the first notice on', () => {
    // Prepare
    const w = world();

    // Act
    const t = w.deliver(firing('disk-1', 0));

    // Assess
    expect(t.incident!.id).toBe('inc-1');
    expect(w.noticesOf('inc-1').map((n) => n.noticeId)).toEqual(['inc-1-n1']);
  });
});

describe('decideSignal: duplicates and older deliveries', () => {
  it.each<[string, AlarmSignal]>([
    ['the same firing redelivered', firing('disk-1', 10)],
    ['an older firing delivered late', firing('disk-1', 5)],
    ['an older OK delivered late', ok('disk-1', 5)],
    ['an OK with the same source time as the firing', ok('disk-1', 10)],
  ])('refuses %s as a duplicate naming the incident, writing nothing', (_, late) => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 10));
    const before = { incident: w.incident('inc-1'), commits: w.log.length };

    // Act
    const t = w.deliver(late);

    // Assess
    expect(t.action).toBe('duplicate');
    expect(t.incidentId).toBe('inc-1');
    expect(isNoChange(t)).toBe(true);
    expect(t.notices).toEqual([]);
    expect(w.log).toHaveLength(before.commits);
    expect(w.incident('inc-1')).toEqual(before.incident);
  });

  it.each([10, 50])('gathers a storm of %i firings of one key, in any order, into one incident with one notice', (n) => {
    // Prepare
    const w = world();
    const storm = shuffled(
      Array.from({ length: n }, (_, i) => firing('disk-1', i)),
      seededRandom(n),
    );

    // Act
    const actions = w.deliverAll(storm, 100).map((t) => t.action);

    // Assess
    expect(w.incidents.size).toBe(1);
    expect(actions[0]).toBe('opened');
    expect(actions.slice(1).filter((a) => a !== 'refreshed' && a !== 'duplicate')).toEqual([]);
    expect(w.noticeTrail('inc-1')).toEqual([['incident-opened', 1]]);
    expect(w.timelineOf('inc-1').map((e) => e.kind)).toEqual(['incident-opened']);
    expect(w.incident('inc-1').keys).toEqual({ 'disk-1': { status: 'firing', at: at(n - 1) } });
  });

  it('refreshes the key on a newer firing of the same key: state only, no timeline, no notice', () => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 0));

    // Act
    const t = w.deliver(firing('disk-1', 30));

    // Assess
    expect(t.action).toBe('refreshed');
    expect(t.incident).toMatchObject({ id: 'inc-1', keys: { 'disk-1': { status: 'firing', at: at(30) } }, version: 2, noticeSequence: 1, timelineSequence: 1 });
    expect(t.timeline).toEqual([]);
    expect(t.notices).toEqual([]);
    expect(t.group).toBeUndefined();
    expect(t.market).toBeUndefined();
  });
});

describe('decideSignal: grouping policy', () => {
  const alarms = [firing('disk-1', 0), firing('disk-2', 1), firing('feed-1', 2), firing('deriv-1', 3)];

  it.each<[PolicyConfig['groupBy'], string[][]]>([
    ['dedupKey', [['disk-1'], ['disk-2'], ['feed-1'], ['deriv-1']]],
    ['component', [['disk-1', 'disk-2'], ['feed-1'], ['deriv-1']]],
    ['market', [['disk-1', 'disk-2', 'feed-1'], ['deriv-1']]],
  ])('groupBy %s gathers the alarms %j into one incident each', (groupBy, expected) => {
    // Prepare
    const w = world({ groupBy });

    // Act
    w.deliverAll(alarms, SECOND);

    // Assess
    const gathered = [...w.incidents.values()].map((i) => Object.keys(i.keys));
    expect(gathered).toEqual(expected);
    for (const incident of w.incidents.values()) expect(w.noticeTrail(incident.id)).toEqual([['incident-opened', 1]]);
  });

  it('attaches a second alarm of the group with an alarm-attached entry and no notice', () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    w.deliver(firing('disk-1', 0));

    // Act
    const t = w.deliver(firing('disk-2', 1));

    // Assess
    expect(t.action).toBe('attached');
    expect(t.incident!.id).toBe('inc-1');
    expect(t.timeline.map((e) => [e.kind, e.actor])).toEqual([['alarm-attached', 'alarm:disk-2']]);
    expect(t.notices).toEqual([]);
    expect(w.incident('inc-1').keys).toEqual({ 'disk-1': { status: 'firing', at: at(0) }, 'disk-2': { status: 'firing', at: at(1) } });
  });

  it('opens one incident per market when grouping by market, the market taken from the alarm or its component', () => {
    // Prepare
    const w = world({ groupBy: 'market' });

    // Act
    w.deliverAll([firing('feed-1', 0), firing('deriv-1', 0)]);

    // Assess
    expect([...w.incidents.values()].map((i) => [i.groupKey, i.market])).toEqual([
      ['market:equities', 'equities'],
      ['market:derivatives', 'derivatives'],
    ]);
  });
});

describe('decideSignal: severity', () => {
  const ranked = (a: Severity, b: Severity) => (SEVERITIES.indexOf(a) <= SEVERITIES.indexOf(b) ? a : b);
  const pairs = SEVERITIES.flatMap((first) => SEVERITIES.map((then) => [first, then] as [Severity, Severity]));

  it.each(pairs)('keeps the worst of %s then %s, logging severity-raised only when it rises', (first, then) => {
    // Prepare
    const w = world({ groupBy: 'component' });
    w.deliver(firing('disk-1', 0, { severity: first }));

    // Act
    const t = w.deliver(firing('disk-2', 1, { severity: then }));

    // Assess
    const worst = ranked(first, then);
    expect(t.incident!.severity).toBe(worst);
    const raised = t.timeline.filter((e) => e.kind === 'severity-raised');
    expect(raised.map((e) => e.text)).toEqual(worst === first ? [] : [`Severity raised from ${first} to ${then}.`]);
    expect(t.notices).toEqual([]);
  });

  it('raises the severity on a newer firing of the same key too', () => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 0, { severity: 'minor' }));

    // Act
    const t = w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('refreshed');
    expect(t.incident!.severity).toBe('critical');
    expect(t.timeline.map((e) => e.kind)).toEqual(['severity-raised']);
  });

  it('raises the severity for an older, more severe firing of a key (state and timeline, no notice)', () => {
    // Prepare: the critical firing at 5 is overtaken by a newer firing before it arrives
    const w = world();
    w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 10, { severity: 'minor' })]);

    // Act
    const t = w.deliver(firing('disk-1', 5, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('severity-raised');
    expect(t.incident).toMatchObject({ severity: 'critical', keys: { 'disk-1': { status: 'firing', at: at(10) } } });
    expect(t.timeline.map((e) => e.kind)).toEqual(['severity-raised']);
    expect(t.notices).toEqual([]);
  });

  it.each<Severity>(['minor', 'info'])('refuses an older firing of no worse severity (%s) as a duplicate', (severity) => {
    // Prepare
    const w = world();
    w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 10, { severity: 'minor' })]);

    // Act
    const t = w.deliver(firing('disk-1', 5, { severity }));

    // Assess
    expect(t.action).toBe('duplicate');
    expect(isNoChange(t)).toBe(true);
  });

  it('does not raise the severity for an OK report, however severe its label', () => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 0, { severity: 'minor' }));

    // Act
    const t = w.deliver(ok('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(t.incident!.severity).toBe('minor');
    expect(t.timeline.map((e) => e.kind)).not.toContain('severity-raised');
  });

  it('numbers later notices with the raised severity', () => {
    // Prepare
    const w = world();
    w.deliverAll([firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 1, { severity: 'critical' }), ok('disk-1', 2)]);
    w.clock.advance(QUIET);

    // Act
    w.sweep();

    // Assess
    expect(w.noticesOf('inc-1').map((n) => [n.type, n.severity])).toEqual([
      ['incident-opened', 'minor'],
      ['incident-resolved', 'critical'],
    ]);
  });
});

describe('decideSignal + decideSweep: auto-resolve', () => {
  it('waits (resolve-pending) once every key is OK, with no notice yet', () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    w.deliverAll([firing('disk-1', 0), firing('disk-2', 1)]);

    // Act
    const first = w.deliver(ok('disk-1', 2));
    w.clock.advance(5 * SECOND);
    const last = w.deliver(ok('disk-2', 3));

    // Assess
    expect(first.action).toBe('alarm-resolved');
    expect(first.incident!.resolvePendingSince).toBeUndefined();
    expect(first.timeline.map((e) => e.kind)).toEqual(['alarm-resolved']);
    expect(last.action).toBe('resolve-pending');
    expect(last.incident!.resolvePendingSince).toBe(w.clock.now);
    expect(last.timeline.map((e) => e.kind)).toEqual(['alarm-resolved', 'resolve-pending']);
    expect(last.notices).toEqual([]);
    expect(w.incident('inc-1').status).toBe('open');
  });

  it('does not wait to resolve when autoResolve is false: the incident stays open for an operator', () => {
    // Prepare
    const w = world({ autoResolve: false });
    w.deliver(firing('disk-1', 0));

    // Act
    const t = w.deliver(ok('disk-1', 1));
    w.clock.advance(24 * 60 * MINUTE);
    const swept = decideSweep(w.incident('inc-1'), w.context());

    // Assess
    expect(t.action).toBe('alarm-resolved');
    expect(t.incident!.resolvePendingSince).toBeUndefined();
    expect(t.timeline.map((e) => e.kind)).toEqual(['alarm-resolved']);
    expect(swept.action).toBe('nothing-due');
    expect(w.incident('inc-1').status).toBe('open');
  });

  it.each<[string, number, string]>([
    ['1 ms before the quiet time', QUIET - 1, 'not-yet'],
    ['at the quiet time', QUIET, 'resolved'],
    ['an hour later', 60 * MINUTE, 'resolved'],
  ])('sweeps %s (%i ms into the wait) → %s', (_, elapsed, expected) => {
    // Prepare
    const w = world();
    w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);
    w.clock.advance(elapsed);

    // Act
    const t = decideSweep(w.incident('inc-1'), w.context());

    // Assess
    expect(t.action).toBe(expected);
    expect(t.incidentId ?? t.incident?.id).toBe('inc-1');
    if (expected === 'not-yet') expect(isNoChange(t)).toBe(true);
  });

  it.each([1, 300])('honours autoResolveQuietSeconds = %i: not yet 1 ms before, resolved at it', (quietSeconds) => {
    // Prepare
    const w = world({ autoResolveQuietSeconds: quietSeconds });
    w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);
    const pendingSince = w.incident('inc-1').resolvePendingSince!;

    // Act
    const early = decideSweep(w.incident('inc-1'), { ...w.context(), now: pendingSince + quietSeconds * SECOND - 1 });
    const due = decideSweep(w.incident('inc-1'), { ...w.context(), now: pendingSince + quietSeconds * SECOND });

    // Assess
    expect([early.action, due.action]).toEqual(['not-yet', 'resolved']);
  });

  it('resolves at the first sweep when autoResolveQuietSeconds is 0', () => {
    // Prepare
    const w = world({ autoResolveQuietSeconds: 0 });
    w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);

    // Act
    const [t] = w.sweep();

    // Assess
    expect(t!.action).toBe('resolved');
  });

  it('resolves with notice 2 incident-resolved, closedThrough the newest key time', () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    w.deliverAll([firing('disk-1', 0), firing('disk-2', 4), ok('disk-2', 9), ok('disk-1', 7)]);
    w.clock.advance(QUIET);

    // Act
    const [t] = w.sweep();

    // Assess
    expect(t!.action).toBe('resolved');
    expect(t!.incident).toMatchObject({
      status: 'resolved',
      resolvedAt: w.clock.now,
      resolvedBy: 'auto-resolve',
      resolvePendingSince: undefined,
      closedThrough: at(9),
      noticeSequence: 2,
    });
    expect(t!.timeline.map((e) => [e.kind, e.actor])).toEqual([['incident-resolved', 'auto-resolve']]);
    expect(t!.notices).toEqual([
      expect.objectContaining({ type: 'incident-resolved', sequence: 2, noticeId: 'inc-1-n2', incidentId: 'inc-1', market: 'equities', issuedAt: new Date(w.clock.now).toISOString() }),
    ]);
  });

  it.each<[string, () => ReturnType<typeof storedIncident>]>([
    ['an incident whose alarm still fires', () => storedIncident()],
    ['an incident with no wait started', () => storedIncident({ keys: { 'disk-1': { status: 'resolved', at: T0 } } })],
    ['a resolved incident', () => storedIncident({ status: 'resolved', resolvePendingSince: T0, keys: { 'disk-1': { status: 'resolved', at: T0 } } })],
  ])('sweeps %s → nothing-due, writing nothing', (_, incident) => {
    // Prepare
    const ctx = fixedContext();

    // Act
    const t = decideSweep(incident(), { ...ctx, now: ctx.now + 24 * 60 * MINUTE });

    // Assess
    expect(t.action).toBe('nothing-due');
    expect(isNoChange(t)).toBe(true);
  });

  it('cancels the wait (resolve-cancelled) when an alarm fires again, keeping the same incident', () => {
    // Prepare
    const w = world();
    w.deliverAll([firing('disk-1', 0), ok('disk-1', 10)], SECOND);

    // Act
    const t = w.deliver(firing('disk-1', 20));
    w.clock.advance(QUIET * 2);
    const swept = w.sweep();

    // Assess
    expect(t.action).toBe('attached');
    expect(t.incident).toMatchObject({ id: 'inc-1', status: 'open', resolvePendingSince: undefined });
    expect(t.timeline.map((e) => e.kind)).toEqual(['alarm-fired-again', 'resolve-cancelled']);
    expect(t.notices).toEqual([]);
    expect(swept).toEqual([]);
    expect(w.incidents.size).toBe(1);
  });

  it('keeps one incident and two notices through flapping inside the quiet time', () => {
    // Prepare
    const w = world();
    const flapping = [0, 10, 20, 30, 40, 50].map((s, i) => (i % 2 === 0 ? firing('disk-1', s) : ok('disk-1', s)));

    // Act
    w.deliverAll(flapping, 10 * SECOND);
    w.clock.advance(QUIET);
    w.sweep();

    // Assess
    expect(w.incidents.size).toBe(1);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
    expect(w.timelineOf('inc-1').filter((e) => e.kind === 'resolve-cancelled')).toHaveLength(2);
  });

  it('auto-resolves an acknowledged incident as well', () => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 0));
    w.command({ command: 'ack', incidentId: 'inc-1' });
    w.deliver(ok('disk-1', 1));
    w.clock.advance(QUIET);

    // Act
    const [t] = w.sweep();

    // Assess
    expect(t!.action).toBe('resolved');
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
  });
});

describe('decideSignal: after the incident resolved', () => {
  function resolvedWorld(policy: PolicyInput = {}): IncidentWorld {
    const w = world(policy);
    w.deliverAll([firing('disk-1', 0), firing('disk-1', 5), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    w.sweep();
    expect(w.incident('inc-1')).toMatchObject({ status: 'resolved', closedThrough: at(10) });
    return w;
  }

  it.each<[string, AlarmSignal]>([
    ['the opening firing replayed', firing('disk-1', 0)],
    ['a refresh replayed', firing('disk-1', 5)],
    ['the OK replayed', ok('disk-1', 10)],
    ['an older OK arriving late', ok('disk-1', 7)],
  ])('refuses %s as stale: older than closedThrough, nothing written', (_, replay) => {
    // Prepare
    const w = resolvedWorld();
    const commits = w.log.length;

    // Act
    const t = w.deliver(replay);

    // Assess
    expect(t.action).toBe('stale');
    expect(t.incidentId).toBe('inc-1');
    expect(isNoChange(t)).toBe(true);
    expect(w.log).toHaveLength(commits);
  });

  it('opens a NEW incident when the key fires again after the resolution', () => {
    // Prepare
    const w = resolvedWorld();

    // Act
    const t = w.deliver(firing('disk-1', 11));

    // Assess
    expect(t.action).toBe('opened');
    expect(t.incident!.id).toBe('inc-2');
    expect(w.groups.get('key:disk-1')!.incidentId).toBe('inc-2');
    expect(w.noticeTrail('inc-2')).toEqual([['incident-opened', 1]]);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
    expect(w.incident('inc-1').status).toBe('resolved');
  });

  it('records a newer OK on the group without reopening anything', () => {
    // Prepare
    const w = resolvedWorld();

    // Act
    const t = w.deliver(ok('disk-1', 20));

    // Assess
    expect(t.action).toBe('recorded');
    expect(t.notices).toEqual([]);
    expect(w.groups.get('key:disk-1')).toMatchObject({ incidentId: 'inc-1', keys: { 'disk-1': { status: 'resolved', at: at(20) } } });
    expect(w.incidents.size).toBe(1);
  });

  it('opens a new incident for an alarm the resolved incident never saw, even when it fired before closedThrough', () => {
    // Prepare: disk-2's firing (source time 5) is delayed past the resolution of the component's
    // incident, whose only alarm, disk-1, went OK at 10. disk-2 never went OK: it still fires.
    const w = resolvedWorld({ groupBy: 'component' });

    // Act
    const t = w.deliver(firing('disk-2', 5));

    // Assess: it is not a replay of anything inc-1 accounted for, so it must not be dropped
    expect(t.action).toBe('opened');
    expect(w.incidents.size).toBe(2);
  });
});

describe('decideSignal: replays after a new incident replaced a resolved one', () => {
  it('refuses a replay of the previous incident’s critical firing: it must not raise the new incident’s severity', () => {
    // Prepare: inc-1 (critical) resolved; the key fires again (minor) and opens inc-2
    const w = world();
    w.deliverAll([firing('disk-1', 0, { severity: 'critical' }), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    w.sweep();
    w.deliver(firing('disk-1', 20, { severity: 'minor' }));
    const commits = w.log.length;

    // Act: at-least-once delivery hands the very first firing over once more
    const t = w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('duplicate');
    expect(w.log).toHaveLength(commits);
    expect(w.incident('inc-2').severity).toBe('minor');
  });

  it('refuses a replay of an alarm the resolved incident accounted for: it must not attach to the new incident', () => {
    // Prepare: component grouping; inc-1 saw disk-1 fire and go OK and resolved; disk-2's late
    // firing then opened inc-2
    const w = world({ groupBy: 'component' });
    w.deliverAll([firing('disk-1', 0), ok('disk-1', 10)]);
    w.clock.advance(QUIET);
    w.sweep();
    w.deliver(firing('disk-2', 5));
    const commits = w.log.length;

    // Act: disk-1's old firing is delivered again
    const t = w.deliver(firing('disk-1', 0));

    // Assess: it changes nothing; in particular inc-2 does not believe disk-1 is firing
    expect(isNoChange(t)).toBe(true);
    expect(w.log).toHaveLength(commits);
    expect(w.incident('inc-2').keys['disk-1']).toBeUndefined();
  });
});

describe('decideSignal: an OK delivered before its own firing', () => {
  it('records the OK on the group, with no incident, timeline or notice', () => {
    // Prepare
    const w = world();

    // Act
    const t = w.deliver(ok('disk-1', 10));

    // Assess
    expect(t.action).toBe('recorded');
    expect(t.incident).toBeUndefined();
    expect(t.timeline).toEqual([]);
    expect(t.notices).toEqual([]);
    expect(w.groups.get('key:disk-1')).toEqual({ groupKey: 'key:disk-1', keys: { 'disk-1': { status: 'resolved', at: at(10) } }, version: 1 });
  });

  it.each<[string, AlarmSignal]>([
    ['the same OK again', ok('disk-1', 10)],
    ['an older OK', ok('disk-1', 5)],
  ])('refuses %s as a duplicate of the remembered OK', (_, again) => {
    // Prepare
    const w = world();
    w.deliver(ok('disk-1', 10));

    // Act
    const t = w.deliver(again);

    // Assess
    expect(t.action).toBe('duplicate');
    expect(isNoChange(t)).toBe(true);
  });

  it('opens the incident already resolve-pending when the older firing arrives, then resolves on the sweep', () => {
    // Prepare
    const w = world();
    w.deliver(ok('disk-1', 10));

    // Act
    const opened = w.deliver(firing('disk-1', 0));
    w.clock.advance(QUIET);
    const [swept] = w.sweep();

    // Assess
    expect(opened.action).toBe('opened');
    expect(opened.incident).toMatchObject({ status: 'open', keys: { 'disk-1': { status: 'resolved', at: at(10) } }, resolvePendingSince: T0 });
    expect(opened.timeline.map((e) => e.kind)).toEqual(['incident-opened', 'resolve-pending']);
    expect(opened.group).toMatchObject({ incidentId: 'inc-1', keys: {}, version: 2 });
    expect(swept!.incident).toMatchObject({ status: 'resolved', closedThrough: at(10) });
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
  });

  it('opens the incident plainly open when autoResolve is false', () => {
    // Prepare
    const w = world({ autoResolve: false });
    w.deliver(ok('disk-1', 10));

    // Act
    const t = w.deliver(firing('disk-1', 0));

    // Assess
    expect(t.incident!.resolvePendingSince).toBeUndefined();
    expect(t.timeline.map((e) => e.kind)).toEqual(['incident-opened']);
  });

  it('opens a firing incident when the remembered OK is older than the firing', () => {
    // Prepare
    const w = world();
    w.deliver(ok('disk-1', 0));

    // Act
    const t = w.deliver(firing('disk-1', 10));

    // Assess
    expect(t.incident!.keys).toEqual({ 'disk-1': { status: 'firing', at: at(10) } });
    expect(t.incident!.resolvePendingSince).toBeUndefined();
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

  function outcomeOf(delivery: readonly AlarmSignal[], groupBy: PolicyConfig['groupBy']) {
    const w = world({ groupBy });
    w.deliverAll(delivery, SECOND);
    w.clock.advance(QUIET);
    w.sweep();
    return w.outcome();
  }

  it('has 20 events in source order', () => {
    expect(events).toHaveLength(20);
    expect(events.map((e) => e.occurredAt)).toEqual([...events.map((e) => e.occurredAt)].sort((a, b) => a - b));
  });

  it.each<[PolicyConfig['groupBy'], Record<string, [string, string[]]>]>([
    [
      'dedupKey',
      {
        'key:deriv-1': ['resolved', ['incident-opened', 'incident-resolved']],
        'key:disk-1': ['resolved', ['incident-opened', 'incident-resolved']],
        'key:disk-2': ['resolved', ['incident-opened', 'incident-resolved']],
        'key:feed-1': ['open', ['incident-opened']],
        'key:feed-2': ['resolved', ['incident-opened', 'incident-resolved']],
        'key:surv-2': ['open', ['incident-opened']],
      },
    ],
    [
      'component',
      {
        'component:market-data': ['open', ['incident-opened']],
        'component:matching-engine': ['resolved', ['incident-opened', 'incident-resolved']],
        'component:shared-disk': ['resolved', ['incident-opened', 'incident-resolved']],
        'component:surveillance': ['open', ['incident-opened']],
      },
    ],
    [
      'market',
      {
        'market:derivatives': ['resolved', ['incident-opened', 'incident-resolved']],
        'market:equities': ['open', ['incident-opened']],
      },
    ],
  ])('in source order, groupBy %s ends with the expected incidents', (groupBy, expected) => {
    // Act
    const outcome = outcomeOf(events, groupBy);

    // Assess
    const seen: Record<string, [string, string[]]> = {};
    for (const [key, group] of Object.entries(outcome.groups)) {
      for (const incident of group.incidents) seen[key] = [incident.status, incident.notices.map(([type]) => type)];
    }
    expect(seen).toEqual(expected);
    expect(outcome.incidentCount).toBe(Object.keys(expected).length);
  });

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component', 'market'])(
    `groupBy %s: every one of ${SHUFFLES} shuffles, with redeliveries, ends as the ordered delivery does`,
    (groupBy) => {
      // Prepare
      const expected = outcomeOf(events, groupBy);
      const failures: { seed: number; order: string[]; outcome: unknown }[] = [];

      // Act
      for (let seed = 1; seed <= SHUFFLES; seed += 1) {
        const random = seededRandom(seed);
        const delivery = withRedeliveries(shuffled(events, random), Math.floor(random() * 8), random);
        const outcome = outcomeOf(delivery, groupBy);
        if (JSON.stringify(outcome) !== JSON.stringify(expected)) {
          failures.push({ seed, order: delivery.map((e) => `${e.status === 'firing' ? 'F' : 'OK'}(${e.dedupKey}@${(e.occurredAt - T0) / SECOND})`), outcome });
        }
      }

      // Assess: on failure, the first failing orders are printed with their outcomes
      expect({ failing: failures.length, first: failures.slice(0, 2) }).toEqual({ failing: 0, first: [] });
    },
  );

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component', 'market'])(
    `groupBy %s: the worst severity of each incident does not depend on the order either (${SHUFFLES} shuffles)`,
    (groupBy) => {
      // Prepare: the same events, with severities that vary within each alarm
      const ladder: Severity[] = ['info', 'critical', 'minor', 'major'];
      const graded = events.map((e, i) => (e.status === 'firing' ? { ...e, severity: ladder[i % ladder.length]! } : e));
      const severities = (delivery: readonly AlarmSignal[]) => {
        const w = world({ groupBy });
        w.deliverAll(delivery, SECOND);
        w.clock.advance(QUIET);
        w.sweep();
        return Object.fromEntries([...w.incidents.values()].map((i) => [i.groupKey, i.severity]).sort(([a], [b]) => a!.localeCompare(b!)));
      };
      const expected = severities(graded);
      const failing: number[] = [];

      // Act
      for (let seed = 1; seed <= SHUFFLES; seed += 1) {
        const random = seededRandom(seed);
        if (JSON.stringify(severities(withRedeliveries(shuffled(graded, random), 4, random))) !== JSON.stringify(expected)) failing.push(seed);
      }

      // Assess
      expect(failing).toEqual([]);
    },
  );

  it.each<PolicyConfig['groupBy']>(['dedupKey', 'component'])(
    'groupBy %s: the incident keeps the worst severity it was sent, whatever the delivery order',
    (groupBy) => {
      // Prepare: the critical firing of disk-1 is older than its OK; delivered after the OK, it is
      // not a replay of anything the incident has seen
      const critical = [firing('disk-1', 0, { severity: 'minor' }), firing('disk-1', 5, { severity: 'critical' }), ok('disk-1', 10)];
      const inOrder = world({ groupBy });
      const late = world({ groupBy });

      // Act
      inOrder.deliverAll(critical);
      late.deliverAll([critical[0]!, critical[2]!, critical[1]!]);

      // Assess
      expect(inOrder.incident('inc-1').severity).toBe('critical');
      expect(late.incident('inc-1').severity).toBe(inOrder.incident('inc-1').severity);
    },
  );
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
    (groupBy) => {
      const failures: { seed: number; schedule: string[]; replay: string; action: string }[] = [];
      const label = (e: AlarmSignal) => `${e.status === 'firing' ? 'F' : 'OK'}(${e.dedupKey}@${(e.occurredAt - T0) / SECOND},${e.severity})`;
      for (let seed = 1; seed <= RUNS; seed += 1) {
        // Prepare
        const random = seededRandom(seed);
        const w = world({ groupBy });
        const delivered: AlarmSignal[] = [];
        const schedule: string[] = [];
        for (const event of shuffled(pool, random)) {
          w.deliver(event);
          delivered.push(event);
          schedule.push(label(event));
          if (random() < 0.3) {
            w.clock.advance(QUIET);
            w.sweep();
            schedule.push('sweep');
          }
          w.clock.advance(SECOND);

          // Act
          const replay = delivered[Math.floor(random() * delivered.length)]!;
          const t = w.deliver(replay);

          // Assess (collected, so a failure prints its schedule)
          if (!isNoChange(t) && failures.length < 3) failures.push({ seed, schedule: [...schedule], replay: label(replay), action: t.action });
          if (!isNoChange(t)) break;
        }
      }
      expect(failures).toEqual([]);
    },
  );
});

describe('decideSignal: inhibition while the market is halted', () => {
  function haltedForDisk(): IncidentWorld {
    const w = world();
    w.deliver(firing('disk-1', 0));
    w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'shared disk failure' });
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
    return w;
  }

  it('attaches a new alarm of the halted component (another dedup key) to the halting incident, with no notice', () => {
    // Prepare
    const w = haltedForDisk();

    // Act
    const t = w.deliver(firing('disk-2', 5, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('inhibited');
    expect(t.incident).toMatchObject({ id: 'inc-1', severity: 'critical' });
    expect(Object.keys(t.incident!.keys)).toEqual(['disk-1', 'disk-2']);
    expect(t.timeline.map((e) => e.kind)).toEqual(['alarm-attached', 'severity-raised']);
    expect(t.timeline[0]!.text).toMatch(/^\(inhibited: market halted\) /);
    expect(t.notices).toEqual([]);
    expect(t.group).toEqual({ groupKey: 'key:disk-2', incidentId: 'inc-1', keys: {}, version: 1 });
    expect(w.incidents.size).toBe(1);
  });

  it('routes the inhibited alarm’s later reports to the halting incident', () => {
    // Prepare
    const w = haltedForDisk();
    w.deliver(firing('disk-2', 5));

    // Act
    const t = w.deliver(ok('disk-2', 6));

    // Assess
    expect(t.action).toBe('alarm-resolved');
    expect(t.incident!.id).toBe('inc-1');
    expect(w.incident('inc-1').keys['disk-2']).toEqual({ status: 'resolved', at: at(6) });
  });

  it('notes an OK of a new alarm of the halted component on the halting incident', () => {
    // Prepare
    const w = haltedForDisk();

    // Act
    const t = w.deliver(ok('disk-3', 9));

    // Assess
    expect(t.action).toBe('inhibited');
    expect(t.timeline.map((e) => [e.kind, e.actor])).toEqual([['alarm-resolved', 'alarm:disk-3']]);
    expect(t.notices).toEqual([]);
    expect(w.incident('inc-1').keys['disk-3']).toEqual({ status: 'resolved', at: at(9) });
    expect(w.groups.get('key:disk-3')).toMatchObject({ incidentId: 'inc-1', keys: {} });
  });

  it('brings an OK remembered on the group before the halt into the halting incident when its older firing arrives', () => {
    // Prepare: disk-2's OK (source time 9) arrived before the halt and before its own firing (5)
    const w = world();
    w.deliver(firing('disk-1', 0));
    w.deliver(ok('disk-2', 9));
    w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Act
    const t = w.deliver(firing('disk-2', 5));

    // Assess: the group now points at the halting incident and hands it what it remembered
    expect(t.notices).toEqual([]);
    expect(w.groups.get('key:disk-2')).toMatchObject({ incidentId: 'inc-1', keys: {} });
    expect(w.incident('inc-1').keys['disk-2']).toEqual({ status: 'resolved', at: at(9) });
  });

  it('opens its own incident, with its notice, for an alarm of another component', () => {
    // Prepare
    const w = haltedForDisk();

    // Act
    const t = w.deliver(firing('feed-1', 5));

    // Assess
    expect(t.action).toBe('opened');
    expect(t.incident!.id).toBe('inc-2');
    expect(w.noticeTrail('inc-2')).toEqual([['incident-opened', 1]]);
  });

  it('stops inhibiting once the halting incident is resolved', () => {
    // Prepare
    const w = haltedForDisk();
    w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Act
    const t = w.deliver(firing('disk-2', 5));

    // Assess
    expect(t.action).toBe('opened');
    expect(t.incident!.id).toBe('inc-2');
  });

  it('leaves an alarm that already has its own open incident there', () => {
    // Prepare
    const w = world();
    w.deliverAll([firing('disk-1', 0), firing('disk-2', 1)]);
    w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Act
    const t = w.deliver(firing('disk-2', 5));

    // Assess
    expect(t.action).toBe('refreshed');
    expect(t.incident!.id).toBe('inc-2');
  });
});

describe('decideSignal: halt policy (haltOnCritical)', () => {
  it('halts the market in the same transition: notice 2 halt, market halted for the incident', () => {
    // Prepare
    const w = world({ haltOnCritical: true });

    // Act
    const t = w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('opened');
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId])).toEqual([
      ['incident-opened', 1, 'inc-1-n1'],
      ['halt', 2, 'inc-1-n2'],
    ]);
    expect(t.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['incident-opened', 'alarm:disk-1'],
      ['halt', 'policy'],
    ]);
    expect(t.market).toEqual({ id: 'equities', status: 'halted', segments: [], incidentId: 'inc-1', haltedAt: w.clock.now, updatedAt: w.clock.now, version: 1 });
    expect(w.market('equities').status).toBe('halted');
  });

  it('halts when an open incident’s alarm turns critical, with severity-raised and halt in one transition', () => {
    // Prepare
    const w = world({ haltOnCritical: true });
    w.deliver(firing('disk-1', 0, { severity: 'major' }));

    // Act
    const t = w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('halted');
    expect(t.timeline.map((e) => e.kind)).toEqual(['severity-raised', 'halt']);
    expect(t.notices.map((n) => [n.type, n.sequence])).toEqual([['halt', 2]]);
    expect(t.market).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
  });

  it.each<[string, PolicyInput, AlarmSignal]>([
    ['the policy is off', { haltOnCritical: false }, firing('disk-1', 0, { severity: 'critical' })],
    ['the component is not marked critical', { haltOnCritical: true }, firing('feed-1', 0, { severity: 'critical' })],
    ['the component is not configured', { haltOnCritical: true }, firing('deriv-1', 0, { severity: 'critical' })],
    ['the alarm is only major', { haltOnCritical: true }, firing('disk-1', 0, { severity: 'major' })],
  ])('does not halt when %s', (_, policy, signal) => {
    // Prepare
    const w = world(policy);

    // Act
    const t = w.deliver(signal);

    // Assess
    expect(t.action).toBe('opened');
    expect(t.market).toBeUndefined();
    expect(t.notices.map((n) => n.type)).toEqual(['incident-opened']);
    expect(w.market('equities').status).toBe('trading');
  });

  it('does not halt again when the market is already halted for another incident', () => {
    // Prepare
    const w = world({ haltOnCritical: true });
    w.deliver(firing('feed-1', 0));
    w.command({ command: 'declare-halt', incidentId: 'inc-1' });
    const halted = w.market('equities');

    // Act
    const t = w.deliver(firing('disk-1', 1, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('opened');
    expect(t.market).toBeUndefined();
    expect(t.notices.map((n) => n.type)).toEqual(['incident-opened']);
    expect(w.market('equities')).toEqual(halted);
  });

  it('does not halt again for a second critical alarm of the halting incident', () => {
    // Prepare
    const w = world({ haltOnCritical: true, groupBy: 'component' });
    w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Act
    const t = w.deliver(firing('disk-2', 1, { severity: 'critical' }));

    // Assess
    expect(t.action).toBe('attached');
    expect(t.market).toBeUndefined();
    expect(t.notices).toEqual([]);
  });
});

describe('operator decisions on an incident', () => {
  it('acknowledges an open incident: status, who and when, a timeline entry and no notice', () => {
    // Prepare
    const ctx = fixedContext();

    // Act
    const t = acknowledge(storedIncident(), { actor: 'tanaka', note: 'on it' }, ctx);

    // Assess
    expect(t.action).toBe('acknowledged');
    expect(t.incident).toMatchObject({ status: 'acknowledged', acknowledgedAt: ctx.now, acknowledgedBy: 'tanaka', version: 2 });
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'incident-acknowledged', actor: 'tanaka', text: 'Acknowledged. on it', sequence: 2 })]);
    expect(t.notices).toEqual([]);
  });

  it('leaves an acknowledged incident unchanged when acknowledged again', () => {
    // Act
    const t = acknowledge(storedIncident({ status: 'acknowledged' }), { actor: 'sato' }, fixedContext());

    // Assess
    expect(t.action).toBe('unchanged');
    expect(isNoChange(t)).toBe(true);
  });

  it('refuses to acknowledge a resolved incident (ConflictError carrying its state)', () => {
    // Act
    const act = () => acknowledge(storedIncident({ status: 'resolved' }), { actor: 'sato' }, fixedContext());

    // Assess
    expect(act).toThrow(ConflictError);
    expect(act).toThrow('cannot acknowledge incident inc-7: it is resolved');
    try {
      act();
    } catch (error) {
      expect((error as ConflictError).state).toEqual({ incidentId: 'inc-7', status: 'resolved' });
    }
  });

  it('resolves by operator with notice incident-resolved, clearing a pending auto-resolve', () => {
    // Prepare
    const incident = storedIncident({ keys: { 'disk-1': { status: 'resolved', at: at(3) } }, resolvePendingSince: T0 });

    // Act
    const t = resolveByOperator(incident, { actor: 'tanaka', note: 'disk replaced' }, fixedContext());

    // Assess
    expect(t.incident).toMatchObject({ status: 'resolved', resolvedBy: 'tanaka', resolvePendingSince: undefined, closedThrough: at(3), noticeSequence: 2 });
    expect(t.notices).toEqual([expect.objectContaining({ type: 'incident-resolved', sequence: 2, noticeId: 'inc-7-n2', detail: { resolvedBy: 'tanaka' } })]);
    expect(t.notices[0]!.summary).toContain('disk replaced');
  });

  it('annotates any incident, resolved ones too, with a timeline entry only', () => {
    // Act
    const t = annotate(storedIncident({ status: 'resolved' }), { actor: 'tanaka', note: 'post-mortem: firmware bug' }, fixedContext());

    // Assess
    expect(t.action).toBe('annotated');
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'annotation', actor: 'tanaka', text: 'post-mortem: firmware bug' })]);
    expect(t.notices).toEqual([]);
    expect(t.incident).toMatchObject({ status: 'resolved', version: 2 });
  });

  it('opens a manual incident: critical, market-wide component, notice 1 incident-opened', () => {
    // Prepare
    const ctx = fixedContext({}, 'inc-manual');

    // Act
    const t = openManualIncident({ actor: 'tanaka', market: 'equities', summary: 'Halt: order gateway unstable' }, ctx).finish('opened');

    // Assess
    expect(t.incident).toMatchObject({ id: 'inc-manual', groupKey: 'manual:inc-manual', severity: 'critical', component: 'market:equities', market: 'equities', keys: {}, version: 1 });
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId])).toEqual([['incident-opened', 1, 'inc-manual-n1']]);
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'incident-opened', actor: 'tanaka', data: { manual: true } })]);
  });

  it('after an operator resolves a still-firing alarm, replays are stale and a newer firing opens a new incident', () => {
    // Prepare
    const w = world();
    w.deliver(firing('disk-1', 0));
    w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Act
    const replay = w.deliver(firing('disk-1', 0));
    const again = w.deliver(firing('disk-1', 1));

    // Assess
    expect(replay.action).toBe('stale');
    expect(again.action).toBe('opened');
    expect(again.incident!.id).toBe('inc-2');
  });
});
