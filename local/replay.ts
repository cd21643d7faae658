import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, DeleteMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import type { TocsinConfigInput } from '../lambda/core/config';
import type { Notice, Page, TimelineEntry } from '../lambda/core/model';
import { marketClock } from '../lambda/core/notice-text';
import { percent } from '../lambda/core/quorum';
import { startLocalRuntime, type LocalRuntime, type RunningEmulators } from './runtime';

/**
 * `npm start`: the morning of 1 October 2020 at the Tokyo Stock Exchange, replayed on the local
 * runtime in accelerated time. Unit 1 of the shared disk device fails at 07:04; the real system
 * never switched to unit 2, told participants at 8:01 and announced the halt at 8:36. Here the
 * same failure meets Tocsin: heartbeats, promotion, an alarm storm folded into one incident,
 * participants' queues with their own filter policies, an operator's halt and resumption.
 *
 * Then the afternoon 2020 did not have: TSE had "no rules for resuming trading", so the whole day
 * was lost. Under the rules it wrote in 2021, the operator polls the participants at noon, they
 * answer, the quorum (50 % of trading value, 30 % of retail trading value, 5 retail brokers) is
 * reached, and trading resumes with the afternoon session, orders accepted 15 minutes before.
 * `no-quorum`: too few participants are ready, the gate refuses, the 14:30 cut-off passes, and
 * trading resumes the next morning.
 */

export type Scenario = 'tse-2020' | 'no-standby' | 'no-quorum';
export const SCENARIOS: readonly Scenario[] = ['tse-2020', 'no-standby', 'no-quorum'];

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

/** One step of the afternoon: the poll, an answer and the tally after it, a refusal, the scheduling, the resumption. */
export interface ResumptionStep {
  readonly at: number;
  readonly kind: 'poll' | 'answer' | 'refused' | 'scheduled' | 'resumed';
  readonly text: string;
  readonly participantId?: string;
  readonly ready?: boolean;
  /** The HTTP status of a refusal. */
  readonly status?: number;
  readonly tally?: { valueShare: number; retailValueShare: number; retailParticipants: number; met: boolean; missing: string[]; notReady?: string[] };
}

export interface ReplayResult {
  readonly scenario: Scenario;
  /** The afternoon, step by step (TSE's resumption rules since 2021). */
  readonly resumption: readonly ResumptionStep[];
  readonly incidents: { id: string; summary: string; severity: string; timeline: TimelineEntry[] }[];
  readonly participants: ReplayParticipant[];
  /** What the on-call operator's pager received (the pages topic, filtered on stage `on-call`). */
  readonly pages: Page[];
  /** Simulated times (epoch ms) of the moments the 2020 report measured. */
  readonly moments: {
    fault: number;
    detected?: number;
    operatorsPaged?: number;
    participantsTold?: number;
    haltAnnounced?: number;
    failover?: number;
    readinessAlarm?: number;
    /** The readiness poll's notice. */
    polled?: number;
    /** The answer that made the quorum. */
    quorumReached?: number;
    resumed?: number;
  };
  readonly promotedTo?: string;
}

/** 07:00:00 JST on 1 October 2020. */
export const REPLAY_START = Date.parse('2020-10-01T07:00:00+09:00');
const FAULT = Date.parse('2020-10-01T07:04:00+09:00');

/** The market's zone: every time the story prints, and every text Tocsin writes for people in it, is Tokyo time. */
export const REPLAY_TIME_ZONE = 'Asia/Tokyo';

/**
 * Ten trading participants with made-up shares of trading value and of retail (individual
 * investors') trading value: together 74 % of the market's value and 50 % of its retail value,
 * six of them retail brokers. TSE has about 90; ten keep the replay readable.
 */
