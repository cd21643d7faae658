import { QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbIncidentStore, type WriteReport } from '../../lambda/adapters/dynamodb-store';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, SECOND, T0, TestClock, TSE_CONFIG } from '../helpers/domain';
import { MemoryIncidentStore } from '../helpers/memory-store';
import type { IncidentStore } from '../../lambda/core/ports';

describe('incident store + use cases on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('store', aws)).tableName;
  });
  afterAll(() => aws.destroy());

  it('opens one incident for a storm of one alarm, with one notice', async () => {
    const store = new DynamoDbIncidentStore({ tableName });
    const clock = new TestClock(T0, `storm-${Date.now()}`);
    const context = clock.context(TSE_CONFIG);
    const key = `arn:storm:${Date.now()}`;
    // Critical on the participant-facing shared disk: a market fact, announced.
    const first = await ingestSignal(store, alarm({ dedupKey: key, severity: 'critical' }), { context });
    const again = await ingestSignal(store, alarm({ dedupKey: key, severity: 'critical' }), { context });
    expect(first.action).toBe('opened');
    expect(again).toMatchObject({ action: 'duplicate', incidentId: first.incidentId });
    const record = await store.incidentRecord(first.incidentId!);
    expect(record?.notices.map((n) => [n.notice.type, n.notice.sequence])).toEqual([['incident-opened', 1]]);
    expect(record?.timeline.map((e) => e.kind)).toEqual(['incident-opened']);
  });

  it('halts, schedules the resumption and resumes, numbering the notices 1..4', async () => {
    const store = new DynamoDbIncidentStore({ tableName });
    const clock = new TestClock(T0, `halt-${Date.now()}`);
    const market = `m${Date.now()}`;
    const context = clock.context({ markets: [{ id: market, segments: [] }] });
    const opened = await ingestSignal(store, alarm({ dedupKey: `arn:${market}`, market }), { context });
    await runCommand(store, { command: 'declare-halt', incidentId: opened.incidentId!, market }, 'ops1', { context });
    clock.advance(MINUTE);
    await runCommand(store, { command: 'schedule-resume', market, effectiveAt: new Date(clock.now + 20 * MINUTE).toISOString() }, 'ops1', { context });
    clock.advance(21 * MINUTE);
    await runCommand(store, { command: 'resume', market }, 'ops1', { context });
    const record = await store.incidentRecord(opened.incidentId!);
    expect(record?.notices.map((n) => `${n.notice.sequence}:${n.notice.type}`)).toEqual(['1:incident-opened', '2:halt', '3:resume-scheduled', '4:resume']);
    expect((await store.readMarket(market)).status).toBe('trading');
    void SECOND;
  });
});

