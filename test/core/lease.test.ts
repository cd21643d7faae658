import { parseConfig } from '../../lambda/core/config';
import { NotFoundError } from '../../lambda/core/errors';
import {
  decideHeartbeat,
  FAST_POLL_MS,
  decidePromotion,
  failoverKey,
  failoverSignal,
  groupConfig,
  readinessKey,
  readinessSignal,
  readyStandbys,
  type Heartbeat,
  type HeartbeatDecision,
  type LeaseState,
  type NodeState,
  type Observation,
  type PromotionDecision,
} from '../../lambda/core/lease';
import { SECOND, T0 } from '../helpers/domain';

/**
 * The failover lease as a specification (shared/DESIGN.md, "Failover"): every function here is
 * pure, and the clock is injected — `at(s)` is T0 + s seconds on the clock of whoever decides
 * (the heartbeat function or one promoter).
 */

const GROUP = 'shared-disk';
const config = parseConfig({
  groups: [
    { id: GROUP, nodes: ['unit-1', 'unit-2', 'unit-3'] },
    { id: 'matching', nodes: ['m-a', 'm-b'] },
  ],
});
const group = groupConfig(config, GROUP);
const LEASE_MS = 10 * SECOND;
const at = (seconds: number) => T0 + seconds * SECOND;

/** unit-1 holds the lease in epoch 3, record version 7, last renewed 2 s before T0. */
function lease(overrides: Partial<LeaseState> = {}): LeaseState {
  return { group: GROUP, holder: 'unit-1', epoch: 3, version: 7, updatedAt: at(-2), ...overrides };
}
function node(nodeId: string, overrides: Partial<NodeState> = {}): NodeState {
  return { group: GROUP, nodeId, ready: true, lastHeartbeatAt: at(-1), version: 4, ...overrides };
}
function beat(nodeId: string, ready: boolean, epoch?: number): Heartbeat {
  return { group: GROUP, nodeId, ready, ...(epoch !== undefined ? { epoch } : {}) };
}

describe('groupConfig', () => {
  it('applies the defaults: heartbeat 2 s, lease 10 s, check 2 s', () => {
    expect(group).toMatchObject({ id: GROUP, nodes: ['unit-1', 'unit-2', 'unit-3'], heartbeatSeconds: 2, leaseDurationSeconds: 10, checkIntervalSeconds: 2 });
  });

  it.each([
    ['a configuration with groups', config, 'unknown group "nope": configured groups: shared-disk, matching'],
    ['a configuration without groups', parseConfig({}), 'unknown group "nope": configured groups: none'],
  ])('refuses an unknown group with a NotFoundError naming the known ones (%s)', (_what, cfg, message) => {
    expect(() => groupConfig(cfg, 'nope')).toThrow(NotFoundError);
    expect(() => groupConfig(cfg, 'nope')).toThrow(message);
    expect(() => groupConfig(cfg, 'nope')).toThrow(expect.objectContaining({ kind: 'group', id: 'nope' }));
  });
});

