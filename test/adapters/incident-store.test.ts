import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { ingestSignal, runCommand } from '../../lambda/core/service';
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
    const first = await ingestSignal(store, alarm({ dedupKey: key }), { context });
    const again = await ingestSignal(store, alarm({ dedupKey: key }), { context });
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

describe('write capacity per alarm (DynamoDB Local reports 1 unit per item written)', () => {
  let aws: TestAws;
  let tableName: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('wcu', aws)).tableName;
  });
  afterAll(() => aws.destroy());

  it('spends 6 units on a first alarm, 0 on a duplicate, and 2 on a newer report of a firing alarm', async () => {
    // Prepare
    const used: Array<[number, string]> = [];
    const store = new DynamoDbIncidentStore({ tableName, onWriteCapacity: (units, operation) => used.push([units, operation]) });
    const context = new TestClock(T0, 'wcu').context(TSE_CONFIG);
    const signal = alarm({ dedupKey: 'arn:wcu' });

    // Act
    await ingestSignal(store, signal, { context });
    const afterFirst = used.splice(0);
    await ingestSignal(store, signal, { context });
    const afterDuplicate = used.splice(0);
    await ingestSignal(store, { ...signal, occurredAt: signal.occurredAt + SECOND }, { context });
    const afterRefresh = used.splice(0);

    // Assess
    // 4 items (group, incident, timeline entry, notice) + 2 sparse-index entries (open incident, pending notice).
    expect(afterFirst).toEqual([[6, 'transaction']]);
    expect(afterDuplicate).toEqual([]);
    // The incident item and its open-incident index entry.
    expect(afterRefresh).toEqual([[2, 'put']]);
  });
});
