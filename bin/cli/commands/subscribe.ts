import { Option, type Command } from 'commander';
import { NOTICE_TYPES } from '../../../lambda/core/model';
import { SEVERITIES } from '../../../lambda/core/signal';
import { explainAwsError } from '../errors';
import type { CommandContext } from '../io';
import { commaList } from '../options';
import { planSubscription, PROTOCOLS, type Protocol, type SubscriptionPlan } from '../subscription';
import { addTargetOptions, resolveTarget, type TargetOptions } from '../target';

/**
 * `tocsin subscribe`: subscribes a participant endpoint to the notices topic, with a filter policy
 * on the notice message attributes (`type`, `market`, `severity`, `incidentId`).
 *
 * @example
 *   tocsin subscribe --protocol sqs --endpoint arn:aws:sqs:eu-west-1:123456789012:halts \
 *     --types halt,resume --markets equities
 */

interface SubscribeOptions extends TargetOptions {
  readonly protocol: string;
  readonly endpoint: string;
  readonly types?: string[];
  readonly markets?: string[];
  readonly severities?: string[];
  readonly incident?: string[];
  readonly pages?: boolean;
  readonly stage?: string[];
  readonly raw?: boolean;
  readonly json?: boolean;
}

/** What `--json` prints. */
export interface SubscribeResult {
  readonly subscriptionArn: string;
  readonly topicArn: string;
  readonly protocol: Protocol;
  readonly endpoint: string;
  readonly filterPolicy: SubscriptionPlan['filterPolicy'] | null;
  readonly rawMessageDelivery: boolean;
  /** http, https and email endpoints must confirm before SNS delivers anything. */
  readonly confirmationRequired: boolean;
  readonly target: string;
}

/** Protocols whose endpoint receives a SubscriptionConfirmation to act on. */
const CONFIRMED_BY_ENDPOINT: readonly Protocol[] = ['http', 'https', 'email', 'email-json'];

export function register(parent: Command, ctx: CommandContext): Command {
  const command = parent
    .command('subscribe')
    .summary('subscribe an endpoint to the notices topic, with a filter policy')
    .description(
      'Subscribe a participant endpoint to the notices topic. The filter options build an SNS filter policy on the ' +
        'notice message attributes (type, market, severity, incidentId); without any, every notice is delivered. ' +
        'Lists are comma-separated. Prints the subscription ARN.',
    )
    .addOption(new Option('--protocol <protocol>', 'how SNS delivers').choices(PROTOCOLS).makeOptionMandatory())
    .requiredOption('--endpoint <endpoint>', 'queue ARN (sqs), URL (http, https), address (email, email-json), function ARN (lambda)')
    .option('--types <list>', `notice types: ${NOTICE_TYPES.join(', ')}`, commaList)
    .option('--markets <list>', 'market ids, e.g. equities', commaList)
    .option('--severities <list>', `severities: ${SEVERITIES.join(', ')}`, commaList)
    .option('--incident <id>', 'notices of these incidents only (comma-separated)', commaList)
    .option('--pages', "subscribe an operator's endpoint to the pages topic (tocsin.page/v1) instead of the notices topic")
    .option('--stage <list>', 'with --pages: escalation stages, e.g. on-call,duty-manager', commaList)
    .option('--raw', 'raw message delivery: the notice JSON without the SNS envelope (sqs, http, https)')
    .option('--json', 'print the result as JSON');
  addTargetOptions(command).addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ tocsin subscribe --protocol sqs --endpoint arn:aws:sqs:eu-west-1:123456789012:halts --types halt,resume --markets equities',
      '  $ tocsin subscribe --local serve.json --protocol sqs --endpoint "$QUEUE_ARN" --severities critical --json',
      '  $ tocsin subscribe --pages --stage on-call --protocol sms --endpoint +819012345678',
      '  $ tocsin subscribe --pages --stage duty-manager --severities critical --protocol email --endpoint duty@example.jp',
    ].join('\n'),
  );
  return command.action((options: SubscribeOptions) => subscribe(options, ctx));
}

async function subscribe(options: SubscribeOptions, ctx: CommandContext): Promise<void> {
  // Everything is checked before the first call: SNS would refuse some of it, the emulator none.
  const plan = planSubscription({
    protocol: options.protocol,
    endpoint: options.endpoint,
    types: options.types,
    markets: options.markets,
    severities: options.severities,
    incidents: options.incident,
    ...(options.pages ? { pages: true } : {}),
    ...(options.stage ? { stages: options.stage } : {}),
    raw: options.raw,
  });
  const target = await resolveTarget(options, ctx);
  const topicArn = target.output(options.pages ? 'pageTopicArn' : 'noticeTopicArn');
  const sns = ctx.own(ctx.clients.sns({ ...target.clientConfig('sns') }));
  // Loaded here, not at start-up: only subscribe needs it. (require, not import(): jest runs
  // CommonJS without the VM modules a dynamic import needs.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SubscribeCommand } = require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
  let subscriptionArn: string | undefined;
  try {
    ({ SubscriptionArn: subscriptionArn } = await sns.send(
      new SubscribeCommand({
        TopicArn: topicArn,
        Protocol: plan.protocol,
        Endpoint: plan.endpoint,
        Attributes: Object.keys(plan.attributes).length > 0 ? plan.attributes : undefined,
        // An ARN even while an http/email endpoint has not confirmed, so it can be unsubscribed by ARN.
        ReturnSubscriptionArn: true,
      }),
    ));
  } catch (error) {
    throw explainAwsError(error, { service: 'SNS', where: target.where('sns'), local: target.local });
  }
  if (!subscriptionArn) throw explainAwsError(new Error('Subscribe returned no SubscriptionArn'), { service: 'SNS', where: target.where('sns'), local: target.local });

  const confirmationRequired = CONFIRMED_BY_ENDPOINT.includes(plan.protocol);
  if (options.json) {
    const result: SubscribeResult = {
      subscriptionArn,
      topicArn,
      protocol: plan.protocol,
      endpoint: plan.endpoint,
      filterPolicy: plan.filterPolicy ?? null,
      rawMessageDelivery: plan.rawMessageDelivery,
      confirmationRequired,
      target: target.description,
    };
    ctx.out(JSON.stringify(result));
  } else {
    ctx.out(subscriptionArn);
  }
  if (target.local && plan.protocol !== 'sqs') {
    ctx.note(`note: the local emulator accepts ${plan.protocol} subscriptions but delivers only to SQS queues`);
  } else if (confirmationRequired) {
    ctx.note(`note: SNS sends a subscription confirmation to ${plan.endpoint}; nothing is delivered until it is confirmed`);
  }
}
