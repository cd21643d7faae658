import { parseConfig } from '../../lambda/core/config';
import { failoverKey, groupConfig, readinessKey, type LeaseState, type NodeState, type Observation } from '../../lambda/core/lease';
import { afterPromotion, promoterStep, type CheckDecision, type GroupWatch, type PromoterAction } from '../../lambda/core/promoter-step';
import type { SignalStatus } from '../../lambda/core/signal';
import { SECOND, T0 } from '../helpers/domain';

/**
 * One promoter's check of one group as a specification: `promoterStep` is pure, so every case
 * is (what the promoter remembers, what it read, its clock) → (what it remembers next, what it
 * must do). `at(s)` is T0 + s seconds on the promoter's own clock.
 */

const GROUP = 'shared-disk';
const config = parseConfig({
  groups: [
    { id: GROUP, nodes: ['unit-1', 'unit-2', 'unit-3'], drills: true, drillEveryHours: 1 }, // lease 10 s, check 2 s: drill deadline 19 s
    { id: 'matching', nodes: ['m-a', 'm-b'] },
  ],
});
const group = groupConfig(config, GROUP);
const at = (seconds: number) => T0 + seconds * SECOND;
const HOUR_S = 3600;

/** unit-1 holds the lease in epoch 3, record version 7, last renewed 2 s before T0. */
function lease(overrides: Partial<LeaseState> = {}): LeaseState {
  return { group: GROUP, holder: 'unit-1', epoch: 3, version: 7, updatedAt: at(-2), ...overrides };
}
function node(nodeId: string, overrides: Partial<NodeState> = {}): NodeState {
  return { group: GROUP, nodeId, ready: true, lastHeartbeatAt: at(-1), version: 4, ...overrides };
}
/** unit-2 and unit-3 heartbeating as standbys, heard from `seconds` ago, ready or not. */
function standbys(now: number, ready: boolean, seconds = 1): NodeState[] {
  return ['unit-2', 'unit-3'].map((id) => node(id, { ready, lastHeartbeatAt: now - seconds * SECOND }));
}
/** What the store says of the group's first sighting: an hour ago, long past its startup grace (300 s). */
const SEEN = { firstSeenAt: at(-HOUR_S) } as const;

/** The watch of a promoter that first saw the group at T0. */
function watch(overrides: Partial<GroupWatch> = {}): GroupWatch {
  return { firstSeen: at(0), ...overrides };
}

const kinds = (actions: readonly PromoterAction[]) => actions.map((a) => (a.kind === 'raise' ? `raise ${a.signal.dedupKey} ${a.signal.status}` : a.kind));

