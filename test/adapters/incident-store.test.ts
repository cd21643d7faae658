import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDbIncidentStore, type WriteReport } from '../../lambda/adapters/dynamodb-store';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, SECOND, T0, TestClock, TSE_CONFIG } from '../helpers/domain';

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
    // On AWS: 7 small items × 2 (transaction) + 1 index entry (open incident) + the counters.
    expect(first.map((w) => w.awsWriteUnits)).toEqual([15, 1]);
    // One they are told of: the notice too, and its index entry (pending notice).
    expect(shape(announced)).toEqual([
      ['transaction', ['alarm', 'group', 'incident', 'incident-alarm', 'notice', 'page', 'timeline', 'timer']],
      ['update', ['counts']],
    ]);
    expect(announced.map((w) => w.awsWriteUnits)).toEqual([18, 1]);
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
