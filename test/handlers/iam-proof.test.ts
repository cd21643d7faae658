import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import { DynamoDbRateLimiter } from '../../lambda/adapters/dynamodb-rate-limiter';
import { documentClient, DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { tokenSha256 } from '../../lambda/adapters/monitor-auth';
import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import { failoverKey, readinessKey } from '../../lambda/core/lease';
import type { EscalationTimer, Notice } from '../../lambda/core/model';
import type { NoticePublisher, PublishResult } from '../../lambda/core/outbox';
import type { EscalationQueue, PublicSitePublisher } from '../../lambda/core/ports';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { recordHeartbeat } from '../../lambda/core/use-cases/heartbeat';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { ESCALATION_SAFETY_NET_MS } from '../../lambda/core/use-cases/sweep';
import { createEscalateHandler } from '../../lambda/handlers/escalate';
import { createHeartbeatHandler } from '../../lambda/handlers/heartbeat';
import { createIngestHandler } from '../../lambda/handlers/ingest';
import { createMonitorHandler } from '../../lambda/handlers/monitor';
import { createNotifyHandler } from '../../lambda/handlers/notify';
import { createOperateHandler } from '../../lambda/handlers/operate';
import { createPromoteHandler } from '../../lambda/handlers/promote';
import { createPublicSiteHandler } from '../../lambda/handlers/public-site';
import { createRedriveHandler, REDRIVE_AFTER_MS } from '../../lambda/handlers/redrive';
import { createRespondHandler } from '../../lambda/handlers/respond';
import { createStatusHandler } from '../../lambda/handlers/status';
import { createSweepHandler } from '../../lambda/handlers/sweep';
import { HEARTBEAT_STORE_ACCESS, PROMOTE_STORE_ACCESS } from '../../lib/failover';
import { INGEST_STORE_ACCESS, SWEEP_STORE_ACCESS } from '../../lib/ingest';
import { NOTIFY_STORE_ACCESS, REDRIVE_STORE_ACCESS } from '../../lib/notices';
import { OPERATE_STORE_ACCESS } from '../../lib/operations';
import { ESCALATE_STORE_ACCESS } from '../../lib/paging';
import { PUBLIC_SITE_STORE_ACCESS } from '../../lib/public-status';
import { RESPOND_STORE_ACCESS } from '../../lib/readiness-polls';
import { STATUS_STORE_ACCESS } from '../../lib/status-page';
import type { StoreAccess } from '../../lib/store-access';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, SECOND, T0, TestClock } from '../helpers/domain';
import { functionUrlEvent, loadEvent } from '../helpers/events';
import { loadFixture } from '../helpers/fixtures';

/**
 * DynamoDB Local enforces no IAM, so a handler that calls an action (or an index) its function's
 * role is not granted passes every other test and fails in AWS (`unsilence` querying gsi1 under
 * an `OPERATE_STORE_ACCESS` without it did). Here each handler that works on the table runs
 * through scenarios covering its paths with a store whose SDK client records every command; each
 * command is turned into the IAM actions AWS authorizes it by, and the set must lie within the
 * `StoreAccess` its construct grants (`grantStoreAccess` in lib/; test/infra pins each construct to
 * its constant). `pages` is absent: it reads the stream and never calls the table.
 *
 *   handler ─ store ─ DocumentClient ─ [recorder: command → (action, resource)] ─ DynamoDB Local
 *   setup   ─ store ─ DocumentClient ───────────────────────────────────────────┘ (not recorded)
 */

/** One IAM authorization a command needs: the action, on the table or on one index. */
interface Authorization {
  readonly action: string;
  /** `table`, or `index/<name>`; another table's name when a command names one. */
  readonly resource: string;
}

/** The IAM actions of a DynamoDB command (AWS authorizes a transaction by its items' actions). */
function authorizationsOf(commandName: string, input: Record<string, any>, tableName: string): Authorization[] {
  const on = (name: unknown, index?: unknown) => (name !== tableName ? `table ${String(name)}` : index ? `index/${String(index)}` : 'table');
  const single: Record<string, string> = {
    GetItemCommand: 'dynamodb:GetItem',
    PutItemCommand: 'dynamodb:PutItem',
    UpdateItemCommand: 'dynamodb:UpdateItem',
    DeleteItemCommand: 'dynamodb:DeleteItem',
    QueryCommand: 'dynamodb:Query',
    ScanCommand: 'dynamodb:Scan',
  };
  const transactItem: Record<string, string> = { Put: 'dynamodb:PutItem', Update: 'dynamodb:UpdateItem', Delete: 'dynamodb:DeleteItem', ConditionCheck: 'dynamodb:ConditionCheckItem', Get: 'dynamodb:GetItem' };
  if (single[commandName]) return [{ action: single[commandName]!, resource: on(input.TableName, input.IndexName) }];
  if (commandName === 'BatchGetItemCommand' || commandName === 'BatchWriteItemCommand') {
    const action = commandName === 'BatchGetItemCommand' ? 'dynamodb:BatchGetItem' : 'dynamodb:BatchWriteItem';
    return Object.keys(input.RequestItems ?? {}).map((name) => ({ action, resource: on(name) }));
  }
  if (commandName === 'TransactWriteItemsCommand' || commandName === 'TransactGetItemsCommand') {
    return (input.TransactItems as Record<string, { TableName: string }>[]).flatMap((item) =>
      Object.entries(item).map(([kind, request]) => ({ action: transactItem[kind] ?? `unmapped transaction item ${kind}`, resource: on(request.TableName) })),
    );
  }
  // Anything else (PartiQL, DescribeTable, …) fails the proof until it is mapped here.
  return [{ action: `unmapped command ${commandName}`, resource: on(input.TableName) }];
}