describe('listIncidents: every incident, newest first, paged (gsi2 on DynamoDB Local, and the in-memory store alike)', () => {
  let aws: TestAws;
  let tableName: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('list', aws)).tableName;
  });
  afterAll(() => aws.destroy());

  /** Seven incidents a minute apart, two of them opened in the same millisecond; the 2nd and 5th resolved. Their ids, oldest first. */
  async function seed(store: IncidentStore): Promise<string[]> {
    const clock = new TestClock(T0, 'ls');
    const context = clock.context(TSE_CONFIG);
    const ids: string[] = [];
    for (let n = 1; n <= 7; n += 1) {
      ids.push((await ingestSignal(store, alarm({ dedupKey: `arn:list:${n}` }), { context })).incidentId!);
      if (n !== 3) clock.advance(MINUTE);
    }
    for (const n of [1, 4]) await runCommand(store, { command: 'resolve', incidentId: ids[n]! }, 'ops1', { context });
    return ids;
  }

  /** Every page of 3, and its `next`. */
  async function pages(store: IncidentStore): Promise<Array<{ ids: string[]; statuses: string[]; next: boolean }>> {
    const out: Array<{ ids: string[]; statuses: string[]; next: boolean }> = [];
    let after: string | undefined;
    do {
      const page = await store.listIncidents({ limit: 3, ...(after !== undefined ? { after } : {}) });
      out.push({ ids: page.incidents.map((i) => i.id), statuses: page.incidents.map((i) => i.status), next: page.next !== undefined });
      after = page.next;
    } while (after !== undefined);
    return out;
  }

  it.each<[string, () => IncidentStore]>([
    ['DynamoDB Local', () => new DynamoDbIncidentStore({ tableName })],
    ['the in-memory store', () => new MemoryIncidentStore()],
  ])('pages open and resolved incidents newest first on %s, ties by id, the last page without next', async (_, make) => {
    // Prepare
    const store = make();
    const ids = await seed(store);

    // Act
    const listed = await pages(store);

    // Assess: 3 + 3 + 1, newest first; the 3rd and 4th opened at the same time, so by id, higher first.
    const newestFirst = [ids[6], ids[5], ids[4], ...[ids[2], ids[3]].sort().reverse(), ids[1], ids[0]];
    expect(listed.map((p) => p.ids)).toEqual([newestFirst.slice(0, 3), newestFirst.slice(3, 6), newestFirst.slice(6)]);
    expect(listed.map((p) => p.next)).toEqual([true, true, false]);
    expect(listed.flatMap((p) => p.statuses).filter((s) => s === 'resolved')).toHaveLength(2);
  });

  it('keeps the list keys on the incident item, open or resolved, and none on the other items', async () => {
    // Act: the table as the first test left it.
    const { Items = [] } = await aws.dynamodb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));

    // Assess
    const listed = Items.filter((i) => i.gsi2pk !== undefined);
    expect(new Set(listed.map((i) => i.entity?.S))).toEqual(new Set(['incident']));
    expect(listed.map((i) => i.gsi2pk?.S)).toEqual(listed.map(() => 'INCIDENTS'));
    expect(listed.every((i) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#/.test(i.gsi2sk?.S ?? ''))).toBe(true);
    expect(listed.filter((i) => i.status?.S === 'resolved')).toHaveLength(2);
  });
});

describe('retention (the table TTL attribute expiresAt)', () => {
  let aws: TestAws;
  let tableName: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('ttl', aws)).tableName;
  });
  afterAll(() => aws.destroy());

  it('keeps an open incident and its unsent notice forever, and expires what is done with after the retention', async () => {
    // Prepare: a store whose clock is T0 + 1 minute, keeping incidents 30 days and heartbeats 2.
    const store = new DynamoDbIncidentStore({ tableName, retention: { incidentDays: 30, heartbeatDays: 2 }, now: () => T0 + MINUTE });
    const clock = new TestClock(T0, `ttl-${Date.now()}`);
    const context = clock.context(TSE_CONFIG);
    const raw = async (pk: string, prefix: string) =>
      (await aws.dynamodb.send(new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)', ExpressionAttributeValues: { ':pk': { S: pk }, ':p': { S: prefix } } }))).Items!.map(
        (item) => ({ sk: item.sk!.S!, expiresAt: item.expiresAt?.N === undefined ? undefined : Number(item.expiresAt.N) }),
      );
    const days = (n: number) => Math.floor((T0 + MINUTE) / 1000) + n * 86_400;

    // Act
    const opened = await ingestSignal(store, alarm({ dedupKey: `arn:ttl:${Date.now()}`, severity: 'critical' }), { context });
    const pk = `INCIDENT#${opened.incidentId}`;
    const whileOpen = [...(await raw(pk, 'STATE')), ...(await raw(pk, 'NOTICE#')), ...(await raw(pk, 'TIMELINE#'))];
    const [notice] = (await store.incidentRecord(opened.incidentId!))!.notices;
    await store.markSent(notice!.notice, 'm-1', T0 + 2 * MINUTE);
    clock.advance(MINUTE);
    await runCommand(store, { command: 'resolve', incidentId: opened.incidentId! }, 'ops1', { context });
    const group = `g${Date.now()}`;
    await store.commit({ action: 'beat', timeline: [], notices: [], node: { group, nodeId: 'unit-2', ready: true, lastHeartbeatAt: T0, version: 1 } });

    // Assess
    expect(whileOpen.find((i) => i.sk === 'STATE')!.expiresAt).toBeUndefined();
    expect(whileOpen.find((i) => i.sk.startsWith('NOTICE#'))!.expiresAt).toBeUndefined();
    expect(whileOpen.find((i) => i.sk.startsWith('TIMELINE#'))!.expiresAt).toBe(days(30));
    expect((await raw(pk, 'NOTICE#'))[0]!.expiresAt).toBe(Math.floor((T0 + 2 * MINUTE) / 1000) + 30 * 86_400);
    expect((await raw(pk, 'STATE'))[0]!.expiresAt).toBe(Math.floor((T0 + MINUTE) / 1000) + 30 * 86_400);
    expect(await raw(`LEASE#${group}`, 'NODE#')).toEqual([{ sk: 'NODE#unit-2', expiresAt: days(2) }]);
    // What the domain reads carries no storage attribute.
    expect(await store.readIncident(opened.incidentId!)).not.toHaveProperty('expiresAt');
  });
});