const PARTICIPANTS: NonNullable<TocsinConfigInput['participants']> = [
  { id: 'broker-a', name: 'Broker A Securities', tradingValueShare: 0.18, retailValueShare: 0.02 },
  { id: 'broker-b', name: 'Broker B Securities', tradingValueShare: 0.14, retailValueShare: 0.01 },
  { id: 'broker-c', name: 'Broker C (institutional)', tradingValueShare: 0.12 },
  { id: 'broker-d', name: 'Broker D Online', tradingValueShare: 0.08, retail: true, retailValueShare: 0.12 },
  { id: 'broker-e', name: 'Broker E Online', tradingValueShare: 0.06, retail: true, retailValueShare: 0.09 },
  { id: 'broker-f', name: 'Broker F Securities', tradingValueShare: 0.05, retail: true, retailValueShare: 0.08 },
  { id: 'broker-g', name: 'Broker G Net', tradingValueShare: 0.04, retail: true, retailValueShare: 0.07 },
  { id: 'broker-h', name: 'Broker H Securities', tradingValueShare: 0.03, retail: true, retailValueShare: 0.06 },
  { id: 'broker-i', name: 'Broker I Securities', tradingValueShare: 0.02, retail: true, retailValueShare: 0.05 },
  { id: 'broker-j', name: 'Broker J (proprietary)', tradingValueShare: 0.02 },
];

export const REPLAY_CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['first', 'second', 'mothers', 'jasdaq'], timeZone: REPLAY_TIME_ZONE, sameDayResumeCutoff: '14:30' }],
  components: [
    // The shared disk is a market fact: participants hear of its failures; the servers' own alarms reach operators only.
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'market-data', market: 'equities' },
    { id: 'surveillance', market: 'equities' },
  ],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
  participants: PARTICIPANTS,
  // One fault, one incident: every alarm that concerns the market joins the open incident.
  // Resumption by TSE's 2021 rules: 50 % of trading value, 30 % of retail value, 5 retail brokers.
  policy: { groupBy: 'market', haltOnCritical: false, resumeLeadMinutes: 15, resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 5 } },
};

/** Noon: recovery in sight (the restarted system checked); the afternoon session opens at 12:30. */
const NOON = Date.parse('2020-10-01T12:00:00+09:00');
const NEXT_MORNING = Date.parse('2020-10-02T09:00:00+09:00');
const tokyo = (local: string) => Date.parse(`${local}+09:00`);

/** Who answers, when, and what: enough for the quorum at 12:15, or (`no-quorum`) never enough. */
const ANSWERS: Record<'quorum' | 'no-quorum', Array<{ at: string; participantId: string; ready: boolean; note?: string }>> = {
  quorum: [
    { at: '12:02', participantId: 'broker-a', ready: true },
    { at: '12:03', participantId: 'broker-d', ready: true },
    { at: '12:05', participantId: 'broker-b', ready: true },
    { at: '12:06', participantId: 'broker-e', ready: true },
    { at: '12:08', participantId: 'broker-j', ready: false, note: 'order gateway restart in progress' },
    { at: '12:09', participantId: 'broker-f', ready: true },
    { at: '12:11', participantId: 'broker-c', ready: true },
    { at: '12:12', participantId: 'broker-g', ready: true },
    { at: '12:15', participantId: 'broker-h', ready: true },
  ],
  'no-quorum': [
    { at: '12:03', participantId: 'broker-a', ready: true },
    { at: '12:05', participantId: 'broker-d', ready: true },
    { at: '12:10', participantId: 'broker-b', ready: false, note: 'order gateway cannot reconnect after the restart' },
    { at: '12:12', participantId: 'broker-e', ready: true },
    { at: '12:20', participantId: 'broker-c', ready: false, note: 'clients not reachable before the close' },
    { at: '12:25', participantId: 'broker-f', ready: true },
  ],
};

