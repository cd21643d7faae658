import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, type Message } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * Plays Lambda's SQS event source mapping against the local emulator: long-polls a queue, invokes
 * the handler with up to 10 records, deletes what succeeded; a failed record (partial batch
 * response) becomes visible again after the queue's visibility timeout and is retried.
 */
export class QueuePoller {
  private readonly client = new SQSClient({ useQueueUrlAsEndpoint: false });
  private running = false;
  private busy = false;
  private loop: Promise<void> | undefined;

  public constructor(
    private readonly options: {
      readonly queueUrl: string;
      readonly queueArn: string;
      readonly handler: (event: SQSEvent) => Promise<SQSBatchResponse | void>;
      readonly log?: (line: string) => void;
    },
  ) {}

  public start(): void {
    this.running = true;
    this.loop = this.run();
  }

  public async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.destroy();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const { Messages } = await this.client.send(
          new ReceiveMessageCommand({ QueueUrl: this.options.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }),
        );
        if (!Messages?.length) continue;
        this.busy = true;
        const result = await this.options.handler({ Records: Messages.map((m) => this.record(m)) }).finally(() => {
          this.busy = false;
        });
        const failed = new Set((result?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        const done = Messages.filter((m) => !failed.has(m.MessageId!));
        if (done.length) {
          await this.client.send(new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
        }
      } catch (error) {
        if (this.running) this.options.log?.(`queue poller: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /** Waits until the queue holds nothing (visible or in flight) and the handler is idle. */
  public async drain(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { Attributes } = await this.client.send(
        new GetQueueAttributesCommand({ QueueUrl: this.options.queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
      );
      const left = Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
      if (left === 0 && !this.busy) return;
      if (Date.now() > deadline) throw new Error(`queue ${this.options.queueUrl} still holds ${left} message(s) after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private record(message: Message): SQSRecord {
    return {
      messageId: message.MessageId!,
      receiptHandle: message.ReceiptHandle!,
      body: message.Body ?? '',
      attributes: (message.Attributes ?? {}) as unknown as SQSRecord['attributes'],
      messageAttributes: {},
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: process.env.AWS_REGION ?? 'ap-northeast-1',
    };
  }
}