describe('writes per alarm', () => {
  let aws: TestAws;
  let tableName: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('wcu', aws)).tableName;
  });
  afterAll(() => aws.destroy());

  it('spends the same units attaching an alarm to an incident of 1 alarm as to one of 100: no item grows', async () => {
    // Prepare
    const used: WriteReport[] = [];
    const store = new DynamoDbIncidentStore({ tableName, onWrite: (write) => used.push(write) });
    const context = new TestClock(T0, 'wcu').context({ ...TSE_CONFIG, policy: { groupBy: 'market' } });
    const signal = (n: number, at = T0) => alarm({ dedupKey: `arn:wcu-${n}`, occurredAt: at });
    const units = async (run: () => Promise<unknown>) => {
      await run();
      return used.splice(0);
    };

    // Act
    const first = await units(() => ingestSignal(store, signal(0), { context }));
    const announced = await units(() => ingestSignal(store, alarm({ dedupKey: 'arn:wcu-derivatives', market: 'derivatives', severity: 'critical' }), { context }));
    const duplicate = await units(() => ingestSignal(store, signal(0), { context }));
    const refresh = await units(() => ingestSignal(store, signal(0, T0 + SECOND), { context }));
    const secondAttach = await units(() => ingestSignal(store, signal(1), { context }));
    for (let n = 2; n < 100; n += 1) await ingestSignal(store, signal(n), { context });
    used.splice(0);
    const attach100 = await units(() => ingestSignal(store, signal(100), { context }));

    // Assess
    const shape = (writes: WriteReport[]) => writes.map((w) => [w.operation, [...w.items].sort()]);
    // An incident participants are not told of: its page to on-call and its escalation timer, no notice.
    expect(shape(first)).toEqual([
      ['transaction', ['alarm', 'group', 'incident', 'incident-alarm', 'page', 'timeline', 'timer']],
      ['update', ['counts']],
    ]);
    // On AWS: 7 small items × 2 (transaction) + 2 index entries (open incidents, all incidents) + the counters.
    expect(first.map((w) => w.awsWriteUnits)).toEqual([16, 1]);
    // One they are told of: the notice too, and its index entry (pending notice).
    expect(shape(announced)).toEqual([
      ['transaction', ['alarm', 'group', 'incident', 'incident-alarm', 'notice', 'page', 'timeline', 'timer']],
      ['update', ['counts']],
    ]);
    expect(announced.map((w) => w.awsWriteUnits)).toEqual([19, 1]);
    expect(duplicate).toEqual([]);
    // The alarm's own item only.
    expect(shape(refresh)).toEqual([['put', ['alarm']]]);
    // The alarm, the incident's list entry and the timeline entry, then the counters: never the incident.
    expect(shape(secondAttach)).toEqual([
      ['transaction', ['alarm', 'incident-alarm', 'timeline']],
      ['update', ['counts']],
    ]);
    expect(attach100).toEqual(secondAttach);
  });
});
