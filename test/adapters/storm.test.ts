import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import type { DecisionContext } from '../../lambda/core/context';
import type { IncidentCounts } from '../../lambda/core/model';
import type { IncidentStore } from '../../lambda/core/ports';
import type { AlarmSignal } from '../../lambda/core/signal';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { sweepIncidents } from '../../lambda/core/use-cases/sweep';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { storedPages } from '../helpers/events';
import { alarm, MINUTE, SECOND, T0, TestClock } from '../helpers/domain';
import { seededRandom, shuffled, withRedeliveries } from '../helpers/random';

/**
 * The alarm storm on DynamoDB Local (shared/DESIGN.md, "Incident model"; issue: storm-proof
 * ingest): thousands of distinct alarms of one fault are one incident, with no hot item — each
 * alarm writes its own items — and counters that a crash can leave wrong never resolve an
 * incident early, because every "nothing fires any more" decision recounts the alarm items.
 */

/** Runs `work` over `items` with at most `width` in flight. */
async function inParallel<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

describe('alarm storm on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('storm', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  /**
   * A market of its own per test, grouped by market: the whole storm is one incident. Its servers
   * face participants and announce from `major`, so the incident is a market fact from its first alarm.
   */
  function setup(label: string) {
    const market = `${label}-${Date.now().toString(36)}`;
    const clock = new TestClock(T0, market);
    const components = Array.from({ length: 7 }, (_, n) => ({ id: `server-${n}`, market, participantFacing: true }));
    const context = clock.context({ markets: [{ id: market }], components, policy: { groupBy: 'market', autoResolveQuietSeconds: 60, announceSeverity: 'major' } });
    const signal = (n: number, status: AlarmSignal['status'] = 'firing', at = T0 + n): AlarmSignal =>
      alarm({ dedupKey: `${market}/server-${n}`, component: `server-${n % 7}`, market, status, occurredAt: at, severity: n % 50 === 49 ? 'critical' : 'major' });
    return { market, clock, context, signal };
  }

  it('takes 500 concurrent distinct alarms as one incident with 500 alarms, one notice, one opening page and no error', async () => {
    // Prepare
    const { context, signal } = setup('concurrent');
    const alarms = Array.from({ length: 500 }, (_, n) => signal(n));

    // Act
    const outcomes = await Promise.all(alarms.map((a) => ingestSignal(store, a, { context })));

    // Assess
    const ids = new Set(outcomes.map((o) => o.incidentId));
    expect(ids.size).toBe(1);
    const incidentId = [...ids][0]!;
    expect(outcomes.filter((o) => o.action === 'opened')).toHaveLength(1);
    expect(await store.incidentAlarms(incidentId)).toHaveLength(500);
    const record = await store.incidentRecord(incidentId);
    expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type])).toEqual([[1, 'incident-opened']]);
    expect(record?.timeline.filter((e) => e.kind === 'alarm-attached' || e.kind === 'incident-opened')).toHaveLength(500);
    expect(new Set(record?.timeline.map((e) => e.entryId)).size).toBe(record?.timeline.length);
    expect(record?.counts).toEqual({ alarms: 500, firing: 500 });
    expect(record?.incident).toMatchObject({ severity: 'critical', startedAt: T0, announced: true });
    // On-call is paged once for the fault, and once more at most, when a critical alarm raised it.
    const pages = await storedPages(aws.dynamodb, tableName, incidentId);
    expect(pages.filter((p) => p.type === 'opened')).toEqual([expect.objectContaining({ stage: 'on-call', announced: true })]);
    expect(pages.filter((p) => p.type === 'severity-raised').length).toBeLessThanOrEqual(1);
    expect(pages.map((p) => p.pageId)).toEqual(pages.map((_, i) => `${incidentId}-p${i + 1}`));
  }, 300_000);

  it('gives a shuffled storm with 20% duplicates, delivered 16 at a time, the final state of the ordered one', async () => {
    // Prepare: 150 alarms fire; the first 100 go OK a minute later.
    const run = async (label: string, order: (signals: AlarmSignal[]) => AlarmSignal[], width: number) => {
      const { context, signal } = setup(label);
      const firings = Array.from({ length: 150 }, (_, n) => signal(n));
      const oks = Array.from({ length: 100 }, (_, n) => signal(n, 'resolved', T0 + MINUTE + n));
      const outcomes = await inParallel(order([...firings, ...oks]), width, (s) => ingestSignal(store, s, { context }));
      const incidentIds = [...new Set(outcomes.map((o) => o.incidentId).filter((id) => id !== undefined))];
      const records = await Promise.all(incidentIds.map(async (id) => ({ record: (await store.incidentRecord(id))!, alarms: await store.incidentAlarms(id) })));
      return records.map(({ record, alarms }) => ({
        status: record.incident.status,
        severity: record.incident.severity,
        startedAt: record.incident.startedAt,
        pending: record.incident.resolvePendingSince !== undefined,
        counts: record.counts,
        alarms: alarms.map((a) => [a.dedupKey.replace(/^[^/]+\//, ''), a.status]).sort(),
        notices: record.notices.map((n) => [n.notice.sequence, n.notice.type]),
      }));
    };
    const random = seededRandom(2020);

    // Act
    const ordered = await run('ordered', (signals) => signals, 1);
    const stormed = await run('shuffled', (signals) => shuffled(withRedeliveries(signals, 50, random), random), 16);

    // Assess
    expect(ordered).toHaveLength(1);
    expect(ordered[0]).toMatchObject({ status: 'open', pending: false, startedAt: T0, counts: { alarms: 150, firing: 50 } });
    expect(stormed).toEqual(ordered);
  });

  /** The real store, with `addCounts` failing for the signals `failFor` picks: a crash between the two writes. */
  class CrashingStore implements IncidentStore {
    public failNext = false;
    public constructor(private readonly inner: DynamoDbIncidentStore) {}
    public readForSignal = (g: string, d: string, m: string) => this.inner.readForSignal(g, d, m);
    public readIncident = (id: string) => this.inner.readIncident(id);
    public readMarket = (id: string) => this.inner.readMarket(id);
    public commit = (t: Parameters<IncidentStore['commit']>[0]) => this.inner.commit(t);
    public readCounts = (id: string) => this.inner.readCounts(id);
    public countAlarms = (id: string) => this.inner.countAlarms(id);
    public repairCounts = (id: string, e: IncidentCounts, r: IncidentCounts) => this.inner.repairCounts(id, e, r);
    public openIncidents = () => this.inner.openIncidents();
    public listIncidents = (r: Parameters<IncidentStore['listIncidents']>[0]) => this.inner.listIncidents(r);
    public incidentRecord = (id: string) => this.inner.incidentRecord(id);
    public readLeaseGroup = (g: string) => this.inner.readLeaseGroup(g);
    public markGroupSeen = (g: string, at: number) => this.inner.markGroupSeen(g, at);
    public readSilences = () => this.inner.readSilences();
    public readPoll = (id: string) => this.inner.readPoll(id);
    public readRequest = (id: string) => this.inner.readRequest(id);
    public async addCounts(id: string, change: IncidentCounts): Promise<IncidentCounts> {
      if (this.failNext) {
        this.failNext = false;
        throw new Error('injected crash after the alarm was written, before its counters');
      }
      return this.inner.addCounts(id, change);
    }
  }

  it('fails when the counters cannot be written, but loses no alarm and never resolves early: the sweep recounts and repairs', async () => {
    // Prepare: two alarms fire.
    const { clock, context, signal } = setup('crash');
    const crashing = new CrashingStore(store);
    const opened = await ingestSignal(crashing, signal(1), { context });
    await ingestSignal(crashing, signal(2), { context });
    const incidentId = opened.incidentId!;
    const sweep = (ctx: () => DecisionContext = context) => sweepIncidents(crashing, { context: ctx });

    // Act 1: alarm 1 goes OK and "crashes" before its counter; the delivery is retried (a duplicate).
    crashing.failNext = true;
    await expect(ingestSignal(crashing, signal(1, 'resolved', T0 + MINUTE), { context })).rejects.toThrow('injected crash');
    const retried = await ingestSignal(crashing, signal(1, 'resolved', T0 + MINUTE), { context });

    // Assess 1: the OK is recorded once; the counter still says 2 firing.
    expect(retried.action).toBe('duplicate');
    expect((await store.incidentAlarms(incidentId)).map((a) => a.status).sort()).toEqual(['firing', 'resolved']);
    expect(await store.readCounts(incidentId)).toEqual({ alarms: 2, firing: 2 });

    // Act 2: a new alarm fires and crashes before its counter: the counter now says 2, the truth is 2 (2 and 3).
    crashing.failNext = true;
    await expect(ingestSignal(crashing, signal(3), { context })).rejects.toThrow('injected crash');
    // Alarm 2 goes OK: counter 2 → 1, so ingest does not settle; alarm 3 still fires.
    await ingestSignal(crashing, signal(2, 'resolved', T0 + MINUTE), { context });

    // Assess 2: not pending, not resolved, even after the quiet time and a sweep.
    clock.advance(2 * MINUTE);
    expect(await sweep()).toEqual([]);
    expect(await store.readIncident(incidentId)).toMatchObject({ status: 'open' });
    expect((await store.readIncident(incidentId))?.resolvePendingSince).toBeUndefined();
    // The sweep repaired the counters from the alarm items.
    expect(await store.readCounts(incidentId)).toEqual({ alarms: 3, firing: 1 });

    // Act 3: alarm 3 goes OK; the incident waits the quiet time, then the sweep resolves it.
    await ingestSignal(crashing, signal(3, 'resolved', T0 + 2 * MINUTE), { context });
    const pending = await store.readIncident(incidentId);
    clock.advance(61 * SECOND);
    const resolved = await sweep();

    // Assess 3
    expect(pending?.resolvePendingSince).toBeDefined();
    expect(resolved.map((o) => o.incidentId)).toEqual([incidentId]);
    expect((await store.incidentRecord(incidentId))?.notices.map((n) => n.notice.type)).toEqual(['incident-opened', 'incident-resolved']);
  });

  it('starts the resolve wait on a sweep when a crash left the counter saying an alarm still fires', async () => {
    // Prepare: one alarm fires, then goes OK with a crash before the counter (counter: 1 firing, truth: 0).
    const { clock, context, signal } = setup('drift');
    const crashing = new CrashingStore(store);
    const { incidentId } = await ingestSignal(crashing, signal(1), { context });
    crashing.failNext = true;
    await expect(ingestSignal(crashing, signal(1, 'resolved', T0 + SECOND), { context })).rejects.toThrow('injected crash');

    // Act
    await sweepIncidents(crashing, { context });
    const afterFirstSweep = await store.readIncident(incidentId!);
    clock.advance(61 * SECOND);
    const resolved = await sweepIncidents(crashing, { context });

    // Assess
    expect(afterFirstSweep?.resolvePendingSince).toBe(T0);
    expect(resolved.map((o) => o.incidentId)).toEqual([incidentId]);
    expect(await store.readCounts(incidentId!)).toEqual({ alarms: 1, firing: 0 });
  });
});
