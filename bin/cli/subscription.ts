import { NOTICE_TYPES, PAGE_TYPES } from '../../lambda/core/model';
import { SEVERITIES } from '../../lambda/core/signal';
import { ID_MAX_LENGTH, ID_PATTERN } from '../../lambda/core/validation';
import { OptionError } from './errors';

/**
 * A participant's subscription to the notices topic, checked the way SNS checks it, before any
 * call: the local emulator accepts almost anything, so without these checks a subscription that
 * works locally could be refused by AWS (or, worse, accepted and never match).
 */

/** The protocols a participant can subscribe with. */
export const PROTOCOLS = ['sqs', 'https', 'http', 'email', 'email-json', 'lambda', 'sms'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** SNS allows raw message delivery (no SNS envelope) only for these. */
export const RAW_DELIVERY_PROTOCOLS: readonly Protocol[] = ['sqs', 'http', 'https'];

/** SNS limits on a filter policy: attribute names, and the product of the value counts. */
export const FILTER_POLICY_MAX_KEYS = 5;
export const FILTER_POLICY_MAX_COMBINATIONS = 150;

/** The notice message attributes a participant can filter on (see lambda/adapters/sns-publisher.ts). */
export interface NoticeFilterPolicy {
  type?: string[];
  market?: string[];
  severity?: string[];
  incidentId?: string[];
  stage?: string[];
}

/** What the user asked for, as parsed from the command line (lists already split at commas). */
export interface SubscriptionRequest {
  readonly protocol: string;
  readonly endpoint: string;
  readonly types?: readonly string[];
  readonly markets?: readonly string[];
  readonly severities?: readonly string[];
  readonly incidents?: readonly string[];
  /** Subscribe to the operators' pages topic instead of the participants' notices topic. */
  readonly pages?: boolean;
  /** Escalation stages (pages only), e.g. `on-call`. */
  readonly stages?: readonly string[];
  readonly raw?: boolean;
}

/** A checked subscription, ready for SNS Subscribe. */
export interface SubscriptionPlan {
  readonly protocol: Protocol;
  readonly endpoint: string;
  /** Undefined when no filter option was given: the participant receives every notice. */
  readonly filterPolicy: NoticeFilterPolicy | undefined;
  readonly rawMessageDelivery: boolean;
  /** The Subscribe `Attributes`. */
  readonly attributes: Record<string, string>;
}

/**
 * Checks a subscription request and builds the SNS Subscribe attributes.
 * @throws OptionError naming the option at fault.
 */
export function planSubscription(request: SubscriptionRequest): SubscriptionPlan {
  const protocol = checkProtocol(request.protocol);
  const endpoint = checkEndpoint(protocol, request.endpoint);
  const rawMessageDelivery = request.raw === true;
  if (rawMessageDelivery && !RAW_DELIVERY_PROTOCOLS.includes(protocol)) {
    throw new OptionError('--raw', `raw message delivery is only for ${RAW_DELIVERY_PROTOCOLS.join(', ')}, not ${protocol}`);
  }
  const filterPolicy = noticeFilterPolicy(request);
  const attributes: Record<string, string> = {};
  if (filterPolicy) {
    attributes.FilterPolicy = JSON.stringify(filterPolicy);
    attributes.FilterPolicyScope = 'MessageAttributes';
  }
  if (rawMessageDelivery) attributes.RawMessageDelivery = 'true';
  return { protocol, endpoint, filterPolicy, rawMessageDelivery, attributes };
}

/** The filter options of notices, in order: attribute name, option, and the check for one value. */
const NOTICE_FILTERS = [
  { key: 'type', option: '--types', field: 'types', check: oneOf(NOTICE_TYPES, 'a notice type') },
  { key: 'market', option: '--markets', field: 'markets', check: marketId },
  { key: 'severity', option: '--severities', field: 'severities', check: oneOf(SEVERITIES, 'a severity') },
  { key: 'incidentId', option: '--incident', field: 'incidents', check: incidentId },
] as const;

/** The filter options of pages (attributes type, stage, severity, component, market). */
const PAGE_FILTERS = [
  { key: 'type', option: '--types', field: 'types', check: oneOf(PAGE_TYPES, 'a page type') },
  { key: 'stage', option: '--stage', field: 'stages', check: marketId },
  { key: 'market', option: '--markets', field: 'markets', check: marketId },
  { key: 'severity', option: '--severities', field: 'severities', check: oneOf(SEVERITIES, 'a severity') },
] as const;

/**
 * The filter policy on the notice message attributes, with only the keys given; undefined when
 * none is. Values are de-duplicated, order kept.
 * @throws OptionError for a bad value or a policy over SNS's limits.
 */
export function noticeFilterPolicy(request: Pick<SubscriptionRequest, 'types' | 'markets' | 'severities' | 'incidents' | 'pages' | 'stages'>): NoticeFilterPolicy | undefined {
  if (!request.pages && request.stages !== undefined) throw new OptionError('--stage', 'filters pages: use it with --pages');
  if (request.pages && request.incidents !== undefined) {
    throw new OptionError('--incident', 'pages carry no incidentId attribute: filter pages on --stage, --types, --markets or --severities');
  }
  const policy: NoticeFilterPolicy = {};
  const given: string[] = [];
  const filters: ReadonlyArray<(typeof NOTICE_FILTERS)[number] | (typeof PAGE_FILTERS)[number]> = request.pages ? PAGE_FILTERS : NOTICE_FILTERS;
  for (const { key, option, field, check } of filters) {
    const values = request[field];
    if (values === undefined) continue;
    if (values.length === 0) throw new OptionError(option, 'needs at least one value');
    for (const value of values) {
      if (value === '') throw new OptionError(option, 'has an empty value (check the commas)');
      const problem = check(value);
      if (problem) throw new OptionError(option, problem);
    }
    policy[key] = [...new Set(values)];
    given.push(option);
  }
  if (given.length === 0) return undefined;
  checkFilterPolicyLimits(policy as Record<string, readonly string[]>, given);
  return policy;
}

/**
 * SNS refuses a filter policy with more than 5 attribute names or whose value counts multiply to
 * more than 150; the local emulator does not, so the CLI checks.
 * @param options the options that built the policy, named in the error.
 */
export function checkFilterPolicyLimits(policy: Readonly<Record<string, readonly string[]>>, options: readonly string[]): void {
  const counts = Object.values(policy).map((values) => values.length);
  const named = options.join(', ');
  if (counts.length > FILTER_POLICY_MAX_KEYS) {
    throw new OptionError(named, `a filter policy may name at most ${FILTER_POLICY_MAX_KEYS} attributes, got ${counts.length}`);
  }
  const combinations = counts.reduce((product, n) => product * n, 1);
  if (combinations > FILTER_POLICY_MAX_COMBINATIONS) {
    throw new OptionError(
      named,
      `${counts.join(' × ')} = ${combinations} value combinations; SNS allows at most ${FILTER_POLICY_MAX_COMBINATIONS} in one filter policy: ` +
        'give fewer values, or subscribe twice',
    );
  }
}

function checkProtocol(protocol: string): Protocol {
  const found = PROTOCOLS.find((p) => p === protocol);
  if (!found) throw new OptionError('--protocol', `${JSON.stringify(protocol)} is not one of ${PROTOCOLS.join(', ')}`);
  return found;
}

const SQS_QUEUE_ARN = /^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$/;
const LAMBDA_FUNCTION_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9$_-]{1,128})?$/;
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The endpoint in the shape SNS expects for `protocol`. */
export function checkEndpoint(protocol: Protocol, endpoint: string): string {
  const value = endpoint.trim();
  const fail = (expected: string): never => {
    throw new OptionError('--endpoint', `${JSON.stringify(endpoint)} is not ${expected} (--protocol ${protocol})`);
  };
  switch (protocol) {
    case 'sqs':
      if (/^https?:\/\//.test(value)) fail('a queue ARN: give the queue ARN (GetQueueAttributes QueueArn), not its URL');
      if (!SQS_QUEUE_ARN.test(value)) fail('an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:QUEUE)');
      return value;
    case 'lambda':
      if (!LAMBDA_FUNCTION_ARN.test(value)) fail('a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME)');
      return value;
    case 'http':
    case 'https': {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || url.protocol !== `${protocol}:` || !url.hostname) fail(`an ${protocol}:// URL`);
      return value;
    }
    case 'email':
    case 'email-json':
      if (!EMAIL_ADDRESS.test(value)) fail('an email address');
      return value;
    case 'sms':
      // SNS takes E.164: a plus, the country code, the number, no spaces.
      if (!/^\+[1-9]\d{6,14}$/.test(value)) fail('a phone number in E.164 form (e.g. +819012345678)');
      return value;
  }
}

function oneOf(allowed: readonly string[], what: string): (value: string) => string | undefined {
  return (value) => (allowed.includes(value) ? undefined : `${JSON.stringify(value)} is not ${what}; expected any of ${allowed.join(', ')}`);
}

function marketId(value: string): string | undefined {
  if (value.length <= ID_MAX_LENGTH && ID_PATTERN.test(value)) return undefined;
  return `${JSON.stringify(value)} is not a market id (lower-case letters, digits and dashes, e.g. equities)`;
}

function incidentId(value: string): string | undefined {
  if (/^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/.test(value)) return undefined;
  return `${JSON.stringify(value)} is not an incident id (e.g. inc-20201001-070412-3fa9c1)`;
}
