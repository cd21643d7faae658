import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { ENV } from '../lambda/adapters/environment';
import type { TocsinConfig } from '../lambda/core/config';
import { createFunction } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link Operations}. */
export interface OperationsProps {
  /** The incident store; when it has a customer-managed key (`table.encryptionKey`), the function may use it. */
  readonly table: dynamodb.ITable;
  /** Tocsin's configuration with its defaults applied; passed to the function as `CONFIG`. */
  readonly config: TocsinConfig;
  /** Where the alarm on this construct's own failures goes. */
  readonly opsAlerts: OpsAlerts;
  /**
   * Where participants answer readiness polls (the `ReadinessPolls` URL), named in each poll's
   * notice; passed to the function as `RESPOND_URL`.
   *
   * @default - the notice does not name it
   */
  readonly respondUrl?: string;
}

/**
 * What `operate` does with the store: what `ingest` does (a forced failover records its alarm as
 * ingest would), reading incidents and markets. No index: it never lists open incidents.
 */
export const OPERATE_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
  // `unsilence` wakes the open incidents the silence held: it lists them on gsi1.
  indexActions: { gsi1: ['dynamodb:Query'] },
};

/**
 * Operator commands (ack, declare-halt, poll-readiness, schedule-resume, resume, resolve, annotate, …): the `operate`
 * function behind a Function URL with IAM authentication, so every command is signed and the
 * timeline records the IAM caller who ran it.
 *
 * The function is called synchronously (the operator waits for the answer), so there is no
 * dead-letter queue: a failure is the caller's error response, and the errors alarm tells the
 * operators when commands fail.
 *
 * @example
 * const operations = new Operations(this, 'Operations', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'OperateUrl', { value: operations.functionUrl.url });
 */
export class Operations extends Construct {
  /** The `operate` function (`lambda/handlers/operate.ts`). */
  public readonly function: NodejsFunction;
  /** HTTPS endpoint for operator commands; callers sign their requests (SigV4, `lambda:InvokeFunctionUrl`). */
  public readonly functionUrl: lambda.FunctionUrl;

  public constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    // Before anything is built: a configuration too large even for the bundle fails here.
    const store = storeSettings(table, config);

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'operate.ts'),
      description: 'Tocsin operate: operator commands on incidents and markets',
      ...store,
      environment: { ...store.environment, ...(props.respondUrl !== undefined ? { [ENV.respondUrl]: props.respondUrl } : {}) },
    });
    grantStoreAccess(this.function, table, OPERATE_STORE_ACCESS);

    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: 'The operate function failed: an operator command may not have been carried out.',
      metric: this.function.metricErrors({ period: Duration.minutes(1), statistic: cloudwatch.Stats.SUM }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
