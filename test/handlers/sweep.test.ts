import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { ESCALATION_SAFETY_NET_MS } from '../../lambda/core/use-cases/sweep';
import { createSweepHandler } from '../../lambda/handlers/sweep';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, SECOND, T0, TestClock } from '../helpers/domain';
import { storedPages } from '../helpers/events';

describe('sweep handler (auto-resolve timer)', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('sweep', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  it('resolves an incident only after its alarms stayed OK for the quiet time, with one notice', async () => {
    // Prepare: a critical alarm of a participant-facing component fires and clears; the quiet time is 60 s.
    const clock = new TestClock(T0, 'sweep');
    const context = clock.context({ components: [{ id: 'shared-disk', participantFacing: true }], policy: { autoResolveQuietSeconds: 60 } });
    const sweep = createSweepHandler({ store, context });
    const opened = await ingestSignal(store, alarm({ dedupKey: 'arn:sweep', severity: 'critical' }), { context });
    await ingestSignal(store, alarm({ dedupKey: 'arn:sweep', severity: 'critical', status: 'resolved', occurredAt: T0 + 10 * SECOND }), { context });

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

  describe('escalation safety net', () => {
    // Without `policy.escalation`: on-call when the incident opens, duty-manager at `ackTimeoutSeconds` (300 s).
    const DUTY_MANAGER_AT = T0 + 300 * SECOND;

    it('pages the next stage of an escalation whose timer was lost, once it is more than a minute overdue, and only once', async () => {
      // Prepare: an alarm opens an incident; its escalation timer never comes back from the queue.
      const clock = new TestClock(T0, 'lost-timer');
      const context = clock.context();
      const sweep = createSweepHandler({ store, context });
      const { incidentId } = await ingestSignal(store, alarm({ dedupKey: 'arn:lost-timer' }), { context });

      // Act
      clock.now = DUTY_MANAGER_AT + ESCALATION_SAFETY_NET_MS;
      await sweep();
      const onTime = await storedPages(aws.dynamodb, tableName, incidentId!);
      clock.advance(1);
      await sweep();
      clock.advance(5 * SECOND);
      await sweep();

      // Assess: a minute late is still the queue's to deliver; after that, the sweep pages, once.
      expect(onTime.map((p) => [p.type, p.stage])).toEqual([['opened', 'on-call']]);
      const pages = await storedPages(aws.dynamodb, tableName, incidentId!);
      expect(pages.map((p) => [p.type, p.stage, p.issuedAt])).toEqual([
        ['opened', 'on-call', new Date(T0).toISOString()],
        ['escalated', 'duty-manager', new Date(DUTY_MANAGER_AT + ESCALATION_SAFETY_NET_MS + 1).toISOString()],
      ]);
      const record = await store.incidentRecord(incidentId!);
      expect(record?.incident).toMatchObject({ status: 'open', pagedStage: 1 });
      expect(record?.incident.nextEscalation).toBeUndefined();
      expect(record?.timeline.at(-1)).toMatchObject({ kind: 'escalated', actor: 'system', data: { stage: 'duty-manager', step: 1 } });
    });

    it('never escalates an acknowledged incident, however late', async () => {
      // Prepare
      const clock = new TestClock(T0, 'acked-late');
      const context = clock.context();
      const sweep = createSweepHandler({ store, context });
      const { incidentId } = await ingestSignal(store, alarm({ dedupKey: 'arn:acked-late' }), { context });
      await runCommand(store, { command: 'ack', incidentId: incidentId! }, 'suzuki', { context });

      // Act
      clock.now = DUTY_MANAGER_AT + 10 * ESCALATION_SAFETY_NET_MS;
      await sweep();

      // Assess
      expect((await storedPages(aws.dynamodb, tableName, incidentId!)).map((p) => [p.type, p.stage])).toEqual([
        ['opened', 'on-call'],
        ['acknowledged', 'on-call'],
      ]);
      expect((await store.readIncident(incidentId!))?.pagedStage).toBe(0);
    });
  });
});