const SUBSCRIBERS: { name: string; filterPolicy?: Record<string, string[]> }[] = [
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
  const resumption: ResumptionStep[] = [];
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
      SUBSCRIBERS.map(async (p) => {
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
    const post = async (url: string, body: unknown): Promise<Record<string, any>> => {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: response.status, ...((await response.json()) as Record<string, any>) };
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

    // The afternoon 2020 did not have. The quiet hours until the restarted system is checked pass at once.
    clock.set(NOON);
    const operate = (body: Record<string, unknown>) => post(runtime.endpoints.operateUrl, { as: 'ops-tanaka', ...body });
    const respondBy = scenario === 'no-quorum' ? tokyo('2020-10-01T13:00:00') : tokyo('2020-10-01T12:20:00');
    const poll = await operate({ command: 'poll-readiness', respondBy: new Date(respondBy).toISOString(), note: 'Trading may resume with the afternoon session at 12:30.' });
    const pollId = String(poll.pollId ?? '');
    resumption.push({ at: clock.now(), kind: 'poll', text: poll.ok ? `operator polls ${PARTICIPANTS.length} participants (${pollId}), answers by ${hhmm(respondBy)}` : `poll refused (${poll.error})` });
    progress(`${hhmm(clock.now())} readiness poll ${poll.ok ? `${pollId} sent to ${PARTICIPANTS.length} participants` : `refused (${poll.error})`}`);
    let quorumReached: number | undefined;
    for (const answer of ANSWERS[scenario === 'no-quorum' ? 'no-quorum' : 'quorum']) {
      clock.set(tokyo(`2020-10-01T${answer.at}:00`));
      const reply = await post(runtime.endpoints.respondUrl, { pollId, participantId: answer.participantId, ready: answer.ready, ...(answer.note ? { note: answer.note } : {}) });
      const tally = reply.tally as ResumptionStep['tally'];
      resumption.push({ at: clock.now(), kind: 'answer', participantId: answer.participantId, ready: answer.ready, text: answer.note ?? '', ...(tally ? { tally } : {}) });
      if (tally?.met && quorumReached === undefined) quorumReached = clock.now();
    }
    const schedule = async (effectiveAt: number, override?: string) => {
      const reply = await operate({ command: 'schedule-resume', effectiveAt: new Date(effectiveAt).toISOString(), ...(override ? { override } : {}), note: 'Orders accepted 15 minutes before.' });
      if (reply.ok) {
        resumption.push({ at: clock.now(), kind: 'scheduled', text: `resumption scheduled for ${day(effectiveAt)}, orders accepted from ${day(effectiveAt - 15 * 60_000)}${override ? `; override: ${override}` : ''}` });
      } else {
        resumption.push({ at: clock.now(), kind: 'refused', status: reply.status, text: `schedule-resume for ${day(effectiveAt)} refused (${reply.status}): ${reply.error}`, ...(reply.state?.tally ? { tally: reply.state.tally } : {}) });
      }
      progress(`${hhmm(clock.now())} schedule-resume for ${day(effectiveAt)}: ${reply.ok ? 'scheduled' : `refused (${reply.status})`}`);
      return reply.ok ? effectiveAt : undefined;
    };
    let effectiveAt: number | undefined;
    if (scenario === 'no-quorum') {
      // Not enough participants: the gate refuses; the poll closes at 13:00; the 14:30 cut-off passes.
      clock.set(tokyo('2020-10-01T12:40:00'));
      await schedule(tokyo('2020-10-01T13:00:00'));
      clock.set(tokyo('2020-10-01T14:31:00'));
      await schedule(tokyo('2020-10-01T14:50:00'));
      // The next trading day opens as usual: scheduled by override, recorded and announced.
      effectiveAt = await schedule(NEXT_MORNING, 'Next trading day: normal opening at 09:00 (no same-day resumption after the 14:30 cut-off).');
    } else {
      // Quorum at 12:15: trading resumes 15 minutes ahead, with the afternoon session at 12:30;
      // order acceptance opens at once (the 15-minute lead).
      effectiveAt = await schedule(clock.now() + 15 * 60_000);
    }
    if (effectiveAt !== undefined) {
      clock.set(effectiveAt);
      const resumed = await operate({ command: 'resume' });
      resumption.push({ at: clock.now(), kind: 'resumed', text: resumed.ok ? 'trading resumed' : `resume refused (${resumed.error})` });
      progress(`${day(clock.now())} ${resumed.ok ? 'trading resumed' : `resume refused (${resumed.error})`}`);
    }

    await runtime.drainNotices(20_000);
    for (const q of queues) q.received.push(...(await drain<Notice>(sqs, q.url)));
    const pages = (await drain<Page>(sqs, pagerUrl!)).sort((a, b) => a.issuedAt.localeCompare(b.issuedAt));
    return await summarize(runtime, scenario, queues, pages, detected, promotedTo, resumption, quorumReached);
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
  resumption: ResumptionStep[],
  quorumReached: number | undefined,
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
    resumption,
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
      ...(first('readiness-poll') !== undefined ? { polled: first('readiness-poll')! } : {}),
      ...(quorumReached !== undefined ? { quorumReached } : {}),
      ...(first('resume') !== undefined ? { resumed: first('resume')! } : {}),
    },
    ...(promotedTo ? { promotedTo } : {}),
  };
}

