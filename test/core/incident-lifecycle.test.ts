import { decideSignal } from '../../lambda/core/alarm-rules';
import { parseOperatorCommand, type IncidentCommand } from '../../lambda/core/commands';
import type { PolicyConfig } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { ConflictError } from '../../lambda/core/errors';
import { acknowledge, announceByOperator, annotate, decideIncidentCommand, decideSettle, openManualIncident, resolveByOperator } from '../../lambda/core/incident-lifecycle';
import { isNoChange, PAGE_SCHEMA, type IncidentCounts, type NoticeType, type TimelineKind } from '../../lambda/core/model';
import { MINUTE, SECOND, T0, TestClock, TSE_CONFIG } from '../helpers/domain';
import { firing, IncidentWorld, ok, storedIncident, unannounced } from '../helpers/domain-fixtures';

/**
 * The incident lifecycle (shared/DESIGN.md, "Incident model"): `open → acknowledged → resolved`
 * by operators, and auto-resolve, which waits a quiet time after the last alarm went OK and is
 * decided on a RECOUNT of the incident's alarm items (`decideSettle`), never on the counters
 * alone. Chains run the real use cases over the in-memory store (test/helpers/memory-store.ts),
 * whose `holdBefore` lets a test interleave two of them in a chosen order.
 */

type PolicyInput = Partial<PolicyConfig>;
const QUIET = 60 * SECOND; // the default autoResolveQuietSeconds
const iso = (ms: number) => new Date(ms).toISOString();

function world(policy: PolicyInput = {}): IncidentWorld {
  return new IncidentWorld({ ...TSE_CONFIG, policy });
}

function fixedContext(policy: PolicyInput = {}, now = T0 + 5 * SECOND, id = 'inc-fixed'): DecisionContext {
  const ctx = new TestClock(now).context({ ...TSE_CONFIG, policy })();
  return { ...ctx, newIncidentId: () => id };
}

