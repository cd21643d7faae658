import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import type { TocsinConfig } from '../lambda/core/config';
import { createFunction } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link StatusPage}. */
export interface StatusPageProps {
  /** The incident store, read only; when it has a customer-managed key, the function may use it. */
  readonly table: dynamodb.ITable;
  /** Tocsin's configuration with its defaults applied; passed to the function as `CONFIG` (which markets and groups to show). */
  readonly config: TocsinConfig;
  /** Where the alarm on this construct's own failures goes. */
  readonly opsAlerts: OpsAlerts;
}

/**
 * What `status` does with the store, read only: GetItem for each market's state, Query on the
 * base table for an incident's items and each group's lease, Query on gsi1 for the open incidents
 * and on gsi2 for the list of every incident (`GET /incidents`; no other function reads gsi2).
 */
export const STATUS_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:Query'],
  indexActions: { gsi1: ['dynamodb:Query'], gsi2: ['dynamodb:Query'] },
};

/**
 * Market status and incident timelines, as JSON for tools and as HTML for a browser: the
 * `status` function behind a Function URL with IAM authentication (callers sign with SigV4;
 * put CloudFront with origin access control in front of it to serve people without AWS
 * credentials). It writes nothing.
 *
 * @example
 * const status = new StatusPage(this, 'StatusPage', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'StatusUrl', { value: status.functionUrl.url });
 */
export class StatusPage extends Construct {
  /** The `status` function (`lambda/handlers/status.ts`). */
  public readonly function: NodejsFunction;
  /** HTTPS endpoint: `GET /`, `GET /incidents` and `GET /incidents/<id>`; callers sign their requests (`lambda:InvokeFunctionUrl`). */
  public readonly functionUrl: lambda.FunctionUrl;

  public constructor(scope: Construct, id: string, props: StatusPageProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    const store = storeSettings(table, config);

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'status.ts'),
      description: 'Tocsin status: market status and incident timelines (HTML and JSON)',
      ...store,
    });
    grantStoreAccess(this.function, table, STATUS_STORE_ACCESS);

    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The status function failed: market status and timelines may not be readable.',
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
