import { GetSubscriptionAttributesCommand } from '@aws-sdk/client-sns';
import { SnsNoticePublisher } from '../../lambda/adapters/sns-publisher';
import { NOTICE_SCHEMA, NOTICE_TYPES, type Notice, type NoticeType } from '../../lambda/core/model';
import type { Severity } from '../../lambda/core/signal';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { closedPort, drain, participantQueue, scratch, serveLine, subscriptionsOf, tocsin } from './helpers';

/**
 * `tocsin subscribe` against the real SNS/SQS emulator (fauxqs, started by jest's globalSetup),
 * reached the way a participant reaches `npm start -- --serve`: through its JSON line.
 */
describe('tocsin subscribe (local serve mode, real emulator)', () => {
  let aws: TestAws;
  let resources: LocalResources;
  let files: ReturnType<typeof scratch>;
  let localFile: string;

  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('cli', aws);
    files = scratch('subscribe');
    localFile = files.file('serve.json', `${serveLine(resources.noticeTopicArn)}\n`);
  });
  afterAll(() => {
    aws.destroy();
    files.cleanup();
  });

  let sequence = 0;
  function notice(type: NoticeType, market: string, severity: Severity = 'critical', incidentId = 'inc-20201001-070412-3fa9c1'): Notice {
    sequence += 1;
    return {
      schema: NOTICE_SCHEMA,
      noticeId: `${incidentId}-${sequence}`,
      type,
      incidentId,
      sequence,
      typeSequence: sequence,
      market,
      segments: [],
      severity,
      issuedAt: '2020-10-01T07:04:12.000Z',
      effectiveAt: '2020-10-01T07:04:12.000Z',
      summary: `${type} ${market}`,
      detail: {},
    };
  }

  /** Publishes through the notify Lambda's own publisher, so the attributes are the ones production sends. */
  async function publish(...notices: Notice[]): Promise<void> {
    const result = await new SnsNoticePublisher(resources.noticeTopicArn, aws.sns).publish(notices);
    expect(result.failed.size).toBe(0);
  }

  async function subscriptionAttributes(subscriptionArn: string): Promise<Record<string, string>> {
    const { Attributes = {} } = await aws.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: subscriptionArn }));
    return Attributes;
  }

  it('subscribes an SQS queue with a filter policy, prints its ARN, and the queue receives exactly the matching notices', async () => {
    // Prepare
    const queue = await participantQueue(aws.sqs);

    // Act
    const outcome = await tocsin([
      'subscribe', '--local', localFile, '--protocol', 'sqs', '--endpoint', queue.arn, '--types', 'halt,resume', '--markets', 'equities',
    ]);

    // Assess: the subscription, as SNS stores it.
    expect(outcome).toEqual({ code: 0, stdout: expect.stringMatching(/^arn:aws:sns:[^\n]+\n$/), stderr: '' });
    const subscriptionArn = outcome.stdout.trim();
    expect(await subscriptionsOf(aws.sns, resources.noticeTopicArn)).toContain(subscriptionArn);
    const attributes = await subscriptionAttributes(subscriptionArn);
    expect(attributes).toMatchObject({
      TopicArn: resources.noticeTopicArn,
      Protocol: 'sqs',
      Endpoint: queue.arn,
      FilterPolicyScope: 'MessageAttributes',
      RawMessageDelivery: 'false',
    });
    expect(JSON.parse(attributes.FilterPolicy ?? 'null')).toEqual({ type: ['halt', 'resume'], market: ['equities'] });

    // Assess: what the participant receives.
    const wanted = [notice('halt', 'equities'), notice('resume', 'equities', 'info')];
    await publish(
      notice('incident-opened', 'equities'),
      wanted[0],
      notice('halt', 'derivatives'),
      notice('resume-scheduled', 'equities'),
      wanted[1],
      notice('resume', 'derivatives'),
    );
    const received = (await drain(aws.sqs, queue.url)).map((body) => JSON.parse(body) as { Type: string; Message: string });
    expect(received.every((envelope) => envelope.Type === 'Notification')).toBe(true);
    expect(received.map((envelope) => JSON.parse(envelope.Message)).sort((a, b) => a.sequence - b.sequence)).toEqual(wanted);
  });

  it('subscribes with no filter policy when no filter option is given, prints JSON with --json, and delivers raw with --raw', async () => {
    const queue = await participantQueue(aws.sqs);

    const outcome = await tocsin(['subscribe', '--local', localFile, '--protocol', 'sqs', '--endpoint', queue.arn, '--raw', '--json']);

    expect(outcome.code).toBe(0);
    expect(outcome.stderr).toBe('');
    const result = JSON.parse(outcome.stdout);
    expect(result).toEqual({
      subscriptionArn: expect.stringMatching(/^arn:aws:sns:/),
      topicArn: resources.noticeTopicArn,
      protocol: 'sqs',
      endpoint: queue.arn,
      filterPolicy: null,
      rawMessageDelivery: true,
      confirmationRequired: false,
      target: `local serve mode (${localFile})`,
    });
    const attributes = await subscriptionAttributes(result.subscriptionArn);
    expect(attributes.FilterPolicy).toBeUndefined();
    expect(attributes.RawMessageDelivery).toBe('true');
    const drill = notice('drill', 'derivatives', 'info');
    await publish(drill);
    expect((await drain(aws.sqs, queue.url)).map((body) => JSON.parse(body))).toEqual([drill]);
  });

  it('builds the filter policy from every filter option, de-duplicated, and filters on severity and incident', async () => {
    const queue = await participantQueue(aws.sqs);

    const outcome = await tocsin([
      'subscribe', '--local', localFile, '--protocol', 'sqs', '--endpoint', queue.arn,
      '--types', 'halt', '--types', 'halt,failover', '--markets', 'equities', '--severities', 'critical,major', '--incident', 'inc-a',
    ]);

    expect(outcome.code).toBe(0);
    const attributes = await subscriptionAttributes(outcome.stdout.trim());
    expect(JSON.parse(attributes.FilterPolicy ?? 'null')).toEqual({
      type: ['halt', 'failover'],
      market: ['equities'],
      severity: ['critical', 'major'],
      incidentId: ['inc-a'],
    });
    const wanted = notice('failover', 'equities', 'major', 'inc-a');
    await publish(notice('halt', 'equities', 'minor', 'inc-a'), notice('halt', 'equities', 'critical', 'inc-b'), wanted);
    expect((await drain(aws.sqs, queue.url)).map((body) => JSON.parse(JSON.parse(body).Message))).toEqual([wanted]);
  });

  it('reads the serve-mode JSON from TOCSIN_LOCAL when --local has no file', async () => {
    const queue = await participantQueue(aws.sqs);

    const outcome = await tocsin(['subscribe', '--local', '--protocol', 'sqs', '--endpoint', queue.arn], {
      env: { TOCSIN_LOCAL: serveLine(resources.noticeTopicArn) },
    });

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(await subscriptionsOf(aws.sns, resources.noticeTopicArn)).toContain(outcome.stdout.trim());
  });

  it('notes on stderr that the emulator never delivers to an https endpoint', async () => {
    const outcome = await tocsin(['subscribe', '--local', localFile, '--protocol', 'https', '--endpoint', 'https://participant.example/tocsin']);

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^arn:aws:sns:/);
    expect(outcome.stderr).toBe('note: the local emulator accepts https subscriptions but delivers only to SQS queues\n');
  });

  const queueArn = 'arn:aws:sqs:us-east-1:000000000000:participant';
  it.each<[string, string[], string]>([
    ['an unknown notice type', ['--types', 'halt,halted'], '--types'],
    ['an empty list item', ['--types', 'halt,'], '--types'],
    ['an unknown severity', ['--severities', 'urgent'], '--severities'],
    ['a market id in capitals', ['--markets', 'Equities'], '--markets'],
    ['an incident id with a space', ['--incident', 'inc 1'], '--incident'],
    ['more than 150 value combinations', ['--types', NOTICE_TYPES.join(','), '--markets', 'm1,m2,m3,m4,m5', '--severities', 'critical,major,minor,info'], '--types, --markets, --severities'],
    ['an unknown protocol', ['--protocol', 'ftp'], '--protocol'],
    ['a queue URL for sqs', ['--endpoint', 'http://127.0.0.1:9324/000000000000/participant'], '--endpoint'],
    ['an http:// URL for https', ['--protocol', 'https', '--endpoint', 'http://participant.example/tocsin'], '--endpoint'],
    ['a name for email', ['--protocol', 'email', '--endpoint', 'operations desk'], '--endpoint'],
    ['a queue ARN for lambda', ['--protocol', 'lambda', '--endpoint', queueArn], '--endpoint'],
    ['--raw for email', ['--protocol', 'email', '--endpoint', 'desk@participant.example', '--raw'], '--raw'],
    ['--local with --topic-arn', ['--topic-arn', 'arn:aws:sns:us-east-1:000000000000:notices'], '--topic-arn'],
    ['--local with --region', ['--region', 'eu-west-1'], '--region'],
    ['an unknown option', ['--type', 'halt'], '--type'],
  ])('rejects %s: exit 2 (usage), one stderr line naming the option, nothing subscribed', async (_, extra, option) => {
    const before = await subscriptionsOf(aws.sns, resources.noticeTopicArn);
    // Later options win in commander, so `extra` can replace the valid defaults.
    const outcome = await tocsin(['subscribe', '--local', localFile, '--protocol', 'sqs', '--endpoint', queueArn, ...extra]);

    expect(outcome.code).toBe(2);
    expect(outcome.stdout).toBe('');
    expect(outcome.stderr).toMatch(/^error: [^\n]+\n$/);
    expect(outcome.stderr).toContain(option);
    expect(await subscriptionsOf(aws.sns, resources.noticeTopicArn)).toEqual(before);
  });

  it('rejects a missing --endpoint, naming it', async () => {
    const outcome = await tocsin(['subscribe', '--local', localFile, '--protocol', 'sqs']);

    expect(outcome).toEqual({ code: 2, stdout: '', stderr: "error: required option '--endpoint <endpoint>' not specified\n" });
  });

  it('fails with a hint to start serve mode when the SNS endpoint is unreachable', async () => {
    const port = await closedPort();
    const unreachable = files.file('closed.json', serveLine(resources.noticeTopicArn, { snsEndpoint: `http://127.0.0.1:${port}` }));

    const outcome = await tocsin(['subscribe', '--local', unreachable, '--protocol', 'sqs', '--endpoint', queueArn]);

    expect(outcome).toEqual({
      code: 5,
      stdout: '',
      stderr: `error: cannot reach SNS at http://127.0.0.1:${port} (ECONNREFUSED); is \`npm start -- --serve\` running?\n`,
    });
  });

  it.each<[string, () => string, RegExp, number]>([
    ['a missing file', () => `${files.dir}/nothing-here.json`, /^error: option --local: cannot read .*nothing-here\.json: ENOENT\n$/, 2],
    ['a file with no JSON', () => files.file('log.txt', 'starting emulators\n'), /^error: option --local: .*log\.txt holds no JSON object/, 2],
    ['JSON without noticeTopicArn', () => files.file('partial.json', JSON.stringify({ snsEndpoint: 'http://127.0.0.1:1', region: 'us-east-1' })), /^error: the serve-mode JSON in .*partial\.json has no "noticeTopicArn"/, 1],
  ])('rejects --local with %s', async (_, file, message, code) => {
    const outcome = await tocsin(['subscribe', '--local', file(), '--protocol', 'sqs', '--endpoint', queueArn]);

    expect(outcome.code).toBe(code);
    expect(outcome.stderr).toMatch(message);
  });

  it('takes the last JSON line of a file holding serve mode’s whole output', async () => {
    const queue = await participantQueue(aws.sqs);
    const log = files.file('serve.log', `emulators up\n{"not":"this one"\n${serveLine(resources.noticeTopicArn)}\n`);

    const outcome = await tocsin(['subscribe', '--local', log, '--protocol', 'sqs', '--endpoint', queue.arn]);

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
  });

  it('reports SNS refusing a second subscription of the same queue with a different filter policy', async () => {
    const queue = await participantQueue(aws.sqs);
    const args = ['subscribe', '--local', localFile, '--protocol', 'sqs', '--endpoint', queue.arn];
    expect((await tocsin([...args, '--types', 'halt'])).code).toBe(0);

    const outcome = await tocsin([...args, '--types', 'resume']);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^error: SNS refused the request \(InvalidParameter\w*\): .*already exists with different attributes\n$/);
  });

  it('reports a topic that does not exist', async () => {
    const missing = files.file('missing.json', serveLine(`${resources.noticeTopicArn}-gone`));

    const outcome = await tocsin(['subscribe', '--local', missing, '--protocol', 'sqs', '--endpoint', queueArn]);

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/^error: SNS refused the request \(NotFound\w*\): [^\n]+\n$/);
  });
});