describe('decideSettle', () => {
  const NOW = T0 + 10 * MINUTE;
  const tally = (alarms: number, firing: number): IncidentCounts => ({ alarms, firing });

  it.each<[string, number | undefined, IncidentCounts, boolean, string, TimelineKind[], NoticeType[]]>([
    // [case, waiting since (ms before now), recount, mayResolve, action, timeline, notices]
    ['an alarm fires, no wait (ingest)', undefined, tally(2, 1), false, 'firing', [], []],
    ['an alarm fires, no wait (sweep)', undefined, tally(2, 1), true, 'firing', [], []],
    ['an alarm fires, waiting (ingest)', 5 * SECOND, tally(2, 1), false, 'resolve-cancelled', ['resolve-cancelled'], []],
    ['an alarm fires, waiting past the quiet time (sweep)', QUIET, tally(2, 1), true, 'resolve-cancelled', ['resolve-cancelled'], []],
    ['none fires, no wait (ingest)', undefined, tally(2, 0), false, 'resolve-pending', ['resolve-pending'], []],
    ['none fires, no wait (sweep)', undefined, tally(2, 0), true, 'resolve-pending', ['resolve-pending'], []],
    ['none fires, waiting 1 ms short of the quiet time (ingest)', QUIET - 1, tally(2, 0), false, 'not-yet', [], []],
    ['none fires, waiting 1 ms short of the quiet time (sweep)', QUIET - 1, tally(2, 0), true, 'not-yet', [], []],
    ['none fires, waiting past the quiet time (ingest)', QUIET, tally(2, 0), false, 'not-yet', [], []],
    ['none fires, waiting exactly the quiet time (sweep)', QUIET, tally(2, 0), true, 'resolved', ['incident-resolved'], ['incident-resolved']],
    ['none fires, waiting an hour (sweep)', 60 * MINUTE, tally(1, 0), true, 'resolved', ['incident-resolved'], ['incident-resolved']],
    ['no alarm at all (an operator’s incident), no wait', undefined, tally(0, 0), true, 'nothing-due', [], []],
    ['no alarm at all, waiting past the quiet time', QUIET, tally(0, 0), true, 'nothing-due', [], []],
    ['no alarm at all, on ingest', undefined, tally(0, 0), false, 'nothing-due', [], []],
  ])('%s → %s', (_, waiting, recount, mayResolve, action, timeline, notices) => {
    // Prepare
    const incident = storedIncident(waiting === undefined ? {} : { resolvePendingSince: NOW - waiting });
    const ctx = fixedContext({}, NOW);

    // Act
    const t = decideSettle(incident, recount, ctx, { mayResolve });

    // Assess
    expect(t.action).toBe(action);
    expect(t.incidentId).toBe('inc-7');
    expect(t.timeline.map((e) => e.kind)).toEqual(timeline);
    expect(t.notices.map((n) => n.type)).toEqual(notices);
    // Operators hear of the resolution as they heard of the opening: every stage paged so far.
    expect((t.pages ?? []).map((p) => [p.type, p.stage])).toEqual(action === 'resolved' ? [['resolved', 'on-call']] : []);
    expect(isNoChange(t)).toBe(timeline.length === 0);
    if (action === 'resolve-cancelled') expect(t.incident).toMatchObject({ resolvePendingSince: undefined, status: 'open', version: 2 });
    if (action === 'resolve-pending') expect(t.incident).toMatchObject({ resolvePendingSince: NOW, status: 'open', version: 2 });
    if (action === 'resolved') {
      expect(t.incident).toMatchObject({ status: 'resolved', resolvedAt: NOW, resolvedBy: 'auto-resolve', resolvePendingSince: undefined, noticeSequence: 2, pageSequence: 2, version: 2 });
      expect(t.incident!.nextEscalation).toBeUndefined();
      expect(t.notices[0]).toMatchObject({ sequence: 2, noticeId: 'inc-7-n2', detail: { resolvedBy: 'auto-resolve', incidentStartedAt: iso(T0) } });
    }
    // Counters are the store's business: a settle never changes them.
    expect(t.counts).toBeUndefined();
  });

  it.each<[string, Parameters<typeof storedIncident>[0], PolicyInput]>([
    ['a resolved incident', { status: 'resolved', resolvePendingSince: T0 }, {}],
    ['an incident whose alarms are all OK when autoResolve is off', {}, { autoResolve: false }],
  ])('leaves %s alone (nothing-due)', (_, overrides, policy) => {
    // Act
    const t = decideSettle(storedIncident(overrides), tally(1, 0), fixedContext(policy, T0 + 24 * 60 * MINUTE), { mayResolve: true });

    // Assess
    expect(t.action).toBe('nothing-due');
    expect(isNoChange(t)).toBe(true);
  });

  it('auto-resolves an incident participants never heard of with no notice: a page only', () => {
    // Prepare
    const incident = unannounced({ resolvePendingSince: T0 });

    // Act
    const t = decideSettle(incident, tally(1, 0), fixedContext({}, T0 + QUIET), { mayResolve: true });

    // Assess
    expect(t.action).toBe('resolved');
    expect(t.notices).toEqual([]);
    expect(t.incident).toMatchObject({ status: 'resolved', noticeSequence: 0 });
    expect(t.pages!.map((p) => [p.pageId, p.type, p.announced])).toEqual([['inc-7-p2', 'resolved', false]]);
  });

  it('resolves an acknowledged incident too, keeping who acknowledged it', () => {
    // Prepare
    const incident = storedIncident({ status: 'acknowledged', acknowledgedBy: 'tanaka', acknowledgedAt: T0, resolvePendingSince: T0 });

    // Act
    const t = decideSettle(incident, tally(1, 0), fixedContext({}, T0 + QUIET), { mayResolve: true });

    // Assess
    expect(t.incident).toMatchObject({ status: 'resolved', acknowledgedBy: 'tanaka' });
  });
});

