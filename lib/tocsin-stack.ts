import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { parseConfig, type TocsinConfig, type TocsinConfigInput } from '../lambda/core/config';
import { Failover } from './failover';
import { Ingest } from './ingest';
import { Monitors } from './monitors';
import { Notices } from './notices';
import { Operations } from './operations';
import { OpsAlerts } from './ops-alerts';
import { Paging } from './paging';
import { PublicStatus } from './public-status';
import { ReadinessPolls } from './readiness-polls';
import { StatusPage } from './status-page';
import { Store } from './store';

/** Properties of {@link TocsinStack}. */
export interface TocsinStackProps extends StackProps {
  /**
   * Tocsin's configuration (markets, components, failover groups, policy): the same JSON that
   * `tocsin local --config FILE` takes. Checked at synth time.
   *
   * @default - `{}`: every field takes its default
   */
  readonly config?: TocsinConfigInput;
}

/**
 * The whole Tocsin backend in one stack: the incident store, the participant notices topic and
 * the function publishing the store's outbox to it, the operator pages topic with the escalation
 * queue and functions, the operations alerts topic, alarm ingestion, the monitor URL,
 * operator commands, participants' readiness answers, standby promotion for the configured
 * failover groups, the operators' status page and the participants' public status site.
 *
 * @throws ConfigError at synth time when `config` is invalid, naming the field, e.g.
 *   `invalid configuration: groups[0].leaseDurationSeconds: must be more than 3 × heartbeatSeconds (6), got 5`
 * @example
 * new TocsinStack(app, 'Tocsin', { config: { groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] } });
 */
export class TocsinStack extends Stack {
  /** The configuration with every default applied. */
  public readonly config: TocsinConfig;
  public readonly store: Store;
  /** Notices out: the participant notices topic and `notify`, fed by the table's stream. */
  public readonly notices: Notices;
  /** Pages out: the operator pages topic, `pages` (fed by the table's stream) and the escalation queue with `escalate`. */
  public readonly paging: Paging;
  public readonly opsAlerts: OpsAlerts;
  /** Alarms in: the EventBridge rule, the alarms topic and the monitor-event Function URL. */
  public readonly ingest: Ingest;
  /** Alarms from monitors with bearer tokens: the `monitor` Function URL (Alertmanager, PagerDuty-style, monitor events). */
  public readonly monitors: Monitors;
  /** Operator commands: the `operate` Function URL. */
  public readonly operations: Operations;
  /** Standby promotion: the heartbeat Function URL and the scheduled promoter. */
  public readonly failover: Failover;
  /** Market status and incident timelines: the `status` Function URL (HTML and JSON). */
  public readonly statusPage: StatusPage;
  /** The participants' public status site (CloudFront over a private bucket). */
  public readonly publicStatus: PublicStatus;
  /** Participants' answers to readiness polls: the `respond` Function URL, open to the configured participants' accounts. */
  public readonly readinessPolls: ReadinessPolls;

