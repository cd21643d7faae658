import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { METRIC } from '../lambda/adapters/observability';
import type { TocsinConfig } from '../lambda/core/config';
import { ANY_IN_A_PERIOD, createFunction, tocsinMetric } from './defaults';
import type { OpsAlerts } from './ops-alerts';
import { grantStoreAccess, storeSettings, type StoreAccess } from './store-access';

/** Properties of {@link ReadinessPolls}. */
export interface ReadinessPollsProps {
  /** The incident store (polls, answers, the halting incident's timeline); its key, if customer-managed, may be used. */
  readonly table: dynamodb.ITable;
  /**
   * Tocsin's configuration with its defaults applied; passed to the function as `CONFIG`. Its
   * `participants[].accountId` are the only accounts the URL's resource policy admits.
   */
  readonly config: TocsinConfig;
  /** Where the alarm on this construct's own failures goes. */
  readonly opsAlerts: OpsAlerts;
}

/**
 * What `respond` does with the store: a strongly consistent Query of the poll's partition (the
 * poll and its answers), GetItem of the halting incident, and the answer's conditional PutItems
 * (answer, poll, timeline entry: the Puts of one TransactWriteItems). No index.
 */
export const RESPOND_STORE_ACCESS: StoreAccess = {
  tableActions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
};

/**
 * The two actions a Function URL with AWS_IAM auth needs of a caller in another account, in the
 * function's resource policy (and in the caller's own identity policy): `lambda:InvokeFunctionUrl`
 * for URLs with `AWS_IAM` auth, and — for function URLs created since October 2025 —
 * `lambda:InvokeFunction`, limited here to invocations through the URL (`lambda:InvokedViaFunctionUrl`),
 * so a participant cannot invoke the function directly with an event of its own making.
 */
export const PARTICIPANT_INVOKE_ACTIONS = ['lambda:InvokeFunctionUrl', 'lambda:InvokeFunction'] as const;

/**
 * Participants' answers to readiness polls (shared/DESIGN.md, "Resumption"): the `respond`
 * function behind a Function URL with IAM authentication, which the configured participants
 * call from their own AWS accounts.
 *
 * The URL's resource policy grants exactly the accounts in `participants[].accountId`, each
 * `lambda:InvokeFunctionUrl` (auth type `AWS_IAM`) and `lambda:InvokeFunction` only via the URL;
 * the handler then checks that the signing account is the one of the participant the answer
 * speaks for (403 otherwise). A participant without an `accountId` cannot answer through it.
 *
 * Called synchronously (the participant waits for its tally), so no dead-letter queue: a failure
 * is the caller's error response, and the errors alarm tells the operators.
 *
 * @example
 * const polls = new ReadinessPolls(this, 'ReadinessPolls', { table: store.table, config, opsAlerts });
 * new CfnOutput(this, 'RespondUrl', { value: polls.functionUrl.url });
 */
export class ReadinessPolls extends Construct {
  /** The `respond` function (`lambda/handlers/respond.ts`). */
  public readonly function: NodejsFunction;
  /** Where participants POST their answers, signed with SigV4 by their own accounts. */
  public readonly functionUrl: lambda.FunctionUrl;
  /** The accounts the resource policy admits, in configuration order. */
  public readonly participantAccounts: readonly string[];

  public constructor(scope: Construct, id: string, props: ReadinessPollsProps) {
    super(scope, id);
    const { table, config, opsAlerts } = props;
    // Before anything is built: a configuration too large even for the bundle fails here.
    const store = storeSettings(table, config);

    this.function = createFunction(this, 'Function', {
      entry: join(__dirname, '..', 'lambda', 'handlers', 'respond.ts'),
      description: "Tocsin respond: participants' answers to readiness polls",
      ...store,
    });
    grantStoreAccess(this.function, table, RESPOND_STORE_ACCESS);

    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const participants = config.participants.filter((p) => p.accountId !== undefined);
    this.participantAccounts = participants.map((p) => p.accountId!);
    for (const participant of participants) {
      // Construct ids by participant id: adding or removing one participant leaves the others' permissions alone.
      const principal = new iam.AccountPrincipal(participant.accountId);
      this.function.addPermission(`InvokeUrl-${participant.id}`, {
        principal,
        action: 'lambda:InvokeFunctionUrl',
        functionUrlAuthType: lambda.FunctionUrlAuthType.AWS_IAM,
      });
      this.function.addPermission(`Invoke-${participant.id}`, {
        principal,
        action: 'lambda:InvokeFunction',
        invokedViaFunctionUrl: true,
      });
    }

    const oneMinute = Duration.minutes(1);
    opsAlerts.alarmOn(this, 'Errors', {
      alarmDescription: "The respond function failed: a participant's readiness answer may not have been recorded.",
      metric: this.function.metricErrors({ period: oneMinute, statistic: cloudwatch.Stats.SUM }),
      ...ANY_IN_A_PERIOD,
    });
    // Not on any one refusal: a participant answering a minute after respondBy is refused (409) as
    // it should be. Three in five minutes is a participant (or a script) failing repeatedly —
    // signing with another account, a wrong poll id — and the operators should call it.
    opsAlerts.alarmOn(this, 'AnswersRejected', {
      alarmDescription:
        'At least 3 readiness answers were refused in 5 minutes (a participant signing for another, an unknown poll or participant, a closed poll, a malformed body): see the respond log, and call the participant.',
      metric: tocsinMetric(METRIC.answersRejected).with({ period: Duration.minutes(5) }),
      threshold: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
    });
  }
}
