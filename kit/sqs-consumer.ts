import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Notice } from '../lambda/core/model';
import { NoticeDeliveryError, TocsinError, type ValidationError } from './errors';
import { readNoticeMessage } from './envelope';
import type { NoticeReceiver, ReceiveResult } from './receiver';

export interface ConsumeQueueOptions {
  /** The SQS client; for a queue in the participant's account, its own credentials. */
  readonly sqs: SQSClient;
  /** The participant's queue subscribed to the Tocsin notices topic. */
  readonly queueUrl: string;
  readonly receiver: NoticeReceiver;
  /** The participant's handler, called once per notice, in order per incident. If it throws, the consumer stops (see {@link consumeQueue}). */
  readonly onNotice: (notice: Notice) => void | Promise<void>;
  /** Told about each message that is not a notice; the message is then deleted. @default one line on stderr */
  readonly onInvalid?: (error: ValidationError, message: Message) => void;
  /** Stops the consumer: the current long poll is abandoned and {@link consumeQueue} resolves. */
  readonly signal?: AbortSignal;
  /** Long-poll wait, 0–20 s; shortened while the receiver holds notices whose gap wait is running. @default 20 */
  readonly waitTimeSeconds?: number;
  /** Messages per receive, 1–10. @default 10 */
  readonly maxMessages?: number;
}

/** What a consumer did before it stopped. */
export interface ConsumeSummary {
  readonly received: number;
  readonly delivered: number;
  readonly duplicates: number;
  readonly stale: number;
  readonly invalid: number;
  /** Messages whose delete SQS refused; they come back and are dropped as duplicates. */
  readonly deleteFailures: number;
}

/**
 * Long-polls a participant's SQS queue, feeds every message to the receiver and deletes it
 * once it has been dealt with:
 *
 * - delivered (`onNotice` returned), duplicate, stale or invalid (reported through
 *   `onInvalid`, so it is not redelivered forever): deleted after the batch;
 * - held for a gap: kept in the queue until the receiver delivers it, so a crash while holding
 *   loses nothing (SQS redelivers it after the visibility timeout; the receiver recognises the
 *   redelivery). Keep the queue's visibility timeout longer than the receiver's `gapWaitMs`.
 *
 * If `onNotice` throws, the consumer stops and rejects with {@link NoticeDeliveryError}; the
 * message stays in the queue and the receiver keeps the notice on hold, so calling
 * `consumeQueue` again with the same receiver carries on in order. Resolves with a summary when
 * `signal` aborts.
 *
 * Cross-account: the queue lives in the participant's account; Tocsin's account only needs
 * `sqs:SendMessage` on it for the SNS service, limited to the notices topic (queue policy in
 * `kit/README.md`). The consumer itself uses the participant's own credentials.
 *
 * @example
 * const controller = new AbortController();
 * process.once('SIGTERM', () => controller.abort());
 * await consumeQueue({ sqs: new SQSClient({}), queueUrl, receiver: new NoticeReceiver(), onNotice: apply, signal: controller.signal });
 */