describe('auto-resolve through ingest and sweep', () => {
  it('waits (resolve-pending) once every alarm is OK, with no notice yet, recounting before it starts', async () => {
    // Prepare
    const w = world({ groupBy: 'component' });
    await w.deliverAll([firing('disk-1', 0), firing('disk-2', 1)]);

    // Act
    const first = await w.deliver(ok('disk-1', 2));
    w.clock.advance(5 * SECOND);
    const last = await w.deliver(ok('disk-2', 3));

    // Assess
    expect(first.action).toBe('alarm-resolved');
    expect(first.timeline.map((e) => e.kind)).toEqual(['alarm-resolved']);
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 0 });
    expect(last.action).toBe('resolve-pending');
    // The alarm's own transaction, then the settle's on the incident.
    expect(last.commits.map((t) => [t.action, !!t.incident])).toEqual([
      ['alarm-resolved', false],
      ['resolve-pending', true],
    ]);
    expect(last.timeline.map((e) => e.kind)).toEqual(['alarm-resolved', 'resolve-pending']);
    expect(last.notices).toEqual([]);
    expect(w.incident('inc-1')).toMatchObject({ status: 'open', resolvePendingSince: w.clock.now });
  });

  it('does not wait to resolve when autoResolve is false: the incident stays open for an operator, and its escalation, overdue, runs on the sweep', async () => {
    // Prepare
    const w = world({ autoResolve: false });
    await w.deliver(firing('disk-1', 0));

    // Act
    const step = await w.deliver(ok('disk-1', 1));
    w.clock.advance(24 * 60 * MINUTE);
    const swept = await w.sweep();

    // Assess
    expect(step.action).toBe('alarm-resolved');
    expect(step.timeline.map((e) => e.kind)).toEqual(['alarm-resolved']);
    expect(swept.resolved).toEqual([]);
    expect(swept.commits.map((t) => t.action)).toEqual(['escalated']);
    expect(swept.pages.map((p) => [p.type, p.stage])).toEqual([['escalated', 'duty-manager']]);
    expect(w.incident('inc-1')).toMatchObject({ status: 'open' });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
  });

  it.each<[string, number, boolean]>([
    ['1 ms before the quiet time', QUIET - 1, false],
    ['at the quiet time', QUIET, true],
    ['an hour later', 60 * MINUTE, true],
  ])('sweeps %s (%i ms into the wait) → resolved: %s', async (_, elapsed, resolved) => {
    // Prepare
    const w = world();
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);
    w.clock.advance(elapsed);

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved.map((o) => o.incidentId)).toEqual(resolved ? ['inc-1'] : []);
    expect(w.incident('inc-1').status).toBe(resolved ? 'resolved' : 'open');
    if (!resolved) expect(swept.commits).toEqual([]);
  });

  it.each([1, 300])('honours autoResolveQuietSeconds = %i: not yet 1 ms before, resolved at it', async (quietSeconds) => {
    // Prepare
    const w = world({ autoResolveQuietSeconds: quietSeconds });
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);
    const pendingSince = w.incident('inc-1').resolvePendingSince!;

    // Act
    w.clock.now = pendingSince + quietSeconds * SECOND - 1;
    const early = await w.sweep();
    w.clock.advance(1);
    const due = await w.sweep();

    // Assess
    expect([early.resolved.length, due.resolved.length]).toEqual([0, 1]);
  });

  it('resolves at the first sweep when autoResolveQuietSeconds is 0', async () => {
    // Prepare
    const w = world({ autoResolveQuietSeconds: 0 });
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved.map((o) => o.action)).toEqual(['resolved']);
  });

  it('resolves with notice 2 incident-resolved, from the incident’s start', async () => {
    // Prepare: announced (critical, participant-facing) by the first alarm delivered
    const w = world({ groupBy: 'component' });
    await w.deliverAll([firing('disk-2', 4, { severity: 'critical' }), firing('disk-1', 0), ok('disk-2', 9), ok('disk-1', 7)]);
    w.clock.advance(QUIET);

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved.map((o) => o.action)).toEqual(['resolved']);
    expect(w.incident('inc-1')).toMatchObject({ status: 'resolved', resolvedAt: w.clock.now, resolvedBy: 'auto-resolve', startedAt: T0, noticeSequence: 2 });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
    expect(swept.timeline.map((e) => [e.kind, e.actor])).toEqual([['incident-resolved', 'auto-resolve']]);
    expect(swept.notices).toEqual([
      expect.objectContaining({
        type: 'incident-resolved',
        sequence: 2,
        noticeId: 'inc-1-n2',
        incidentId: 'inc-1',
        market: 'equities',
        issuedAt: iso(w.clock.now),
        detail: { resolvedBy: 'auto-resolve', incidentStartedAt: iso(T0) },
      }),
    ]);
    expect(swept.pages).toEqual([expect.objectContaining({ pageId: 'inc-1-p2', type: 'resolved', stage: 'on-call', announced: true, issuedAt: iso(w.clock.now) })]);
  });

  it('resolves an incident participants never heard of (major) with no notice at all, paging on-call', async () => {
    // Prepare
    const w = world();
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 1)]);
    w.clock.advance(QUIET);

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved.map((o) => o.action)).toEqual(['resolved']);
    expect(swept.notices).toEqual([]);
    expect(w.noticeTrail('inc-1')).toEqual([]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['resolved', 'on-call'],
    ]);
  });

  it('cancels the wait (resolve-cancelled) when an alarm fires again, keeping the same incident', async () => {
    // Prepare
    const w = world();
    await w.deliverAll([firing('disk-1', 0), ok('disk-1', 10)], SECOND);

    // Act
    const step = await w.deliver(firing('disk-1', 20));
    w.clock.advance(QUIET * 2);
    const swept = await w.sweep();

    // Assess
    expect(step.action).toBe('attached');
    expect(step.commits).toHaveLength(1);
    expect(step.timeline.map((e) => e.kind)).toEqual(['alarm-fired-again', 'resolve-cancelled']);
    expect(step.notices).toEqual([]);
    expect(w.incident('inc-1')).toMatchObject({ status: 'open' });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
    expect(swept.resolved).toEqual([]);
    expect(w.incidents()).toHaveLength(1);
  });

  it('keeps one incident, two notices and two pages through flapping inside the quiet time', async () => {
    // Prepare
    const w = world();
    const flapping = [0, 10, 20, 30, 40, 50].map((s, i) => (i % 2 === 0 ? firing('disk-1', s, { severity: 'critical' }) : ok('disk-1', s)));

    // Act
    await w.deliverAll(flapping, 10 * SECOND);
    w.clock.advance(QUIET);
    await w.sweep();

    // Assess
    expect(w.incidents()).toHaveLength(1);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['resolved', 'on-call'],
    ]);
    expect(w.timelineOf('inc-1').filter((e) => e.kind === 'resolve-cancelled')).toHaveLength(2);
    expect(w.timelineOf('inc-1').filter((e) => e.kind === 'resolve-pending')).toHaveLength(3);
  });

  it('auto-resolves an acknowledged incident as well', async () => {
    // Prepare
    const w = world();
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));
    await w.command({ command: 'ack', incidentId: 'inc-1' });
    await w.deliver(ok('disk-1', 1));
    w.clock.advance(QUIET);

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved.map((o) => o.action)).toEqual(['resolved']);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['acknowledged', 'on-call'],
      ['resolved', 'on-call'],
    ]);
  });

  it('never auto-resolves an incident an operator declared: it has no alarm to go OK (the sweep only escalates it, overdue)', async () => {
    // Prepare
    const w = world();
    await w.command({ command: 'declare-halt', market: 'equities', note: 'order gateway unstable' });
    w.clock.advance(24 * 60 * MINUTE);

    // Act
    const swept = await w.sweep();
    const again = await w.sweep();

    // Assess
    expect(swept.resolved).toEqual([]);
    expect(swept.commits.map((t) => t.action)).toEqual(['escalated']);
    expect(again.commits).toEqual([]);
    expect(w.incident('inc-1').status).toBe('open');
  });
});

