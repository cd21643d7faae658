import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { METRIC } from '../lambda/adapters/observability';
import type { GroupConfig, TocsinConfig } from '../lambda/core/config';
import { ConfigError } from '../lambda/core/errors';
import { ANY_IN_A_PERIOD, createFunction, scheduleEveryMinute, tocsinMetric } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link Failover}. */
export interface FailoverProps {
  /** The incident store (leases, node readiness, and the incidents a failover opens); its key, if customer-managed, may be used. */
  readonly table: dynamodb.ITable;
  /**
   * Tocsin's configuration with its defaults applied; passed to both functions as `CONFIG`. Its
   * failover groups also set the promote function's timeout ({@link promoteTimeout}).
   */
  readonly config: TocsinConfig;
  /** Where the alarms on failovers, refused promotions and this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
}

/**
 * What `heartbeat` does with the store: one strongly consistent Query on the base table for the
 * group's lease and node records (`readLeaseGroup`), then a conditional PutItem of the lease or
 * the node record, or both as the Puts of one TransactWriteItems. It reads no single item
 * (no GetItem) and no index.
 */
export const HEARTBEAT_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:PutItem', 'dynamodb:Query'],
};

/**
 * What `promote` does with the store: Query on the base table for each group's lease and nodes,
 * the reads and counter updates of a failover or readiness alarm (the same path as ingest's:
 * BatchGetItem, GetItem, UpdateItem, a recount Query), and conditional PutItems alone or in a TransactWriteItems (the
 * lease moved with its incident, timeline entry and failover notice). No index: it never lists
 * open incidents or pending notices.
 */
export const PROMOTE_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
};

/** A heartbeat that takes longer than this is useless to the node (its lease is 10 s by default); fail it fast. */
export const HEARTBEAT_TIMEOUT = Duration.seconds(5);

/** Time the promote function has, beyond its watch window, for its last check and commit. */
export const PROMOTE_TIMEOUT_MARGIN = Duration.seconds(20);

/** Lambda's longest timeout. */
const LAMBDA_MAX_TIMEOUT = Duration.minutes(15);

/**
 * How long one scheduled `promote` invocation watches: the minute until the next invocation, plus
 * the longest lease and the longest check interval of the configuration, so that consecutive
 * invocations overlap by enough to see any lease go silent for a whole lease duration.
 *
 * The same formula as `watchWindowMs` in `lambda/handlers/promote.ts`, recomputed here because
 * importing that module at synth time would load the AWS SDK clients of the handler's wiring
 * (`lambda/adapters/wiring.ts`) into the CDK app. `test/infra/failover.test.ts` checks that the
 * two agree.
 */
export function promoteWatchWindow(config: TocsinConfig): Duration {
  const longest = (seconds: (group: GroupConfig) => number) => Math.max(0, ...config.groups.map(seconds));
  return Duration.seconds(60 + longest((g) => g.leaseDurationSeconds) + longest((g) => g.checkIntervalSeconds));
}

/**
 * The promote function's timeout: its watch window ({@link promoteWatchWindow}) and
 * {@link PROMOTE_TIMEOUT_MARGIN}. With the default group (lease 10 s, check 2 s): 92 s; with no
 * groups: 80 s (the handler then returns at once).
 *
 * @throws ConfigError naming the group's `leaseDurationSeconds` when the timeout would exceed
 *   Lambda's 15 minutes (a deployment would fail on it).
 */
export function promoteTimeout(config: TocsinConfig): Duration {
  const seconds = promoteWatchWindow(config).toSeconds() + PROMOTE_TIMEOUT_MARGIN.toSeconds();
  const max = LAMBDA_MAX_TIMEOUT.toSeconds();
  if (seconds > max) {
    // Name the group with the longest lease: it is nearly always the one to shorten.
    const index = config.groups.reduce((best, g, i, all) => (g.leaseDurationSeconds > all[best]!.leaseDurationSeconds ? i : best), 0);
    throw new ConfigError([
      {
        field: `groups[${index}].leaseDurationSeconds`,
        problem:
          `the promote function would need a ${seconds} s timeout (60 s + longest lease + longest check interval + ` +
          `${PROMOTE_TIMEOUT_MARGIN.toSeconds()} s), more than Lambda's ${max} s: use a shorter lease`,
      },
    ]);
  }
  return Duration.seconds(seconds);
}

