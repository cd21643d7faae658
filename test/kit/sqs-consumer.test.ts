import { PublishCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { NoticeDeliveryError, NoticeReceiver, consumeQueue, type ConsumeQueueOptions, type MissingEvent, type ValidationError } from '../../kit';
import type { Notice } from '../../lambda/core/model';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { ManualClock, notice } from './notices';

/**
 * The SQS path against the real fauxqs emulator: participant queues subscribed to the notices
 * topic with filter policies on the message attributes Tocsin sets, notices published the way
 * the notify Lambda publishes them, consumed by consumeQueue.
 */
describe('consumeQueue (SQS subscriber, real SNS/SQS emulator)', () => {
  let aws: TestAws;
  let resources: LocalResources;

  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('kit', aws);
  });
  afterAll(() => aws.destroy());

  async function subscribedQueue(filterPolicy: object, options: { raw?: boolean; visibilityTimeoutSeconds?: number } = {}): Promise<string> {
    const { QueueUrl } = await aws.sqs.send(
      new CreateQueueCommand({
        QueueName: uniquePrefix('participant'),
        Attributes: { VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 30) },
      }),
    );
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await aws.sns.send(
      new SubscribeCommand({
        TopicArn: resources.noticeTopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: {
          FilterPolicy: JSON.stringify(filterPolicy),
          FilterPolicyScope: 'MessageAttributes',
          ...(options.raw ? { RawMessageDelivery: 'true' } : {}),
        },
      }),
    );
    return QueueUrl as string;
  }

  /** Publishes as the notify Lambda does: the notice as Message, type/market/severity/incidentId as String attributes. */
  async function publish(n: Notice, body: string = JSON.stringify(n)): Promise<void> {
    const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
    await aws.sns.send(
      new PublishCommand({
        TopicArn: resources.noticeTopicArn,
        Message: body,
        MessageAttributes: { type: attribute(n.type), market: attribute(n.market), severity: attribute(n.severity), incidentId: attribute(n.incidentId) },
      }),
    );
  }

  async function queueCounts(queueUrl: string): Promise<{ visible: number; inFlight: number }> {
    const { Attributes } = await aws.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
    );
    return { visible: Number(Attributes?.ApproximateNumberOfMessages), inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible) };
  }

  async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Starts a consumer in the background; `stop()` aborts it and returns its summary. */
  function start(options: Omit<ConsumeQueueOptions, 'sqs' | 'signal'>) {
    const controller = new AbortController();
    const running = consumeQueue({ sqs: aws.sqs, waitTimeSeconds: 1, signal: controller.signal, ...options });
    running.catch(() => undefined);
    return {
      running,
      async stop() {
        controller.abort();
        return running;
      },
    };
  }

  it('delivers exactly the notices that match the filter policy, once each, in sequence order, after the gap wait for the filtered-out numbers', async () => {
    // Prepare: a participant that wants halts and resumptions; the incident's notices are published out of order, some twice
    const queueUrl = await subscribedQueue({ type: ['halt', 'resume-scheduled', 'resume'] });
    const incidentId = uniquePrefix('inc');
    const trail = [1, 2, 3, 4, 5, 6, 7].map((n) => notice(n, { incidentId }));
    expect(trail.map((n) => n.type)).toEqual(['incident-opened', 'halt', 'update', 'update', 'resume-scheduled', 'resume', 'incident-resolved']);
    for (const n of [6, 1, 5, 3, 2, 2, 4, 7, 6]) await publish(trail[n - 1]!);
    const clock = new ManualClock();
    const missing: MissingEvent[] = [];
    const receiver = new NoticeReceiver({ gapWaitMs: 60_000, now: clock.now, onMissing: (m) => missing.push(m) });
    const delivered: Notice[] = [];

    // Act 1: consume; 2, 5 and 6 wait for the numbers the filter withheld
    const consumer = start({ queueUrl, receiver, onNotice: (n) => void delivered.push(n) });
    await waitFor('the five matching messages to be read, the duplicates deleted', async () => {
      const counts = await queueCounts(queueUrl);
      return receiver.snapshot().heldNotices === 3 && counts.visible === 0 && counts.inFlight === 3;
    });
    // Assess 1: nothing delivered before the gap wait
    expect(delivered).toEqual([]);

    // Act 2: the gap wait runs out
    clock.advance(60_000);
    await waitFor('the held notices to be delivered and their messages deleted', async () => {
      const counts = await queueCounts(queueUrl);
      return delivered.length === 3 && counts.visible + counts.inFlight === 0;
    });
    const summary = await consumer.stop();

    // Assess 2
    expect(delivered.map((n) => [n.sequence, n.type])).toEqual([
      [2, 'halt'],
      [5, 'resume-scheduled'],
      [6, 'resume'],
    ]);
    expect(missing).toEqual([
      { incidentId, missing: [1] },
      { incidentId, missing: [3, 4] },
    ]);
    expect(summary).toMatchObject({ received: 5, delivered: 3, duplicates: 2, invalid: 0 });
  });

  it('delivers raw-delivery notices at once when in order, drops a duplicate, and deletes an invalid message after reporting it', async () => {
    // Prepare: raw message delivery, equities only
    const queueUrl = await subscribedQueue({ market: ['equities'] }, { raw: true });
    const incidentId = uniquePrefix('inc');
    const [first, second, third] = [1, 2, 3].map((n) => notice(n, { incidentId }));
    await publish(first!);
    await publish(second!);
    await publish(notice(1, { incidentId: uniquePrefix('inc'), market: 'derivatives' }));
    await publish(second!);
    await publish(third!, JSON.stringify({ ...third, sequence: 'three' }));
    await publish(third!);
    const invalid: ValidationError[] = [];
    const delivered: Notice[] = [];

    // Act
    const consumer = start({ queueUrl, receiver: new NoticeReceiver(), onNotice: (n) => void delivered.push(n), onInvalid: (e) => void invalid.push(e) });
    await waitFor('every message to be handled and deleted', async () => {
      const counts = await queueCounts(queueUrl);
      return delivered.length === 3 && invalid.length === 1 && counts.visible + counts.inFlight === 0;
    });
    const summary = await consumer.stop();

    // Assess: the invalid one was deleted, not left to come back
    expect(delivered.map((n) => n.sequence)).toEqual([1, 2, 3]);
    expect(invalid[0]?.problems.map((p) => p.field)).toEqual(['sequence']);
    expect(summary).toEqual({ received: 5, delivered: 3, duplicates: 1, stale: 0, invalid: 1, deleteFailures: 0 });
  });

  it('stops when its signal aborts, abandoning the long poll', async () => {
    const queueUrl = await subscribedQueue({ market: ['nowhere'] });
    const controller = new AbortController();
    const started = Date.now();
    const running = consumeQueue({ sqs: aws.sqs, queueUrl, receiver: new NoticeReceiver(), onNotice: () => undefined, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(running).resolves.toMatchObject({ received: 0 });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails when onNotice throws, leaving the message in the queue; a restart with the same receiver delivers it and deletes it', async () => {
    // Prepare: the participant's handler fails on its first call
    const queueUrl = await subscribedQueue({ market: ['equities'] }, { raw: true, visibilityTimeoutSeconds: 1 });
    const incidentId = uniquePrefix('inc');
    await publish(notice(1, { incidentId }));
    const receiver = new NoticeReceiver();
    let failures = 1;
    const delivered: number[] = [];
    const onNotice = (n: Notice) => {
      if (failures-- > 0) throw new Error('order gateway down');
      delivered.push(n.sequence);
    };

    // Act 1
    await expect(consumeQueue({ sqs: aws.sqs, queueUrl, receiver, onNotice, waitTimeSeconds: 1 })).rejects.toThrow(NoticeDeliveryError);
    // Assess 1: not deleted
    expect(await queueCounts(queueUrl)).toEqual({ visible: 0, inFlight: 1 });

    // Act 2: restart; SQS makes the message visible again after 1 s
    const consumer = start({ queueUrl, receiver, onNotice });
    await waitFor('the redelivered message to be handled and deleted', async () => {
      const counts = await queueCounts(queueUrl);
      return delivered.length === 1 && counts.visible + counts.inFlight === 0;
    });
    await consumer.stop();

    // Assess 2
    expect(delivered).toEqual([1]);
  });
});
