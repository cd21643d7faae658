import { randomUUID } from 'node:crypto';
import { CreateQueueCommand, SQSClient, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { logger, metrics } from '../../lambda/adapters/observability';
import { SqsEscalationQueue } from '../../lambda/adapters/sqs-escalation-queue';
import type { TocsinConfigInput } from '../../lambda/core/config';
import type { EscalationTimer } from '../../lambda/core/model';
import type { IncidentStore } from '../../lambda/core/ports';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { createEscalateHandler } from '../../lambda/handlers/escalate';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, SECOND, T0, TestClock } from '../helpers/domain';
import { loadEvent, storedPages, tableItems } from '../helpers/events';

/**
 * The `escalate` function on DynamoDB Local and fauxqs: an escalation timer back from the delayed
 * queue (the message of `events/sqs/`) pages the incident's next stage while nobody has
 * acknowledged it, exactly once however often it is delivered; a timer further away than SQS
 * can wait goes back on the queue; a message that is not a timer is dropped, not retried.
 */

const SAMPLE = loadEvent<SQSEvent>('sqs/escalation-timer.json');

/** The sample's SQS record carrying `body` (a fresh message id, as every delivery has). */
function delivery(body: EscalationTimer | string): SQSRecord {
  return { ...SAMPLE.Records[0]!, messageId: randomUUID(), body: typeof body === 'string' ? body : JSON.stringify(body) };
}

/** On-call at once, the duty manager at 5 minutes, the executive at 1 hour. */
const CONFIG: TocsinConfigInput = {
  policy: {
    escalation: {
      stages: [
        { name: 'on-call', afterSeconds: 0 },
        { name: 'duty-manager', afterSeconds: 300 },
        { name: 'executive', afterSeconds: 3600 },
      ],
    },
  },
};