describe('promoterStep', () => {
  describe('the readiness alarm', () => {
    // The lease moves (a new version every check), so nothing but the readiness alarm is due.
    it.each<[string, GroupWatch, boolean, number, SignalStatus | undefined, SignalStatus | undefined]>([
      ['is not raised at the first check, when standbys may not have reported yet', {}, false, at(0), undefined, undefined],
      ['is not raised before a whole lease duration since the first check', watch(), false, at(9.999), undefined, undefined],
      ['fires once the promoter has watched for a lease duration and no standby is ready', watch(), false, at(10), 'firing', 'firing'],
      ['is raised resolved at the first settled check when a standby is ready', watch(), true, at(10), 'resolved', 'resolved'],
      ['is not raised again while it still fires', watch({ readiness: 'firing' }), false, at(30), undefined, 'firing'],
      ['resolves when a standby reports ready again', watch({ readiness: 'firing' }), true, at(30), 'resolved', 'resolved'],
      ['is not raised again while capacity stays restored', watch({ readiness: 'resolved' }), true, at(30), undefined, 'resolved'],
      ['fires again when capacity is lost again', watch({ readiness: 'resolved' }), false, at(30), 'firing', 'firing'],
    ])('%s', (_name, before, ready, now, raised, remembered) => {
      // Prepare
      const view = { lease: lease({ version: 7 + Math.round((now - T0) / SECOND), updatedAt: now }), nodes: standbys(now, ready), ...SEEN };

      // Act
      const step = promoterStep(before, view, group, now);

      // Assess
      expect(step.decision).toBe('watching');
      expect(step.actions).toEqual(raised ? [{ kind: 'raise', signal: expect.objectContaining({ dedupKey: readinessKey(GROUP), status: raised, mayHalt: false, bookkeeping: true, occurredAt: now }) }] : []);
      expect(step.watch.readiness).toBe(remembered);
      expect(step.watch.firstSeen).toBe(before.firstSeen ?? now);
    });
  });

  describe('scheduled drills (drillEveryHours: 1)', () => {
    it.each<[string, string, LeaseState | undefined, number, CheckDecision, string[]]>([
      ['starts the first one an hour after the promoter first saw the group', GROUP, lease(), at(HOUR_S), 'drill-started', ['start-drill']],
      ['starts the next one an hour after the last one', GROUP, lease({ lastDrillAt: at(10) }), at(HOUR_S + 10), 'drill-started', ['start-drill']],
      ['does not start one within the hour after the last one', GROUP, lease({ lastDrillAt: at(10) }), at(HOUR_S + 9), 'watching', []],
      ['does not start one while a drill runs', GROUP, lease({ drillUntil: at(HOUR_S + 19), drillStartedAt: at(HOUR_S), lastDrillAt: at(HOUR_S) }), at(HOUR_S + 1), 'watching', []],
      ['does not start one before any node holds the lease', GROUP, undefined, at(HOUR_S), 'watching', []],
      ['does not start one on a group without drills', 'matching', lease({ group: 'matching', holder: 'm-a' }), at(HOUR_S), 'watching', []],
    ])('%s', (_name, groupId, current, now, decision, actions) => {
      // Prepare: the lease moved a second ago (a new version); the promoter last saw it a second before that.
      const before = watch({ readiness: 'resolved', observation: { version: 6, since: now - 2 * SECOND } });
      const nodes = groupId === GROUP ? standbys(now, true) : [node('m-b', { group: groupId, lastHeartbeatAt: now - SECOND })];
      const view = { ...(current ? { lease: { ...current, updatedAt: now - SECOND } } : {}), nodes, ...SEEN };
      const checked = groupConfig(config, groupId);

      // Act
      const step = promoterStep(before, view, checked, now);

      // Assess: a started drill drops the observation, so the drilled lease is watched afresh.
      expect(step.decision).toBe(decision);
      expect(kinds(step.actions)).toEqual(actions);
      if (decision === 'drill-started') expect(step.watch).toEqual({ firstSeen: at(0), readiness: 'resolved' });
      else expect(step.watch.observation).toEqual({ version: current?.version ?? 0, since: now });
    });

    it('raises the readiness alarm before it starts the drill when both are due', () => {
      const step = promoterStep(watch(), { lease: lease(), nodes: standbys(at(HOUR_S), false), ...SEEN }, group, at(HOUR_S));
      expect(kinds(step.actions)).toEqual([`raise ${readinessKey(GROUP)} firing`, 'start-drill']);
      expect(step.watch).toEqual({ firstSeen: at(0), readiness: 'firing' });
    });
  });

  describe('a running drill', () => {
    /** A drill started at T0 by `tanaka`: the holder's heartbeats do not count until T0 + 19 s. */
    const drilled = lease({ version: 8, updatedAt: at(0), drillStartedAt: at(0), drillUntil: at(19), drillBy: 'tanaka', lastDrillAt: at(0) });

    it.each<[string, Observation, boolean, number, CheckDecision, PromoterAction[]]>([
      ['fails when no standby is ready once the lease has stood still', { version: 8, since: at(0) }, false, at(10), 'drill-failed', [{ kind: 'fail-drill', why: 'no standby was ready to take over' }]],
      ['fails when the deadline passes without a promotion', { version: 9, since: at(15) }, true, at(19), 'drill-failed', [{ kind: 'fail-drill', why: 'not promoted within 19 s' }]],
      ['keeps watching before the lease has stood still and before the deadline', { version: 8, since: at(0) }, false, at(9), 'watching', []],
    ])('%s', (_name, observation, ready, now, decision, actions) => {
      // Prepare: the promoter has watched the group for a minute, readiness alarm already in step.
      const before = watch({ firstSeen: at(-60), readiness: ready ? 'resolved' : 'firing', observation });
      const view = { lease: observation.version === 9 ? { ...drilled, version: 9 } : drilled, nodes: standbys(now, ready), ...SEEN };

      // Act
      const step = promoterStep(before, view, group, now);

      // Assess: a failed drill drops the observation and raises no "no ready standby" of its own.
      expect(step.decision).toBe(decision);
      expect(step.actions).toEqual(actions);
      if (decision === 'drill-failed') expect(step.watch).toEqual({ firstSeen: at(-60), readiness: before.readiness });
      else expect(step.watch.observation).toEqual(observation);
    });

    it('promotes the ready standby once the lease has stood still, completing the drill', () => {
      const before = watch({ firstSeen: at(-60), readiness: 'resolved', observation: { version: 8, since: at(0) } });
      const step = promoterStep(before, { lease: drilled, nodes: standbys(at(10), true), ...SEEN }, group, at(10));
      expect(step.decision).toBe('promote');
      expect(step.actions).toEqual([{ kind: 'promote', decision: expect.objectContaining({ from: 'unit-1', drillStartedAt: at(0), lease: expect.objectContaining({ epoch: 4, version: 9 }) }) }]);
    });
  });

  describe('the lease', () => {
    it.each<[string, Observation | undefined, LeaseState | undefined, number, Observation]>([
      ['is first seen: watched from now', undefined, lease(), at(0), { version: 7, since: at(0) }],
      ['has not moved for less than a lease duration: still watched since it was first seen', { version: 7, since: at(0) }, lease(), at(9.999), { version: 7, since: at(0) }],
      ['moved just before the lease duration ran out: watched afresh from now', { version: 7, since: at(0) }, lease({ version: 8, updatedAt: at(9) }), at(9.999), { version: 8, since: at(9.999) }],
      ['moved while the promoter was away for longer than a lease: watched afresh, not promoted', { version: 7, since: at(0) }, lease({ version: 9, updatedAt: at(30) }), at(60), { version: 9, since: at(60) }],
      ['does not exist yet: version 0 watched from now', undefined, undefined, at(0), { version: 0, since: at(0) }],
    ])('keeps watching while the lease version moves: the lease %s', (_name, observation, current, now, expected) => {
      const step = promoterStep(watch({ firstSeen: at(-60), readiness: 'resolved', ...(observation ? { observation } : {}) }), { ...(current ? { lease: current } : {}), nodes: standbys(now, true), ...SEEN }, group, now);
      expect(step.decision).toBe('watching');
      expect(step.actions).toEqual([]);
      expect(step.watch.observation).toEqual(expected);
    });

    it.each<[string, LeaseState | undefined, NodeState[], { from?: string; to: string; epoch: number; version: number }]>([
      ['to the freshest ready standby, epoch + 1', lease(), [node('unit-2', { lastHeartbeatAt: at(8) }), node('unit-3', { lastHeartbeatAt: at(9) })], { from: 'unit-1', to: 'unit-3', epoch: 4, version: 8 }],
      ['passing over a standby that is not ready', lease(), [node('unit-2', { lastHeartbeatAt: at(8) }), node('unit-3', { ready: false, lastHeartbeatAt: at(9) })], { from: 'unit-1', to: 'unit-2', epoch: 4, version: 8 }],
      ['when no node ever held it: the first lease, epoch 1', undefined, [node('unit-2', { lastHeartbeatAt: at(9) })], { to: 'unit-2', epoch: 1, version: 1 }],
    ])('promotes once the lease has stood still for leaseDuration: %s', (_name, current, nodes, expected) => {
      // Prepare: the promoter first saw this version at T0; it is now T0 + 10 s.
      const observation = { version: current?.version ?? 0, since: at(0) };
      const before = watch({ firstSeen: at(-60), readiness: 'resolved', observation });

      // Act
      const step = promoterStep(before, { ...(current ? { lease: current } : {}), nodes, ...SEEN }, group, at(10));

      // Assess: the watch keeps the observation until the outcome is known (afterPromotion).
      expect(step.decision).toBe('promote');
      expect(step.actions).toHaveLength(1);
      const [action] = step.actions;
      expect(action).toMatchObject({ kind: 'promote', decision: { observation, to: expected.to, lease: { holder: expected.to, epoch: expected.epoch, version: expected.version, updatedAt: at(10) } } });
      expect((action as Extract<PromoterAction, { kind: 'promote' }>).decision.from).toBe(expected.from);
      expect(step.watch).toEqual({ ...before, observation });
    });

    it.each<[string, number | undefined, boolean, number | undefined]>([
      ['raises "no ready standby" the first time the lease version is found silent', undefined, true, 7],
      ['does not raise it again for the same silent version', 7, false, 7],
      ['raises it again for a later silent version', 6, true, 7],
    ])('%s', (_name, stalledRaisedFor, raised, remembered) => {
      // Prepare: the holder has been silent since T0 (version 7), and no standby is ready.
      const before = watch({ firstSeen: at(-60), readiness: 'firing', observation: { version: 7, since: at(0) }, ...(stalledRaisedFor !== undefined ? { stalledRaisedFor } : {}) });

      // Act
      const step = promoterStep(before, { lease: lease(), nodes: standbys(at(12), false), ...SEEN }, group, at(12));

      // Assess
      expect(step.decision).toBe('no-ready-standby');
      expect(step.actions).toEqual(
        raised
          ? [{ kind: 'raise', signal: expect.objectContaining({ dedupKey: failoverKey(GROUP), status: 'firing', severity: 'critical', bookkeeping: true, mayHalt: true, details: { group: GROUP, holder: 'unit-1' } }) }]
          : [],
      );
      expect(step.watch.stalledRaisedFor).toBe(remembered);
      expect(step.watch.observation).toEqual({ version: 7, since: at(0) });
    });
  });
});

