import { OptionError } from '../../bin/cli/errors';
import { FILTER_POLICY_MAX_COMBINATIONS, checkFilterPolicyLimits, planSubscription, type SubscriptionRequest } from '../../bin/cli/subscription';

/** The subscription checks on their own: what SNS would accept, decided before any call. */
describe('planSubscription', () => {
  it.each<[string, string]>([
    ['sqs', 'arn:aws:sqs:eu-west-1:123456789012:participant-halts'],
    ['sqs', 'arn:aws:sqs:eu-west-1:123456789012:participant.fifo'],
    ['https', 'https://participant.example/tocsin/notices'],
    ['http', 'http://10.0.0.7:8080/notices'],
    ['email', 'desk@participant.example'],
    ['email-json', 'ops+tocsin@participant.example'],
    ['lambda', 'arn:aws:lambda:eu-west-1:123456789012:function:receive-notice'],
    ['lambda', 'arn:aws:lambda:eu-west-1:123456789012:function:receive-notice:live'],
    ['sqs', 'arn:aws-cn:sqs:cn-north-1:123456789012:participant'],
  ])('accepts a %s endpoint %s', (protocol, endpoint) => {
    expect(planSubscription({ protocol, endpoint })).toEqual({ protocol, endpoint, filterPolicy: undefined, rawMessageDelivery: false, attributes: {} });
  });

  it('builds the Subscribe attributes: filter policy on message attributes, raw delivery', () => {
    const request: SubscriptionRequest = {
      protocol: 'https',
      endpoint: 'https://participant.example/n',
      types: ['halt', 'resume', 'halt'],
      severities: ['critical'],
      raw: true,
    };

    expect(planSubscription(request).attributes).toEqual({
      FilterPolicy: '{"type":["halt","resume"],"severity":["critical"]}',
      FilterPolicyScope: 'MessageAttributes',
      RawMessageDelivery: 'true',
    });
  });

  it.each<[string, Partial<SubscriptionRequest>, string]>([
    ['an ARN of another service for sqs', { endpoint: 'arn:aws:sns:eu-west-1:123456789012:topic' }, '--endpoint'],
    ['a URL without a host', { protocol: 'https', endpoint: 'https://' }, '--endpoint'],
    ['an empty list', { markets: [] }, '--markets'],
    ['raw delivery for lambda', { protocol: 'lambda', endpoint: 'arn:aws:lambda:eu-west-1:123456789012:function:f', raw: true }, '--raw'],
  ])('rejects %s, naming %s', (_, overrides, option) => {
    const request = { protocol: 'sqs', endpoint: 'arn:aws:sqs:eu-west-1:123456789012:q', ...overrides };

    expect(() => planSubscription(request)).toThrow(expect.objectContaining({ name: 'OptionError', option }));
  });

  it.each<[string, Record<string, string[]>, boolean]>([
    ['150 combinations', { a: ['1', '2', '3', '4', '5'], b: ['1', '2', '3', '4', '5', '6'], c: ['1', '2', '3', '4', '5'] }, true],
    ['151+ combinations', { a: ['1', '2', '3', '4', '5', '6', '7', '8'], b: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', '15', '16', '17', '18', '19'] }, false],
    ['5 attribute names', { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'] }, true],
    ['6 attribute names', { a: ['1'], b: ['1'], c: ['1'], d: ['1'], e: ['1'], f: ['1'] }, false],
  ])('holds a filter policy with %s to SNS limits', (_, policy, allowed) => {
    const check = () => checkFilterPolicyLimits(policy, Object.keys(policy));

    if (allowed) expect(check).not.toThrow();
    else expect(check).toThrow(OptionError);
    expect(FILTER_POLICY_MAX_COMBINATIONS).toBe(150);
  });
});
