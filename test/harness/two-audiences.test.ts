import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { Notice, Page } from '../../lambda/core/model';
import { parsePage } from '../../lambda/core/page';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, testClients, uniquePrefix, type TestAws } from '../helpers/aws';

/**
 * The two audiences through serve mode (shared/DESIGN.md, "Two audiences"): operators subscribe
 * a queue to the pages topic per stage, participants a queue to the notices topic; alarms page
 * on-call at once, escalate while unacknowledged, and reach participants only when they are
 * market facts.
 */
describe('two audiences, through serve mode', () => {
  let runtime: LocalRuntime;
  let aws: TestAws;
  let folder: string;
  const queues: Record<'onCall' | 'dutyManager' | 'participant', string> = { onCall: '', dutyManager: '', participant: '' };

  async function subscribedQueue(topicArn: string, filterPolicy?: object): Promise<string> {
    const { QueueUrl } = await aws.sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('q') }));
    const { Attributes } = await aws.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await aws.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes!.QueueArn!, ...(filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(filterPolicy) } } : {}) }),
    );
    return QueueUrl!;
  }

  /** Every message in a queue so far (SNS envelopes unwrapped), removed from it. */
  async function take<T>(queueUrl: string, waitSeconds = 1): Promise<T[]> {
    const out: T[] = [];
    for (;;) {
      const { Messages } = await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: out.length ? 0 : waitSeconds }));
      if (!Messages?.length) return out;
      out.push(...Messages.map((m) => JSON.parse(JSON.parse(m.Body!).Message) as T));
      await aws.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    }
  }

  /** Waits until `queueUrl` has received something, up to `seconds`. */
  async function until<T>(queueUrl: string, seconds: number, accept: (items: T[]) => boolean): Promise<T[]> {
    const got: T[] = [];
    const deadline = Date.now() + seconds * 1000;
    while (Date.now() < deadline) {
      got.push(...(await take<T>(queueUrl)));
      if (accept(got)) break;
    }
    return got;
  }

  async function post(url: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: response.status, body: await response.json() };
  }

  const alarm = (component: string, severity = 'critical') => ({
    dedupKey: uniquePrefix(component),
    status: 'firing',
    severity,
    component,
    summary: `${component} is failing`,
    occurredAt: new Date().toISOString(),
  });

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'tocsin-audiences-'));
    const configFile = join(folder, 'config.json');
    writeFileSync(
      configFile,
      JSON.stringify({
        components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
        policy: { escalation: { stages: [{ name: 'on-call', afterSeconds: 0 }, { name: 'duty-manager', afterSeconds: 3 }] } },
      }),
    );
    runtime = await startLocalRuntime({ prefix: uniquePrefix('aud'), configFile, emulators: suiteEmulators() });
    aws = testClients();
    queues.onCall = await subscribedQueue(runtime.endpoints.pageTopicArn, { stage: ['on-call'] });
    queues.dutyManager = await subscribedQueue(runtime.endpoints.pageTopicArn, { stage: ['duty-manager'] });
    queues.participant = await subscribedQueue(runtime.endpoints.noticeTopicArn);
  });
  afterAll(async () => {
    aws?.destroy();
    await runtime?.stop();
    rmSync(folder, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await Promise.all(Object.values(queues).map((q) => take(q, 0)));
  });

  it('pages on-call at once for an unknown component, reaches no participant, and escalates to the duty manager while unacknowledged', async () => {
    // Act
    const opened = await post(runtime.endpoints.ingestUrl, alarm('billing'));
    const onCall = await until<Page>(queues.onCall, 10, (pages) => pages.length > 0);
    const dutyManager = await until<Page>(queues.dutyManager, 15, (pages) => pages.length > 0);
    await runtime.drainNotices();

    // Assess
    expect(opened.status).toBe(202);
    expect(onCall.map((p) => parsePage(p))).toEqual([
      expect.objectContaining({ schema: 'tocsin.page/v1', type: 'opened', stage: 'on-call', incidentId: opened.body.incidentId, component: 'billing', announced: false }),
    ]);
    expect(dutyManager).toEqual([expect.objectContaining({ type: 'escalated', stage: 'duty-manager', incidentId: opened.body.incidentId })]);
    // Never before its time: 3 s after the incident opened.
    expect(Date.parse(dutyManager[0]!.issuedAt) - Date.parse(dutyManager[0]!.openedAt)).toBeGreaterThanOrEqual(3000);
    expect(await take<Notice>(queues.participant)).toEqual([]);
  });

  it('stops escalating when on-call acknowledges, and tells on-call it was acknowledged', async () => {
    // Act
    const opened = await post(runtime.endpoints.ingestUrl, alarm('surveillance', 'major'));
    const ack = await post(runtime.endpoints.operateUrl, { command: 'ack', incidentId: opened.body.incidentId, as: 'tanaka' });
    const onCall = await until<Page>(queues.onCall, 10, (pages) => pages.length >= 2);
    // Past the duty manager's time: nothing comes.
    await new Promise((r) => setTimeout(r, 4500));
    await runtime.drainNotices();

    // Assess
    expect(ack.status).toBe(200);
    expect(onCall.map((p) => [p.type, p.stage])).toEqual([
      ['opened', 'on-call'],
      ['acknowledged', 'on-call'],
    ]);
    expect(await take<Page>(queues.dutyManager)).toEqual([]);
  });

  it('tells participants and operators of a critical alarm on a participant-facing component', async () => {
    // Act
    const opened = await post(runtime.endpoints.ingestUrl, alarm('shared-disk'));
    await runtime.drainNotices();
    const notices = await until<Notice>(queues.participant, 10, (n) => n.length > 0);
    const pages = await until<Page>(queues.onCall, 10, (p) => p.length > 0);
    await post(runtime.endpoints.operateUrl, { command: 'ack', incidentId: opened.body.incidentId });

    // Assess
    expect(notices.map((n) => [n.type, n.sequence, n.incidentId])).toEqual([['incident-opened', 1, opened.body.incidentId]]);
    expect(pages).toEqual([expect.objectContaining({ type: 'opened', stage: 'on-call', announced: true })]);
  });

  it('announces an internal incident only when an operator says so, then numbers updates', async () => {
    // Act
    const opened = await post(runtime.endpoints.ingestUrl, alarm('market-data', 'major'));
    const first = await post(runtime.endpoints.operateUrl, { command: 'announce', incidentId: opened.body.incidentId, note: 'Market data delayed; investigating.' });
    const second = await post(runtime.endpoints.operateUrl, { command: 'announce', incidentId: opened.body.incidentId, note: 'Cause found; recovery in 20 minutes.' });
    await post(runtime.endpoints.operateUrl, { command: 'ack', incidentId: opened.body.incidentId });
    await runtime.drainNotices();
    const notices = await until<Notice>(queues.participant, 10, (n) => n.length >= 2);

    // Assess
    expect([first.body.action, second.body.action]).toEqual(['announced', 'updated']);
    expect(notices.map((n) => [n.type, n.sequence, n.summary])).toEqual([
      ['incident-opened', 1, 'Market data delayed; investigating.'],
      ['update', 2, 'Cause found; recovery in 20 minutes.'],
    ]);
  });

  it('records a silenced alarm on the timeline and pages nobody, lists the silence, and pages on-call when an operator ends it', async () => {
    // Prepare: a maintenance window on the shared disk for the next hour.
    const silence = await post(runtime.endpoints.operateUrl, {
      command: 'silence',
      matchers: { component: 'shared-disk' },
      until: new Date(Date.now() + 3600_000).toISOString(),
      note: 'disk firmware update',
      as: 'tanaka',
    });

    // Act
    const opened = await post(runtime.endpoints.ingestUrl, alarm('shared-disk'));
    await runtime.drainNotices();
    const quiet = await until<Page>(queues.onCall, 3, (pages) => pages.length > 0);
    const status = (await (await fetch(runtime.endpoints.statusUrl)).json()) as any;
    const detail = (await (await fetch(`${runtime.endpoints.statusUrl}incidents/${opened.body.incidentId}`)).json()) as any;
    const ended = await post(runtime.endpoints.operateUrl, { command: 'unsilence', silenceId: silence.body.silenceId, as: 'tanaka' });
    const paged = await until<Page>(queues.onCall, 10, (pages) => pages.length > 0);
    await post(runtime.endpoints.operateUrl, { command: 'ack', incidentId: opened.body.incidentId });

    // Assess
    expect(silence).toEqual({ status: 200, body: expect.objectContaining({ ok: true, command: 'silence', silenceId: expect.stringMatching(/^sil-/) }) });
    expect(quiet).toEqual([]);
    expect(await take<Notice>(queues.participant)).toEqual([]);
    expect(status.silences).toEqual([expect.objectContaining({ silenceId: silence.body.silenceId, matchers: { component: 'shared-disk' }, inForce: true, note: 'disk firmware update', createdBy: 'tanaka' })]);
    expect(status.incidents).toContainEqual(expect.objectContaining({ incidentId: opened.body.incidentId, silenced: { silenceId: silence.body.silenceId, until: expect.any(String) } }));
    expect(detail.timeline[0]).toEqual(expect.objectContaining({ kind: 'incident-opened', text: expect.stringContaining(`(silenced by ${silence.body.silenceId})`) }));
    expect(ended).toEqual({ status: 200, body: expect.objectContaining({ ok: true, action: 'unsilenced', silenceId: silence.body.silenceId }) });
    expect(paged).toEqual([expect.objectContaining({ type: 'opened', stage: 'on-call', incidentId: opened.body.incidentId, announced: false })]);
  });
});