  public constructor(scope: Construct, id: string, props: TocsinStackProps = {}) {
    // Before super(): an invalid configuration must not leave a half-built stack in the app.
    const config = parseConfig(props.config);
    super(scope, id, {
      description: 'Tocsin: market incident notices to trading participants, and standby promotion',
      ...props,
    });
    this.config = config;

    this.store = new Store(this, 'Store');
    // OpsAlerts before Notices, whose alarms notify it; construct ids, and so logical ids, are unchanged.
    this.opsAlerts = new OpsAlerts(this, 'OpsAlerts');
    this.notices = new Notices(this, 'Notices', {
      table: this.store.table,
      opsAlerts: this.opsAlerts,
      // Participants subscribe from their own accounts (the same accounts that answer readiness polls).
      subscriberAccounts: this.config.participants.flatMap((p) => (p.accountId === undefined ? [] : [p.accountId])),
    });
    const storeUsers = { table: this.store.table, config: this.config, opsAlerts: this.opsAlerts };
    // The table's stream has exactly two readers, notify and pages: two concurrent readers per
    // shard is what a DynamoDB stream serves without throttling, so no other construct may add one.
    this.paging = new Paging(this, 'Paging', storeUsers);
    this.ingest = new Ingest(this, 'Ingest', storeUsers);
    this.monitors = new Monitors(this, 'Monitors', storeUsers);
    this.readinessPolls = new ReadinessPolls(this, 'ReadinessPolls', storeUsers);
    // Operations names the respond URL in each readiness poll's notice.
    this.operations = new Operations(this, 'Operations', { ...storeUsers, respondUrl: this.readinessPolls.functionUrl.url });
    this.failover = new Failover(this, 'Failover', storeUsers);
    this.statusPage = new StatusPage(this, 'StatusPage', storeUsers);
    this.publicStatus = new PublicStatus(this, 'PublicStatus', { ...storeUsers, noticeTopic: this.notices.topic });

    // Dead-man's switches: a schedule that stops invoking its function fails silently otherwise
    // (the promoter stopping means no failover at all).
    // They live in a construct of their own, so each capability's alarms stay its own.
    const alerts = this.opsAlerts;
    const watchdogs = new Construct(this, 'Watchdogs');
    alerts.alarmWhenNotRunning(watchdogs, 'PromoteNotRunning', this.failover.promoteFunction, 'no standby will be promoted while it is stopped.');
    alerts.alarmWhenNotRunning(watchdogs, 'SweepNotRunning', this.ingest.sweepFunction, 'incidents will not auto-resolve, and lost escalation timers will not be made up.');
    alerts.alarmWhenNotRunning(watchdogs, 'RedriveNotRunning', this.notices.redriveFunction, 'notices the stream gave up on will not be published again.');
    alerts.alarmWhenNotRunning(watchdogs, 'RebuildNotRunning', this.publicStatus.function, 'the public status page is rebuilt on notices only.');
    // Throttles: the ways in and the functions that must never wait. (public-site runs one at a
    // time by design; SNS retries its throttled invocations, so it has no throttle alarm.)
    const throttled: Array<[string, IFunction, string]> = [
      ['IngestThrottles', this.ingest.function, 'alarms were refused or delayed.'],
      ['SweepThrottles', this.ingest.sweepFunction, 'a sweep did not run.'],
      ['OperateThrottles', this.operations.function, 'operator commands were refused (HTTP 429).'],
      ['HeartbeatThrottles', this.failover.heartbeatFunction, 'node heartbeats were refused (HTTP 429): a primary may look silent.'],
      ['PromoteThrottles', this.failover.promoteFunction, 'a promoter run did not start.'],
      ['NotifyThrottles', this.notices.function, 'participant notices are delayed.'],
      ['PagesThrottles', this.paging.function, 'operator pages are delayed.'],
      ['EscalateThrottles', this.paging.escalateFunction, 'escalations are delayed.'],
    ];
    for (const [alarmId, fn, what] of throttled) alerts.alarmOnThrottles(watchdogs, alarmId, fn, what);

    new CfnOutput(this, 'TableName', {
      description: 'DynamoDB table holding incidents, market state, leases, timeline and outbox',
      value: this.store.table.tableName,
    });
    new CfnOutput(this, 'NoticeTopicArn', {
      description: 'SNS topic participants subscribe to for notices',
      value: this.notices.topic.topicArn,
    });
    new CfnOutput(this, 'PageTopicArn', {
      description: 'SNS topic operators subscribe to for tocsin.page/v1 pages (every incident, by escalation stage)',
      value: this.paging.topic.topicArn,
    });
    new CfnOutput(this, 'OpsTopicArn', {
      description: "SNS topic receiving alarms about Tocsin's own failures",
      value: this.opsAlerts.topic.topicArn,
    });
    new CfnOutput(this, 'AlarmsTopicArn', {
      description: 'SNS topic CloudWatch alarm actions of this account may publish to; ingested as incidents',
      value: this.ingest.alarmsTopic.topicArn,
    });
    new CfnOutput(this, 'IngestUrl', {
      description: 'Function URL (AWS_IAM auth) taking monitor events as HTTP POST',
      value: this.ingest.functionUrl.url,
    });
    new CfnOutput(this, 'MonitorUrl', {
      description: 'Function URL (auth NONE; Authorization: Bearer <monitor token> required) taking POST / (monitor event), /alertmanager and /pagerduty/v2/enqueue',
      value: this.monitors.functionUrl.url,
    });
    new CfnOutput(this, 'OperateUrl', {
      description: 'Function URL (AWS_IAM auth) taking operator commands as HTTP POST',
      value: this.operations.functionUrl.url,
    });
    new CfnOutput(this, 'HeartbeatUrl', {
      description: 'Function URL (AWS_IAM auth) taking node heartbeats as HTTP POST {group, nodeId, ready, epoch?}',
      value: this.failover.heartbeatUrl.url,
    });
    new CfnOutput(this, 'RespondUrl', {
      description:
        "Function URL (AWS_IAM auth) taking participants' readiness answers as HTTP POST {pollId, participantId, ready, note?}, signed by the participant's own account",
      value: this.readinessPolls.functionUrl.url,
    });
    new CfnOutput(this, 'StatusUrl', {
      description: 'Function URL (AWS_IAM auth) serving market status and incident timelines: GET / and /incidents/<id>, HTML or JSON',
      value: this.statusPage.functionUrl.url,
    });
    new CfnOutput(this, 'PublicStatusUrl', {
      description: "CloudFront URL of the participants' public status site: / (HTML), /status.json, /feed.atom",
      value: this.publicStatus.url,
    });
  }
}
