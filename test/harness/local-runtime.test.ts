import { FAST_POLL_MS } from '../../lambda/core/lease';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Notice } from '../../lambda/core/model';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { loadEvent } from '../helpers/events';

/**
 * The local runtime as a participant and a monitor see it: Function URLs on 127.0.0.1 that take
 * the deployed requests, and notices in an SQS queue subscribed to the notices topic. It runs on
 * the suite's emulators (local-lifecycle.test.ts covers the runtime starting its own).
 */
describe('local runtime', () => {
  let runtime: LocalRuntime;
  let aws: TestAws;
  beforeAll(async () => {
    runtime = await startLocalRuntime({
      prefix: uniquePrefix('rt'),
      emulators: suiteEmulators(),
    });
    aws = testClients();
  });
  afterAll(async () => {
    aws?.destroy();
    await runtime?.stop();
  });

  async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  }

  it('turns a monitor event and an operator command into notices a subscribed queue receives', async () => {
    // Prepare: a participant subscribes its queue.
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('participant') }));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await aws.sns.send(new SubscribeCommand({ TopicArn: runtime.endpoints.noticeTopicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn! }));
    const monitorEvent = JSON.parse(loadEvent<{ body: string }>('function-url/monitor-event-firing.json').body);

    // Act
    const ingested = await post(runtime.endpoints.ingestUrl, monitorEvent);
    const halted = await post(runtime.endpoints.operateUrl, { command: 'declare-halt', incidentId: ingested.body.incidentId, as: 'tanaka' });
    await runtime.drainNotices();

    // Assess
    expect(ingested).toEqual({ status: 202, body: { incidentId: expect.stringMatching(/^inc-/), action: 'opened' } });
    expect(halted.status).toBe(200);
    expect(halted.body).toMatchObject({ ok: true, action: 'halted', market: { status: 'halted' } });
    const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const notices = (Messages ?? []).map((m) => JSON.parse(JSON.parse(m.Body!).Message) as Notice);
    expect(notices.map((n) => `${n.sequence}:${n.type}`)).toEqual(['1:incident-opened', '2:halt']);
    expect(notices[1]!.fix).toEqual({ TradSesStatus: 1, SecurityTradingStatus: 2, HaltReason: 5 });
  });

  it('takes CloudWatch alarm events on the alarm path, as EventBridge and SNS deliver them', async () => {
    const eventbridge = await post(runtime.endpoints.alarmEventsUrl, loadEvent('eventbridge/alarm-state-change-alarm.json'));
    expect(eventbridge).toEqual({ status: 200, body: { incidentId: expect.stringMatching(/^inc-/), action: expect.stringMatching(/opened|attached|inhibited/) } });
    const sns = await post(runtime.endpoints.alarmEventsUrl, loadEvent('sns/cloudwatch-alarm-notification.json'));
    expect(sns.status).toBe(200);
    expect(sns.body).toEqual([expect.objectContaining({ incidentId: eventbridge.body.incidentId })]);
    const bad = await post(runtime.endpoints.alarmEventsUrl, loadEvent('invalid/eventbridge-unknown-state-value.json'));
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/detail\.state\.value/);
  });

  it('answers like a Function URL: 400 naming the field, 405 with Allow', async () => {
    const bad = await post(runtime.endpoints.ingestUrl, { dedupKey: 'k' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^invalid monitor event: /);
    const get = await fetch(runtime.endpoints.operateUrl);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('passes bytes that are not UTF-8 through as Lambda passes binary, so they are refused with 415, not read as U+FFFD', async () => {
    // Prepare: a monitor event whose summary holds the byte 0xFF
    const body = Buffer.concat([Buffer.from('{"dedupKey":"utf8","status":"firing","severity":"major","component":"x","summary":"bad '), Buffer.from([0xff]), Buffer.from('","occurredAt":"2020-10-01T07:04:00Z"}')]);

    // Act
    const response = await fetch(runtime.endpoints.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

    // Assess
    expect(response.status).toBe(415);
    expect(((await response.json()) as { error: string }).error).toMatch(/not valid UTF-8/);
  });

  it('serves the monitor URL, which refuses a request without a bearer token', async () => {
    const response = await fetch(`${runtime.endpoints.monitorUrl}alertmanager`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });

    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="tocsin"');
    expect(await response.json()).toEqual({ error: 'missing or invalid bearer token' });
  });
});

describe('local runtime: failover over real time', () => {
  it('promotes the standby after the primary stops heartbeating, and fences it', async () => {
    // Prepare: a short lease, so the test takes seconds (heartbeat 1 s, lease 4 s, check 1 s).
    const folder = mkdtempSync(join(tmpdir(), 'tocsin-'));
    const file = join(folder, 'config.json');
    writeFileSync(file, JSON.stringify({ groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], heartbeatSeconds: 1, leaseDurationSeconds: 4, checkIntervalSeconds: 1 }] }));
    const runtime = await startLocalRuntime({
      prefix: uniquePrefix('fo'),
      configFile: file,
      emulators: suiteEmulators(),
    });
    const beat = async (nodeId: string, epoch?: number) => {
      const response = await fetch(runtime.endpoints.heartbeatUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ group: 'shared-disk', nodeId, ready: true, ...(epoch ? { epoch } : {}) }),
      });
      return (await response.json()) as { role: string; epoch: number; holder: string; nextHeartbeatMs: number };
    };

    try {
      // Act: both heartbeat for 3 s, then only unit-2.
      expect(await beat('unit-1')).toEqual({ role: 'primary', epoch: 1, holder: 'unit-1', nextHeartbeatMs: 1000 });
      let reply = await beat('unit-2');
      for (let i = 0; i < 3; i += 1) {
        await new Promise((r) => setTimeout(r, 1000));
        await beat('unit-1', 1);
        reply = await beat('unit-2');
      }
      const lastPrimaryBeat = Date.now();
      // The standby heartbeats when its reply says: sooner once the primary looks silent.
      const waits: number[] = [];
      while (reply.holder !== 'unit-2' && Date.now() - lastPrimaryBeat < 30_000) {
        waits.push(reply.nextHeartbeatMs);
        await new Promise((r) => setTimeout(r, reply.nextHeartbeatMs));
        reply = await beat('unit-2');
      }
      const promotedAfter = Date.now() - lastPrimaryBeat;

      // Assess: never before the lease ran out (how soon after is a benchmark's business).
      expect(reply).toEqual({ role: 'primary', epoch: 2, holder: 'unit-2', nextHeartbeatMs: 1000 });
      expect(promotedAfter).toBeGreaterThanOrEqual(4000);
      expect(waits).toContain(FAST_POLL_MS);
      expect(await beat('unit-1', 1)).toEqual({ role: 'fenced', epoch: 2, holder: 'unit-2', nextHeartbeatMs: 1000 });
      expect(await beat('unit-2', 2)).toEqual({ role: 'primary', epoch: 2, holder: 'unit-2', nextHeartbeatMs: 1000 });
    } finally {
      await runtime.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
