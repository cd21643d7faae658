import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type SendMessageCommandInput } from '@aws-sdk/client-sqs';
import type { DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { logger, metrics } from '../../lambda/adapters/observability';
import { SnsPagePublisher } from '../../lambda/adapters/sns-page-publisher';
import { SqsEscalationQueue } from '../../lambda/adapters/sqs-escalation-queue';
import type { EscalationTimer, Page } from '../../lambda/core/model';
import { createPagesHandler } from '../../lambda/handlers/pages';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { loadEvent } from '../helpers/events';

/**
 * The `pages` function on fauxqs: page and timer items from the table stream (the records of
 * `events/dynamodb-stream/`) go to the pages topic, with the attributes operators filter on, and
 * to the delayed escalation queue; the first failure to send holds back the rest of the batch,
 * while a record that is no page or timer is skipped and reported.
 */

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

const SAMPLE = loadEvent<DynamoDBStreamEvent>('dynamodb-stream/page-and-timer-inserts.json');
/** The sample's page and timer, as the store wrote them. */
const SAMPLE_PAGE = unmarshall(SAMPLE.Records[0]!.dynamodb!.NewImage as Record<string, AttributeValue>).page as Page;
const SAMPLE_TIMER = unmarshall(SAMPLE.Records[1]!.dynamodb!.NewImage as Record<string, AttributeValue>).timer as EscalationTimer;
/** When the sample transition was written: the page's `issuedAt`, 300 s before its timer is due. */
const WRITTEN_AT = Date.parse(SAMPLE_PAGE.issuedAt);

/** A stream record of one item, shaped like the sample's (sequence numbers in stream order). */
function insert(sequence: number, item: Record<string, unknown>): DynamoDBRecord {
  const image = marshall(item, { removeUndefinedValues: true }) as Image;
  return {
    ...SAMPLE.Records[0]!,
    dynamodb: { ...SAMPLE.Records[0]!.dynamodb!, Keys: { pk: image.pk!, sk: image.sk! }, NewImage: image, SequenceNumber: `44215845000000000174504390${String(sequence).padStart(2, '0')}` },
  };
}

const pageRecord = (sequence: number, page: Page) =>
  insert(sequence, { pk: `INCIDENT#${page.incidentId}`, sk: `PAGE#${page.pageId.split('-p').at(-1)!.padStart(6, '0')}`, entity: 'page', pageId: page.pageId, page });
const timerRecord = (sequence: number, timer: EscalationTimer) =>
  insert(sequence, { pk: `INCIDENT#${timer.incidentId}`, sk: `TIMER#${String(timer.step).padStart(4, '0')}#${timer.at}`, entity: 'timer', timer });
const page = (n: number, change: Partial<Page> = {}): Page => ({ ...SAMPLE_PAGE, pageId: `${SAMPLE_PAGE.incidentId}-p${n}`, ...change });

/** An SNS client that can fail the Publish calls `failOn` picks (counted from 1). */
function failingSns(failOn: (call: number) => boolean = () => false): SNSClient {
  const client = new SNSClient({});
  let calls = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'PublishCommand' && failOn((calls += 1))) throw Object.assign(new Error('injected: SNS throttled'), { name: 'ThrottledException' });
      return next(args);
    },
    { step: 'initialize', name: 'faultInjection' },
  );
  return client;
}

/** An SQS client that records every SendMessage it makes. */
function recordingSqs(): { client: SQSClient; sent: SendMessageCommandInput[] } {
  const client = new SQSClient({ useQueueUrlAsEndpoint: false });
  const sent: SendMessageCommandInput[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'SendMessageCommand') sent.push(args.input as SendMessageCommandInput);
      return next(args);
    },
    { step: 'initialize', name: 'recorder' },
  );
  return { client, sent };
}