const granted = (access: StoreAccess, { action, resource }: Authorization): boolean =>
  resource === 'table' ? access.tableActions.includes(action) : resource.startsWith('index/') && (access.indexActions?.[resource.slice('index/'.length)] ?? []).includes(action);

const describeAccess = (access: StoreAccess): string =>
  [`table [${access.tableActions.join(', ')}]`, ...Object.entries(access.indexActions ?? {}).map(([index, actions]) => `index/${index} [${actions.join(', ')}]`)].join('; ');

/** A recorded call: what it needed, and the scenario that made it. */
interface Recorded extends Authorization {
  readonly scenario: string;
}

/**
 * The store (and rate limiter) a handler under proof is given, on a client that records every
 * command, and `scenario(name, act)`, which names the calls `act` makes.
 */
class Probe {
  public readonly calls: Recorded[] = [];
  /** Store methods the handler called (listed with TOCSIN_IAM_PROOF_LIST=1). */
  public readonly methods = new Set<string>();
  public readonly emptyScenarios: string[] = [];
  public readonly store: DynamoDbIncidentStore;
  public readonly limiter: DynamoDbRateLimiter;
  /** An unrecorded store on the same table, for preparing state. */
  public readonly setup: DynamoDbIncidentStore;
  private current = '(outside any scenario)';
  private readonly raw = new DynamoDBClient({});

  public constructor(public readonly tableName: string) {
    this.raw.middlewareStack.add(
      (next, context) => async (args) => {
        const input = args.input as Record<string, any>;
        for (const authorization of authorizationsOf(context.commandName!, input, tableName)) this.calls.push({ ...authorization, scenario: this.current });
        return next(args);
      },
      { step: 'initialize', name: 'iamProofRecorder' },
    );
    const client = documentClient(this.raw);
    const store = new DynamoDbIncidentStore({ tableName, client });
    // Records the store methods called on it; the calls inside them go through the proxy too.
    this.store = new Proxy(store, {
      get: (target, property, receiver) => {
        const value = Reflect.get(target, property, receiver);
        if (typeof value === 'function' && typeof property === 'string') this.methods.add(property);
        return value;
      },
    });
    this.limiter = new DynamoDbRateLimiter(tableName, client);
    this.setup = new DynamoDbIncidentStore({ tableName });
  }

  public async scenario(name: string, act: () => Promise<unknown>): Promise<void> {
    const before = this.calls.length;
    this.current = name;
    try {
      await act();
    } finally {
      this.current = '(outside any scenario)';
    }
    if (this.calls.length === before) this.emptyScenarios.push(name);
  }

  /** Each call its grant does not cover, once per (action, resource), naming the first scenario that made it. */
  public outside(handler: string, accessName: string, access: StoreAccess): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const call of this.calls) {
      const key = `${call.action} on ${call.resource}`;
      if (granted(access, call) || seen.has(key)) continue;
      seen.add(key);
      out.push(`${handler}: ${key} (scenario "${call.scenario}") is not granted by ${accessName}, which grants ${describeAccess(access)}`);
    }
    return out;
  }

  public destroy(): void {
    this.raw.destroy();
  }
}

interface HttpReply {
  readonly statusCode: number;
  readonly body: string;
}

const OPERATOR = 'arn:aws:sts::123456789012:assumed-role/tocsin-operator/suzuki';
const MONITOR_TOKEN = 'tcs_prometheus_5b2f9c8e1d7a4f6b3c0e9d8a7b6c5d4e';
const ACCOUNT_A = '210987654321';
const iso = (ms: number) => new Date(ms).toISOString();

/** Everything a proof needs: a market with a participant-facing component, a failover group with drills, participants, a monitor. */
const CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['prime', 'standard'] }],
  components: [
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'billing', market: 'equities' },
  ],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], drills: true }],
  participants: [
    { id: 'broker-a', name: 'Broker A', accountId: ACCOUNT_A, tradingValueShare: 0.6 },
    { id: 'broker-b', name: 'Broker B', accountId: '310987654321', tradingValueShare: 0.4 },
  ],
  monitors: [{ id: 'prometheus', tokenSha256: tokenSha256(MONITOR_TOKEN) }],
  policy: { announceSeverity: 'major', autoResolveQuietSeconds: 60 },
};

