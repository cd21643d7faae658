import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createLocalResources, type LocalResources } from '../../local/resources';

/**
 * Test helpers for the real local emulators started by test/globalSetup.mjs. Clients are built
 * with no options: the SDK's standard AWS_ENDPOINT_URL_* variables route them to the emulators,
 * exactly as the production code is routed.
 */

/** A name prefix unique to one test file (or one test), so files can run in parallel. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

export interface TestAws {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  destroy(): void;
}

export function testClients(): TestAws {
  const dynamodb = new DynamoDBClient({});
  const streams = new DynamoDBStreamsClient({});
  const sns = new SNSClient({});
  // fauxqs' queue URLs name a host of their own; keep every call on the endpoint variable.
  const sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  return {
    dynamodb,
    streams,
    sns,
    sqs,
    destroy() {
      dynamodb.destroy();
      streams.destroy();
      sns.destroy();
      sqs.destroy();
    },
  };
}

/** Creates a fresh table and topics for one test file. */
export function createTestResources(label: string, clients: TestAws): Promise<LocalResources> {
  return createLocalResources(uniquePrefix(label), { dynamodb: clients.dynamodb, sns: clients.sns });
}

/**
 * The emulators the suite's globalSetup started, in the shape the local runtime takes, so a test
 * can run the runtime (or the replay) on them instead of starting its own; stopping is left to
 * globalTeardown.
 */
export function suiteEmulators(): import('../../local/runtime').RunningEmulators {
  const env = process.env as Record<string, string>;
  return {
    dynamodb: { endpoint: env.AWS_ENDPOINT_URL_DYNAMODB!, pid: Number(env.TOCSIN_TEST_DYNAMODB_PID) },
    sns: { endpoint: env.AWS_ENDPOINT_URL_SNS! },
    region: env.AWS_REGION!,
    environment: {},
    stop: async () => {},
  };
}
