import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import type { Page } from '../core/model';
import type { PagePublisher } from '../core/ports';

/** SNS message attributes of a page, for per-stage, per-severity subscription filter policies. */
export function pageAttributes(page: Page): Record<string, MessageAttributeValue> {
  return {
    type: { DataType: 'String', StringValue: page.type },
    stage: { DataType: 'String', StringValue: page.stage },
    severity: { DataType: 'String', StringValue: page.severity },
    component: { DataType: 'String', StringValue: page.component },
    ...(page.market !== undefined ? { market: { DataType: 'String', StringValue: page.market } } : {}),
  };
}

/** Publishes each page to the pages topic (one Publish: a page goes out as soon as its record is read). */
export class SnsPagePublisher implements PagePublisher {
  private readonly client: SNSClient;

  public constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    if (!topicArn) throw new Error('SnsPagePublisher needs the pages topic ARN');
    this.client = client ?? new SNSClient({});
  }

  public async publish(page: Page): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        // What an SMS or e-mail subscriber reads; JSON subscribers (SQS, Lambda, HTTPS) parse the same message.
        Message: JSON.stringify(page),
        Subject: `[${page.stage}] ${page.type} ${page.severity}: ${page.summary}`.slice(0, 99).replace(/[^\x20-\x7e]/g, '?'),
        MessageAttributes: pageAttributes(page),
      }),
    );
  }
}