/** A Function URL reply the scenario expects: the path it meant to take was taken. */
function expectStatus(reply: HttpReply, statusCode: number): void {
  if (reply.statusCode !== statusCode) throw new Error(`expected ${statusCode}, got ${reply.statusCode}: ${reply.body}`);
}

/** A signed answer to a readiness poll (events/respond/). */
function answerEvent(body: unknown, accountId: string): Record<string, unknown> {
  const sample = loadEvent<Record<string, any>>('respond/readiness-answer.json');
  const iam = { ...sample.requestContext.authorizer.iam, accountId, userArn: `arn:aws:sts::${accountId}:assumed-role/tocsin-respond/operations` };
  return { ...sample, requestContext: { ...sample.requestContext, authorizer: { iam } }, body: JSON.stringify(body) };
}

/** The stream record of an outbox notice as the table writes it (entity `notice`). */
function outboxInsert(notice: Notice): DynamoDBRecord {
  return {
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: randomUUID(), NewImage: marshall({ pk: `INCIDENT#${notice.incidentId}`, entity: 'notice', notice }, { removeUndefinedValues: true }) as any },
  };
}

/** A publisher that accepts every notice (SNS is not what this proof is about). */
const acceptingPublisher: NoticePublisher = {
  publish: async (notices): Promise<PublishResult> => ({ published: new Map(notices.map((n) => [n.noticeId, `msg-${n.noticeId}`])), failed: new Map() }),
};

interface World {
  readonly probe: Probe;
  readonly clock: TestClock;
  readonly context: ReturnType<TestClock['context']>;
  /** Opens an incident of `component` through the ingest use case, unrecorded. */
  openIncident(component?: string, dedupKey?: string): Promise<string>;
}

interface Proof {
  readonly handler: string;
  readonly accessName: string;
  readonly access: StoreAccess;
  run(world: World): Promise<void>;
}

