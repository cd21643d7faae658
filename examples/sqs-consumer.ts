/**
 * A participant's SQS consumer: prints every Tocsin notice from a queue subscribed to the
 * notices topic, once each, in order per incident, as one JSON line on stdout. Gaps, missing
 * notices and invalid messages go to stderr. Ctrl-C stops it.
 *
 *   node -r ts-node/register/transpile-only examples/sqs-consumer.ts --queue-url URL \
 *     [--endpoint http://127.0.0.1:PORT] [--region us-east-1] [--gap-wait-ms 30000]
 *   node -r ts-node/register/transpile-only examples/sqs-consumer.ts --create-queue NAME …
 *
 * --create-queue makes the queue (or finds it) and prints its ARN on stderr, for
 * `tocsin subscribe --protocol sqs --endpoint ARN`.
 *
 * Against AWS, credentials and region come from the usual places (environment, profile,
 * instance role). With --endpoint (e.g. `npx tocsin local`'s sqsEndpoint) every call goes to
 * that endpoint, and dummy credentials are used unless some are set.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { parseArgs } from 'node:util';
import { NoticeReceiver, consumeQueue } from '../kit';

// The SDK's notice about Node 22 would bury this example's own output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'queue-url': { type: 'string' },
      'create-queue': { type: 'string' },
      endpoint: { type: 'string' },
      region: { type: 'string' },
      'gap-wait-ms': { type: 'string' },
    },
  });
  const endpoint = values.endpoint;
  const region = values.region ?? process.env['AWS_REGION'] ?? (endpoint ? 'us-east-1' : undefined);
  const sqs = new SQSClient({
    ...(region ? { region } : {}),
    ...(endpoint
      ? {
          endpoint,
          // Emulators name their own host in queue URLs; keep every call on --endpoint.
          useQueueUrlAsEndpoint: false,
          ...(process.env['AWS_ACCESS_KEY_ID'] ? {} : { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
        }
      : {}),
  });
  let queueUrl = values['queue-url'];
  if (values['create-queue']) {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: values['create-queue'] }))).QueueUrl;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    process.stderr.write(`queue ARN: ${Attributes?.QueueArn}\n`);
  }
  if (!queueUrl) throw new Error('--queue-url or --create-queue is required');
  const receiver = new NoticeReceiver({
    ...(values['gap-wait-ms'] ? { gapWaitMs: Number(values['gap-wait-ms']) } : {}),
    onGap: (gap) => process.stderr.write(`gap: incident ${gap.incidentId} expected ${gap.expected}, got ${gap.got}; holding\n`),
    onMissing: (event) => process.stderr.write(`missing: incident ${event.incidentId} notices ${event.missing.join(', ')}\n`),
  });
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  process.stderr.write(`consuming ${queueUrl}\n`);
  try {
    const summary = await consumeQueue({
      sqs,
      queueUrl,
      receiver,
      signal: controller.signal,
      onNotice: (notice) => void process.stdout.write(`${JSON.stringify(notice)}\n`),
      onInvalid: (error, message) => process.stderr.write(`invalid message ${message.MessageId ?? '?'} deleted: ${error.message}\n`),
    });
    process.stderr.write(`stopped: ${JSON.stringify(summary)}\n`);
  } finally {
    sqs.destroy();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