describe('promoterStep: when Tocsin first saw the group', () => {
  it.each<[string, number | undefined, string[]]>([
    ['asks to store the first sighting when none is stored', undefined, ['mark-seen']],
    ['leaves a stored first sighting alone', at(-HOUR_S), []],
    ['leaves a first sighting stored by another promoter a moment ago alone', at(-1), []],
  ])('%s', (_name, firstSeenAt, actions) => {
    // Prepare: a healthy group, its lease moving, checked for the first time by this promoter
    const view = { lease: lease({ updatedAt: at(0) }), nodes: standbys(at(0), true), ...(firstSeenAt !== undefined ? { firstSeenAt } : {}) };

    // Act
    const step = promoterStep({}, view, group, at(0));

    // Assess: mark-seen comes first, before anything the check may raise
    expect(kinds(step.actions)).toEqual(actions);
    expect(step.decision).toBe('watching');
  });

  it('marks the group seen even while its startup grace holds everything else back', () => {
    // Act
    const step = promoterStep({}, { nodes: standbys(at(0), false) }, group, at(0));

    // Assess
    expect(step).toEqual({ watch: { firstSeen: at(0) }, actions: [{ kind: 'mark-seen' }], decision: 'watching' });
  });
});

describe('afterPromotion', () => {
  const before = watch({ readiness: 'resolved', stalledRaisedFor: 5, observation: { version: 7, since: at(0) } });

  it.each<[string, LeaseState | undefined, GroupWatch]>([
    [
      'watches a committed promotion from its commit, so the new holder gets a whole lease to heartbeat',
      lease({ holder: 'unit-2', epoch: 4, version: 8, updatedAt: at(10) }),
      { firstSeen: at(0), readiness: 'resolved', stalledRaisedFor: 5, observation: { version: 8, since: at(10) } },
    ],
    ['forgets the observation after a lost race, so the lease is watched afresh', undefined, { firstSeen: at(0), readiness: 'resolved', stalledRaisedFor: 5 }],
  ])('%s', (_name, promoted, expected) => {
    expect(afterPromotion(before, promoted)).toEqual(expected);
  });
});