describe('settling on a recount: concurrent alarms and lost increments', () => {
  it('never resolves early when an alarm goes OK while another fires: the sweep’s recount cancels the wrong wait', async () => {
    // Prepare: disk-1's OK has recounted (disk-2 not yet written: nothing fires) and is about to
    // start the wait when disk-2's firing goes through whole, reading the incident not waiting
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0));
    const held = w.store.holdBefore('commit', (t) => t.action === 'resolve-pending');
    const wentOk = w.deliver(ok('disk-1', 10));
    await held.reached;
    const fired = await w.deliver(firing('disk-2', 11));
    held.release();
    await wentOk;
    expect(fired.action).toBe('attached');
    expect(w.incident('inc-1').resolvePendingSince).toBe(T0);
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 1 });

    // Act: the sweep comes after the quiet time, when a wait it trusted would resolve
    w.clock.advance(QUIET);
    const swept = await w.sweep();

    // Assess
    expect(swept.resolved).toEqual([]);
    expect(swept.timeline.map((e) => [e.kind, e.actor])).toEqual([['resolve-cancelled', 'system']]);
    expect(w.incident('inc-1')).toMatchObject({ status: 'open' });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
    expect(w.pageTrail('inc-1')).toEqual([['opened', 'on-call']]);
  });

  it('cancels the wait at once when the firing commits after the wait started: its own settle recounts', async () => {
    // Prepare: disk-2's firing decided on a read where the incident did not wait yet
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0));
    const held = w.store.holdBefore('commit', (t) => t.alarm?.dedupKey === 'disk-2');
    w.clock.advance(SECOND);
    const firingLate = w.deliver(firing('disk-2', 11));
    await held.reached;
    w.clock.advance(SECOND);
    const wentOk = await w.deliver(ok('disk-1', 10));

    // Act
    held.release();
    const fired = await firingLate;

    // Assess
    expect(wentOk.action).toBe('resolve-pending');
    expect(fired.action).toBe('resolve-cancelled');
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
    // Entries carry the time they were decided at: disk-2's attach (1 s) reads before the wait it ended (2 s).
    expect(w.timelineOf('inc-1').map((e) => [e.kind, (e.at - T0) / SECOND])).toEqual([
      ['incident-opened', 0],
      ['alarm-attached', 1],
      ['alarm-resolved', 2],
      ['resolve-pending', 2],
      ['resolve-cancelled', 2],
    ]);
  });

  it('resolves later, once the other alarm too has been OK for the quiet time', async () => {
    // Prepare: the race of the first test, then disk-2 goes OK
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0));
    const held = w.store.holdBefore('commit', (t) => t.action === 'resolve-pending');
    const wentOk = w.deliver(ok('disk-1', 10));
    await held.reached;
    await w.deliver(firing('disk-2', 11));
    held.release();
    await wentOk;
    w.clock.advance(QUIET);
    await w.sweep();

    // Act
    const last = await w.deliver(ok('disk-2', 12));
    const early = await w.sweep();
    w.clock.advance(QUIET);
    const due = await w.sweep();

    // Assess
    expect(last.action).toBe('resolve-pending');
    expect(early.resolved).toEqual([]);
    expect(due.resolved.map((o) => o.incidentId)).toEqual(['inc-1']);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['resolved', 'on-call'],
    ]);
  });

  it('starts the wait and repairs the counters when a crash lost an OK’s increment', async () => {
    // Prepare: the OK's transaction is written, then the function dies before its increment
    const w = world();
    await w.deliver(firing('disk-1', 0));
    const signal = ok('disk-1', 10);
    await w.store.commit(decideSignal(await w.store.readForSignal('key:disk-1', 'disk-1', 'equities'), signal, w.context()));
    expect(w.counts('inc-1')).toEqual({ alarms: 1, firing: 1 });

    // Act
    const first = await w.sweep();
    w.clock.advance(QUIET);
    const second = await w.sweep();

    // Assess
    expect(first.timeline.map((e) => e.kind)).toEqual(['resolve-pending']);
    expect(w.counts('inc-1')).toEqual({ alarms: 1, firing: 0 });
    expect(second.resolved.map((o) => o.incidentId)).toEqual(['inc-1']);
  });

  it('leaves counters that a concurrent alarm moved during the repair to the next sweep, which repairs them', async () => {
    // Prepare: counters one firing too high after a crash; the sweep recounts, then disk-2 fires
    // (its increment lands) before the sweep's repair
    const w = world({ groupBy: 'component' });
    await w.deliver(firing('disk-1', 0));
    await w.store.commit(decideSignal(await w.store.readForSignal('component:shared-disk', 'disk-1', 'equities'), ok('disk-1', 10), w.context()));
    const held = w.store.holdBefore('repairCounts');
    const sweeping = w.sweep();
    await held.reached;
    await w.deliver(firing('disk-2', 11));
    held.release();

    // Act
    await sweeping;
    const afterFirst = w.counts('inc-1');
    await w.sweep();

    // Assess
    expect(afterFirst).toEqual({ alarms: 2, firing: 2 });
    expect(w.counts('inc-1')).toEqual({ alarms: 2, firing: 1 });
    expect(w.incident('inc-1').resolvePendingSince).toBeUndefined();
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
    expect(t.timeline).toEqual([
      { incidentId: 'inc-7', entryId: `${iso(ctx.now)}#v0000000002.00`, at: ctx.now, kind: 'incident-acknowledged', actor: 'tanaka', text: 'Acknowledged. on it' },
    ]);
    expect(t.notices).toEqual([]);
    // On-call hears that somebody has it; the duty-manager is not paged any more.
    expect(t.pages!.map((p) => [p.pageId, p.type, p.stage])).toEqual([['inc-7-p2', 'acknowledged', 'on-call']]);
    expect(t.incident!.nextEscalation).toBeUndefined();
    expect(t.timers).toBeUndefined();
  });

  it('leaves an acknowledged incident unchanged when acknowledged again', () => {
    // Act
    const t = acknowledge(storedIncident({ status: 'acknowledged' }), { actor: 'sato' }, fixedContext());

    // Assess
    expect(t.action).toBe('unchanged');
    expect(isNoChange(t)).toBe(true);
  });

  it('rejects acknowledging a resolved incident (ConflictError carrying its state)', () => {
    // Act
    const act = () => acknowledge(storedIncident({ status: 'resolved' }), { actor: 'sato' }, fixedContext());

    // Assess
    expect(act).toThrow(ConflictError);
    expect(act).toThrow('cannot acknowledge incident inc-7: it is resolved');
    expect(() => act()).toThrow(expect.objectContaining({ state: { incidentId: 'inc-7', status: 'resolved' } }));
  });

  it('resolves by operator with notice incident-resolved, clearing a pending auto-resolve', () => {
    // Prepare
    const incident = storedIncident({ resolvePendingSince: T0, startedAt: T0 - MINUTE });

    // Act
    const t = resolveByOperator(incident, { actor: 'tanaka', note: 'disk replaced' }, fixedContext());

    // Assess
    expect(t.incident).toMatchObject({ status: 'resolved', resolvedBy: 'tanaka', resolvedAt: T0 + 5 * SECOND, resolvePendingSince: undefined, noticeSequence: 2, version: 2 });
    expect(t.notices).toEqual([
      expect.objectContaining({ type: 'incident-resolved', sequence: 2, noticeId: 'inc-7-n2', detail: { resolvedBy: 'tanaka', incidentStartedAt: iso(T0 - MINUTE) } }),
    ]);
    expect(t.notices[0]!.summary).toContain('disk replaced');
    expect(t.pages!.map((p) => [p.type, p.stage])).toEqual([['resolved', 'on-call']]);
    expect(t.incident!.nextEscalation).toBeUndefined();
  });

  it('resolves by operator an incident participants never heard of: no notice, a page', () => {
    // Act
    const t = resolveByOperator(unannounced(), { actor: 'tanaka', note: 'false alarm' }, fixedContext());

    // Assess
    expect(t.action).toBe('resolved');
    expect(t.notices).toEqual([]);
    expect(t.incident).toMatchObject({ status: 'resolved', noticeSequence: 0 });
    expect(t.pages!.map((p) => [p.type, p.announced])).toEqual([['resolved', false]]);
  });

  it('leaves a resolved incident unchanged when resolved again: no second notice', () => {
    // Act
    const t = resolveByOperator(storedIncident({ status: 'resolved' }), { actor: 'tanaka' }, fixedContext());

    // Assess
    expect(t.action).toBe('unchanged');
    expect(isNoChange(t)).toBe(true);
  });

  it('annotates any incident, resolved ones too: a timeline entry on a new version of the incident, no notice', () => {
    // Act
    const t = annotate(storedIncident({ status: 'resolved' }), { actor: 'tanaka', note: 'post-mortem: firmware bug' }, fixedContext());

    // Assess
    expect(t.action).toBe('annotated');
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'annotation', actor: 'tanaka', text: 'post-mortem: firmware bug' })]);
    expect(t.notices).toEqual([]);
    expect(t.incident).toMatchObject({ status: 'resolved', noticeSequence: 1, version: 2 });
  });

  it('opens a manual incident: critical, market-wide component, started now, notice 1 incident-opened, page 1 to on-call', () => {
    // Prepare
    const ctx = fixedContext({}, T0, 'inc-manual');

    // Act
    const t = openManualIncident({ actor: 'tanaka', market: 'equities', summary: 'Halt: order gateway unstable' }, ctx).finish('opened');

    // Assess
    expect(t.incident).toEqual({
      id: 'inc-manual',
      groupKey: 'manual:inc-manual',
      status: 'open',
      severity: 'critical',
      component: 'market:equities',
      market: 'equities',
      summary: 'Halt: order gateway unstable',
      openedAt: T0,
      startedAt: T0,
      noticeSequence: 1,
      typeSequences: { 'incident-opened': 1 },
      announced: true,
      pageSequence: 1,
      pagedStage: 0,
      nextEscalation: { step: 1, at: T0 + 300 * SECOND },
      version: 1,
    });
    expect(t.pages).toEqual([
      {
        schema: PAGE_SCHEMA,
        pageId: 'inc-manual-p1',
        type: 'opened',
        incidentId: 'inc-manual',
        stage: 'on-call',
        severity: 'critical',
        component: 'market:equities',
        market: 'equities',
        summary: 'Halt: order gateway unstable',
        announced: true,
        issuedAt: iso(T0),
        openedAt: iso(T0),
      },
    ]);
    expect(t.timers).toEqual([{ incidentId: 'inc-manual', step: 1, at: T0 + 300 * SECOND }]);
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId, n.detail])).toEqual([
      ['incident-opened', 1, 'inc-manual-n1', { declaredBy: 'operator', incidentStartedAt: iso(T0) }],
    ]);
    expect(t.timeline).toEqual([expect.objectContaining({ kind: 'incident-opened', actor: 'tanaka', data: { manual: true } })]);
    expect(t.alarm).toBeUndefined();
    expect(t.counts).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['ack', { command: 'ack', incidentId: 'inc-7' }, 'acknowledged', 'acknowledged'],
    ['resolve', { command: 'resolve', incidentId: 'inc-7' }, 'resolved', 'resolved'],
    ['annotate', { command: 'annotate', incidentId: 'inc-7', note: 'x' }, 'annotated', 'open'],
    ['announce', { command: 'announce', incidentId: 'inc-7', note: 'x' }, 'updated', 'open'],
  ])('decideIncidentCommand routes %s to its decision', (_, input, action, status) => {
    // Act
    const t = decideIncidentCommand(parseOperatorCommand(input) as IncidentCommand, storedIncident(), 'tanaka', fixedContext());

    // Assess
    expect(t.action).toBe(action);
    expect(t.incident!.status).toBe(status);
  });
});