const PROOFS: Proof[] = [
  {
    handler: 'operate',
    accessName: 'OPERATE_STORE_ACCESS',
    access: OPERATE_STORE_ACCESS,
    async run({ probe, clock, context, openIncident }) {
      const operate = createOperateHandler({ store: probe.store, context, respondUrl: 'https://respond.example/' });
      const send = async (body: Record<string, unknown>, status = 200) => {
        const reply = await operate(functionUrlEvent(body, { callerArn: OPERATOR }));
        expectStatus(reply, status);
        return JSON.parse(reply.body) as Record<string, any>;
      };
      const incidentId = await openIncident();
      await probe.scenario('ack', () => send({ command: 'ack', incidentId }));
      await probe.scenario('annotate', () => send({ command: 'annotate', incidentId, note: 'unit 2 took over' }));
      await probe.scenario('announce', () => send({ command: 'announce', incidentId, note: 'trading continues' }));
      await probe.scenario('ack of an unknown incident (404)', () => send({ command: 'ack', incidentId: 'inc-nobody' }, 404));
      await probe.scenario('declare-halt', () => send({ command: 'declare-halt', incidentId, market: 'equities' }));
      let pollId = '';
      await probe.scenario('poll-readiness', async () => {
        pollId = (await send({ command: 'poll-readiness', market: 'equities' })).pollId as string;
      });
      await recordAnswer(probe, context, pollId);
      const effectiveAt = clock.now + 20 * MINUTE;
      await probe.scenario('schedule-resume', () => send({ command: 'schedule-resume', market: 'equities', effectiveAt: iso(effectiveAt) }));
      clock.now = effectiveAt + SECOND;
      await probe.scenario('resume', () => send({ command: 'resume', market: 'equities' }));
      await probe.scenario('resolve', () => send({ command: 'resolve', incidentId }));
      await probe.scenario('declare-halt without an incident, then schedule-resume with override', async () => {
        await send({ command: 'declare-halt', market: 'equities', segments: ['prime'], note: 'operator halt' });
        await send({ command: 'schedule-resume', market: 'equities', effectiveAt: iso(clock.now + 20 * MINUTE), override: 'no poll needed' });
      });
      let silenceId = '';
      await probe.scenario('silence', async () => {
        silenceId = (await send({ command: 'silence', matchers: { component: 'billing' }, until: iso(clock.now + 60 * MINUTE), note: 'billing maintenance' })).silenceId as string;
      });
      await openIncident('billing', 'arn:billing-held');
      await probe.scenario('unsilence with an open incident held', () => send({ command: 'unsilence', silenceId }));
      await recordHeartbeat(probe.setup, { group: 'shared-disk', nodeId: 'unit-1', ready: true }, { context });
      await recordHeartbeat(probe.setup, { group: 'shared-disk', nodeId: 'unit-2', ready: true }, { context });
      await probe.scenario('failover', () => send({ command: 'failover', group: 'shared-disk', to: 'unit-2' }));
      await recordHeartbeat(probe.setup, { group: 'shared-disk', nodeId: 'unit-1', ready: true }, { context });
      await probe.scenario('drill', () => send({ command: 'drill', group: 'shared-disk' }));
      const other = await openIncident('shared-disk', 'arn:second');
      await probe.scenario('ack with a requestId, then its repeat', async () => {
        await send({ command: 'ack', incidentId: other, requestId: 'req-1' });
        await send({ command: 'ack', incidentId: other, requestId: 'req-1' });
      });
    },
  },
  {
    handler: 'ingest',
    accessName: 'INGEST_STORE_ACCESS',
    access: INGEST_STORE_ACCESS,
    async run({ probe, clock, context }) {
      const ingest = createIngestHandler({ store: probe.store, context });
      clock.now = Date.parse('2020-10-01T07:05:00+09:00');
      await probe.scenario('new alarm (EventBridge)', () => ingest(loadEvent('eventbridge/alarm-state-change-alarm.json')));
      await probe.scenario('the same alarm again (SNS)', () => ingest(loadEvent('sns/cloudwatch-alarm-notification.json')));
      await probe.scenario('another alarm attaches (Function URL)', () => ingest(functionUrlEvent({ dedupKey: 'unit-2-memory', status: 'firing', severity: 'major', component: 'shared-disk', market: 'equities', summary: 'unit 2', occurredAt: iso(clock.now) })));
      await probe.scenario('a storm of 20 alarms at once', () =>
        Promise.all(Array.from({ length: 20 }, (_, i) => ingest(functionUrlEvent({ dedupKey: `storm-${i}`, status: 'firing', severity: 'major', component: 'shared-disk', market: 'equities', summary: `storm ${i}`, occurredAt: iso(clock.now) })))),
      );
      clock.now = Date.parse('2020-10-01T08:42:00+09:00');
      await probe.scenario('OK (EventBridge)', () => ingest(loadEvent('eventbridge/alarm-state-change-ok.json')));
      await probe.scenario('every alarm goes OK (settles on a recount)', async () => {
        await ingest(functionUrlEvent({ dedupKey: 'unit-2-memory', status: 'resolved', severity: 'major', component: 'shared-disk', market: 'equities', summary: 'unit 2', occurredAt: iso(clock.now) }));
        for (let i = 0; i < 20; i += 1) {
          await ingest(functionUrlEvent({ dedupKey: `storm-${i}`, status: 'resolved', severity: 'major', component: 'shared-disk', market: 'equities', summary: `storm ${i}`, occurredAt: iso(clock.now) }));
        }
      });
      await probe.scenario('a critical alarm while the market is halted', async () => {
        const incidentId = (await ingestSignal(probe.setup, alarm({ dedupKey: 'arn:halt', market: 'equities', occurredAt: clock.now }), { context })).incidentId;
        await runCommand(probe.setup, { command: 'declare-halt', incidentId: incidentId!, market: 'equities' }, 'setup', { context });
        await ingest(functionUrlEvent({ dedupKey: 'during-halt', status: 'firing', severity: 'critical', component: 'billing', market: 'equities', summary: 'billing', occurredAt: iso(clock.now) }));
      });
    },
  },
  {
    handler: 'monitor',
    accessName: 'INGEST_STORE_ACCESS (lib/monitors.ts)',
    access: INGEST_STORE_ACCESS,
    async run({ probe, context }) {
      const monitor = createMonitorHandler({ store: probe.store, limiter: probe.limiter, context, newDedupKey: () => 'generated-key-0001' });
      const post = async (path: string, body: unknown) => {
        const event = functionUrlEvent(body, { path });
        const reply = await monitor({ ...event, headers: { ...(event.headers as Record<string, string>), authorization: `Bearer ${MONITOR_TOKEN}` } });
        expectStatus(reply, 202);
      };
      const monitorEvent = (status: string) => ({ dedupKey: 'shared-disk/unit-1', status, severity: 'critical', component: 'shared-disk', market: 'equities', summary: 'fault', occurredAt: '2020-10-01T07:04:13+09:00' });
      await probe.scenario('monitor event firing', () => post('/', monitorEvent('firing')));
      await probe.scenario('monitor event resolved', () => post('/', monitorEvent('resolved')));
      await probe.scenario('Alertmanager firing then resolved', async () => {
        await post('/alertmanager', loadFixture('alertmanager/shared-disk-firing.json'));
        await post('/alertmanager', loadFixture('alertmanager/shared-disk-resolved.json'));
      });
      const pagerDuty = (file: string) => ({ ...loadFixture(`pagerduty/${file}.json`), dedup_key: 'pd-1' });
      await probe.scenario('PagerDuty trigger', () => post('/pagerduty/v2/enqueue', pagerDuty('trigger')));
      await probe.scenario('PagerDuty acknowledge', () => post('/pagerduty/v2/enqueue', pagerDuty('acknowledge')));
      await probe.scenario('PagerDuty resolve', () => post('/pagerduty/v2/enqueue', pagerDuty('resolve')));
      await probe.scenario('PagerDuty acknowledge of an unknown key', () => post('/pagerduty/v2/enqueue', { ...pagerDuty('acknowledge'), dedup_key: 'pd-unknown' }));
    },
  },
  {
    handler: 'heartbeat',
    accessName: 'HEARTBEAT_STORE_ACCESS',
    access: HEARTBEAT_STORE_ACCESS,
    async run({ probe, context }) {
      const heartbeat = createHeartbeatHandler({ store: probe.store, context });
      const beat = async (body: Record<string, unknown>) => expectStatus(await heartbeat(functionUrlEvent(body)), 200);
      await probe.scenario('first heartbeat takes the lease', () => beat({ group: 'shared-disk', nodeId: 'unit-1', ready: true }));
      await probe.scenario('standby heartbeat', () => beat({ group: 'shared-disk', nodeId: 'unit-2', ready: true }));
      await probe.scenario('primary renews with its epoch', () => beat({ group: 'shared-disk', nodeId: 'unit-1', ready: true, epoch: 1 }));
      await runCommand(probe.setup, { command: 'failover', group: 'shared-disk', to: 'unit-2' }, 'setup', { context });
      await probe.scenario('fenced old primary', () => beat({ group: 'shared-disk', nodeId: 'unit-1', ready: true, epoch: 1 }));
      await probe.scenario('unknown node (404)', async () => expectStatus(await heartbeat(functionUrlEvent({ group: 'shared-disk', nodeId: 'unit-9', ready: true })), 404));
    },
  },
  {
    handler: 'promote',
    accessName: 'PROMOTE_STORE_ACCESS',
    access: PROMOTE_STORE_ACCESS,
    async run({ probe, clock, context }) {
      // The nodes heartbeat (unrecorded) while the handler sleeps between its checks.
      const epochs = new Map<string, number>();
      let beating: Array<[nodeId: string, ready: boolean]> = [];
      const beatAll = async () => {
        for (const [nodeId, ready] of beating) {
          const epoch = epochs.get(nodeId);
          const reply = await recordHeartbeat(probe.setup, { group: 'shared-disk', nodeId, ready, ...(epoch ? { epoch } : {}) }, { context });
          epochs.set(nodeId, reply.epoch);
        }
      };
      const sleep = async (ms: number) => {
        clock.advance(ms);
        await beatAll();
      };
      const promote = (watchMs: number, on = context) => createPromoteHandler({ store: probe.store, context: on, sleep, watchMs })();
      const alarmStatus = async (key: string) => (await probe.setup.readAlarm(key))?.status;

      beating = [['unit-1', true], ['unit-2', false]];
      await beatAll();
      await probe.scenario('a new group watched; its standby not ready raises the readiness alarm', async () => {
        await promote(14 * SECOND);
        if ((await alarmStatus(readinessKey('shared-disk'))) !== 'firing') throw new Error('expected the readiness alarm firing');
      });
      beating = [['unit-1', true], ['unit-2', true]];
      await probe.scenario('the standby ready again clears the readiness alarm', async () => {
        await promote(14 * SECOND);
        if ((await alarmStatus(readinessKey('shared-disk'))) !== 'resolved') throw new Error('expected the readiness alarm resolved');
      });
      beating = [['unit-2', true]];
      await probe.scenario('the primary stops: the standby is promoted', async () => {
        const { promotions } = await promote(30 * SECOND);
        if (promotions.length !== 1) throw new Error(`expected one promotion, got ${JSON.stringify(promotions)}`);
      });
      beating = [['unit-1', false]];
      epochs.delete('unit-1');
      await probe.scenario('the new primary stops with no ready standby: the failover alarm', async () => {
        await promote(30 * SECOND);
        if ((await alarmStatus(failoverKey('shared-disk'))) !== 'firing') throw new Error('expected the failover alarm firing');
      });
      beating = [['unit-1', true], ['unit-2', true]];
      epochs.clear();
      await beatAll();
      const drilling = clock.context({ ...CONFIG, groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], drills: true, drillEveryHours: 0.002 }] });
      await probe.scenario('a scheduled drill starts and promotes the standby', async () => {
        const { promotions } = await promote(30 * SECOND, drilling);
        if (promotions.length === 0) throw new Error(`expected the drill's promotion, got ${JSON.stringify(promotions)}`);
      });
    },
  },
  {
    handler: 'respond',
    accessName: 'RESPOND_STORE_ACCESS',
    access: RESPOND_STORE_ACCESS,
    async run({ probe, context, openIncident }) {
      const respond = createRespondHandler({ store: probe.store, context });
      const incidentId = await openIncident();
      await runCommand(probe.setup, { command: 'declare-halt', incidentId, market: 'equities' }, 'setup', { context });
      const poll = await runCommand(probe.setup, { command: 'poll-readiness', market: 'equities' }, 'setup', { context, respondUrl: 'https://respond.example/' });
      const pollId = (poll.transition.polls ?? [])[0]!.pollId;
      const answer = async (ready: boolean) => expectStatus(await respond(answerEvent({ pollId, participantId: 'broker-a', ready }, ACCOUNT_A)), 200);
      await probe.scenario('first answer', () => answer(false));
      await probe.scenario('changed answer', () => answer(true));
      await probe.scenario('same answer again (unchanged)', () => answer(true));
      await probe.scenario('answer to an unknown poll (404)', async () => expectStatus(await respond(answerEvent({ pollId: 'poll-nobody', participantId: 'broker-a', ready: true }, ACCOUNT_A)), 404));
    },
  },
  {
    handler: 'status',
    accessName: 'STATUS_STORE_ACCESS',
    access: STATUS_STORE_ACCESS,
    async run({ probe, context, openIncident }) {
      const status = createStatusHandler({ store: probe.store, context });
      const get = async (path: string, accept?: string) => {
        const event = functionUrlEvent('', { method: 'GET', path });
        return status(accept ? { ...event, headers: { ...(event.headers as Record<string, string>), accept } } : event);
      };
      const incidentId = await openIncident();
      await runCommand(probe.setup, { command: 'declare-halt', incidentId, market: 'equities' }, 'setup', { context });
      const poll = await runCommand(probe.setup, { command: 'poll-readiness', market: 'equities' }, 'setup', { context, respondUrl: 'https://respond.example/' });
      const pollId = (poll.transition.polls ?? [])[0]!.pollId;
      await runCommand(probe.setup, { command: 'silence', matchers: { component: 'billing' }, until: iso(T0 + 60 * MINUTE), note: 'maintenance' }, 'setup', { context });
      await probe.scenario('GET / (JSON)', async () => expectStatus(await get('/'), 200));
      await probe.scenario('GET / (HTML)', async () => expectStatus(await get('/', 'text/html'), 200));
      await probe.scenario('GET /incidents/<id>', async () => expectStatus(await get(`/incidents/${incidentId}`), 200));
      await probe.scenario('GET /incidents/<unknown> (404)', async () => expectStatus(await get('/incidents/inc-nobody'), 404));
      await probe.scenario('GET /incidents (every incident, gsi2), and its second page', async () => {
        const first = await get('/incidents');
        expectStatus(first, 200);
        const event = functionUrlEvent('', { method: 'GET', path: '/incidents' });
        expectStatus(await status({ ...event, queryStringParameters: { limit: '1', next: 'MjAyMC0xMC0wMVQwMDowMDowMC4wMDBaI2luYy0x' } }), 200);
      });
      await probe.scenario('GET /polls/<id>', async () => expectStatus(await get(`/polls/${pollId}`, 'text/html'), 200));
    },
  },
  {
    handler: 'sweep',
    accessName: 'SWEEP_STORE_ACCESS',
    access: SWEEP_STORE_ACCESS,
    async run({ probe, clock, context }) {
      const sweep = createSweepHandler({ store: probe.store, context });
      const quiet = (await ingestSignal(probe.setup, alarm({ dedupKey: 'arn:quiet' }), { context })).incidentId!;
      await ingestSignal(probe.setup, alarm({ dedupKey: 'arn:quiet', status: 'resolved', occurredAt: T0 + 10 * SECOND }), { context });
      const lost = (await ingestSignal(probe.setup, alarm({ dedupKey: 'arn:lost-timer', component: 'billing' }), { context })).incidentId!;
      // Counters that drifted from the incident's alarms: the recount repairs them.
      await probe.setup.addCounts(lost, { alarms: 3, firing: 2 });
      await probe.scenario('nothing due yet', () => sweep());
      clock.advance(60 * SECOND);
      await probe.scenario('quiet incident auto-resolved, drifted counters repaired', async () => {
        const { resolved } = await sweep();
        if (!resolved.includes(quiet)) throw new Error(`expected ${quiet} resolved, got ${resolved.join(', ')}`);
      });
      clock.now = T0 + 300 * SECOND + ESCALATION_SAFETY_NET_MS + 1;
      await probe.scenario('overdue escalation paged by the safety net', () => sweep());
    },
  },
  {
    handler: 'escalate',
    accessName: 'ESCALATE_STORE_ACCESS',
    access: ESCALATE_STORE_ACCESS,
    async run({ probe, clock, context, openIncident }) {
      const requeued: EscalationTimer[] = [];
      const queue: EscalationQueue = { schedule: async (timer) => void requeued.push(timer) };
      const escalate = createEscalateHandler({ store: probe.store, queue, context });
      const sample = loadEvent<SQSEvent>('sqs/escalation-timer.json').Records[0]!;
      const deliver = async (timer: EscalationTimer | string) => {
        const result = await escalate({ Records: [{ ...sample, messageId: randomUUID(), body: typeof timer === 'string' ? timer : JSON.stringify(timer) }] });
        if (result.batchItemFailures.length) throw new Error('escalation failed');
      };
      const incidentId = await openIncident('billing', 'arn:unacked');
      const timer = { incidentId, ...(await probe.setup.readIncident(incidentId))!.nextEscalation! };
      clock.now = timer.at;
      await probe.scenario('due timer pages the next stage', () => deliver(timer));
      await probe.scenario('the same timer again (no change)', () => deliver(timer));
      await probe.scenario('a timer of an unknown incident', () => deliver({ incidentId: 'inc-nobody', step: 1, at: clock.now }));
      const acked = await openIncident('billing', 'arn:acked');
      const ackedTimer = { incidentId: acked, ...(await probe.setup.readIncident(acked))!.nextEscalation! };
      await runCommand(probe.setup, { command: 'ack', incidentId: acked }, 'setup', { context });
      clock.now = ackedTimer.at;
      await probe.scenario('a timer of an acknowledged incident', () => deliver(ackedTimer));
    },
  },
  {
    handler: 'notify',
    accessName: 'NOTIFY_STORE_ACCESS',
    access: NOTIFY_STORE_ACCESS,
    async run({ probe, context, openIncident }) {
      const notify = createNotifyHandler({ publisher: acceptingPublisher, outbox: probe.store });
      const incidentId = await openIncident();
      await runCommand(probe.setup, { command: 'announce', incidentId, note: 'update' }, 'setup', { context });
      const notices = await probe.setup.readNotices(incidentId);
      const batch: DynamoDBStreamEvent = { Records: notices.map(outboxInsert) };
      await probe.scenario('a batch of new notices', async () => {
        const { batchItemFailures } = await notify(batch);
        if (batchItemFailures.length || notices.length < 2) throw new Error(`expected 2+ notices published, got ${notices.length} and ${batchItemFailures.length} failures`);
      });
      await probe.scenario('the same batch again (already sent)', () => notify(batch));
    },
  },
  {
    handler: 'redrive',
    accessName: 'REDRIVE_STORE_ACCESS',
    access: REDRIVE_STORE_ACCESS,
    async run({ probe, openIncident }) {
      const redrive = createRedriveHandler({ publisher: acceptingPublisher, outbox: probe.store, now: () => T0 + REDRIVE_AFTER_MS + MINUTE });
      await openIncident();
      await probe.scenario('a pending notice re-published', async () => {
        const { republished } = await redrive();
        if (republished.length === 0) throw new Error('expected a notice re-published');
      });
      await probe.scenario('nothing pending', () => redrive());
    },
  },
  {
    handler: 'public-site',
    accessName: 'PUBLIC_SITE_STORE_ACCESS',
    access: PUBLIC_SITE_STORE_ACCESS,
    async run({ probe, context, openIncident }) {
      const site: PublicSitePublisher = { publish: async () => {} };
      const publicSite = createPublicSiteHandler({ store: probe.store, site, config: parseConfig(CONFIG), now: () => T0 });
      await probe.scenario('scheduled rebuild of an empty site', () => publicSite({}));
      const incidentId = await openIncident();
      await runCommand(probe.setup, { command: 'declare-halt', incidentId, market: 'equities' }, 'setup', { context });
      const notices = await probe.setup.readNotices(incidentId);
      await probe.scenario('notices arrive (SNS)', () => publicSite({ Records: notices.map((n) => ({ Sns: { Message: JSON.stringify(n) } })) }));
      await probe.scenario('scheduled rebuild with incidents listed', () => publicSite({}));
    },
  },
];

