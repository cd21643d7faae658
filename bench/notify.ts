import { performance } from 'node:perf_hooks';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import { SnsNoticePublisher } from '../lambda/adapters/sns-publisher';
import { parseConfig } from '../lambda/core/config';
import { ingestSignal } from '../lambda/core/use-cases/ingest-signal';
import { createNotifyHandler } from '../lambda/handlers/notify';
import { createLocalResources } from '../local/resources';
import { StreamPoller } from '../local/stream-poller';

/**
 * `npm run bench` (notify part): the notify handler's time per batch of 10 outbox notices and
 * the SNS publish calls per notice, against DynamoDB Local and fauxqs on this machine.
 */
export async function benchNotify(): Promise<Record<string, unknown>> {
  const { startEmulators, emulatorVersions } = await import('../local/emulators.mjs');
  const emulators = await startEmulators();
  try {
    Object.assign(process.env, emulators.environment);
    const resources = await createLocalResources(`bench-${Date.now()}`);
    const store = new DynamoDbIncidentStore({ tableName: resources.tableName });
    const sns = new SNSClient({});
    let publishCalls = 0;
    let messages = 0;
    sns.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PublishBatchCommand') {
          publishCalls += 1;
          messages += (args.input as { PublishBatchRequestEntries?: unknown[] }).PublishBatchRequestEntries?.length ?? 0;
        }
        return next(args);
      },
      { step: 'initialize', name: 'countPublishes' },
    );
    const notify = createNotifyHandler({ publisher: new SnsNoticePublisher(resources.noticeTopicArn, sns), outbox: store });
    const batchMs: number[] = [];
    const sizes: number[] = [];
    const poller = new StreamPoller({
      streamArn: resources.streamArn,
      pollIntervalMs: 10,
      handler: async (event) => {
        const started = performance.now();
        const result = await notify(event);
        batchMs.push(performance.now() - started);
        sizes.push(event.Records.length);
        return result;
      },
    });

    // A participant-facing component at the announcing severity: each alarm is one participant notice.
    const config = parseConfig({ components: [{ id: 'bench', participantFacing: true }], policy: { announceSeverity: 'major' } });
    const batches = 30;
    const notices = batches * 10;
    for (let i = 0; i < notices; i += 1) {
      const now = Date.now();
      await ingestSignal(
        store,
        { dedupKey: `bench-${i}`, status: 'firing', severity: 'major', component: 'bench', summary: `bench alarm ${i}`, occurredAt: now, source: 'monitor' },
        { context: () => ({ now, config, newIncidentId: () => `inc-bench-${i}` }) },
      );
    }
    await poller.drain(60_000);
    await poller.stop();
    sns.destroy();

    const full = batchMs.filter((_, i) => sizes[i] === 10).sort((a, b) => a - b);
    const pick = (q: number) => Number(full[Math.min(full.length - 1, Math.floor(q * full.length))]!.toFixed(1));
    const versions = emulatorVersions();
    return {
      measuredAgainst: `DynamoDB Local ${versions.dynamodbLocal} (in memory) and fauxqs ${versions.fauxqs} on 127.0.0.1, in-process handler, Node ${process.version}`,
      notices,
      batchesOf10: full.length,
      msPerBatchOf10: { p50: pick(0.5), p99: pick(0.99), max: pick(1) },
      snsMessagesPerNotice: Number((messages / notices).toFixed(3)),
      publishBatchCallsPerNotice: Number((publishCalls / notices).toFixed(3)),
    };
  } finally {
    await emulators.stop();
  }
}

/**
 * Publishes per notice for 1, 10 and 100 subscribers: Tocsin publishes each notice once; SNS
 * fans it out. Counts the SNS messages sent per notice, and checks every queue got every notice.
 */
export async function benchFanout(subscriberCounts = [1, 10, 100], noticesPerRun = 10): Promise<Record<string, unknown>> {
  const { startEmulators, emulatorVersions } = await import('../local/emulators.mjs');
  const emulators = await startEmulators();
  const { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } = await import('@aws-sdk/client-sqs');
  const { SubscribeCommand } = await import('@aws-sdk/client-sns');
  try {
    Object.assign(process.env, emulators.environment);
    const runs: Record<string, unknown> = {};
    for (const subscribers of subscriberCounts) {
      const resources = await createLocalResources(`fanout-${subscribers}-${Date.now()}`);
      const sns = new SNSClient({});
      const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
      let messages = 0;
      sns.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PublishBatchCommand') messages += (args.input as { PublishBatchRequestEntries?: unknown[] }).PublishBatchRequestEntries?.length ?? 0;
          return next(args);
        },
        { step: 'initialize', name: 'countMessages' },
      );
      const queues: string[] = [];
      for (let i = 0; i < subscribers; i += 1) {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `fanout-${subscribers}-${i}-${Date.now()}` }));
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
        await sns.send(new SubscribeCommand({ TopicArn: resources.noticeTopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn! }));
        queues.push(QueueUrl!);
      }
      const publisher = new SnsNoticePublisher(resources.noticeTopicArn, sns);
      const now = new Date().toISOString();
      const notices = Array.from({ length: noticesPerRun }, (_, i) => ({
        schema: 'tocsin.notice/v1' as const,
        noticeId: `inc-fanout-n${i + 1}`,
        type: 'update' as const,
        incidentId: 'inc-fanout',
        sequence: i + 1,
        typeSequence: i + 1,
        market: 'equities',
        segments: [],
        severity: 'info' as const,
        issuedAt: now,
        effectiveAt: now,
        summary: 'fan-out benchmark',
        detail: {},
      }));
      await publisher.publish(notices);
      let delivered = 0;
      for (const url of queues) {
        for (;;) {
          const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
          if (!Messages?.length) break;
          delivered += Messages.length;
        }
      }
      runs[`${subscribers} subscribers`] = { snsMessagesPerNotice: messages / noticesPerRun, deliveredPerNotice: delivered / noticesPerRun };
      sns.destroy();
      sqs.destroy();
    }
    return { measuredAgainst: `fauxqs ${emulatorVersions().fauxqs} SNS fan-out to SQS queues on 127.0.0.1, Node ${process.version}`, target: 'exactly 1 publish per notice whatever the number of subscribers', runs };
  } finally {
    await emulators.stop();
  }
}