export async function consumeQueue(options: ConsumeQueueOptions): Promise<ConsumeSummary> {
  const { sqs, queueUrl, receiver, onNotice, signal } = options;
  const waitTimeSeconds = options.waitTimeSeconds ?? 20;
  const maxMessages = options.maxMessages ?? 10;
  if (!Number.isInteger(waitTimeSeconds) || waitTimeSeconds < 0 || waitTimeSeconds > 20) {
    throw new TocsinError(`waitTimeSeconds must be a whole number from 0 to 20, got ${String(waitTimeSeconds)}`);
  }
  if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > 10) {
    throw new TocsinError(`maxMessages must be a whole number from 1 to 10, got ${String(maxMessages)}`);
  }
  const onInvalid =
    options.onInvalid ??
    ((error: ValidationError, message: Message) => process.stderr.write(`tocsin kit: deleted message ${message.MessageId ?? '?'}: ${error.message}\n`));

  const summary = { received: 0, delivered: 0, duplicates: 0, stale: 0, invalid: 0, deleteFailures: 0 };
  /** The messages of held notices, by notice id: deleted once the notice is delivered. */
  const heldMessages = new Map<string, { readonly messageId: string | undefined; readonly receipt: string }>();
  const done: string[] = [];

  /** Queues for deletion the messages of held notices that have now been delivered. */
  function settle(delivered: readonly Notice[], own?: string): void {
    for (const notice of delivered) {
      if (notice.noticeId === own) continue;
      summary.delivered += 1;
      const held = heldMessages.get(notice.noticeId);
      if (held !== undefined) {
        heldMessages.delete(notice.noticeId);
        done.push(held.receipt);
      }
    }
  }

  async function handle(message: Message): Promise<void> {
    const receipt = message.ReceiptHandle as string;
    const body = message.Body ?? '';
    const read = readNoticeMessage(body);
    const own = read.ok ? read.notice.noticeId : undefined;
    let result: ReceiveResult;
    try {
      result = await receiver.receive(body, onNotice);
    } catch (error) {
      if (error instanceof NoticeDeliveryError && own !== undefined) {
        settle(error.delivered, own);
        // Its own notice either made it before the failure, or is back on hold.
        if (error.delivered.some((n) => n.noticeId === own)) {
          summary.delivered += 1;
          done.push(receipt);
        } else heldMessages.set(own, { messageId: message.MessageId, receipt });
      }
      throw error;
    }
    settle(result.delivered, own);
    switch (result.outcome) {
      case 'delivered':
        summary.delivered += 1;
        done.push(receipt);
        return;
      case 'held': {
        const earlier = heldMessages.get(result.notice.noticeId);
        if (earlier && earlier.messageId !== message.MessageId) {
          // Another SQS message with the same notice (SNS delivered it twice): a duplicate.
          summary.duplicates += 1;
          done.push(receipt);
        } else {
          // The first, or SQS redelivering the same message after its visibility timeout with a fresh receipt handle.
          heldMessages.set(result.notice.noticeId, { messageId: message.MessageId, receipt });
        }
        return;
      }
      case 'duplicate':
        summary.duplicates += 1;
        done.push(receipt);
        return;
      case 'stale':
        summary.stale += 1;
        done.push(receipt);
        return;
      case 'invalid':
        summary.invalid += 1;
        onInvalid(result.error, message);
        done.push(receipt);
        return;
    }
  }

  try {
    while (!signal?.aborted) {
      const untilRelease = receiver.msUntilNextRelease();
      const wait = untilRelease === undefined ? waitTimeSeconds : Math.min(waitTimeSeconds, Math.ceil(untilRelease / 1000));
      let messages: Message[];
      try {
        const output = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: maxMessages, WaitTimeSeconds: wait }),
          signal ? { abortSignal: signal } : {},
        );
        messages = output.Messages ?? [];
      } catch (error) {
        if (signal?.aborted) break;
        throw error;
      }
      for (const message of messages) {
        summary.received += 1;
        await handle(message);
      }
      try {
        settle(await receiver.releaseDue(onNotice));
      } catch (error) {
        if (error instanceof NoticeDeliveryError) settle(error.delivered);
        throw error;
      }
      await deleteMessages(done.splice(0), summary);
    }
  } finally {
    // After a failure, delete what was dealt with before it; held and failed messages stay. A
    // delete that fails here is harmless (the message comes back and is dropped as a duplicate)
    // and must not hide the error that stopped the consumer.
    if (done.length > 0) await deleteMessages(done.splice(0), summary).catch(() => undefined);
  }
  return summary;

  async function deleteMessages(receipts: readonly string[], counts: { deleteFailures: number }): Promise<void> {
    for (let i = 0; i < receipts.length; i += 10) {
      const entries = receipts.slice(i, i + 10).map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle }));
      const output = await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      counts.deleteFailures += output.Failed?.length ?? 0;
    }
  }
}
