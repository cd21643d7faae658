import { describeStacksReply } from './stub-server';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { GetSubscriptionAttributesCommand } from '@aws-sdk/client-sns';
import type { LocalResources } from '../../local/resources';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { PROJECT_ROOT } from '../helpers/processes';
import { closedPort, participantQueue, scratch, tocsin } from './helpers';

/**
 * The targets other than local serve mode: `--topic-arn` (explicit) and `--stack` (CloudFormation
 * outputs). SNS is the real emulator, reached through AWS_ENDPOINT_URL_SNS as in production code;
 * CloudFormation is a stand-in HTTP server answering DescribeStacks in the service's own
 * protocol (awsQuery XML), since no emulator here serves CloudFormation.
 */
describe('tocsin subscribe targets: --topic-arn and --stack', () => {
  let aws: TestAws;
  let resources: LocalResources;
  let cloudFormation: Server;
  let cloudFormationUrl: string;
  const describeStacksCalls: string[] = [];

  /** Stacks the stand-in knows: name → outputs. */
  const stacks = new Map<string, Record<string, string>>();

  beforeAll(async () => {
    aws = testClients();
    resources = await createTestResources('cli-target', aws);
    stacks.set('Tocsin', { TableName: 'tocsin-state', NoticeTopicArn: resources.noticeTopicArn, OperateUrl: 'https://operate.example/' });
    stacks.set('NotTocsin', { BucketName: 'some-bucket' });
    cloudFormation = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        const form = new URLSearchParams(body);
        const name = form.get('StackName') ?? '';
        describeStacksCalls.push(`${form.get('Action')} ${name}`);
        const reply = describeStacksReply(name, stacks.get(name));
        response.setHeader('content-type', 'text/xml');
        response.statusCode = reply.statusCode;
        response.end(reply.body);
      });
    });
    await new Promise<void>((done) => cloudFormation.listen(0, '127.0.0.1', done));
    cloudFormationUrl = `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    aws.destroy();
    await new Promise((done) => cloudFormation.close(done));
  });

  /** CloudFormation clients as the CLI builds them, pointed at the stand-in. */
  const clients = {
    cloudFormation: (config: object) =>
      new CloudFormationClient({ ...config, endpoint: cloudFormationUrl, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }),
  };

  it('subscribes to the NoticeTopicArn output of the stack named by --stack', async () => {
    const queue = await participantQueue(aws.sqs);

    const outcome = await tocsin(['subscribe', '--stack', 'Tocsin', '--region', 'us-east-1', '--protocol', 'sqs', '--endpoint', queue.arn, '--types', 'halt'], { clients });

    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    expect(describeStacksCalls).toContain('DescribeStacks Tocsin');
    const { Attributes } = await aws.sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: outcome.stdout.trim() }));
    expect(Attributes).toMatchObject({ TopicArn: resources.noticeTopicArn, Endpoint: queue.arn, FilterPolicy: '{"type":["halt"]}' });
  });

  it('reads the stack named Tocsin when no target option is given', async () => {
    const queue = await participantQueue(aws.sqs);
    describeStacksCalls.length = 0;

    const outcome = await tocsin(['subscribe', '--region', 'us-east-1', '--protocol', 'sqs', '--endpoint', queue.arn], { clients });

    expect(outcome.code).toBe(0);
    expect(describeStacksCalls).toEqual(['DescribeStacks Tocsin']);
  });

  it.each<[string, string, RegExp]>([
    ['a stack that does not exist', 'Nope', /^error: stack Nope not found in eu-west-1: deploy it/],
    ['a stack with no NoticeTopicArn output', 'NotTocsin', /^error: stack NotTocsin has no NoticeTopicArn output \(it has BucketName\); is it a Tocsin stack\?\n$/],
  ])('fails for %s', async (_, stack, message) => {
    const outcome = await tocsin(['subscribe', '--stack', stack, '--region', 'eu-west-1', '--protocol', 'sqs', '--endpoint', 'arn:aws:sqs:eu-west-1:123456789012:q'], { clients });

    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(message);
  });

  it('checks the options before calling CloudFormation', async () => {
    describeStacksCalls.length = 0;

    const outcome = await tocsin(['subscribe', '--stack', 'Tocsin', '--region', 'us-east-1', '--protocol', 'sqs', '--endpoint', 'queue'], { clients });

    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain('--endpoint');
    expect(describeStacksCalls).toEqual([]);
  });

  it('subscribes to the topic named by --topic-arn, in the ARN’s region', async () => {
    const queue = await participantQueue(aws.sqs);

    const outcome = await tocsin(['subscribe', '--topic-arn', resources.noticeTopicArn, '--protocol', 'sqs', '--endpoint', queue.arn, '--json']);

    expect(outcome.code).toBe(0);
    expect(JSON.parse(outcome.stdout)).toMatchObject({ topicArn: resources.noticeTopicArn, target: '--topic-arn' });
  });

  it.each<[string, string[], string]>([
    ['a malformed ARN', ['--topic-arn', 'notices'], 'error: option --topic-arn: "notices" is not an SNS topic ARN'],
    ['a --region other than the ARN’s', ['--topic-arn', 'arn:aws:sns:us-east-1:000000000000:notices', '--region', 'eu-west-1'], 'error: option --region: eu-west-1 differs'],
    ['--topic-arn with --stack', ['--topic-arn', 'arn:aws:sns:us-east-1:000000000000:notices', '--stack', 'Tocsin'], "cannot be used with option '--stack <name>'"],
  ])('rejects %s', async (_, extra, message) => {
    const outcome = await tocsin(['subscribe', '--protocol', 'sqs', '--endpoint', 'arn:aws:sqs:us-east-1:000000000000:q', ...extra]);

    expect(outcome.code).toBe(2);
    expect(outcome.stderr).toContain(message);
  });

  describe('through the bin (bin/tocsin.js) with the real default credential chain', () => {
    let home: ReturnType<typeof scratch>;
    beforeAll(() => (home = scratch('home')));
    afterAll(() => home.cleanup());

    /** Runs `node bin/tocsin.js …` with an environment that has no AWS configuration at all, plus `env`. */
    function bin(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
      const bare = {
        PATH: process.env.PATH ?? '',
        HOME: home.dir,
        AWS_CONFIG_FILE: join(home.dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home.dir, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        ...env,
      };
      return new Promise((done) => {
        execFile(process.execPath, [join(PROJECT_ROOT, 'bin', 'tocsin.js'), ...args], { cwd: PROJECT_ROOT, env: bare }, (error, stdout, stderr) =>
          done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    }

    it('fails with "no AWS credentials found" when the chain finds none', async () => {
      const port = await closedPort();

      const outcome = await bin(['subscribe', '--region', 'eu-west-1', '--protocol', 'sqs', '--endpoint', 'arn:aws:sqs:eu-west-1:123456789012:q'], {
        AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${port}`,
      });

      expect(outcome.code).toBe(5);
      expect(outcome.stdout).toBe('');
      expect(outcome.stderr).toMatch(/^error: no AWS credentials found: [^\n]+--local\n$/);
    });

    it('fails with "no AWS region" when neither --region nor the environment names one', async () => {
      const outcome = await bin(['subscribe', '--protocol', 'sqs', '--endpoint', 'arn:aws:sqs:eu-west-1:123456789012:q'], {
        AWS_ACCESS_KEY_ID: 'test',
        AWS_SECRET_ACCESS_KEY: 'test',
      });

      expect(outcome).toEqual({ code: 2, stdout: '', stderr: 'error: no AWS region: pass --region or set AWS_REGION\n' });
    });

    it('prints help and exits 0', async () => {
      const outcome = await bin(['--help'], {});

      expect(outcome.code).toBe(0);
      expect(outcome.stdout).toContain('subscribe [options]');
    });
  });
});