/**
 * Standby promotion for the failover groups of the configuration (the heartbeat lease of
 * DESIGN.md "Failover"):
 *
 * - `heartbeat`, behind a Function URL with IAM authentication: primary and standby nodes POST
 *   `{group, nodeId, ready, epoch?}` every `heartbeatSeconds` and learn whether they hold the
 *   lease, stand by, or are fenced.
 * - `promote`, run every minute by EventBridge Scheduler: each invocation checks every group every
 *   `checkIntervalSeconds` for {@link promoteWatchWindow}, so consecutive invocations overlap and a
 *   silent primary is replaced within about a lease and a check interval. Overlapping invocations
 *   are by design (every promotion is conditional on the lease version seen; exactly one wins), so
 *   the function has no reserved concurrency, and no retries: the next minute's run replaces a
 *   failed one.
 *
 * Both functions exist even when the configuration has no groups: the Function URL is part of
 * the stack's interface (the CLI and drills use it, and a node of an unknown group gets a 404),
 * and the promoter then returns at once, for a few milliseconds a minute.
 *
 * Alarms to the operations topic: either function's errors, rejected heartbeats, every promotion
 * (a failover happened; drills included), and every refused promotion (a primary fell silent
 * with no ready standby: nothing took over).
 *
 * @example
 * const failover = new Failover(this, 'Failover', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'HeartbeatUrl', { value: failover.heartbeatUrl.url });
 */
export class Failover extends Construct {
  /** The `heartbeat` function (`lambda/handlers/heartbeat.ts`). */
  public readonly heartbeatFunction: NodejsFunction;
  /** HTTPS endpoint for node heartbeats; nodes sign their requests (SigV4, `lambda:InvokeFunctionUrl`). */
  public readonly heartbeatUrl: lambda.FunctionUrl;
  /** The `promote` function (`lambda/handlers/promote.ts`). */
  public readonly promoteFunction: NodejsFunction;
  /** Runs {@link promoteFunction} every minute. */
  public readonly promoteSchedule: scheduler.CfnSchedule;

  public constructor(scope: Construct, id: string, props: FailoverProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    // Before anything is built: a configuration too large even for the bundle, or a lease
    // too long for Lambda's timeout, fails here.
    const store = storeSettings(table, config);
    const timeout = promoteTimeout(config);

    this.heartbeatFunction = createFunction(this, 'HeartbeatFunction', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'heartbeat.ts'),
      description: 'Tocsin heartbeat: renews the lease of the primary, records standby readiness, fences stale nodes',
      ...store,
      timeout: HEARTBEAT_TIMEOUT,
    });
    grantStoreAccess(this.heartbeatFunction, table, HEARTBEAT_STORE_ACCESS);
    this.heartbeatUrl = this.heartbeatFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    this.promoteFunction = createFunction(this, 'PromoteFunction', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'promote.ts'),
      description: 'Tocsin promote: watches failover leases and promotes a ready standby when the primary falls silent',
      ...store,
      timeout,
      // A failed or timed-out run is not retried: the next minute's run is already watching.
      retryAttempts: 0,
    });
    grantStoreAccess(this.promoteFunction, table, PROMOTE_STORE_ACCESS);
    this.promoteSchedule = scheduleEveryMinute(
      this,
      'PromoteSchedule',
      this.promoteFunction,
      'Runs the Tocsin standby promoter every minute (each run watches the leases for a minute and a lease more)',
    );

    const oneMinute = Duration.minutes(1);
    opsAlerts.alarmOn(this, 'PromoteErrors', {
      alarmDescription:
        'The promote function failed or timed out: silent primaries may go unreplaced until a later run succeeds (see its log).',
      metric: this.promoteFunction.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'HeartbeatErrors', {
      alarmDescription:
        'The heartbeat function failed: nodes got no answer, and a primary whose heartbeats keep failing loses its lease.',
      metric: this.heartbeatFunction.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'PromotionsRefused', {
      alarmDescription:
        'CRITICAL: a primary fell silent and no standby was ready, so nothing took over; a critical incident is open ' +
        '(see the promote log for the group).',
      metric: tocsinMetric(METRIC.promotionsRefused),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'Promotions', {
      alarmDescription:
        'A standby was promoted: a failover happened (or a drill ran); participants got a failover notice (see the promote log).',
      metric: tocsinMetric(METRIC.promotions),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOn(this, 'HeartbeatsRejected', {
      alarmDescription:
        'The heartbeat function rejected malformed heartbeats or ones for an unknown group or node (see its log): a node may be misconfigured.',
      metric: tocsinMetric(METRIC.heartbeatsRejected),
      ...ANY_IN_A_PERIOD,
    });
  }
}
