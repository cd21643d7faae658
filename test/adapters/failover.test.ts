import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { Promoter } from '../../lambda/core/use-cases/promoter';
import { recordHeartbeat } from '../../lambda/core/use-cases/heartbeat';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { ConflictError } from '../../lambda/core/errors';
import { drillKey, failoverKey, readinessKey } from '../../lambda/core/lease';
import type { Incident, IncidentAlarm } from '../../lambda/core/model';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { storedPages } from '../helpers/events';
import { SECOND, T0, TestClock } from '../helpers/domain';

/**
 * Failover on the real DynamoDB Local with an injected clock: lease, fencing, promotion timing,
 * concurrent promoters, no ready standby, the readiness alarm.
 */

/** The shared disk faces participants: its failovers and drills reach them (shared/DESIGN.md, "Two audiences"). */
const CONFIG = {
  markets: [{ id: 'equities', segments: [] }],
  components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }], // heartbeat 2 s, lease 10 s, check 2 s
};

/** The open incident that lists the alarm `dedupKey`, with that alarm as it lists it. */
async function openIncidentWith(store: DynamoDbIncidentStore, dedupKey: string): Promise<{ incident: Incident; alarm: IncidentAlarm } | undefined> {
  for (const incident of await store.openIncidents()) {
    const alarm = (await store.incidentAlarms(incident.id)).find((a) => a.dedupKey === dedupKey);
    if (alarm) return { incident, alarm };
  }
  return undefined;
}