describe('pages handler (table stream → pages topic and escalation queue)', () => {
  let aws: TestAws;
  let resources: LocalResources;
  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('pages', aws);
  });
  afterAll(() => aws.destroy());

  async function queue(label: string): Promise<{ url: string; arn: string }> {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix(label) }));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl!, arn: Attributes!.QueueArn! };
  }

  /** A queue subscribed to the pages topic, filtered on message attributes as an operator would. */
  async function pager(filterPolicy: Record<string, string[]>): Promise<string> {
    const q = await queue('pager');
    await aws.sns.send(new SubscribeCommand({ TopicArn: resources.pageTopicArn, Protocol: 'sqs', Endpoint: q.arn, Attributes: { FilterPolicy: JSON.stringify(filterPolicy) } }));
    return q.url;
  }

  /** Everything in a queue now: the SNS envelopes. */
  async function envelopes(queueUrl: string): Promise<Array<{ Message: string; MessageAttributes?: Record<string, { Type: string; Value: string }> }>> {
    const out = [];
    for (;;) {
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages?.length) return out;
      out.push(...Messages.map((m) => JSON.parse(m.Body!)));
    }
  }

  async function setup(options: { failOn?: (call: number) => boolean } = {}) {
    const sns = failingSns(options.failOn);
    const sqs = recordingSqs();
    const escalation = await queue('escalation');
    const handler = createPagesHandler({ publisher: new SnsPagePublisher(resources.pageTopicArn, sns), queue: new SqsEscalationQueue(escalation.url, sqs.client), now: () => WRITTEN_AT });
    return { handler, sent: sqs.sent, escalationQueueUrl: escalation.url, destroy: () => (sns.destroy(), sqs.client.destroy()) };
  }

  it('publishes the sample page to the pages topic with the attributes operators filter on, and queues its timer for 300 s', async () => {
    // Prepare: on-call for critical shared-disk pages of equities; the duty manager must hear nothing.
    const onCall = await pager({ type: ['opened'], stage: ['on-call'], severity: ['critical'], component: ['shared-disk'], market: ['equities'] });
    const dutyManager = await pager({ stage: ['duty-manager'] });
    const { handler, sent, escalationQueueUrl, destroy } = await setup();

    try {
      // Act
      const result = await handler(SAMPLE);

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      const received = await envelopes(onCall);
      expect(received.map((e) => JSON.parse(e.Message))).toEqual([SAMPLE_PAGE]);
      expect(received[0]!.MessageAttributes).toEqual({
        type: { Type: 'String', Value: 'opened' },
        stage: { Type: 'String', Value: 'on-call' },
        severity: { Type: 'String', Value: 'critical' },
        component: { Type: 'String', Value: 'shared-disk' },
        market: { Type: 'String', Value: 'equities' },
      });
      expect(await envelopes(dutyManager)).toEqual([]);
      expect(sent).toEqual([{ QueueUrl: escalationQueueUrl, MessageBody: JSON.stringify(SAMPLE_TIMER), DelaySeconds: 300 }]);
      // The queue holds the timer back for its delay.
      expect((await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: escalationQueueUrl, WaitTimeSeconds: 0 }))).Messages ?? []).toEqual([]);
    } finally {
      destroy();
    }
  });

  it('leaves the market attribute out of a page that names no market', async () => {
    // Prepare
    const anyMarket = await pager({ component: ['billing'] });
    const { handler, destroy } = await setup();
    const { market: _, ...noMarket } = page(7, { component: 'billing' });

    try {
      // Act
      const result = await handler({ Records: [pageRecord(1, noMarket as Page)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      const [envelope] = await envelopes(anyMarket);
      expect(Object.keys(envelope!.MessageAttributes ?? {}).sort()).toEqual(['component', 'severity', 'stage', 'type']);
    } finally {
      destroy();
    }
  });

  it.each([
    ['due in 5 minutes', 300, 300 * 1000],
    ['due in 2.5 s (rounded up to whole seconds)', 3, 2500],
    ['due in an hour (SQS waits at most 15 minutes; the escalate function re-queues it)', 900, 3600 * 1000],
    ['already due', 0, -5000],
  ])('queues a timer %s with DelaySeconds %i', async (_, delaySeconds, dueInMs) => {
    // Prepare
    const { handler, sent, escalationQueueUrl, destroy } = await setup();
    const timer: EscalationTimer = { incidentId: 'inc-delay', step: 1, at: WRITTEN_AT + dueInMs };

    try {
      // Act
      const result = await handler({ Records: [timerRecord(1, timer)] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect(sent).toEqual([{ QueueUrl: escalationQueueUrl, MessageBody: JSON.stringify(timer), DelaySeconds: delaySeconds }]);
    } finally {
      destroy();
    }
  });

  it('fails when a publish fails: reports it and every later record, and sends nothing after it', async () => {
    // Prepare: the second Publish fails; a timer and a page come after it.
    const everything = await pager({ component: ['shared-disk'] });
    const { handler, sent, destroy } = await setup({ failOn: (call) => call === 2 });
    const counted = jest.spyOn(metrics, 'addMetric');
    const records = [pageRecord(1, page(1)), pageRecord(2, page(2, { type: 'escalated', stage: 'duty-manager' })), timerRecord(3, SAMPLE_TIMER), pageRecord(4, page(3, { type: 'acknowledged' }))];

    try {
      // Act
      const result = await handler({ Records: records });

      // Assess
      expect(result).toEqual({ batchItemFailures: records.slice(1).map((r) => ({ itemIdentifier: r.dynamodb!.SequenceNumber })) });
      expect((await envelopes(everything)).map((e) => JSON.parse(e.Message).pageId)).toEqual([page(1).pageId]);
      expect(sent).toEqual([]);
      expect(counted).toHaveBeenCalledWith('PagesPublished', 'Count', 1);
      expect(counted).toHaveBeenCalledWith('PageFailures', 'Count', 1);
    } finally {
      counted.mockRestore();
      destroy();
    }
  });

  it.each<[string, DynamoDBRecord, RegExp]>([
    ['a page that is not a tocsin.page/v1 page', pageRecord(2, { ...page(2), stage: undefined } as unknown as Page), /stage/],
    ['a timer with no step', insert(2, { pk: 'INCIDENT#inc-x', sk: 'TIMER#0001#1', entity: 'timer', timer: { incidentId: 'inc-x', at: 1 } }), /unreadable escalation timer/],
    ['an item that is neither', insert(2, { pk: 'INCIDENT#inc-x', sk: 'NOTICE#000001', entity: 'notice' }), /not a page or timer \(entity notice\)/],
    ['a removal', { ...pageRecord(2, page(2)), eventName: 'REMOVE' }, /not a page or timer insert \(REMOVE\)/],
  ])('skips %s and reports it (log and PageFailures): retrying cannot mend it, and the pages after it go out', async (_, bad, reason) => {
    // Prepare
    const everything = await pager({ component: ['shared-disk'] });
    const { handler, destroy } = await setup();
    const logged = jest.spyOn(logger, 'error');
    const counted = jest.spyOn(metrics, 'addMetric');

    try {
      // Act
      const result = await handler({ Records: [pageRecord(1, page(1)), bad, pageRecord(3, page(3))] });

      // Assess
      expect(result).toEqual({ batchItemFailures: [] });
      expect((await envelopes(everything)).map((e) => JSON.parse(e.Message).pageId).sort()).toEqual([page(1).pageId, page(3).pageId]);
      expect(logged).toHaveBeenCalledWith('not a page or timer; skipped', { recordId: bad.dynamodb!.SequenceNumber, reason: expect.stringMatching(reason) });
      expect(counted).toHaveBeenCalledWith('PageFailures', 'Count', 1);
    } finally {
      counted.mockRestore();
      logged.mockRestore();
      destroy();
    }
  });
});
