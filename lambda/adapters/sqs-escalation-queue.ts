import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { EscalationTimer } from '../core/model';
import type { EscalationQueue } from '../core/ports';

/**
 * Escalation timers on an SQS queue with per-message delays: precise to the second and up to 15
 * minutes ahead (a longer wait is re-queued when it comes back, by `runEscalationTimer`).
 * EventBridge Scheduler's one-minute precision would miss the "within 5 s" promise.
 */
export class SqsEscalationQueue implements EscalationQueue {
  private readonly client: SQSClient;

  public constructor(
    private readonly queueUrl: string,
    client?: SQSClient,
  ) {
    if (!queueUrl) throw new Error('SqsEscalationQueue needs the escalation queue URL');
    // Queue URLs of the local emulator name a host of their own: keep calls on the configured endpoint.
    this.client = client ?? new SQSClient({ useQueueUrlAsEndpoint: false });
  }

  public async schedule(timer: EscalationTimer, delaySeconds: number): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(timer), DelaySeconds: Math.max(0, Math.min(900, Math.round(delaySeconds))) }));
  }
}

/** Reads a timer back from a queue message body; `undefined` when it is not one. */
export function parseTimer(body: string): EscalationTimer | undefined {
  try {
    const value = JSON.parse(body) as Partial<EscalationTimer>;
    if (typeof value.incidentId === 'string' && Number.isInteger(value.step) && Number.isFinite(value.at)) return { incidentId: value.incidentId, step: value.step!, at: value.at! };
  } catch {
    // not JSON: reported below
  }
  return undefined;
}
