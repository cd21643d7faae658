import { readFile } from 'node:fs/promises';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { SubscribeCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { S3SitePublisher, s3Client } from '../lambda/adapters/s3-site-publisher';
import { ENV } from '../lambda/adapters/environment';
import { SnsPagePublisher } from '../lambda/adapters/sns-page-publisher';
import { SnsNoticePublisher } from '../lambda/adapters/sns-publisher';
import { SqsEscalationQueue } from '../lambda/adapters/sqs-escalation-queue';
import { PAGE_STREAM_FILTER } from '../lambda/adapters/table-schema';
import { environmentStore, systemContext } from '../lambda/adapters/wiring';
import { parseConfigJson, type TocsinConfig } from '../lambda/core/config';
import type { EscalationQueue } from '../lambda/core/ports';
import { Promoter } from '../lambda/core/use-cases/promoter';
import { createEscalateHandler } from '../lambda/handlers/escalate';
import { createHeartbeatHandler } from '../lambda/handlers/heartbeat';
import { createIngestHandler } from '../lambda/handlers/ingest';
import { createMonitorHandler } from '../lambda/handlers/monitor';
import { DynamoDbRateLimiter } from '../lambda/adapters/dynamodb-rate-limiter';
import { createNotifyHandler } from '../lambda/handlers/notify';
import { createOperateHandler } from '../lambda/handlers/operate';
import { createPublicSiteHandler } from '../lambda/handlers/public-site';
import { createPagesHandler } from '../lambda/handlers/pages';
import { createRedriveHandler } from '../lambda/handlers/redrive';
import { createRespondHandler } from '../lambda/handlers/respond';
import { createStatusHandler } from '../lambda/handlers/status';
import { createSweepHandler } from '../lambda/handlers/sweep';
import { startFunctionUrl, type FunctionUrlHandler, type FunctionUrlServer } from './function-url';
import { publicSiteHandler } from './public-site-server';
import { createLocalResources, type LocalResources } from './resources';
import { QueuePoller } from './queue-poller';
import { StreamPoller } from './stream-poller';

/**
 * The embedded runtime behind `npm start` and `tocsin local`: the emulators, Tocsin's resources
 * on them, and the deployed handlers wired the way AWS wires them — Function URLs (ingest,
 * monitor, operate, heartbeat, status, respond), the table stream to notify (the event source mapping's batching,
 * retries, bisection and on-failure queue), and the schedules (sweep, redrive). Never deployed.
 */

/** The endpoint line of the local serve contract (shared/DESIGN.md, "Local serve mode"). */
export interface LocalEndpoints {
  readonly ingestUrl: string;
  /**
   * The monitor URL: `POST /` (monitor event), `/alertmanager` (Alertmanager webhook, version 4),
   * `/pagerduty/v2/enqueue` (PagerDuty Events API v2), each with `Authorization: Bearer <token>`
   * for a token whose SHA-256 is in `monitors[]` of the configuration (shared/DESIGN.md, "Monitors").
   */
  readonly monitorUrl: string;
  readonly heartbeatUrl: string;
  readonly operateUrl: string;
  readonly statusUrl: string;
  /**
   * Where participants answer readiness polls: `POST {pollId, participantId, ready, note?}`. No
   * auth locally (anyone may answer for any participant); the deployed URL takes only answers
   * signed by the participant's own AWS account.
   */
  readonly respondUrl: string;
  /**
   * The alarm path: POST an EventBridge "CloudWatch Alarm State Change" event or an SNS Lambda
   * event carrying a CloudWatch alarm notification (the JSON of `events/`), and the ingest handler
   * is invoked with it as EventBridge or SNS would invoke it. Local only: in AWS, alarms arrive
   * through the EventBridge rule and the alarms topic.
   */
  readonly alarmEventsUrl: string;
  /** The public status site (participants, no auth): `/` (HTML), `/status.json`, `/feed.atom`, `/incidents/<id>.html`. */
  readonly publicStatusUrl: string;
  readonly dynamodbEndpoint: string;
  readonly snsEndpoint: string;
  readonly sqsEndpoint: string;
  readonly tableName: string;
  readonly noticeTopicArn: string;
  /** The operators' pages topic (`tocsin.page/v1`): subscribe a queue, filtered on `stage`, to be paged. */
  readonly pageTopicArn: string;
  readonly region: string;
}

export interface LocalRuntimeOptions {
  /** DynamoDB Local on this port, SNS/SQS/S3 on the next, then ingest, operate, heartbeat, status, alarm events, the public status site, monitor and respond (+9). @default free ports */
  readonly portBase?: number;
  /** Keep DynamoDB data in this folder across restarts. @default in memory */
  readonly dataDir?: string;
  /** Path of a configuration JSON file (the same JSON as the stack's `config` prop). @default `{}` */
  readonly configFile?: string;
  /** Name prefix for the table, topics and queues. @default `tocsin` */
  readonly prefix?: string;
  /** How often the sweep runs (every minute in AWS). @default 1000 ms */
  readonly sweepIntervalMs?: number;
  /** How often the promoter checks the leases. @default the smallest `checkIntervalSeconds` of the groups */
  readonly promoteIntervalMs?: number;
  /**
   * Leave the promoter to the caller (`checkLeases()`), for a simulation that steps its own
   * clock. @default false: the promoter runs on a timer
   */
  readonly manualPromoter?: boolean;
  /** How often the outbox redrive runs (every minute in AWS). @default 30000 ms */
  readonly redriveIntervalMs?: number;
  /** Progress lines (never stdout, which carries only the endpoint line). @default none */
  readonly log?: (line: string) => void;
  /**
   * Tocsin's clock, for the accelerated replay: every decision reads it. @default Date.now
   */
  readonly clock?: () => number;
  /**
   * How many times faster than real time `clock` runs: the promoter and the sweep check that
   * much more often in real time. @default 1
   */
  readonly speed?: number;
  /**
   * Emulators already running (the test suite's), used instead of starting new ones and left
   * running on stop. @default start DynamoDB Local and fauxqs
   */
  readonly emulators?: RunningEmulators;
}

/** The part of `local/emulators.mjs`'s handle the runtime uses. */
export interface RunningEmulators {
  readonly dynamodb: { readonly endpoint: string; readonly pid: number };
  readonly sns: { readonly endpoint: string };
  readonly region: string;
  readonly environment: Record<string, string>;
  stop(): Promise<void>;
}

export interface LocalRuntime {
  readonly endpoints: LocalEndpoints;
  readonly resources: LocalResources;
  readonly config: TocsinConfig;
  /** Where notices the stream gave up on are described (the notify on-failure destination). */
  readonly notifyDeadLetterQueueUrl: string;
  /** The pid of the DynamoDB Local java process (tests check that it is gone after stop). */
  readonly javaPid: number;
  /** One promoter check of every group (what the promoter's timer does). */
  checkLeases(): Promise<import('../lambda/core/use-cases/promoter').CheckResult[]>;
  /** Delivers every outbox notice written so far (tests and the replay wait on it). */
  drainNotices(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the emulators, points this process's AWS SDK at them, creates the resources and wires the handlers. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  // Read and validate the configuration before starting anything: a bad file fails fast.
  const configText = options.configFile ? await readFile(options.configFile, 'utf8') : undefined;
  const config = parseConfigJson(configText);
  const log = options.log ?? (() => {});
  const port = (offset: number) => (options.portBase === undefined ? undefined : options.portBase + offset);
  let emulators: RunningEmulators;
  const closers: Array<() => Promise<void>> = [];
  if (options.emulators) {
    emulators = options.emulators;
  } else {
    const { startEmulators } = await import('./emulators.mjs');
    emulators = await startEmulators({ dynamodbPort: port(0), snsPort: port(1), dataDir: options.dataDir, log });
    closers.push(() => emulators.stop());
  }
  const stop = async () => {
    for (const close of closers.reverse().splice(0)) await close().catch((error: unknown) => log(`stop: ${String(error)}`));
  };
  try {
    // Handlers build `new XClient({})`; the SDK's standard endpoint variables route them here.
    Object.assign(process.env, emulators.environment);
    const prefix = options.prefix ?? 'tocsin';
    const resources = await createLocalResources(prefix);
    const env = {
      ...process.env,
      [ENV.tableName]: resources.tableName,
      [ENV.noticeTopicArn]: resources.noticeTopicArn,
      [ENV.pageTopicArn]: resources.pageTopicArn,
      [ENV.opsTopicArn]: resources.opsTopicArn,
      [ENV.config]: JSON.stringify(config),
    };
    const store = environmentStore(env);
    const context = systemContext(config, options.clock);
    const speed = options.speed ?? 1;

    const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
    const { QueueUrl: notifyDeadLetterQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-notify-dlq` }));
    const { QueueUrl: pagesDeadLetterQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-pages-dlq` }));
    // Escalation timers wait out their delay here; a failed one is visible again after 5 s.
    const { QueueUrl: escalationQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-escalation`, Attributes: { VisibilityTimeout: '5' } }));
    const { Attributes: escalationAttributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: escalationQueueUrl, AttributeNames: ['QueueArn'] }));
    // The public status site: its bucket, and a queue on the notices topic standing in for the
    // SNS → Lambda subscription (the emulator delivers to queues only).
    const siteBucket = `${prefix}-site`.toLowerCase();
    const s3 = s3Client();
    closers.push(async () => s3.destroy());
    await s3.send(new CreateBucketCommand({ Bucket: siteBucket })).catch((error: unknown) => {
      if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou' && (error as { name?: string }).name !== 'BucketAlreadyExists') throw error;
    });
    const { QueueUrl: siteQueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-public-site`, Attributes: { VisibilityTimeout: '5' } }));
    const { Attributes: siteQueueAttributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: siteQueueUrl, AttributeNames: ['QueueArn'] }));
    const sns = new SNSClient({});
    await sns.send(new SubscribeCommand({ TopicArn: resources.noticeTopicArn, Protocol: 'sqs', Endpoint: siteQueueAttributes!.QueueArn! }));
    sns.destroy();
    sqs.destroy();

    const serve = async (handler: FunctionUrlHandler, offset: number): Promise<FunctionUrlServer> => {
      const server = await startFunctionUrl(handler, { port: port(offset), log });
      closers.push(() => server.close());
      return server;
    };
    const ingest = await serve(createIngestHandler({ store, context }) as FunctionUrlHandler, 2);
    // Serve mode has no IAM: an answer names its participant and is taken as such.
    const respond = await serve(createRespondHandler({ store, context, requireIamCaller: false }) as FunctionUrlHandler, 9);
    const operate = await serve(createOperateHandler({ store, context, respondUrl: respond.url }) as FunctionUrlHandler, 3);
    const heartbeat = await serve(createHeartbeatHandler({ store, context }) as FunctionUrlHandler, 4);
    const status = await serve(createStatusHandler({ store, context }) as FunctionUrlHandler, 5);
    const ingestEvent = createIngestHandler({ store, context });
    const alarmEvents = await serve(async (request) => {
      // The body is the event itself; a malformed one fails the invocation, as in AWS.
      try {
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(await ingestEvent(JSON.parse(String(request.body ?? 'null')))) };
      } catch (error) {
        return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: error instanceof Error ? error.message : String(error) }) };
      }
    }, 6);
    const publicSite = await serve(publicSiteHandler(s3, siteBucket), 7);
    // Offset 8: 7 belongs to the public status site.
    const monitor = await serve(createMonitorHandler({ store, limiter: new DynamoDbRateLimiter(resources.tableName), context }) as FunctionUrlHandler, 8);

    const publisher = new SnsNoticePublisher(resources.noticeTopicArn);
    const poller = new StreamPoller({
      streamArn: resources.streamArn,
      handler: createNotifyHandler({ publisher, outbox: store }),
      onFailureQueueUrl: notifyDeadLetterQueueUrl!,
      pollIntervalMs: 50,
      log,
    });
    poller.start();
    closers.push(() => poller.stop());

    // Operators' outbox: pages to the pages topic, escalation timers to the delayed queue, and
    // that queue to the escalate function, as the event source mappings do in AWS. With an
    // accelerated clock, delays shrink by the same factor.
    const sqsQueue = new SqsEscalationQueue(escalationQueueUrl!);
    const escalationQueue: EscalationQueue = speed === 1 ? sqsQueue : { schedule: (timer, delaySeconds) => sqsQueue.schedule(timer, delaySeconds / speed) };
    const pagesPoller = new StreamPoller({
      streamArn: resources.streamArn,
      handler: createPagesHandler({ publisher: new SnsPagePublisher(resources.pageTopicArn), queue: escalationQueue, ...(options.clock ? { now: options.clock } : {}) }),
      filter: PAGE_STREAM_FILTER,
      onFailureQueueUrl: pagesDeadLetterQueueUrl!,
      pollIntervalMs: 50,
      log,
    });
    pagesPoller.start();
    closers.push(() => pagesPoller.stop());
    const escalations = new QueuePoller({
      queueUrl: escalationQueueUrl!,
      queueArn: escalationAttributes?.QueueArn ?? 'arn:aws:sqs:local:000000000000:escalation',
      handler: createEscalateHandler({ store, queue: escalationQueue, context }),
      log,
    });
    escalations.start();
    closers.push(() => escalations.stop());

    const siteHandler = createPublicSiteHandler({ store, site: new S3SitePublisher(siteBucket, s3), config, ...(options.clock ? { now: options.clock } : {}) });
    // The first build, so the page answers before any notice (AWS: the schedule's first run).
    await siteHandler({});
    const sitePoller = new QueuePoller({ queueUrl: siteQueueUrl!, queueArn: siteQueueAttributes!.QueueArn!, handler: async (event) => void (await siteHandler(event)), log });
    sitePoller.start();
    closers.push(() => sitePoller.stop());

    // In AWS a promoter runs per scheduled minute; locally one promoter watches for as long as
    // the runtime runs, checking as often as the most demanding group asks.
    const promoter = new Promoter(store, { context });
    const checkMs = Math.min(2000, ...config.groups.map((g) => g.checkIntervalSeconds * 1000));
    if (!options.manualPromoter) every(options.promoteIntervalMs ?? checkMs / speed, () => promoter.checkAll(), closers, log);
    every(options.sweepIntervalMs ?? 1000 / speed, createSweepHandler({ store, context }), closers, log);
    every(options.redriveIntervalMs ?? 30_000, createRedriveHandler({ publisher, outbox: store, ...(options.clock ? { now: options.clock } : {}) }), closers, log);

    return {
      endpoints: {
        ingestUrl: ingest.url,
        monitorUrl: monitor.url,
        heartbeatUrl: heartbeat.url,
        operateUrl: operate.url,
        statusUrl: status.url,
        respondUrl: respond.url,
        alarmEventsUrl: alarmEvents.url,
        publicStatusUrl: publicSite.url,
        dynamodbEndpoint: emulators.dynamodb.endpoint,
        snsEndpoint: emulators.sns.endpoint,
        sqsEndpoint: emulators.sns.endpoint,
        tableName: resources.tableName,
        noticeTopicArn: resources.noticeTopicArn,
        pageTopicArn: resources.pageTopicArn,
        region: emulators.region,
      },
      resources,
      config,
      notifyDeadLetterQueueUrl: notifyDeadLetterQueueUrl!,
      javaPid: emulators.dynamodb.pid,
      checkLeases: () => promoter.checkAll(),
      drainNotices: async (timeoutMs?: number) => {
        await Promise.all([poller.drain(timeoutMs), pagesPoller.drain(timeoutMs)]);
        // Published notices reach the public site through its queue.
        await sitePoller.drain(timeoutMs);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * A schedule: runs `task` every `ms`, never two at once, and stops with the runtime. A tick that
 * comes while the task still runs is not dropped: the task runs again as soon as it ends (once,
 * however many ticks came), so a slow run under load costs no check.
 */
export function every(ms: number, task: () => Promise<unknown>, closers: Array<() => Promise<void>>, log: (line: string) => void): void {
  let running: Promise<unknown> | undefined;
  let missed = false;
  let stopped = false;
  const run = (): void => {
    if (running) {
      missed = true;
      return;
    }
    running = task()
      .catch((error: unknown) => log(`scheduled task failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        running = undefined;
        if (missed && !stopped) {
          missed = false;
          run();
        }
      });
  };
  const timer = setInterval(run, ms);
  timer.unref();
  closers.push(async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  });
}