describe('failover lease and promoter', () => {
  let aws: TestAws;
  beforeAll(() => {
    aws = testClients();
  });
  afterAll(() => aws.destroy());

  async function world(config: object = CONFIG) {
    const { tableName } = await createTestResources('failover', aws);
    const store = new DynamoDbIncidentStore({ tableName });
    const clock = new TestClock(T0, `f${Date.now()}`);
    const options = { context: clock.context(config) };
    const beat = (nodeId: string, ready = true, epoch?: number) =>
      recordHeartbeat(store, { group: 'shared-disk', nodeId, ready, ...(epoch !== undefined ? { epoch } : {}) }, options);
    return { store, clock, options, beat, tableName };
  }

  it('starts unit-1 as primary (epoch 1) and unit-2 as standby', async () => {
    const { beat } = await world();
    expect(await beat('unit-1')).toEqual({ role: 'primary', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 });
    expect(await beat('unit-2')).toEqual({ role: 'standby', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 2000 });
  });

  it('rejects an unknown group or node, naming it', async () => {
    const { store, options } = await world();
    await expect(recordHeartbeat(store, { group: 'nas', nodeId: 'unit-1', ready: true }, options)).rejects.toThrow('unknown group "nas": configured groups: shared-disk');
    await expect(recordHeartbeat(store, { group: 'shared-disk', nodeId: 'unit-3', ready: true }, options)).rejects.toThrow('unknown node "unit-3"');
  });

  it('promotes the ready standby between leaseDuration and leaseDuration + checkInterval after the last heartbeat, and fences the old primary', async () => {
    // Prepare: both units heartbeat every 2 s; the promoter checks every 2 s, offset by 1 s.
    const { store, clock, options, beat } = await world();
    const promoter = new Promoter(store, options);
    await beat('unit-1');
    let lastPrimaryBeat = clock.now;
    let promotedAt: number | undefined;
    let incidentId: string | undefined;

    // Act: unit-1 dies at 07:04:20 (its last heartbeat); unit-2 goes on.
    for (let t = 0; t <= 60 && promotedAt === undefined; t += 1) {
      clock.now = T0 + t * SECOND;
      if (t % 2 === 0) {
        if (t <= 20) {
          await beat('unit-1', true, 1);
          lastPrimaryBeat = clock.now;
        }
        await beat('unit-2');
      } else {
        const [result] = await promoter.checkAll();
        if (result!.decision === 'promote') {
          promotedAt = clock.now;
          incidentId = result!.promoted!.incidentId;
          expect(result!.promoted).toMatchObject({ from: 'unit-1', to: 'unit-2', epoch: 2 });
        }
      }
    }

    // Assess
    expect(promotedAt).toBeDefined();
    expect(promotedAt! - lastPrimaryBeat).toBeGreaterThanOrEqual(10 * SECOND);
    expect(promotedAt! - lastPrimaryBeat).toBeLessThanOrEqual(12 * SECOND);
    expect(await beat('unit-1', true, 1)).toEqual({ role: 'fenced', epoch: 2, holder: 'unit-2', nextHeartbeatMs: 2000 });
    expect(await beat('unit-2', true)).toEqual({ role: 'primary', epoch: 2, holder: 'unit-2', nextHeartbeatMs: 2000 });
    const record = await store.incidentRecord(incidentId!);
    expect(record?.notices.map((n) => `${n.notice.sequence}:${n.notice.type}`)).toEqual(['1:failover']);
    expect(record?.timeline.map((e) => e.kind)).toEqual(['incident-opened', 'failover']);
  });

  it('never promotes while heartbeats jitter by up to leaseDuration − 2 × heartbeat', async () => {
    const { store, clock, options, beat } = await world();
    const promoter = new Promoter(store, options);
    // Gaps of 2..6 s between the primary's heartbeats, over ten minutes, checked every second.
    const gaps = [2, 6, 3, 6, 5, 2, 6, 4, 6, 6, 1, 6, 6];
    let next = 0;
    let i = 0;
    for (let t = 0; t <= 600; t += 1) {
      clock.now = T0 + t * SECOND;
      if (t === next) {
        await beat('unit-1', true, t === 0 ? undefined : 1);
        await beat('unit-2');
        next += gaps[i++ % gaps.length]!;
      }
      const [result] = await promoter.checkAll();
      expect(result!.decision).toBe('watching');
    }
  });

  it('makes exactly one promotion and one notice when 50 promoters act on the same expired lease', async () => {
    // Prepare: 50 promoters have all watched the lease stand still for the lease duration.
    const { store, clock, options, beat } = await world();
    await beat('unit-1');
    await beat('unit-2');
    const promoters = Array.from({ length: 50 }, () => new Promoter(store, options));
    await Promise.all(promoters.map((p) => p.checkAll()));
    clock.advance(8 * SECOND);
    await beat('unit-2'); // the standby stays fresh
    clock.advance(2 * SECOND);

    // Act
    const results = (await Promise.all(promoters.map((p) => p.checkAll()))).flat();

    // Assess
    const promotions = results.filter((r) => r.decision === 'promote');
    expect(promotions).toHaveLength(1);
    expect(results.filter((r) => r.decision === 'lost-race')).toHaveLength(49);
    const record = await store.incidentRecord(promotions[0]!.promoted!.incidentId!);
    expect(record?.notices.map((n) => n.notice.type)).toEqual(['failover']);
    expect(await beat('unit-1', true, 1)).toMatchObject({ role: 'fenced', epoch: 2 });
  });

  it('does not promote a standby that is not ready: a critical incident instead, and the readiness alarm before the fault', async () => {
    // Prepare: unit-2 heartbeats but is not ready; the policy halts the market on critical alarms.
    const config = { ...CONFIG, policy: { haltOnCritical: true } };
    const { store, clock, options, beat } = await world(config);
    const promoter = new Promoter(store, options);
    await beat('unit-1');
    await beat('unit-2', false);

    // Act: the readiness alarm fires once the promoter has watched for a lease, while unit-1 is healthy.
    await promoter.checkAll();
    clock.advance(10 * SECOND);
    await beat('unit-1', true, 1);
    await beat('unit-2', false);
    await promoter.checkAll();
    const before = await openIncidentWith(store, readinessKey('shared-disk'));
    clock.advance(12 * SECOND);
    await beat('unit-2', false);
    const [result] = await promoter.checkAll();

    // Assess
    expect(before?.alarm.status).toBe('firing');
    expect(result!.decision).toBe('no-ready-standby');
    expect(await beat('unit-2', false)).toMatchObject({ role: 'standby', holder: 'unit-1', epoch: 1 });
    const stalled = await openIncidentWith(store, failoverKey('shared-disk'));
    expect(stalled?.incident.severity).toBe('critical');
    expect((await store.readMarket('equities')).status).toBe('halted');
  });

  it('resolves the readiness alarm when a standby reports ready again', async () => {
    const { store, clock, options, beat } = await world({ ...CONFIG, policy: { autoResolveQuietSeconds: 0 } });
    const promoter = new Promoter(store, options);
    await beat('unit-1');
    await beat('unit-2', false);
    await promoter.checkAll(); // the promoter starts watching: no readiness alarm in its first lease
    clock.advance(10 * SECOND);
    await beat('unit-1', true, 1);
    await beat('unit-2', false);
    await promoter.checkAll();
    expect((await openIncidentWith(store, readinessKey('shared-disk')))?.alarm.status).toBe('firing');
    clock.advance(SECOND);
    await beat('unit-2', true);
    await promoter.checkAll();
    const readiness = await openIncidentWith(store, readinessKey('shared-disk'));
    expect(readiness?.alarm.status).toBe('resolved');
    expect(readiness?.incident.resolvePendingSince).toBeDefined();
  });

  describe('forced switchover and drills', () => {
    it('fails over on command, at once, fenced and announced, with the operator on the timeline', async () => {
      const { store, options, beat } = await world();
      await beat('unit-1');
      await beat('unit-2');
      const outcome = await runCommand(store, { command: 'failover', group: 'shared-disk', to: 'unit-2' }, 'tanaka', options);
      expect(outcome.transition.lease).toMatchObject({ holder: 'unit-2', epoch: 2 });
      expect(await beat('unit-1', true, 1)).toMatchObject({ role: 'fenced', epoch: 2 });
      const record = await store.incidentRecord(outcome.incidentId!);
      expect(record?.notices.map((n) => n.notice.type)).toEqual(['failover']);
      expect(record?.timeline.find((e) => e.kind === 'failover')?.actor).toBe('tanaka');
    });

    it('carries the operator\'s --note into the failover timeline entry and the notice (summary and detail.note)', async () => {
      // Prepare
      const { store, options, beat } = await world();
      await beat('unit-1');
      await beat('unit-2');

      // Act
      const outcome = await runCommand(store, { command: 'failover', group: 'shared-disk', to: 'unit-2', note: 'vendor asked to swap units' }, 'tanaka', options);

      // Assess
      const record = await store.incidentRecord(outcome.incidentId!);
      const entry = record?.timeline.find((e) => e.kind === 'failover');
      expect(entry?.text).toBe('Failover: unit-2 now serves shared-disk (epoch 2); unit-1 is fenced. vendor asked to swap units');
      const [notice] = record!.notices.map((n) => n.notice);
      expect(notice).toMatchObject({
        type: 'failover',
        summary: 'Failover: unit-2 now serves shared-disk (epoch 2); unit-1 is fenced. vendor asked to swap units',
        detail: { group: 'shared-disk', from: 'unit-1', to: 'unit-2', epoch: 2, note: 'vendor asked to swap units' },
      });
    });

    it('leaves detail.note out of a failover without a note', async () => {
      // Prepare
      const { store, options, beat } = await world();
      await beat('unit-1');
      await beat('unit-2');

      // Act
      const outcome = await runCommand(store, { command: 'failover', group: 'shared-disk', to: 'unit-2' }, 'tanaka', options);

      // Assess
      const record = await store.incidentRecord(outcome.incidentId!);
      expect(record!.notices[0]!.notice.detail).not.toHaveProperty('note');
      expect(record!.timeline.find((e) => e.kind === 'failover')?.text).toBe('Failover: unit-2 now serves shared-disk (epoch 2); unit-1 is fenced.');
    });

    it('keeps a failover of a group whose component does not face participants from them, and pages operators', async () => {
      // Prepare: the same pair, its component internal.
      const { store, options, beat, tableName } = await world({ ...CONFIG, components: [{ id: 'shared-disk', market: 'equities', critical: true }] });
      await beat('unit-1');
      await beat('unit-2');

      // Act
      const outcome = await runCommand(store, { command: 'failover', group: 'shared-disk', to: 'unit-2' }, 'tanaka', options);

      // Assess
      expect(outcome.transition.lease).toMatchObject({ holder: 'unit-2', epoch: 2 });
      const record = await store.incidentRecord(outcome.incidentId!);
      expect(record?.notices).toEqual([]);
      expect(record?.timeline.find((e) => e.kind === 'failover')?.actor).toBe('tanaka');
      expect(await storedPages(aws.dynamodb, tableName, outcome.incidentId!)).toEqual([
        expect.objectContaining({ type: 'opened', stage: 'on-call', component: 'shared-disk', announced: false }),
      ]);
    });

    it.each([
      ['to a node that is not ready', async (b: (n: string, r?: boolean) => Promise<unknown>) => (await b('unit-1'), await b('unit-2', false)), 'unit-2', /has not reported ready/],
      ['to the holder itself', async (b: (n: string, r?: boolean) => Promise<unknown>) => (await b('unit-1'), await b('unit-2')), 'unit-1', /already holds the lease/],
      ['before any node holds the lease', async () => undefined, 'unit-2', /no node holds its lease yet/],
    ])('refuses a failover %s', async (_, prepare, to, message) => {
      const { store, options, beat } = await world();
      await prepare(beat);
      const error = await runCommand(store, { command: 'failover', group: 'shared-disk', to }, 'tanaka', options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as Error).message).toMatch(message);
    });

    it('refuses a drill on a group where drills are not enabled', async () => {
      const { store, options, beat } = await world();
      await beat('unit-1');
      await expect(runCommand(store, { command: 'drill', group: 'shared-disk' }, 'tanaka', options)).rejects.toThrow(/drills are not enabled for group shared-disk/);
    });

    async function drill(standbyReady: boolean) {
      const config = { ...CONFIG, groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], drills: true }] };
      const { store, clock, options, beat } = await world(config);
      const promoter = new Promoter(store, options);
      await beat('unit-1');
      await beat('unit-2', standbyReady);
      await runCommand(store, { command: 'drill', group: 'shared-disk' }, 'tanaka', options);
      const results = [];
      for (let t = 1; t <= 30; t += 1) {
        clock.advance(SECOND);
        if (t % 2 === 0) {
          expect(await beat('unit-1', true, 1)).toMatchObject({ role: expect.stringMatching(/primary|fenced/) });
          await beat('unit-2', standbyReady);
        }
        const [result] = await promoter.checkAll();
        results.push(result!.decision);
        if (result!.decision !== 'watching') return { store, result: result!, t };
      }
      return { store, result: undefined, t: 30, results };
    }

    it('passes a drill on a healthy pair: promoted within the lease, result on the timeline, a drill notice', async () => {
      const { store, result, t } = await drill(true);
      expect(result?.decision).toBe('promote');
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThanOrEqual(12);
      const record = await store.incidentRecord(result!.promoted!.incidentId!);
      expect(record?.notices.map((n) => n.notice.type)).toEqual(['failover', 'drill']);
      expect(record?.notices[1]?.notice.detail).toMatchObject({ result: 'passed' });
    });

    it('fails a drill when the standby never reports ready: no promotion, a critical incident, a drill notice', async () => {
      const { store, result } = await drill(false);
      expect(result?.decision).toBe('drill-failed');
      const failed = await openIncidentWith(store, drillKey('shared-disk'));
      expect(failed?.incident.severity).toBe('critical');
      const record = await store.incidentRecord(failed!.incident.id);
      // The failed drill is Tocsin's bookkeeping: participants hear the drill's result, not an incident of its own.
      expect(record?.notices.map((n) => `${n.notice.sequence}:${n.notice.type}`)).toEqual(['1:drill']);
      expect((await store.readLeaseGroup('shared-disk')).lease).toMatchObject({ holder: 'unit-1', epoch: 1 });
      expect((await store.readLeaseGroup('shared-disk')).lease?.drillUntil).toBeUndefined();
    });

    it('runs a drill on its schedule (drillEveryHours), and it passes on a healthy pair', async () => {
      const config = { ...CONFIG, groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], drills: true, drillEveryHours: 0.25 }] };
      const { store, clock, options, beat } = await world(config);
      const promoter = new Promoter(store, options);
      await beat('unit-1');
      await beat('unit-2');
      const decisions: string[] = [];
      // A quarter of an hour of heartbeats and checks every 6 s (within the jitter the lease tolerates), then a
      // minute of heartbeats every 2 s and checks every 2 s, offset by 1 s.
      const step = async (t: number, beatNow: boolean, checkNow: boolean) => {
        if (beatNow) {
          await beat('unit-1', true, 1);
          await beat('unit-2', true);
        }
        if (checkNow) {
          const [result] = await promoter.checkAll();
          if (result!.decision !== 'watching') decisions.push(`${t}:${result!.decision}`);
        }
      };
      let t = 0;
      for (; t < 900; t += 6) {
        clock.now = T0 + t * SECOND;
        await step(t, true, true);
      }
      for (; t <= 960; t += 1) {
        clock.now = T0 + t * SECOND;
        await step(t, t % 2 === 0, t % 2 === 1);
      }
      expect(decisions.map((d) => d.split(':')[1])).toEqual(['drill-started', 'promote']);
      expect(Number(decisions[0]!.split(':')[0])).toBeGreaterThanOrEqual(900);
      expect((await store.readLeaseGroup('shared-disk')).lease).toMatchObject({ holder: 'unit-2', epoch: 2, lastDrillAt: expect.any(Number) });
    });
  });
});
