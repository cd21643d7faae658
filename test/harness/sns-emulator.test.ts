import { PublishCommand, SubscribeCommand, GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';

/**
 * Proves that SNS and SQS under test are the real fauxqs emulator with the behaviour
 * participants depend on: filter policies on message attributes, SNS envelopes in SQS.
 */
describe('SNS/SQS emulator (fauxqs, started by the test harness)', () => {
  let aws: TestAws;
  let resources: LocalResources;

  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('sns', aws);
  });
  afterAll(() => aws.destroy());

  async function subscribedQueue(filterPolicy: object): Promise<string> {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('participant') }));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await aws.sns.send(
      new SubscribeCommand({
        TopicArn: resources.noticeTopicArn,
        Protocol: 'sqs',
        Endpoint: Attributes?.QueueArn,
        Attributes: { FilterPolicy: JSON.stringify(filterPolicy), FilterPolicyScope: 'MessageAttributes' },
      }),
    );
    return QueueUrl as string;
  }

  async function drain(queueUrl: string): Promise<unknown[]> {
    const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return (Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}'));
  }

  it('creates the notices topic with its display name', async () => {
    const { Attributes } = await aws.sns.send(new GetTopicAttributesCommand({ TopicArn: resources.noticeTopicArn }));
    expect(Attributes?.DisplayName).toBe('Tocsin participant notices');
  });

  it('delivers a matching notice to a filtered SQS subscriber, in an SNS envelope, and withholds a non-matching one', async () => {
    // Prepare: a participant that only wants halts of the equities market.
    const queueUrl = await subscribedQueue({ type: ['halt'], market: ['equities'] });
    const publish = (type: string, market: string, body: object) =>
      aws.sns.send(
        new PublishCommand({
          TopicArn: resources.noticeTopicArn,
          Message: JSON.stringify(body),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: type },
            market: { DataType: 'String', StringValue: market },
          },
        }),
      );

    // Act
    await publish('incident-opened', 'equities', { n: 1 });
    await publish('halt', 'derivatives', { n: 2 });
    await publish('halt', 'equities', { n: 3 });

    // Assess
    const received = await drain(queueUrl);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({
      Type: 'Notification',
      TopicArn: resources.noticeTopicArn,
      Message: JSON.stringify({ n: 3 }),
      MessageAttributes: { type: { Type: 'String', Value: 'halt' }, market: { Type: 'String', Value: 'equities' } },
    });
    expect(await drain(queueUrl)).toEqual([]);
  });
});
