import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { SnsNoticePublisher } from '../../lambda/adapters/sns-publisher';
import type { Notice } from '../../lambda/core/model';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { createNotifyHandler } from '../../lambda/handlers/notify';
import { createRedriveHandler } from '../../lambda/handlers/redrive';
import type { LocalResources } from '../../local/resources';
import { StreamPoller } from '../../local/stream-poller';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, T0, TestClock } from '../helpers/domain';

/**
 * Outbox → stream → notify → SNS → participants' SQS queues, all real: DynamoDB Local's stream,
 * the local poller that plays Lambda's event source mapping, fauxqs SNS and SQS.
 */

/** Participant-facing components, announced from `major`: every alarm here is a market fact with a notice. */
const CONFIG = {
  markets: [{ id: 'equities', segments: [] }, { id: 'derivatives', segments: [] }],
  components: [
    { id: 'shared-disk', market: 'equities', participantFacing: true },
    { id: 'clearing', market: 'derivatives', participantFacing: true },
  ],
  policy: { announceSeverity: 'major' as const },
};

/** An SNS client that counts PublishBatch calls and can fail the first N of them. */
function countingSns(failFirst = 0): { client: SNSClient; calls: () => number } {
  const client = new SNSClient({});
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishBatchCommand') {
        calls += 1;
        if (calls <= failFirst) throw Object.assign(new Error('injected: SNS throttled'), { name: 'ThrottledException' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'faultInjection' },
  );
  return { client, calls: () => calls };
}

