import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import type { TocsinConfigInput } from '../lambda/core/config';
import type { Notice, Page, TimelineEntry } from '../lambda/core/model';
import { marketClock } from '../lambda/core/notice-text';
import { startLocalRuntime, type LocalRuntime, type RunningEmulators } from './runtime';

/**
 * `npm start`: the morning of 1 October 2020 at the Tokyo Stock Exchange, replayed on the local
 * runtime in accelerated time. Unit 1 of the shared disk device fails at 07:04; the real system
 * never switched to unit 2, told participants at 8:01 and announced the halt at 8:36. Here the
 * same failure meets Tocsin: heartbeats, promotion, an alarm storm folded into one incident,
 * participants' queues with their own filter policies, an operator's halt and resumption.
 */

export type Scenario = 'tse-2020' | 'no-standby';

export interface ReplayOptions {
  readonly scenario?: Scenario;
  /** Simulated seconds per real second (Infinity: as fast as the machine goes). @default 20 */
  readonly speed?: number;
  /** Progress lines (stderr). @default none */
  readonly progress?: (line: string) => void;
  /** Emulators already running (tests). @default start new ones */
  readonly emulators?: RunningEmulators;
  /** When the replay's morning begins (the fault is at 07:04 JST). @default 07:00 JST */
  readonly start?: number;
}

export interface ReplayParticipant {
  readonly name: string;
  readonly filterPolicy?: Record<string, string[]>;
  readonly received: Notice[];
}

export interface ReplayResult {
  readonly scenario: Scenario;
  readonly incidents: { id: string; summary: string; severity: string; timeline: TimelineEntry[] }[];
  readonly participants: ReplayParticipant[];
  /** What the on-call operator's pager received (the pages topic, filtered on stage `on-call`). */
  readonly pages: Page[];
  /** Simulated times (epoch ms) of the moments the 2020 report measured. */
  readonly moments: { fault: number; detected?: number; operatorsPaged?: number; participantsTold?: number; haltAnnounced?: number; failover?: number; readinessAlarm?: number; resumed?: number };
  readonly promotedTo?: string;
}

/** 07:00:00 JST on 1 October 2020. */
export const REPLAY_START = Date.parse('2020-10-01T07:00:00+09:00');
const FAULT = Date.parse('2020-10-01T07:04:00+09:00');

/** The market's zone: every time the story prints, and every text Tocsin writes for people in it, is Tokyo time. */
export const REPLAY_TIME_ZONE = 'Asia/Tokyo';

export const REPLAY_CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['first', 'second', 'mothers', 'jasdaq'], timeZone: REPLAY_TIME_ZONE }],
  components: [
    // The shared disk is a market fact: participants hear of its failures; the servers' own alarms reach operators only.
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'market-data', market: 'equities' },
    { id: 'surveillance', market: 'equities' },
  ],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
  // One fault, one incident: every alarm that concerns the market joins the open incident.
  policy: { groupBy: 'market', haltOnCritical: false, resumeLeadMinutes: 15 },
};

const PARTICIPANTS: { name: string; filterPolicy?: Record<string, string[]> }[] = [
  { name: 'broker-a', filterPolicy: { market: ['equities'] } },
  { name: 'risk-desk', filterPolicy: { type: ['halt', 'resume-scheduled', 'resume'] } },
  { name: 'vendor-x' },
];

/**
 * The replay's clock: simulated time that moves only when the replay steps it, second by second,
 * so that what happens (heartbeats every 2 s, a promoter check every 2 s between them) does not
 * depend on how busy the machine is. Each simulated second takes 1/speed of a real second, so a
 * person can watch it; a test may step as fast as the machine allows.
 */
class SimulatedClock {
  private current: number;
  public constructor(
    start: number,
    public readonly speed: number,
  ) {
    this.current = start;
  }
  public now = (): number => this.current;
  public set(time: number): void {
    this.current = time;
  }
  public tick(ms: number): Promise<void> {
    this.current += ms;
    return Number.isFinite(this.speed) ? new Promise((r) => setTimeout(r, ms / this.speed)) : Promise.resolve();
  }
}

