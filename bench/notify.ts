import { performance } from 'node:perf_hooks';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import { SnsNoticePublisher } from '../lambda/adapters/sns-publisher';
import { parseConfig } from '../lambda/core/config';
import { ingestSignal } from '../lambda/core/service';
import { createNotifyHandler } from '../lambda/handlers/notify';
import { createLocalResources } from '../local/resources';
import { StreamPoller } from '../local/stream-poller';

/**
 * `npm run bench` (notify part): the notify handler's time per batch of 10 outbox notices and
 * the SNS publish calls per notice, against DynamoDB Local and fauxqs on this machine.
 */
export async function benchNotify(): Promise<Record<string, unknown>> {
  const { startEmulators } = await import('../local/emulators.mjs');
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

    const config = parseConfig({});
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
    return {
      measuredAgainst: `DynamoDB Local 3.3 (in memory) and fauxqs 1.9.2 on 127.0.0.1, in-process handler, Node ${process.version}`,
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
