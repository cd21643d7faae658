import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Page } from '../lambda/core/model';
import { startLocalRuntime } from '../local/runtime';

/**
 * Operators' side, through serve mode exactly as a user runs it: the time from an alarm's POST to
 * its `opened` page in an SQS queue subscribed to the pages topic (stage on-call), and how far
 * from its time the second stage (duty-manager, 5 s) is paged — by the page's `issuedAt` and by
 * its arrival in the duty-manager's queue.
 */
export async function benchPaging(incidents = 20): Promise<Record<string, unknown>> {
  const escalateAfterSeconds = 5;
  const folder = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, JSON.stringify({ policy: { escalation: { stages: [{ name: 'on-call', afterSeconds: 0 }, { name: 'duty-manager', afterSeconds: escalateAfterSeconds }] } } }));
  const runtime = await startLocalRuntime({ prefix: `bench-${Date.now()}`, configFile: file }).catch((error: unknown) => {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  });
  const sns = new SNSClient({ endpoint: runtime.endpoints.snsEndpoint, region: runtime.endpoints.region, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } });
  const sqs = new SQSClient({ endpoint: runtime.endpoints.sqsEndpoint, region: runtime.endpoints.region, credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' }, useQueueUrlAsEndpoint: false });
  try {
    const queueFor = async (stage: string) => {
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `bench-pages-${stage}-${Date.now()}` }));
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
      await sns.send(new SubscribeCommand({ TopicArn: runtime.endpoints.pageTopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn!, Attributes: { FilterPolicy: JSON.stringify({ stage: [stage] }) } }));
      return QueueUrl!;
    };
    const onCall = await queueFor('on-call');
    const dutyManager = await queueFor('duty-manager');
    const arrived = new Map<string, { page: Page; at: number }>();
    let receiving = true;
    const receive = async (queueUrl: string) => {
      while (receiving) {
        const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        const at = Date.now();
        if (!Messages?.length) continue;
        for (const m of Messages) {
          const page = JSON.parse(JSON.parse(m.Body!).Message) as Page;
          arrived.set(`${page.incidentId}/${page.stage}`, { page, at });
        }
        await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    };
    const receivers = [receive(onCall), receive(dutyManager)];

    const posted = new Map<string, number>();
    for (let i = 0; i < incidents; i += 1) {
      const started = Date.now();
      const response = await fetch(runtime.endpoints.ingestUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dedupKey: `bench-page-${i}`, status: 'firing', severity: 'major', component: 'bench', summary: `bench alarm ${i}`, occurredAt: new Date(started).toISOString() }),
      });
      const { incidentId } = (await response.json()) as { incidentId: string };
      posted.set(incidentId, started);
      // Spread over a few seconds, so the pages relay and the escalation queue see them one by one.
      await new Promise((r) => setTimeout(r, 250));
    }
    const deadline = Date.now() + (escalateAfterSeconds + 30) * 1000;
    while (Date.now() < deadline && [...posted.keys()].some((id) => !arrived.has(`${id}/duty-manager`))) await new Promise((r) => setTimeout(r, 100));
    receiving = false;
    await Promise.all(receivers);

    const latency = [...posted].flatMap(([id, at]) => (arrived.has(`${id}/on-call`) ? [arrived.get(`${id}/on-call`)!.at - at] : [])).sort((a, b) => a - b);
    const escalations = [...posted.keys()].flatMap((id) => {
      const got = arrived.get(`${id}/duty-manager`);
      if (!got) return [];
      const due = Date.parse(got.page.openedAt) + escalateAfterSeconds * 1000;
      return [{ issued: Date.parse(got.page.issuedAt) - due, arrived: got.at - due }];
    });
    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
      return sorted.length ? { min: sorted[0]!, p50: at(0.5), p99: at(0.99), max: sorted.at(-1)! } : {};
    };
    return {
      measuredAgainst: `local serve mode (DynamoDB Local stream poller, fauxqs SNS → SQS, SQS delay queue poller), real time, Node ${process.version}`,
      incidents,
      pagesReceived: { onCall: latency.length, dutyManager: escalations.length },
      alarmToOnCallPageInQueueMs: stats(latency),
      escalationAfterSeconds: escalateAfterSeconds,
      escalationErrorMs: { byIssuedAt: stats(escalations.map((e) => e.issued)), byArrivalInQueue: stats(escalations.map((e) => e.arrived)) },
      target: 'every stage paged within 5 s of its time (shared/DESIGN.md, "Two audiences")',
    };
  } finally {
    sns.destroy();
    sqs.destroy();
    await runtime.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