/** One answer from broker-a, so `schedule-resume` meets the quorum (unrecorded: respond's own proof covers it). */
async function recordAnswer(probe: Probe, context: World['context'], pollId: string): Promise<void> {
  const respond = createRespondHandler({ store: probe.setup, context });
  expectStatus(await respond(answerEvent({ pollId, participantId: 'broker-a', ready: true }, ACCOUNT_A)), 200);
}

describe('the IAM proof itself', () => {
  const TABLE = 'tocsin-table';
  it.each<[string, string, Record<string, any>, string[]]>([
    ['a GetItem', 'GetItemCommand', { TableName: TABLE }, ['dynamodb:GetItem on table']],
    ['a Query of the base table', 'QueryCommand', { TableName: TABLE }, ['dynamodb:Query on table']],
    ['a Query of gsi1', 'QueryCommand', { TableName: TABLE, IndexName: 'gsi1' }, ['dynamodb:Query on index/gsi1']],
    ['a BatchGetItem', 'BatchGetItemCommand', { RequestItems: { [TABLE]: { Keys: [] } } }, ['dynamodb:BatchGetItem on table']],
    [
      'a TransactWriteItems, by its items',
      'TransactWriteItemsCommand',
      { TransactItems: [{ Put: { TableName: TABLE } }, { Update: { TableName: TABLE } }, { ConditionCheck: { TableName: TABLE } }, { Delete: { TableName: TABLE } }] },
      ['dynamodb:PutItem on table', 'dynamodb:UpdateItem on table', 'dynamodb:ConditionCheckItem on table', 'dynamodb:DeleteItem on table'],
    ],
    ['a TransactGetItems, as GetItems', 'TransactGetItemsCommand', { TransactItems: [{ Get: { TableName: TABLE } }] }, ['dynamodb:GetItem on table']],
    ['a command on another table', 'PutItemCommand', { TableName: 'other' }, ['dynamodb:PutItem on table other']],
    ['a command it cannot map (fails the proof)', 'ExecuteStatementCommand', {}, ['unmapped command ExecuteStatementCommand on table undefined']],
  ])('maps %s to what IAM authorizes', (_, commandName, input, expected) => {
    // Act
    const authorizations = authorizationsOf(commandName, input, TABLE);

    // Assess
    expect(authorizations.map((a) => `${a.action} on ${a.resource}`)).toEqual(expected);
  });

  it('fails when a grant lacks what a handler calls: unsilence under the OPERATE_STORE_ACCESS before gsi1 was granted', async () => {
    // Prepare: a silence holding an open incident, and operate's grant as it was (no index).
    const aws = testClients();
    const probe = new Probe((await createTestResources('iam-control', aws)).tableName);
    const context = new TestClock(T0, `control-${randomUUID().slice(0, 6)}`).context(CONFIG);
    const operate = createOperateHandler({ store: probe.store, context });
    const send = async (body: Record<string, unknown>) => {
      const reply = await operate(functionUrlEvent(body, { callerArn: OPERATOR }));
      expectStatus(reply, 200);
      return JSON.parse(reply.body) as Record<string, any>;
    };
    const { silenceId } = await send({ command: 'silence', matchers: { component: 'billing' }, until: iso(T0 + 60 * MINUTE), note: 'billing maintenance' });
    await ingestSignal(probe.setup, alarm({ dedupKey: 'arn:held', component: 'billing', market: 'equities' }), { context });
    const before: StoreAccess = { tableActions: OPERATE_STORE_ACCESS.tableActions };

    try {
      // Act
      await probe.scenario('unsilence with an open incident held', () => send({ command: 'unsilence', silenceId }));

      // Assess
      expect(probe.outside('operate', 'OPERATE_STORE_ACCESS', before)).toEqual([
        expect.stringMatching(/^operate: dynamodb:Query on index\/gsi1 \(scenario "unsilence with an open incident held"\) is not granted by OPERATE_STORE_ACCESS, which grants table \[/),
      ]);
    } finally {
      probe.destroy();
      aws.destroy();
    }
  });
});

describe('every DynamoDB call a handler makes is one its function is granted (IAM, not enforced by DynamoDB Local)', () => {
  let aws: TestAws;
  beforeAll(() => {
    aws = testClients();
  });
  afterAll(() => aws.destroy());

  it.each(PROOFS.map((proof) => [proof.handler, proof.accessName, proof] as const))('%s stays within %s', async (handler, accessName, proof) => {
    // Prepare: a table of its own (the sweep and redrive read the whole index), a clock, the probe.
    const { tableName } = await createTestResources(`iam-${handler}`, aws);
    const probe = new Probe(tableName);
    const clock = new TestClock(T0, `${handler}-${randomUUID().slice(0, 6)}`);
    const context = clock.context(CONFIG);
    let opened = 0;
    const world: World = {
      probe,
      clock,
      context,
      async openIncident(component = 'shared-disk', dedupKey = `arn:${handler}:${(opened += 1)}`) {
        const outcome = await ingestSignal(probe.setup, alarm({ dedupKey, component, market: 'equities', occurredAt: clock.now }), { context });
        if (!outcome.incidentId) throw new Error(`no incident opened for ${dedupKey}: ${outcome.action}`);
        return outcome.incidentId;
      },
    };

    try {
      // Act
      await proof.run(world);

      // Assess
      if (process.env.TOCSIN_IAM_PROOF_LIST) {
        process.stderr.write(`${handler}: store methods ${[...probe.methods].sort().join(', ')}\n  calls ${[...new Set(probe.calls.map((c) => `${c.action} on ${c.resource}`))].sort().join(', ')}\n`);
      }
      expect(probe.emptyScenarios).toEqual([]);
      expect(probe.outside(handler, accessName, proof.access)).toEqual([]);
    } finally {
      probe.destroy();
    }
  });
});