describe('notify: outbox to participants', () => {
  let aws: TestAws;
  beforeAll(() => {
    aws = testClients();
  });
  afterAll(() => aws.destroy());

  async function queue(name = 'q'): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix(name) }));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }

  async function participant(resources: LocalResources, filterPolicy?: object): Promise<string> {
    const q = await queue('participant');
    await aws.sns.send(
      new SubscribeCommand({
        TopicArn: resources.noticeTopicArn,
        Protocol: 'sqs',
        Endpoint: q.arn,
        ...(filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageAttributes' } } : {}),
      }),
    );
    return q.url;
  }

  async function received(queueUrl: string): Promise<Notice[]> {
    const out: Notice[] = [];
    for (;;) {
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages?.length) return out;
      out.push(...Messages.map((m) => JSON.parse(JSON.parse(m.Body!).Message) as Notice));
    }
  }

  async function setup(options: { failFirst?: number } = {}) {
    const resources = await createTestResources('notify', aws);
    const store = new DynamoDbIncidentStore({ tableName: resources.tableName });
    const sns = countingSns(options.failFirst);
    const dlq = await queue('notify-dlq');
    const notify = createNotifyHandler({ publisher: new SnsNoticePublisher(resources.noticeTopicArn, sns.client), outbox: store });
    const poller = new StreamPoller({ streamArn: resources.streamArn, handler: notify, onFailureQueueUrl: dlq.url, pollIntervalMs: 20, retryAttempts: 5 });
    poller.start();
    return { resources, store, sns, dlq, poller };
  }

  it('publishes exactly once per transition, and marks the notice sent', async () => {
    // Prepare
    const { resources, store, sns, poller } = await setup();
    const everything = await participant(resources);
    const clock = new TestClock(T0, 'once');

    try {
      // Act: one alarm (a storm of 5 deliveries), one transition, one notice.
      let incidentId = '';
      for (let i = 0; i < 5; i += 1) incidentId = (await ingestSignal(store, alarm({ market: 'equities' }), { context: clock.context(CONFIG) })).incidentId!;
      await poller.drain();

      // Assess
      expect(sns.calls()).toBe(1);
      const notices = await received(everything);
      expect(notices.map((n) => [n.type, n.sequence])).toEqual([['incident-opened', 1]]);
      const record = await store.incidentRecord(incidentId);
      expect(record?.notices.map((n) => n.status)).toEqual(['sent']);
    } finally {
      await poller.stop();
      sns.client.destroy();
    }
  });

  it('publishes nothing for an incident participants are not told of: its page and timer are not notices', async () => {
    // Prepare
    const { resources, store, sns, poller } = await setup();
    const everything = await participant(resources);

    try {
      // Act: an alarm of a component nobody configured (operators are paged; participants are not told).
      const opened = await ingestSignal(store, alarm({ dedupKey: 'arn:billing', component: 'billing', market: 'equities', severity: 'critical' }), { context: new TestClock(T0, 'internal').context(CONFIG) });
      await poller.drain();

      // Assess
      expect(opened.action).toBe('opened');
      expect(sns.calls()).toBe(0);
      expect(await received(everything)).toEqual([]);
      expect(poller.stats()).toMatchObject({ failedAttempts: 0, givenUp: 0 });
    } finally {
      await poller.stop();
      sns.client.destroy();
    }
  });

  it('gives three participants with different filter policies exactly the notices that match, in order', async () => {
    // Prepare: a broker that wants everything on equities, a risk desk that wants halts and
    // resumptions anywhere, and a derivatives house that only wants derivatives.
    const { resources, store, poller, sns } = await setup();
    const equities = await participant(resources, { market: ['equities'] });
    const haltsAndResumes = await participant(resources, { type: ['halt', 'resume-scheduled', 'resume'] });
    const derivatives = await participant(resources, { market: ['derivatives'] });
    const clock = new TestClock(T0, 'three');
    const context = clock.context({ ...CONFIG, policy: { ...CONFIG.policy, resumeLeadMinutes: 15 } });

    try {
      // Act: the 2020 morning on equities, and an unrelated derivatives alarm.
      const opened = await ingestSignal(store, alarm({ market: 'equities', severity: 'critical' }), { context });
      await runCommand(store, { command: 'declare-halt', market: 'equities', incidentId: opened.incidentId! }, 'ops', { context });
      await ingestSignal(store, alarm({ dedupKey: 'arn:clearing', component: 'clearing', market: 'derivatives' }), { context });
      clock.advance(MINUTE);
      await runCommand(store, { command: 'schedule-resume', market: 'equities', effectiveAt: new Date(clock.now + 20 * MINUTE).toISOString() }, 'ops', { context });
      clock.advance(20 * MINUTE);
      await runCommand(store, { command: 'resume', market: 'equities' }, 'ops', { context });
      await poller.drain();

      // Assess
      const summary = (ns: Notice[]) => ns.map((n) => `${n.market}:${n.sequence}:${n.type}`);
      expect(summary(await received(equities))).toEqual(['equities:1:incident-opened', 'equities:2:halt', 'equities:3:resume-scheduled', 'equities:4:resume']);
      expect(summary(await received(haltsAndResumes))).toEqual(['equities:2:halt', 'equities:3:resume-scheduled', 'equities:4:resume']);
      expect(summary(await received(derivatives))).toEqual(['derivatives:1:incident-opened']);
      expect(sns.calls()).toBeLessThanOrEqual(5);
    } finally {
      await poller.stop();
      sns.client.destroy();
    }
  });

  it('still delivers a notice exactly once, marked sent, when publishing fails on the first 3 attempts', async () => {
    // Prepare
    const { resources, store, sns, poller } = await setup({ failFirst: 3 });
    const everything = await participant(resources);

    try {
      // Act
      const opened = await ingestSignal(store, alarm({ market: 'equities' }), { context: new TestClock(T0, 'retry').context(CONFIG) });
      await poller.drain();

      // Assess
      expect(sns.calls()).toBe(4);
      expect((await received(everything)).map((n) => n.noticeId)).toEqual([`${opened.incidentId}-n1`]);
      expect((await store.incidentRecord(opened.incidentId!))?.notices.map((n) => n.status)).toEqual(['sent']);
    } finally {
      await poller.stop();
      sns.client.destroy();
    }
  });

  it('sends a poison record to the dead-letter queue without blocking the rest of the batch', async () => {
    // Prepare
    const { resources, store, sns, poller, dlq } = await setup();
    const everything = await participant(resources);
    const context = new TestClock(T0, 'poison').context(CONFIG);

    try {
      // Act: a good notice, an outbox item whose notice is not a notice, and two more good ones.
      const first = await ingestSignal(store, alarm({ dedupKey: 'arn:first', market: 'equities' }), { context });
      await aws.dynamodb.send(
        new PutItemCommand({
          TableName: resources.tableName,
          Item: { pk: { S: 'INCIDENT#broken' }, sk: { S: 'NOTICE#000001' }, entity: { S: 'notice' }, status: { S: 'pending' }, notice: { M: { schema: { S: 'tocsin.notice/v1' } } } },
        }),
      );
      const second = await ingestSignal(store, alarm({ dedupKey: 'arn:second', market: 'equities' }), { context });
      const third = await ingestSignal(store, alarm({ dedupKey: 'arn:third', market: 'equities' }), { context });
      await poller.drain(20_000);

      // Assess
      const ids = (await received(everything)).map((n) => n.incidentId);
      expect(ids).toEqual([first.incidentId, second.incidentId, third.incidentId]);
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, MaxNumberOfMessages: 10 }));
      expect(Messages).toHaveLength(1);
      const dead = JSON.parse(Messages![0]!.Body!);
      expect(dead.record.dynamodb.Keys.pk).toEqual({ S: 'INCIDENT#broken' });
      expect(dead.requestContext.condition).toBe('RetryAttemptsExhausted');
      expect(dead.reason).toBe('batchItemFailures');
    } finally {
      await poller.stop();
      sns.client.destroy();
    }
  });

  it('re-publishes, once, a notice still pending after the stream gave up on it (the redrive)', async () => {
    // Prepare: no stream delivery at all; the notice waits in the outbox.
    const resources = await createTestResources('redrive', aws);
    const store = new DynamoDbIncidentStore({ tableName: resources.tableName });
    const everything = await participant(resources);
    const sns = countingSns();
    const clock = new TestClock(Date.now(), 'redrive');
    const opened = await ingestSignal(store, alarm({ market: 'equities' }), { context: clock.context(CONFIG) });
    const redrive = createRedriveHandler({ publisher: new SnsNoticePublisher(resources.noticeTopicArn, sns.client), outbox: store, now: () => clock.now });

    try {
      // Act
      const early = await redrive();
      clock.advance(3 * MINUTE);
      const due = await redrive();
      const again = await redrive();

      // Assess
      expect(early).toEqual({ republished: [] });
      expect(due).toEqual({ republished: [`${opened.incidentId}-n1`] });
      expect(again).toEqual({ republished: [] });
      expect((await received(everything)).map((n) => n.noticeId)).toEqual([`${opened.incidentId}-n1`]);
      expect((await store.incidentRecord(opened.incidentId!))?.notices.map((n) => n.status)).toEqual(['sent']);
    } finally {
      sns.client.destroy();
    }
  });
});
