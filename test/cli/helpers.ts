import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListSubscriptionsByTopicCommand, type SNSClient } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { run } from '../../bin/cli/program';
import type { CliIo } from '../../bin/cli/io';
import { uniquePrefix } from '../helpers/aws';

/** What one `tocsin …` run left behind. */
export interface CliOutcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI in-process with captured output; `io` overrides env and clients. */
export async function tocsin(args: readonly string[], io: Partial<Omit<CliIo, 'stdout' | 'stderr'>> = {}): Promise<CliOutcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: {},
    ...io,
  });
  return { code, stdout, stderr };
}

/** A scratch folder removed by `cleanup()`. */
export function scratch(label: string): { dir: string; file(name: string, content: string): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), `tocsin-${label}-`));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * The line `npm start -- --serve` prints, for the emulators the test harness started
 * (globalSetup exports their endpoints as the SDK's standard variables).
 */
export function serveLine(noticeTopicArn: string, overrides: Record<string, string> = {}): string {
  const { AWS_ENDPOINT_URL_SNS, AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION } = process.env;
  if (!AWS_ENDPOINT_URL_SNS || !AWS_REGION) throw new Error('the emulators are not up: run through jest (globalSetup)');
  return JSON.stringify({
    dynamodbEndpoint: AWS_ENDPOINT_URL_DYNAMODB,
    snsEndpoint: AWS_ENDPOINT_URL_SNS,
    sqsEndpoint: AWS_ENDPOINT_URL_SQS,
    region: AWS_REGION,
    noticeTopicArn,
    ...overrides,
  });
}

/** A fresh participant queue: its URL (to receive) and ARN (to subscribe). */
export async function participantQueue(sqs: SQSClient): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniquePrefix('participant') }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  if (!QueueUrl || !Attributes?.QueueArn) throw new Error('CreateQueue gave no URL or ARN');
  return { url: QueueUrl, arn: Attributes.QueueArn };
}

/** Every message body waiting on the queue (short waits until one comes back empty). */
export async function drain(sqs: SQSClient, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    if (Messages.length === 0) return bodies;
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
}

/** The ARNs of the topic's subscriptions. */
export async function subscriptionsOf(sns: SNSClient, topicArn: string): Promise<string[]> {
  const arns: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, NextToken }));
    arns.push(...(page.Subscriptions ?? []).map((s) => s.SubscriptionArn ?? ''));
    NextToken = page.NextToken;
  } while (NextToken);
  return arns.sort();
}

/** A TCP port nothing listens on: bound, then released. */
export function closedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => done(port));
    });
  });
}
