import { PublishBatchCommand, SNSClient, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import type { Notice } from '../core/model';
import { MAX_PUBLISH_BATCH, type NoticePublisher, type PublishResult } from '../core/outbox';

/** SNS message attributes every notice carries, for participants' subscription filter policies. */
export function noticeAttributes(notice: Notice): NonNullable<PublishBatchRequestEntry['MessageAttributes']> {
  return {
    type: { DataType: 'String', StringValue: notice.type },
    market: { DataType: 'String', StringValue: notice.market },
    severity: { DataType: 'String', StringValue: notice.severity },
    incidentId: { DataType: 'String', StringValue: notice.incidentId },
    // The segments concerned, or ["all"] for the whole market: a subscriber to one segment
    // filters on {"segments": ["prime", "all"]} and gets that segment's notices and the market's.
    segments: { DataType: 'String.Array', StringValue: JSON.stringify(notice.segments.length ? notice.segments : [ALL_SEGMENTS]) },
  };
}

/** The `segments` attribute of a notice about the whole market. */
export const ALL_SEGMENTS = 'all';

/**
 * Publishes notices to the notices topic with PublishBatch (up to 10 per call). SNS refuses a
 * batch of more than 10 or with repeated ids; the local emulator does not, so both are checked
 * here, before any call.
 */
export class SnsNoticePublisher implements NoticePublisher {
  private readonly client: SNSClient;

  public constructor(
    private readonly topicArn: string,
    client?: SNSClient,
  ) {
    if (!topicArn) throw new Error('SnsNoticePublisher needs the notices topic ARN');
    this.client = client ?? new SNSClient({});
  }

  public async publish(notices: readonly Notice[]): Promise<PublishResult> {
    if (notices.length === 0) return { published: new Map(), failed: new Map() };
    if (notices.length > MAX_PUBLISH_BATCH) throw new Error(`PublishBatch takes at most ${MAX_PUBLISH_BATCH} notices, got ${notices.length}`);
    const ids = new Set(notices.map((n) => n.noticeId));
    if (ids.size !== notices.length) throw new Error('PublishBatch entries must have distinct notice ids');
    // Entry ids must be alphanumeric, '-' or '_', at most 80 characters: use the position.
    const entries: PublishBatchRequestEntry[] = notices.map((notice, i) => ({
      Id: String(i),
      Message: JSON.stringify(notice),
      MessageAttributes: noticeAttributes(notice),
    }));
    const out = await this.client.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: entries }));
    const published = new Map<string, string>();
    const failed = new Map<string, string>();
    for (const ok of out.Successful ?? []) {
      const notice = notices[Number(ok.Id)];
      if (notice && ok.MessageId) published.set(notice.noticeId, ok.MessageId);
    }
    for (const bad of out.Failed ?? []) {
      const notice = notices[Number(bad.Id)];
      if (notice) failed.set(notice.noticeId, `${bad.Code ?? 'error'}: ${bad.Message ?? ''}`.trim());
    }
    return { published, failed };
  }
}