describe('announceByOperator', () => {
  it.each<[string, Parameters<typeof storedIncident>[0], string, [NoticeType, number][], Record<string, unknown>]>([
    ['announces an incident participants never heard of, with the operator’s note', { noticeSequence: 0, announced: false }, 'announced', [['incident-opened', 1]], { component: 'shared-disk', announcedBy: 'tanaka' }],
    ['sends an announced incident’s next notice as an update', {}, 'updated', [['update', 2]], { announcedBy: 'tanaka' }],
    ['numbers an update after a halt and its resumption', { noticeSequence: 4 }, 'updated', [['update', 5]], { announcedBy: 'tanaka' }],
    ['announces an acknowledged incident too', { status: 'acknowledged', noticeSequence: 0, announced: false }, 'announced', [['incident-opened', 1]], { component: 'shared-disk', announcedBy: 'tanaka' }],
  ])('%s', (_, overrides, action, notices, detail) => {
    // Prepare
    const ctx = fixedContext();

    // Act
    const t = announceByOperator(storedIncident(overrides), { actor: 'tanaka', note: 'Order entry suspended on all equities.' }, ctx);

    // Assess
    expect(t.action).toBe(action);
    expect(t.notices.map((n) => [n.type, n.sequence])).toEqual(notices);
    expect(t.notices[0]).toMatchObject({ summary: 'Order entry suspended on all equities.', market: 'equities', detail: { ...detail, incidentStartedAt: iso(T0) } });
    expect(t.incident).toMatchObject({ announced: true, noticeSequence: notices[0]![1] });
    expect(t.timeline.map((e) => [e.kind, e.actor])).toEqual([['announced', 'tanaka']]);
    // Operators are not paged for what they announced themselves.
    expect(t.pages).toBeUndefined();
  });

  it('rejects announcing a resolved incident (ConflictError carrying its state)', () => {
    // Act
    const act = () => announceByOperator(storedIncident({ status: 'resolved' }), { actor: 'tanaka', note: 'late' }, fixedContext());

    // Assess
    expect(act).toThrow(ConflictError);
    expect(act).toThrow('cannot announce incident inc-7: it is resolved');
    expect(() => act()).toThrow(expect.objectContaining({ state: { incidentId: 'inc-7', status: 'resolved' } }));
  });
});
