import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { createSweepHandler } from '../../lambda/handlers/sweep';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, SECOND, T0, TestClock } from '../helpers/domain';

describe('sweep handler (auto-resolve timer)', () => {
  let aws: TestAws;
  let store: DynamoDbIncidentStore;
  beforeAll(async () => {
    aws = testClients();
    store = new DynamoDbIncidentStore({ tableName: (await createTestResources('sweep', aws)).tableName });
  });
  afterAll(() => aws.destroy());

  it('resolves an incident only after its alarms stayed OK for the quiet time, with one notice', async () => {
    // Prepare: an alarm fires and clears; the quiet time is 60 s.
    const clock = new TestClock(T0, 'sweep');
    const context = clock.context({ policy: { autoResolveQuietSeconds: 60 } });
    const sweep = createSweepHandler({ store, context });
    const opened = await ingestSignal(store, alarm({ dedupKey: 'arn:sweep' }), { context });
    await ingestSignal(store, alarm({ dedupKey: 'arn:sweep', status: 'resolved', occurredAt: T0 + 10 * SECOND }), { context });

    // Act
    clock.advance(59 * SECOND);
    const early = await sweep();
    clock.advance(1 * SECOND);
    const due = await sweep();
    const again = await sweep();

    // Assess
    expect(early).toEqual({ resolved: [] });
    expect(due).toEqual({ resolved: [opened.incidentId] });
    expect(again).toEqual({ resolved: [] });
    const record = await store.incidentRecord(opened.incidentId!);
    expect(record?.incident.status).toBe('resolved');
    expect(record?.notices.map((n) => `${n.notice.sequence}:${n.notice.type}`)).toEqual(['1:incident-opened', '2:incident-resolved']);
    expect((await store.openIncidents()).map((i) => i.id)).not.toContain(opened.incidentId);
  });
});