describe('escalate handler (escalation queue → next stage paged)', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  let queueUrl: string;
  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('escalate', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
    queueUrl = (await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('escalation') }))).QueueUrl!;
  });
  afterAll(() => aws.destroy());

  /** An incident opened at T0 by an unacknowledged alarm, and the handler on the world's clock. */
  async function world(label: string, target: IncidentStore = store) {
    const clock = new TestClock(T0, `${label}-${randomUUID().slice(0, 6)}`);
    const context = clock.context(CONFIG);
    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const requeued: SendMessageCommandInput[] = [];
    sqs.middlewareStack.add(
      (next, ctx) => async (args) => {
        if (ctx.commandName === 'SendMessageCommand') requeued.push(args.input as SendMessageCommandInput);
        return next(args);
      },
      { step: 'initialize', name: 'recorder' },
    );
    const handler = createEscalateHandler({ store: target, queue: new SqsEscalationQueue(queueUrl, sqs), context });
    const { incidentId } = await ingestSignal(store, alarm({ dedupKey: `arn:${label}:${randomUUID()}` }), { context });
    const incident = await store.readIncident(incidentId!);
    return { clock, context, handler, requeued, incidentId: incidentId!, timer: { incidentId: incidentId!, ...incident!.nextEscalation! }, destroy: () => sqs.destroy() };
  }

  const stagesPaged = async (incidentId: string) => (await storedPages(aws.dynamodb, tableName, incidentId)).map((p) => [p.type, p.stage]);

  it('pages the next stage when its timer comes due, once, however many deliveries of it arrive together', async () => {
    // Prepare
    const { clock, handler, incidentId, timer, destroy } = await world('due');
    const counted = jest.spyOn(metrics, 'addMetric');
    clock.now = timer.at;

    try {
      // Act: SQS delivers at least once: two copies at the same moment.
      const results = await Promise.all([handler({ Records: [delivery(timer)] }), handler({ Records: [delivery(timer)] })]);

      // Assess
      expect(timer).toEqual({ incidentId, step: 1, at: T0 + 5 * MINUTE });
      expect(results).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
      expect(await stagesPaged(incidentId)).toEqual([
        ['opened', 'on-call'],
        ['escalated', 'duty-manager'],
      ]);
      const incident = await store.readIncident(incidentId);
      expect(incident).toMatchObject({ status: 'open', pagedStage: 1, nextEscalation: { step: 2, at: T0 + 60 * MINUTE } });
      expect(counted.mock.calls.filter(([name]) => name === 'Escalations')).toHaveLength(1);
    } finally {
      counted.mockRestore();
      destroy();
    }
  });

  it('changes nothing when a timer already run is delivered again', async () => {
    // Prepare: the duty manager was paged at 5 minutes.
    const { clock, handler, timer, destroy } = await world('repeat');
    clock.now = timer.at;
    await handler({ Records: [delivery(timer)] });
    clock.advance(30 * SECOND);
    const before = await tableItems(aws.dynamodb, tableName);

    try {
      // Act
      const result = await handler({ Records: [delivery(timer)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    } finally {
      destroy();
    }
  });

  it('changes nothing when the incident was acknowledged before its timer came due', async () => {
    // Prepare
    const { clock, context, handler, incidentId, timer, destroy } = await world('acked');
    clock.advance(MINUTE);
    await runCommand(store, { command: 'ack', incidentId }, 'suzuki', { context });
    clock.now = timer.at;
    const before = await tableItems(aws.dynamodb, tableName);

    try {
      // Act
      const result = await handler({ Records: [delivery(timer)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
      expect(await stagesPaged(incidentId)).toEqual([
        ['opened', 'on-call'],
        ['acknowledged', 'on-call'],
      ]);
    } finally {
      destroy();
    }
  });

  it.each([
    ['55 minutes away: waits the 15 minutes SQS allows, then comes back', 5 * MINUTE, 900],
    ['10 minutes away: waits exactly that', 50 * MINUTE, 600],
  ])('re-queues a timer %s, changing nothing', async (_, elapsed, delaySeconds) => {
    // Prepare: the duty manager has been paged; the executive's timer (1 hour) comes back early.
    const { clock, handler, incidentId, timer, requeued, destroy } = await world('early');
    clock.now = timer.at;
    await handler({ Records: [delivery(timer)] });
    const executive = { incidentId, ...(await store.readIncident(incidentId))!.nextEscalation! };
    requeued.splice(0);
    clock.now = T0 + elapsed;
    const before = await tableItems(aws.dynamodb, tableName);

    try {
      // Act
      const result = await handler({ Records: [delivery(executive)] });

      // Assess
      expect(executive).toEqual({ incidentId, step: 2, at: T0 + 60 * MINUTE });
      expect(result).toEqual({ batchItemFailures: [] });
      expect(requeued).toEqual([{ QueueUrl: queueUrl, MessageBody: JSON.stringify(executive), DelaySeconds: delaySeconds }]);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    } finally {
      destroy();
    }
  });

  it.each(['not json at all', '{"incidentId":"inc-1","step":"one","at":1601503753000}', '{"hello":"world"}'])(
    'drops and logs a message that is not an escalation timer (%s), without a retry, and runs the rest of the batch',
    async (body) => {
      // Prepare
      const { clock, handler, incidentId, timer, destroy } = await world('garbage');
      const logged = jest.spyOn(logger, 'error');
      clock.now = timer.at;
      const garbage = delivery(body);

      try {
        // Act
        const result = await handler({ Records: [garbage, delivery(timer)] });

        // Assess: acknowledged to the queue (no batch item failure), and the good timer ran.
        expect(result).toEqual({ batchItemFailures: [] });
        expect(logged).toHaveBeenCalledWith('not an escalation timer; dropped', { messageId: garbage.messageId });
        expect(await stagesPaged(incidentId)).toEqual([
          ['opened', 'on-call'],
          ['escalated', 'duty-manager'],
        ]);
      } finally {
        logged.mockRestore();
        destroy();
      }
    },
  );

  it('fails when the store cannot be read: that timer is reported for a retry, the others run', async () => {
    // Prepare: a store whose reads of one incident fail.
    const { clock, incidentId, timer, destroy } = await world('store-down');
    const other = await world('healthy');
    const failing: IncidentStore = Object.assign(Object.create(store) as IncidentStore, {
      readIncident: (id: string) => (id === incidentId ? Promise.reject(new Error('injected: DynamoDB unavailable')) : store.readIncident(id)),
    });
    const handler = createEscalateHandler({ store: failing, queue: new SqsEscalationQueue(queueUrl), context: clock.context(CONFIG) });
    clock.now = timer.at;
    const first = delivery(timer);

    try {
      // Act
      const result = await handler({ Records: [first, delivery(other.timer)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: first.messageId }] });
      expect(await stagesPaged(incidentId)).toEqual([['opened', 'on-call']]);
      expect(await stagesPaged(other.incidentId)).toEqual([
        ['opened', 'on-call'],
        ['escalated', 'duty-manager'],
      ]);
    } finally {
      destroy();
      other.destroy();
    }
  });
});
