import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { ENV } from '../../lambda/adapters/environment';
import type { TocsinConfigInput } from '../../lambda/core/config';
import { TocsinStack } from '../../lib/tocsin-stack';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { loadEvent } from '../helpers/events';
import { PROJECT_ROOT } from '../helpers/processes';
import { logicalId } from './template-helpers';

/**
 * What `sam local invoke -t cdk.out/Tocsin.template.json <function> -e events/<file>.json` runs
 * (SAM itself needs Docker, which this machine has not): the synthesized template names each
 * function's bundle in its `aws:asset:path` metadata; that bundle's `index.js` exports `handler`;
 * run with the same sample event against the emulators, it works.
 */

/**
 * The sample alarm's component is participant-facing (so its incident is announced), and the
 * duty manager is paged one second after an incident opens (so an escalation comes due in the test).
 */
const CONFIG: TocsinConfigInput = {
  components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
  policy: {
    escalation: {
      stages: [
        { name: 'on-call', afterSeconds: 0 },
        { name: 'duty-manager', afterSeconds: 1 },
      ],
    },
  },
};

type Handler<E, R> = (event: E) => Promise<R>;

describe('the synthesized template, as sam local invoke uses it', () => {
  let aws: TestAws;
  let outdir: string;
  let template: Template;
  let stack: TocsinStack;
  let store: DynamoDbIncidentStore;
  let escalationQueueUrl: string;
  let pagerQueueUrl: string;

  /** The handler exported by a function's bundle, found as SAM finds it: through the asset path. */
  const bundledHandler = <E, R>(fn: IConstruct): Handler<E, R> => {
    const resource = template.findResources('AWS::Lambda::Function')[logicalId(stack, fn)]!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(join(outdir, resource.Metadata['aws:asset:path'] as string, 'index.js')) as { handler: Handler<E, R> }).handler;
  };

  /** Messages a queue holds, long-polled until `count` arrived (or 10 s went by). */
  const receive = async (queueUrl: string, count: number): Promise<Message[]> => {
    const messages: Message[] = [];
    const deadline = Date.now() + 10_000;
    while (messages.length < count && Date.now() < deadline) {
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      messages.push(...(Messages ?? []));
    }
    return messages;
  };

  beforeAll(async () => {
    aws = testClients();
    // Under the project, so that a bundle finds the AWS SDK (left out of it) in node_modules.
    outdir = join(PROJECT_ROOT, 'cdk.out', `sam-test-${process.pid}`);
    mkdirSync(outdir, { recursive: true });
    const app = new App({ outdir, context: { 'aws:cdk:enable-asset-metadata': true } });
    stack = new TocsinStack(app, 'Tocsin', { config: CONFIG });
    template = Template.fromStack(stack);

    // The functions' environment, with the table, topics and queues on the emulators.
    const resources = await createTestResources('sam', aws);
    const prefix = uniquePrefix('sam');
    ({ QueueUrl: escalationQueueUrl = '' } = await aws.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-escalation` })));
    ({ QueueUrl: pagerQueueUrl = '' } = await aws.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-pager` })));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl: pagerQueueUrl, AttributeNames: ['QueueArn'] }));
    await aws.sns.send(new SubscribeCommand({ TopicArn: resources.pageTopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn! }));
    Object.assign(process.env, {
      [ENV.tableName]: resources.tableName,
      [ENV.config]: JSON.stringify(stack.config),
      [ENV.pageTopicArn]: resources.pageTopicArn,
      [ENV.escalationQueueUrl]: escalationQueueUrl,
    });
    store = new DynamoDbIncidentStore({ tableName: resources.tableName });
    // Synthesis bundles every function with esbuild: on a busy machine that alone can take a minute.
  }, 180_000);
  afterAll(() => {
    aws.destroy();
    rmSync(outdir, { recursive: true, force: true });
  });

  it('gives every function an asset path whose index.js exports handler', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const ours = Object.values(functions).filter((f) => f.Metadata?.['aws:asset:path']);
    expect(ours.length).toBeGreaterThanOrEqual(10);
    for (const fn of ours) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const bundle = require(join(outdir, fn.Metadata['aws:asset:path'] as string, 'index.js')) as { handler?: unknown };
      expect(typeof bundle.handler).toBe('function');
    }
  });

  it('runs the ingest bundle on the sample EventBridge alarm event against DynamoDB Local', async () => {
    // Act
    const handler = bundledHandler<unknown, { action: string; incidentId: string }>(stack.ingest.function);
    const result = await handler(loadEvent('eventbridge/alarm-state-change-alarm.json'));

    // Assess: announced (its component is participant-facing), on-call paged, the duty manager next.
    expect(result.action).toBe('opened');
    const record = await store.incidentRecord(result.incidentId);
    expect(record?.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
    expect(record?.incident).toMatchObject({ pagedStage: 0, nextEscalation: { step: 1, at: record!.incident.openedAt + 1000 } });
  });

  it('runs the pages bundle on the sample stream event: the page to the pages topic, the timer to the escalation queue', async () => {
    // Prepare
    const event = loadEvent<DynamoDBStreamEvent>('dynamodb-stream/page-and-timer-inserts.json');
    const handler = bundledHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>(stack.paging.function);

    // Act
    const result = await handler(event);

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    const [delivery] = await receive(pagerQueueUrl, 1);
    const envelope = JSON.parse(delivery!.Body!) as { Message: string; MessageAttributes: Record<string, { Value: string }> };
    expect(JSON.parse(envelope.Message)).toMatchObject({ schema: 'tocsin.page/v1', pageId: 'inc-20200930-220413-3fa9c1-p1', type: 'opened', stage: 'on-call' });
    expect(envelope.MessageAttributes.stage?.Value).toBe('on-call');
    // Long overdue (it was due in 2020), so it is queued without a delay.
    const [timer] = await receive(escalationQueueUrl, 1);
    expect(JSON.parse(timer!.Body!)).toEqual({ incidentId: 'inc-20200930-220413-3fa9c1', step: 1, at: 1601503753000 });
  });

  it('runs the escalate bundle on the sample SQS event: a timer whose incident is gone changes nothing', async () => {
    // Prepare
    const handler = bundledHandler<SQSEvent, SQSBatchResponse>(stack.paging.escalateFunction);

    // Act
    const result = await handler(loadEvent<SQSEvent>('sqs/escalation-timer.json'));

    // Assess
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await store.readIncident('inc-20200930-220413-3fa9c1')).toBeUndefined();
  });

  it('runs the escalate bundle on the sample SQS event carrying a due timer: the duty manager is paged', async () => {
    // Prepare: an incident of its own (another sample alarm), and its timer once it is due.
    const ingest = bundledHandler<unknown, { action: string; incidentId: string }>(stack.ingest.function);
    const { incidentId } = await ingest(loadEvent('eventbridge/alarm-state-change-metric-math-alarm.json'));
    const { nextEscalation } = (await store.readIncident(incidentId))!;
    await new Promise((r) => setTimeout(r, Math.max(0, nextEscalation!.at - Date.now()) + 50));
    const sample = loadEvent<SQSEvent>('sqs/escalation-timer.json');
    const event: SQSEvent = { Records: [{ ...sample.Records[0]!, body: JSON.stringify({ incidentId, ...nextEscalation }) }] };
    const handler = bundledHandler<SQSEvent, SQSBatchResponse>(stack.paging.escalateFunction);

    // Act
    const result = await handler(event);

    // Assess: paged the last stage, so nothing further is scheduled.
    expect(result).toEqual({ batchItemFailures: [] });
    const record = await store.incidentRecord(incidentId);
    expect(record?.incident).toMatchObject({ pagedStage: 1 });
    expect(record?.incident.nextEscalation).toBeUndefined();
    expect(record?.timeline.map((entry) => entry.kind)).toContain('escalated');
  });
});