/** `07:04:12` in Tokyo time (the market's zone, through Intl rather than a fixed offset). */
export function hhmm(ms: number): string {
  return marketClock(ms, REPLAY_TIME_ZONE).local.split(' ')[1]!;
}

/** The Tokyo calendar day, `2020-10-01`. */
function tokyoDate(ms: number): string {
  return marketClock(ms, REPLAY_TIME_ZONE).local.split(' ')[0]!;
}

/** `12:30:00` on the day of the fault, `2020-10-02 09:00:00` on another. */
export function day(ms: number): string {
  return tokyoDate(ms) === tokyoDate(FAULT) ? hhmm(ms) : `${tokyoDate(ms)} ${hhmm(ms)}`;
}

/** `+84 s`, `+11 min`, `+5 h 26 min`: how long after the fault. */
function after(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 600) return `+${s} s`;
  const minutes = Math.round(s / 60);
  return minutes < 60 ? `+${minutes} min` : `+${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}


/** `text` in lines of at most `width` characters, at spaces; continuation lines indented. */
function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  const lead = /^ */.exec(text)![0];
  let line = lead;
  for (const word of text.slice(lead.length).split(' ')) {
    if (line.length + word.length + 1 > width && line.trim()) {
      lines.push(line);
      line = indent + word;
    } else line = line.trim() ? `${line} ${word}` : `${line}${word}`;
  }
  if (line.trim()) lines.push(line);
  return lines;
}

const TITLES: Record<Scenario, string> = {
  'tse-2020': 'TSE, 1 October 2020',
  'no-standby': 'TSE 2020, with a standby that was never ready',
  'no-quorum': 'TSE 2020, with too few participants ready to resume the same day',
};

/** The readable report: the timeline, 2020 against Tocsin, the afternoon, and what each participant received. */
export function report(result: ReplayResult): string {
  const lines: string[] = [];
  const since = (ms?: number) => {
    if (ms === undefined) return 'never';
    const s = Math.round((ms - result.moments.fault) / 1000);
    return `${day(ms)} (${s < 0 ? `${-s} s before the fault` : after(ms - result.moments.fault)})`;
  };
  lines.push(`Tocsin replay: ${TITLES[result.scenario]}`);
  lines.push('');
  lines.push('Timeline (Tokyo time)');
  // The timeline, with what the on-call pager received woven in.
  const paged = result.pages.map((p) => ({ at: Date.parse(p.issuedAt), entryId: `~page-${p.pageId}`, kind: `page: ${p.type}`, actor: `pager ${p.stage}`, text: p.summary, incident: p.incidentId }));
  // Within one simulated second: the opening first, then what was paged, then the rest in entry order.
  const rank = (kind: string) => (kind === 'incident-opened' ? 0 : kind.startsWith('page:') ? 1 : 2);
  const entries = [...result.incidents.flatMap((i) => i.timeline.map((e) => ({ ...e, incident: i.id }))), ...paged].sort(
    (a, b) => a.at - b.at || rank(a.kind) - rank(b.kind) || a.entryId.localeCompare(b.entryId),
  );
  let date = tokyoDate(result.moments.fault);
  for (const e of entries) {
    if (tokyoDate(e.at) !== date) {
      date = tokyoDate(e.at);
      lines.push(`  ── ${date} ──`);
    }
    const actor = e.actor.replace(/^alarm:(?:ingest:)?arrowhead\//, 'alarm ').replace(/^alarm:arn:aws:cloudwatch:[^:]+:\d+:alarm:/, 'cloudwatch ');
    lines.push(`  ${hhmm(e.at)}  ${e.kind.padEnd(22)} ${actor.padEnd(24).slice(0, 24)} ${e.text.slice(0, 90)}`);
  }
  lines.push('');
  const poll = result.resumption.find((r) => r.kind === 'poll');
  const scheduled = result.resumption.find((r) => r.kind === 'scheduled');
  lines.push('                        2020 (real)        Tocsin (this run)');
  lines.push(`  fault                 07:04              ${hhmm(result.moments.fault)}`);
  lines.push(`  detected              07:04              ${since(result.moments.detected)}`);
  lines.push(`  on-call paged         07:04 (alarms)     ${since(result.moments.operatorsPaged)}`);
  lines.push(`  failover              never              ${result.scenario === 'no-standby' ? `refused: no ready standby (readiness alarm at ${result.moments.readinessAlarm ? hhmm(result.moments.readinessAlarm) : '?'}, before the fault)` : since(result.moments.failover)}`);
  lines.push(`  participants told     08:01 (+57 min)    ${since(result.moments.participantsTold)}`);
  lines.push(`  halt announced        08:36 (+92 min)    ${since(result.moments.haltAnnounced)}`);
  lines.push(`  readiness poll        none (no rules)    ${poll ? since(result.moments.polled ?? poll.at) : 'never'}`);
  lines.push(`  quorum reached        none               ${result.moments.quorumReached !== undefined ? since(result.moments.quorumReached) : 'never (the gate refused; see below)'}`);
  lines.push(`  resumption scheduled  none               ${scheduled ? since(scheduled.at) : 'never'}`);
  lines.push(`  trading resumed       next day           ${since(result.moments.resumed)}`);
  lines.push('');
  lines.push("Resuming trading (TSE's rules since 2021: participants ready must hold >= 50 % of trading value,");
  lines.push('>= 30 % of retail trading value, and count >= 5 retail brokers; no same-day resumption after 14:30)');
  for (const step of result.resumption) {
    const t = step.tally;
    switch (step.kind) {
      case 'answer':
        lines.push(
          `  ${day(step.at)}  ${String(step.participantId).padEnd(9)} ${(step.ready ? 'ready' : 'not ready').padEnd(10)}` +
            (t ? ` value ${percent(t.valueShare).padStart(6)}  retail ${percent(t.retailValueShare).padStart(6)}  retail brokers ${t.retailParticipants}  ${t.met ? 'QUORUM MET' : 'not met'}` : '') +
            (step.text ? `  "${step.text}"` : ''),
        );
        break;
      case 'refused': {
        // The gate's refusal by its tally; the cut-off's by its own words, wrapped.
        const why = t
          ? `quorum not met: value ${percent(t.valueShare)}, retail ${percent(t.retailValueShare)}, retail brokers ${t.retailParticipants}; not answered: ${t.missing.join(', ') || 'none'}`
          : step.text.replace(/^.*?refused \(\d+\): (invalid command: effectiveAt: )?/, '');
        const head = step.text.replace(/ refused \(\d+\):.*$/, ` refused (${step.status})`);
        lines.push(...wrap(`  ${day(step.at)}  ${head}: ${why}`, 110, ' '.repeat(12)));
        break;
      }
      default:
        lines.push(`  ${day(step.at)}  ${step.text}`);
    }
  }
  lines.push('');
  lines.push(`Incidents: ${result.incidents.length}`);
  for (const i of result.incidents) lines.push(`  ${i.id}  ${i.severity}  ${i.summary}`);
  lines.push('');
  lines.push('What each participant received');
  for (const p of result.participants) {
    lines.push(`  ${p.name} ${p.filterPolicy ? JSON.stringify(p.filterPolicy) : '(everything)'}`);
    for (const n of p.received) lines.push(`    #${n.sequence} ${n.type.padEnd(17)} ${day(Date.parse(n.issuedAt))}  ${n.summary.slice(0, 80)}`);
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