export async function replay(options: ReplayOptions = {}): Promise<ReplayResult> {
  const scenario = options.scenario ?? 'tse-2020';
  const progress = options.progress ?? (() => {});
  const clock = new SimulatedClock(options.start ?? REPLAY_START, options.speed ?? 20);
  const config: TocsinConfigInput = scenario === 'no-standby' ? { ...REPLAY_CONFIG, policy: { ...REPLAY_CONFIG.policy, haltOnCritical: true } } : REPLAY_CONFIG;
  const folder = mkdtempSync(join(tmpdir(), 'tocsin-replay-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const runtime = await startLocalRuntime({
    prefix: `replay-${Date.now().toString(36)}`,
    configFile: file,
    clock: clock.now,
    speed: Number.isFinite(clock.speed) ? clock.speed : 1000,
    manualPromoter: true,
    ...(options.emulators ? { emulators: options.emulators } : {}),
  });
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  try {
    const sns = new SNSClient({});
    const queues = await Promise.all(
      PARTICIPANTS.map(async (p) => {
        const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${runtime.endpoints.tableName}-${p.name}` }));
        const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
        await sns.send(
          new SubscribeCommand({
            TopicArn: runtime.endpoints.noticeTopicArn,
            Protocol: 'sqs',
            Endpoint: Attributes!.QueueArn!,
            ...(p.filterPolicy ? { Attributes: { FilterPolicy: JSON.stringify(p.filterPolicy), FilterPolicyScope: 'MessageAttributes' } } : {}),
          }),
        );
        return { ...p, url: QueueUrl!, received: [] as Notice[] };
      }),
    );
    // The on-call operator's pager: a queue on the pages topic, filtered on the stage.
    const { QueueUrl: pagerUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${runtime.endpoints.tableName}-on-call` }));
    const { Attributes: pagerAttributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: pagerUrl, AttributeNames: ['QueueArn'] }));
    await sns.send(
      new SubscribeCommand({
        TopicArn: runtime.endpoints.pageTopicArn,
        Protocol: 'sqs',
        Endpoint: pagerAttributes!.QueueArn!,
        Attributes: { FilterPolicy: JSON.stringify({ stage: ['on-call'] }), FilterPolicyScope: 'MessageAttributes' },
      }),
    );
    sns.destroy();
    const post = async (url: string, body: unknown) => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return (await response.json()) as Record<string, any>;
    };

    // The two units of the shared disk device heartbeat every 2 s (simulated); the promoter
    // checks every 2 s in between. `advance` moves the morning on, one second at a time.
    const unit1Alive = () => clock.now() < FAULT;
    const standbyReady = scenario !== 'no-standby';
    let promotedTo: string | undefined;
    const advance = async (ms: number) => {
      const until = clock.now() + ms;
      while (clock.now() < until) {
        await clock.tick(1000);
        const second = Math.round(clock.now() / 1000);
        if (second % 2 === 0) {
          const beats: Promise<Record<string, any>>[] = [post(runtime.endpoints.heartbeatUrl, { group: 'shared-disk', nodeId: 'unit-2', ready: standbyReady })];
          if (unit1Alive()) beats.push(post(runtime.endpoints.heartbeatUrl, { group: 'shared-disk', nodeId: 'unit-1', ready: true, epoch: 1 }));
          const [standby] = await Promise.all(beats);
          if (standby?.role === 'primary') promotedTo = 'unit-2';
        } else {
          await runtime.checkLeases();
        }
      }
    };
    await post(runtime.endpoints.heartbeatUrl, { group: 'shared-disk', nodeId: 'unit-1', ready: true });
    progress(`${hhmm(clock.now()).slice(0, 5)} the day begins: unit-1 primary, unit-2 standby, three participants subscribed`);

    // 07:04 the memory fault; the monitors of the servers that share the disk start to fire.
    await advance(FAULT - clock.now());
    progress('07:04 unit-1 of the shared disk device fails; alarms storm in');
    const storm = [
      ...['md-01', 'md-02', 'md-03', 'md-04', 'md-05', 'md-06'].map((s) => ({ component: 'market-data', server: s })),
      ...['sv-01', 'sv-02', 'sv-03'].map((s) => ({ component: 'surveillance', server: s })),
      { component: 'shared-disk', server: 'unit-1' },
    ];
    let detected: number | undefined;
    for (let round = 0; round < 3; round += 1) {
      for (const { component, server } of storm) {
        // The disk unit's own alarm is a CloudWatch alarm (through the alarm path, as EventBridge
        // delivers it); the servers' monitors post monitor events to the ingest URL.
        const reply =
          component === 'shared-disk'
            ? await post(runtime.endpoints.alarmEventsUrl, cloudWatchAlarmEvent(clock.now()))
            : await post(runtime.endpoints.ingestUrl, {
                dedupKey: `arrowhead/${server}/io`,
                status: 'firing',
                severity: 'major',
                component,
                market: 'equities',
                summary: `${server}: disk I/O errors`,
                occurredAt: new Date(clock.now()).toISOString(),
              });
        detected ??= reply.incidentId ? clock.now() : undefined;
      }
      await advance(3000);
    }

    // The operator acknowledges, then declares the halt (the decision TSE took at 8:36).
    await advance(45_000);
    const open = await new DynamoDbIncidentStore({ tableName: runtime.endpoints.tableName }).openIncidents();
    const incident = open.find((i) => i.market === 'equities' && !i.groupKey.startsWith('manual:'));
    if (incident) {
      await post(runtime.endpoints.operateUrl, { command: 'ack', incidentId: incident.id, as: 'ops-tanaka' });
      // What participants are told beyond the facts the alarms carried (TSE's 第N報).
      await advance(15_000);
      await post(runtime.endpoints.operateUrl, {
        command: 'announce',
        incidentId: incident.id,
        as: 'ops-tanaka',
        note: 'A hardware failure affects the equities trading system. Next update by 07:30.',
      });
    }
    await advance(15_000);
    const halt = await post(runtime.endpoints.operateUrl, {
      command: 'declare-halt',
      ...(incident ? { incidentId: incident.id } : {}),
      as: 'ops-tanaka',
      note: 'All-day suspension of trading: shared disk failure.',
    });
    progress(`${hhmm(clock.now())} operator: ${halt.ok ? 'halt declared' : `halt refused (${halt.error})`}`);

    // The resumption: scheduled with the 15-minute order-acceptance lead, then the clock skips ahead.
    const effectiveAt = clock.now() + 20 * 60_000;
    await post(runtime.endpoints.operateUrl, { command: 'schedule-resume', effectiveAt: new Date(effectiveAt).toISOString(), as: 'ops-tanaka', note: 'Orders accepted 15 minutes before.' });
    progress(`${hhmm(clock.now())} resumption scheduled for ${hhmm(effectiveAt)}`);
    // The quiet minutes until the resumption pass at once (heartbeats would only repeat).
    clock.set(effectiveAt);
    const resumed = await post(runtime.endpoints.operateUrl, { command: 'resume', as: 'ops-tanaka' });
    progress(`${hhmm(clock.now())} ${resumed.ok ? 'trading resumed' : `resume refused (${resumed.error})`}`);

    await runtime.drainNotices(20_000);
    for (const q of queues) q.received.push(...(await drain<Notice>(sqs, q.url)));
    const pages = (await drain<Page>(sqs, pagerUrl!)).sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
    return await summarize(runtime, scenario, queues, pages, detected, promotedTo);
  } finally {
    sqs.destroy();
    await runtime.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** Every message delivered to a queue (SNS envelopes unwrapped); notices in issue and sequence order. */
async function drain<T extends { issuedAt: string }>(sqs: SQSClient, queueUrl: string): Promise<T[]> {
  const messages: T[] = [];
  for (;;) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    if (!Messages?.length) break;
    for (const m of Messages) {
      messages.push(JSON.parse(JSON.parse(m.Body!).Message) as T);
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return messages.sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || Number((a as { sequence?: number }).sequence ?? 0) - Number((b as { sequence?: number }).sequence ?? 0));
}

async function summarize(
  runtime: LocalRuntime,
  scenario: Scenario,
  queues: ReplayParticipant[],
  pages: Page[],
  detected: number | undefined,
  promotedTo: string | undefined,
): Promise<ReplayResult> {
  const store = new DynamoDbIncidentStore({ tableName: runtime.endpoints.tableName });
  const ids = new Set<string>();
  for (const q of queues) for (const n of q.received) ids.add(n.incidentId);
  // Operators hear of every incident, participants only of market facts: both lists name incidents.
  for (const p of pages) ids.add(p.incidentId);
  const records = (await Promise.all([...ids].map((id) => store.incidentRecord(id)))).filter((r) => r !== undefined);
  const all = queues.flatMap((q) => q.received);
  const first = (type?: string) => all.filter((n) => !type || n.type === type).map((n) => Date.parse(n.issuedAt)).sort((a, b) => a - b)[0];
  const failoverEntry = records.flatMap((r) => r.timeline).find((e) => e.kind === 'failover');
  const readiness = records.find((r) => r.timeline.some((e) => e.kind === 'incident-opened' && e.actor.startsWith('alarm:tocsin:readiness:')));
  return {
    scenario,
    incidents: records.map((r) => ({ id: r.incident.id, summary: r.incident.summary, severity: r.incident.severity, timeline: [...r.timeline] })),
    participants: queues.map((q) => ({ name: q.name, ...(q.filterPolicy ? { filterPolicy: q.filterPolicy } : {}), received: q.received })),
    pages,
    moments: {
      fault: FAULT,
      ...(detected !== undefined ? { detected } : {}),
      ...(pages.some((p) => p.type === 'opened' && Date.parse(p.issuedAt) >= FAULT) ? { operatorsPaged: Math.min(...pages.filter((p) => p.type === 'opened' && Date.parse(p.issuedAt) >= FAULT).map((p) => Date.parse(p.issuedAt))) } : {}),
      ...(first() !== undefined ? { participantsTold: first()! } : {}),
      ...(first('halt') !== undefined ? { haltAnnounced: first('halt')! } : {}),
      ...(failoverEntry ? { failover: failoverEntry.at } : {}),
      ...(readiness ? { readinessAlarm: readiness.incident.openedAt } : {}),
      ...(first('resume') !== undefined ? { resumed: first('resume')! } : {}),
    },
    ...(promotedTo ? { promotedTo } : {}),
  };
}

/** `07:04:12` in Tokyo time (the market's zone, through Intl rather than a fixed offset). */
export function hhmm(ms: number): string {
  return marketClock(ms, REPLAY_TIME_ZONE).local.split(' ')[1]!;
}

/** The readable report: the timeline, 2020 against Tocsin, and what each participant received. */
export function report(result: ReplayResult): string {
  const lines: string[] = [];
  const since = (ms?: number) => {
    if (ms === undefined) return 'never';
    const s = Math.round((ms - result.moments.fault) / 1000);
    return `${hhmm(ms)} (${s < 0 ? `${-s} s before the fault` : `+${s} s`})`;
  };
  lines.push(`Tocsin replay: ${result.scenario === 'tse-2020' ? 'TSE, 1 October 2020' : 'TSE 2020, with a standby that was never ready'}`);
  lines.push('');
  lines.push('Timeline (Tokyo time)');
  // The timeline, with what the on-call pager received woven in.
  const paged = result.pages.map((p) => ({ at: Date.parse(p.issuedAt), entryId: `~page-${p.pageId}`, kind: `page: ${p.type}`, actor: `pager ${p.stage}`, text: p.summary, incident: p.incidentId }));
  // Within one simulated second: the opening first, then what was paged, then the rest in entry order.
  const rank = (kind: string) => (kind === 'incident-opened' ? 0 : kind.startsWith('page:') ? 1 : 2);
  const entries = [...result.incidents.flatMap((i) => i.timeline.map((e) => ({ ...e, incident: i.id }))), ...paged].sort(
    (a, b) => a.at - b.at || rank(a.kind) - rank(b.kind) || a.entryId.localeCompare(b.entryId),
  );
  for (const e of entries) lines.push(`  ${hhmm(e.at)}  ${e.kind.padEnd(22)} ${e.actor.replace(/^alarm:(?:ingest:)?arrowhead\//, 'alarm ').replace(/^alarm:arn:aws:cloudwatch:[^:]+:\d+:alarm:/, 'cloudwatch ').padEnd(24).slice(0, 24)} ${e.text.slice(0, 90)}`);
  lines.push('');
  lines.push('                        2020 (real)        Tocsin (this run)');
  lines.push(`  fault                 07:04              ${hhmm(result.moments.fault)}`);
  lines.push(`  detected              07:04              ${since(result.moments.detected)}`);
  lines.push(`  on-call paged         07:04 (alarms)     ${since(result.moments.operatorsPaged)}`);
  lines.push(`  failover              never              ${result.scenario === 'no-standby' ? `refused: no ready standby (readiness alarm at ${result.moments.readinessAlarm ? hhmm(result.moments.readinessAlarm) : '?'}, before the fault)` : since(result.moments.failover)}`);
  lines.push(`  participants told     08:01 (+57 min)    ${since(result.moments.participantsTold)}`);
  lines.push(`  halt announced        08:36 (+92 min)    ${since(result.moments.haltAnnounced)}`);
  lines.push(`  trading resumed       next day           ${since(result.moments.resumed)}`);
  lines.push('');
  lines.push(`Incidents: ${result.incidents.length}`);
  for (const i of result.incidents) lines.push(`  ${i.id}  ${i.severity}  ${i.summary}`);
  lines.push('');
  lines.push('What each participant received');
  for (const p of result.participants) {
    lines.push(`  ${p.name} ${p.filterPolicy ? JSON.stringify(p.filterPolicy) : '(everything)'}`);
    for (const n of p.received) lines.push(`    #${n.sequence} ${n.type.padEnd(17)} ${hhmm(Date.parse(n.issuedAt))}  ${n.summary.slice(0, 80)}`);
  }
  lines.push('');
  lines.push('What the on-call operator was paged (every incident, internal ones too)');
  for (const p of result.pages) lines.push(`    ${p.type.padEnd(15)} ${hhmm(Date.parse(p.issuedAt))}  ${p.severity.padEnd(8)} ${p.announced ? 'announced ' : 'internal  '} ${p.summary.slice(0, 70)}`);
  return lines.join('\n');
}

/** The "CloudWatch Alarm State Change" event of unit 1's memory alarm (shape: events/eventbridge/). */
function cloudWatchAlarmEvent(now: number): Record<string, unknown> {
  const time = new Date(now).toISOString();
  return {
    version: '0',
    id: `replay-${now}`,
    'detail-type': 'CloudWatch Alarm State Change',
    source: 'aws.cloudwatch',
    account: '123456789012',
    time,
    region: 'ap-northeast-1',
    resources: ['arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:arrowhead-shared-disk-unit-1-memory'],
    detail: {
      alarmName: 'arrowhead-shared-disk-unit-1-memory',
      state: { value: 'ALARM', reason: 'Memory errors on unit 1 of the shared disk device', timestamp: time },
      previousState: { value: 'OK', reason: 'Threshold not crossed', timestamp: new Date(now - 86_400_000).toISOString() },
      configuration: { description: 'Memory fault on shared disk unit 1. component=shared-disk severity=critical market=equities' },
    },
  };
}