describe('decideHeartbeat', () => {
  const now = at(0);

  it.each<[string, LeaseState | undefined, NodeState | undefined, Heartbeat, number, HeartbeatDecision]>([
    [
      'the first heartbeat of nodes[0] creates the lease, epoch 1: primary',
      undefined,
      undefined,
      beat('unit-1', true),
      now,
      {
        reply: { role: 'primary', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 },
        lease: { group: GROUP, holder: 'unit-1', epoch: 1, version: 1, updatedAt: now },
        node: { group: GROUP, nodeId: 'unit-1', ready: true, lastHeartbeatAt: now, version: 1 },
      },
    ],
    [
      'the first heartbeat of nodes[0] over an older node record bumps that record',
      undefined,
      node('unit-1', { version: 3, ready: false }),
      beat('unit-1', true),
      now,
      {
        reply: { role: 'primary', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 },
        lease: { group: GROUP, holder: 'unit-1', epoch: 1, version: 1, updatedAt: now },
        node: { group: GROUP, nodeId: 'unit-1', ready: true, lastHeartbeatAt: now, version: 4 },
      },
    ],
    [
      "another node's first heartbeat: standby, epoch 0, nodes[0] named as holder, no lease written",
      undefined,
      undefined,
      beat('unit-2', true),
      now,
      { reply: { role: 'standby', epoch: 0, holder: 'unit-1', nextHeartbeatMs: 2000 }, node: { group: GROUP, nodeId: 'unit-2', ready: true, lastHeartbeatAt: now, version: 1 } },
    ],
    [
      'the holder renews: version + 1, same epoch, no node record',
      lease(),
      node('unit-1'),
      beat('unit-1', true, 3),
      now,
      { reply: { role: 'primary', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, lease: lease({ version: 8, updatedAt: now }) },
    ],
    [
      'the holder renews even when it reports not ready (readiness is a standby matter)',
      lease(),
      undefined,
      beat('unit-1', false, 3),
      now,
      { reply: { role: 'primary', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, lease: lease({ version: 8, updatedAt: now }) },
    ],
    [
      'the holder renews when it sends no epoch (a restarted holder learns its epoch)',
      lease(),
      undefined,
      beat('unit-1', true),
      now,
      { reply: { role: 'primary', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, lease: lease({ version: 8, updatedAt: now }) },
    ],
    [
      'an old primary presenting an older epoch is fenced, and nothing is written',
      lease({ holder: 'unit-2', epoch: 4 }),
      node('unit-1'),
      beat('unit-1', true, 3),
      now,
      { reply: { role: 'fenced', epoch: 4, holder: 'unit-2', nextHeartbeatMs: 2000 } },
    ],
    [
      'a node presenting an older epoch is fenced even if it is named holder (the epoch decides)',
      lease(),
      undefined,
      beat('unit-1', true, 2),
      now,
      { reply: { role: 'fenced', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 } },
    ],
    [
      "a standby's heartbeat records that it is ready, heard now",
      lease(),
      node('unit-2', { ready: false, lastHeartbeatAt: at(-9) }),
      beat('unit-2', true),
      now,
      { reply: { role: 'standby', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, node: { group: GROUP, nodeId: 'unit-2', ready: true, lastHeartbeatAt: now, version: 5 } },
    ],
    [
      "a standby's heartbeat records that it is NOT ready, heard now",
      lease(),
      node('unit-2'),
      beat('unit-2', false),
      now,
      { reply: { role: 'standby', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, node: { group: GROUP, nodeId: 'unit-2', ready: false, lastHeartbeatAt: now, version: 5 } },
    ],
    [
      'a non-holder presenting the current epoch is a standby, not a second primary',
      lease(),
      undefined,
      beat('unit-2', true, 3),
      now,
      { reply: { role: 'standby', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, node: { group: GROUP, nodeId: 'unit-2', ready: true, lastHeartbeatAt: now, version: 1 } },
    ],
    [
      "during a drill the holder's heartbeat writes nothing but is still answered primary",
      lease({ drillUntil: now + 1 }),
      undefined,
      beat('unit-1', true, 3),
      now,
      { reply: { role: 'primary', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 } },
    ],
    [
      'once the drill deadline is reached (drillUntil = now) the holder renews again',
      lease({ drillUntil: now }),
      undefined,
      beat('unit-1', true, 3),
      now,
      { reply: { role: 'primary', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, lease: lease({ drillUntil: now, version: 8, updatedAt: now }) },
    ],
    [
      "during a drill a standby's readiness is still recorded",
      lease({ drillUntil: now + LEASE_MS }),
      undefined,
      beat('unit-3', true),
      now,
      { reply: { role: 'standby', epoch: 3, holder: 'unit-1', nextHeartbeatMs: 2000 }, node: { group: GROUP, nodeId: 'unit-3', ready: true, lastHeartbeatAt: now, version: 1 } },
    ],
  ])('%s', (_name, current, record, heartbeat, clock, expected) => {
    expect(decideHeartbeat(current, record, heartbeat, clock, config)).toStrictEqual(expected);
  });

  it.each<[string, Heartbeat, string]>([
    ['an unknown group', { group: 'nope', nodeId: 'unit-1', ready: true }, 'unknown group "nope": configured groups: shared-disk, matching'],
    ['a node of another group', { group: GROUP, nodeId: 'm-a', ready: true }, 'unknown node "m-a": nodes of group shared-disk: unit-1, unit-2, unit-3'],
    ['an unknown node', { group: GROUP, nodeId: 'unit-9', ready: true, epoch: 3 }, 'unknown node "unit-9": nodes of group shared-disk: unit-1, unit-2, unit-3'],
  ])('refuses %s with a NotFoundError naming the known ones', (_name, heartbeat, message) => {
    const decide = () => decideHeartbeat(lease(), undefined, heartbeat, now, config);
    expect(decide).toThrow(NotFoundError);
    expect(decide).toThrow(message);
  });
});

describe('the standby hears of its promotion at once', () => {
  it.each<[string, number, number]>([
    ['the holder renewed a heartbeat ago: ask again in a heartbeat', 2000, 2000],
    ['the holder renewed 1.5 heartbeats ago: still a heartbeat', 3000, 2000],
    ['the holder has been silent longer: ask again in 250 ms', 3001, FAST_POLL_MS],
  ])('%s', (_, silentMs, expected) => {
    // Prepare: the lease was last renewed at T0; the standby heartbeats `silentMs` later.
    const config = parseConfig({ groups: [{ id: GROUP, nodes: ['unit-1', 'unit-2'] }] });
    const held: LeaseState = { group: GROUP, holder: 'unit-1', epoch: 1, version: 5, updatedAt: T0 };

    // Act
    const { reply } = decideHeartbeat(held, undefined, { group: GROUP, nodeId: 'unit-2', ready: true }, T0 + silentMs, config);

    // Assess
    expect(reply).toEqual({ role: 'standby', epoch: 1, holder: 'unit-1', nextHeartbeatMs: expected });
  });
});

describe('readyStandbys', () => {
  const now = at(0);
  it.each<[string, NodeState[], string[]]>([
    ['freshest first', [node('unit-3', { lastHeartbeatAt: at(-3) }), node('unit-2', { lastHeartbeatAt: at(-1) })], ['unit-2', 'unit-3']],
    ['not the holder, however fresh and ready', [node('unit-1', { lastHeartbeatAt: now }), node('unit-2', { lastHeartbeatAt: at(-5) })], ['unit-2']],
    ['not a node that reported not ready', [node('unit-2', { ready: false, lastHeartbeatAt: now }), node('unit-3', { lastHeartbeatAt: at(-4) })], ['unit-3']],
    ['a node heard exactly the lease duration ago still counts', [node('unit-2', { lastHeartbeatAt: now - LEASE_MS })], ['unit-2']],
    ['not a node silent for more than the lease duration', [node('unit-2', { lastHeartbeatAt: now - LEASE_MS - 1 })], []],
    ['not a record of a node that is not (or no longer) in the group', [node('unit-7')], []],
  ])('%s', (_name, nodes, expected) => {
    expect(readyStandbys(lease(), nodes, now, group).map((n) => n.nodeId)).toEqual(expected);
  });
});

/** A decision as the tables spell it: the candidate record is checked apart. */
type ExpectedDecision = PromotionDecision extends infer D ? (D extends unknown ? Omit<D, 'candidate'> : never) : never;

describe('decidePromotion', () => {
  const seen = (version: number, since: number): Observation => ({ version, since });

  it('keeps watching while the version moves, restarting its own clock at every new version', () => {
    // The holder renews every 2 s; a promoter checking every 2 s never sees 10 s of silence.
    let observation: Observation | undefined;
    for (let i = 0; i < 20; i += 1) {
      const decision = decidePromotion(lease({ version: 7 + i }), [node('unit-2', { lastHeartbeatAt: at(2 * i) })], observation, at(2 * i), group);
      expect(decision).toStrictEqual({ kind: 'watching', observation: seen(7 + i, at(2 * i)) });
      observation = decision.observation;
    }
  });

  it.each<[string, LeaseState | undefined, NodeState[], Observation | undefined, number, ExpectedDecision]>([
    ['the first look at a lease starts watching it, now', lease(), [node('unit-2')], undefined, at(0), { kind: 'watching', observation: seen(7, at(0)) }],
    ['a new version restarts the watch', lease({ version: 8 }), [node('unit-2', { lastHeartbeatAt: at(29) })], seen(7, at(0)), at(30), { kind: 'watching', observation: seen(8, at(30)) }],
    ['the same version 1 ms short of the lease duration: still watching', lease(), [node('unit-2', { lastHeartbeatAt: at(9) })], seen(7, at(0)), at(10) - 1, { kind: 'watching', observation: seen(7, at(0)) }],
    [
      // The promoter trusts only its own clock: updatedAt (the writer's clock) is 1 h old, yet the promoter has watched for 9 s only.
      "the lease's own updatedAt is ignored: it is the promoter's watch that counts",
      lease({ updatedAt: at(-3600) }),
      [node('unit-2', { lastHeartbeatAt: at(8) })],
      seen(7, at(0)),
      at(9),
      { kind: 'watching', observation: seen(7, at(0)) },
    ],
    [
      'exactly the lease duration of an unchanged version: promote the freshest ready standby, epoch + 1, version + 1',
      lease(),
      [node('unit-2', { lastHeartbeatAt: at(7) }), node('unit-3', { lastHeartbeatAt: at(9) })],
      seen(7, at(0)),
      at(10),
      {
        kind: 'promote',
        observation: seen(7, at(0)),
        from: 'unit-1',
        to: 'unit-3',
        lease: { group: GROUP, holder: 'unit-3', epoch: 4, version: 8, updatedAt: at(10) },
      },
    ],
    [
      'a fresher standby that is not ready is passed over',
      lease(),
      [node('unit-2', { lastHeartbeatAt: at(5) }), node('unit-3', { ready: false, lastHeartbeatAt: at(10) })],
      seen(7, at(0)),
      at(10),
      { kind: 'promote', observation: seen(7, at(0)), from: 'unit-1', to: 'unit-2', lease: { group: GROUP, holder: 'unit-2', epoch: 4, version: 8, updatedAt: at(10) } },
    ],
    [
      'a standby silent for more than the lease duration is passed over',
      lease(),
      [node('unit-2', { lastHeartbeatAt: at(20) - LEASE_MS - 1 }), node('unit-3', { lastHeartbeatAt: at(20) - LEASE_MS })],
      seen(7, at(0)),
      at(20),
      { kind: 'promote', observation: seen(7, at(0)), from: 'unit-1', to: 'unit-3', lease: { group: GROUP, holder: 'unit-3', epoch: 4, version: 8, updatedAt: at(20) } },
    ],
    [
      'never the holder, even with the freshest ready record',
      lease(),
      [node('unit-1', { lastHeartbeatAt: at(10) }), node('unit-2', { lastHeartbeatAt: at(3) })],
      seen(7, at(0)),
      at(10),
      { kind: 'promote', observation: seen(7, at(0)), from: 'unit-1', to: 'unit-2', lease: { group: GROUP, holder: 'unit-2', epoch: 4, version: 8, updatedAt: at(10) } },
    ],
    [
      'a promotion clears a drill: the new holder is not under the old drill',
      lease({ drillUntil: at(30), updatedAt: at(0) }),
      [node('unit-2', { lastHeartbeatAt: at(9) })],
      seen(7, at(0)),
      at(10),
      expect.objectContaining({ kind: 'promote', to: 'unit-2', lease: { group: GROUP, holder: 'unit-2', epoch: 4, version: 8, updatedAt: at(10) } }),
    ],
    [
      'no ready standby after the lease duration: no promotion, says who is silent and for how long',
      lease(),
      [node('unit-1', { lastHeartbeatAt: at(12) }), node('unit-2', { ready: false, lastHeartbeatAt: at(12) }), node('unit-3', { lastHeartbeatAt: at(1) })],
      seen(7, at(0)),
      at(12),
      { kind: 'no-ready-standby', observation: seen(7, at(0)), holder: 'unit-1', silentForMs: 12 * SECOND },
    ],
    ['no ready standby at all (no node records)', lease(), [], seen(7, at(0)), at(10), { kind: 'no-ready-standby', observation: seen(7, at(0)), holder: 'unit-1', silentForMs: LEASE_MS }],
    ['no lease yet: watching version 0', undefined, [node('unit-2')], undefined, at(0), { kind: 'watching', observation: seen(0, at(0)) }],
    [
      'no lease at all for the lease duration with a ready node: promote it, epoch 1, version 1, from nobody',
      undefined,
      [node('unit-2', { lastHeartbeatAt: at(9) })],
      seen(0, at(0)),
      at(10),
      { kind: 'promote', observation: seen(0, at(0)), to: 'unit-2', lease: { group: GROUP, holder: 'unit-2', epoch: 1, version: 1, updatedAt: at(10) } },
    ],
    [
      'no lease and nobody ready: no-ready-standby without a holder',
      undefined,
      [node('unit-2', { ready: false, lastHeartbeatAt: at(9) })],
      seen(0, at(0)),
      at(10),
      { kind: 'no-ready-standby', observation: seen(0, at(0)), silentForMs: LEASE_MS },
    ],
  ])('%s', (_name, current, nodes, previous, now, expected) => {
    const decision = decidePromotion(current, nodes, previous, now, group);
    if (decision.kind === 'promote') {
      // The chosen standby's record, as read, at version + 1: it joins the promotion's transaction.
      const { candidate, ...rest } = decision;
      const read = nodes.find((n) => n.nodeId === decision.to)!;
      expect(candidate).toStrictEqual({ ...read, version: read.version + 1 });
      expect(rest).toStrictEqual(expected);
    } else {
      expect(decision).toStrictEqual(expected);
    }
  });
});

describe('readinessSignal', () => {
  it.each<[string, NodeState[], 'firing' | 'resolved', string[], RegExp]>([
    ['fires when no standby is ready', [node('unit-2', { ready: false }), node('unit-3', { lastHeartbeatAt: at(-11) })], 'firing', [], /^No failover capacity for shared-disk: no standby has reported ready within 10 s$/],
    ['fires when only the holder is ready', [node('unit-1')], 'firing', [], /^No failover capacity/],
    ['resolves when a standby is ready, naming the ready ones freshest first', [node('unit-3', { lastHeartbeatAt: at(-5) }), node('unit-2')], 'resolved', ['unit-2', 'unit-3'], /^Failover capacity for shared-disk restored: unit-2, unit-3 ready$/],
  ])('%s', (_name, nodes, status, ready, summary) => {
    const signal = readinessSignal(group, lease(), nodes, at(0));
    expect(signal).toMatchObject({ dedupKey: readinessKey(GROUP), status, severity: 'critical', component: GROUP, occurredAt: at(0), source: 'monitor', details: { group: GROUP, holder: 'unit-1', ready } });
    expect(signal.summary).toMatch(summary);
    expect(readinessKey(GROUP)).toBe('tocsin:readiness:shared-disk');
  });
});

describe('failoverSignal', () => {
  it('is a major incident when a standby is promoted', () => {
    const decision = decidePromotion(lease(), [node('unit-2', { lastHeartbeatAt: at(9) })], { version: 7, since: at(0) }, at(12), group);
    if (decision.kind !== 'promote') throw new Error(`expected a promotion, got ${decision.kind}`);
    expect(failoverSignal(group, decision, at(12))).toEqual({
      dedupKey: failoverKey(GROUP),
      status: 'firing',
      severity: 'major',
      component: GROUP,
      summary: 'unit-1 of shared-disk silent for 12 s; unit-2 promoted (epoch 4)',
      occurredAt: at(12),
      source: 'monitor',
      details: { group: GROUP, from: 'unit-1', to: 'unit-2', epoch: 4 },
    });
    expect(failoverKey(GROUP)).toBe('tocsin:failover:shared-disk');
  });

  it('is a critical incident when no standby is ready', () => {
    const decision = decidePromotion(lease(), [node('unit-2', { ready: false })], { version: 7, since: at(0) }, at(10), group);
    if (decision.kind !== 'no-ready-standby') throw new Error(`expected no-ready-standby, got ${decision.kind}`);
    expect(failoverSignal(group, decision, at(10))).toMatchObject({
      dedupKey: failoverKey(GROUP),
      status: 'firing',
      severity: 'critical',
      summary: 'unit-1 of shared-disk silent for 10 s and no standby is ready: not promoted',
      details: { group: GROUP, holder: 'unit-1' },
    });
  });

  it('says "no holder" when there never was a lease', () => {
    const decision = decidePromotion(undefined, [node('unit-2', { lastHeartbeatAt: at(9) })], { version: 0, since: at(0) }, at(10), group);
    if (decision.kind !== 'promote') throw new Error(`expected a promotion, got ${decision.kind}`);
    expect(failoverSignal(group, decision, at(10)).summary).toBe('no holder of shared-disk silent for 10 s; unit-2 promoted (epoch 1)');
  });
});
