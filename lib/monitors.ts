import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { METRIC } from '../lambda/adapters/observability';
import type { TocsinConfig } from '../lambda/core/config';
import { ANY_IN_A_PERIOD, createFunction, tocsinMetric } from './defaults';
import { INGEST_STORE_ACCESS } from './ingest';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings } from './store-access';

/** Properties of {@link Monitors}. */
export interface MonitorsProps {
  /** The incident store; when it has a customer-managed key, the function may use it. */
  readonly table: dynamodb.ITable;
  /** Tocsin's configuration with its defaults applied (its `monitors[]` hold the token digests); passed as `CONFIG`. */
  readonly config: TocsinConfig;
  /** Where the alarms on this construct's own failures go. */
  readonly opsAlerts: OpsAlerts;
  /**
   * Concurrent executions reserved for the monitor function, and its ceiling: however fast
   * monitors post, they never take more of the account's Lambda concurrency than this, so
   * CloudWatch ingest, operator commands and heartbeats keep theirs. Lambda keeps 100 of the
   * account's concurrency unreserved, so an account with the default limit of 1,000 can afford it.
   *
   * @default 10
   */
  readonly reservedConcurrentExecutions?: number;
}

/** The default of {@link MonitorsProps.reservedConcurrentExecutions}. */
export const MONITOR_RESERVED_CONCURRENCY = 10;

/**
 * Alarms from monitors in their own words: the `monitor` function behind a Function URL with auth
 * NONE, which checks `Authorization: Bearer <token>` itself against `monitors[].tokenSha256`
 * (Alertmanager, Grafana, Datadog, Zabbix and PagerDuty-style tools cannot sign SigV4 requests).
 * Paths: `POST /` (monitor event), `/alertmanager` (webhook v4), `/pagerduty/v2/enqueue`
 * (Events API v2).
 *
 * Two throttles keep a runaway monitor from starving CloudWatch ingest: each monitor's
 * `ratePerMinute` (a counter in the table; 429 with Retry-After past it), and the function's
 * reserved concurrency, which caps all monitors together. It has the ingest function's store
 * access (the rate counter is an UpdateItem) and nothing else.
 *
 * @example
 * const monitors = new Monitors(this, 'Monitors', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'MonitorUrl', { value: monitors.functionUrl.url });
 */
export class Monitors extends Construct {
  /** The `monitor` function (`lambda/handlers/monitor.ts`). */
  public readonly function: NodejsFunction;
  /** HTTPS endpoint, auth NONE: the function itself requires a monitor's bearer token. */
  public readonly functionUrl: lambda.FunctionUrl;

  public constructor(scope: Construct, id: string, props: MonitorsProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    const reserved = props.reservedConcurrentExecutions ?? MONITOR_RESERVED_CONCURRENCY;
    if (!Number.isInteger(reserved) || reserved < 1) {
      throw new Error(`Monitors reservedConcurrentExecutions must be a whole number >= 1 (0 would refuse every monitor); got ${reserved}`);
    }
    // Before anything is built: a configuration too large even for the bundle fails here.
    const store = storeSettings(table, config);

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'monitor.ts'),
      description: 'Tocsin monitor: Alertmanager, PagerDuty-style and Tocsin monitor events with bearer tokens',
      ...store,
      // A 1,000-alert Alertmanager webhook is 1,000 alarms: 4 at a time, a few ms each on DynamoDB.
      timeout: Duration.seconds(30),
      reservedConcurrentExecutions: reserved,
    });
    grantStoreAccess(this.function, table, INGEST_STORE_ACCESS);

    // Auth NONE: aws-cdk-lib grants lambda:InvokeFunctionUrl (FunctionUrlAuthType NONE) and
    // lambda:InvokeFunction (InvokedViaFunctionUrl) to "*", both of which URLs made since
    // October 2025 need; the handler refuses every request without a monitor's token.
    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });

    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The monitor function failed: alarms from monitors (Alertmanager, PagerDuty-style) may be lost or retried.',
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    opsAlerts.alarmOnThrottles(this, 'Throttles', this.function, 'monitors used up its reserved concurrency, so Lambda refused requests (429).');
    opsAlerts.alarmOn(this, 'RateLimited', {
      alarmDescription: 'A monitor passed its monitors[].ratePerMinute and was answered 429 (see the function log for which).',
      metric: tocsinMetric(METRIC.monitorRequestsThrottled),
      ...ANY_IN_A_PERIOD,
    });
  }
}
