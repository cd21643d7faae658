import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { ENV } from '../adapters/environment';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { SnsNoticePublisher } from '../adapters/sns-publisher';
import { environmentStore, requireEnv } from '../adapters/wiring';
import { ValidationError } from '../core/errors';
import { parseNotice } from '../core/notice';
import { publishOutbox, type NoticePublisher, type OutboxRecord, type OutboxStore } from '../core/outbox';

/**
 * `notify` (DynamoDB stream, outbox inserts only): publishes each notice to the notices topic
 * and marks it sent; answers with `batchItemFailures` so that only the failed part is retried.
 *
 * Not Powertools' batch processor: its record-by-record handler cannot publish ten notices in
 * one PublishBatch call, and it would go on past a failure, letting a later notice of an
 * incident overtake an earlier one. The loop lives in `lambda/core/outbox.ts`, tested alone.
 */

export interface NotifyDependencies {
  readonly publisher: NoticePublisher;
  readonly outbox: OutboxStore;
  readonly now?: () => number;
}

/** The notice an outbox stream record carries, or why it carries none. */
export function outboxRecord(record: DynamoDBRecord, index: number): OutboxRecord {
  const recordId = record.dynamodb?.SequenceNumber ?? `index-${index}`;
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return { recordId, invalid: `not an outbox insert (${record.eventName ?? 'no event name'})` };
  try {
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.entity !== 'notice') return { recordId, invalid: `not an outbox notice (entity ${String(item.entity)})` };
    return { recordId, notice: parseNotice(item.notice) };
  } catch (error) {
    return { recordId, invalid: error instanceof ValidationError ? error.message : `unreadable record: ${(error as Error).message}` };
  }
}

export function createNotifyHandler(deps: NotifyDependencies) {
  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    try {
      const records = (event.Records ?? []).map(outboxRecord);
      const outcome = await publishOutbox(records, { publisher: deps.publisher, outbox: deps.outbox, now: deps.now ?? Date.now });
      if (outcome.published.length) count(METRIC.noticesPublished, outcome.published.length);
      if (outcome.skipped.length) count(METRIC.noticesAlreadySent, outcome.skipped.length);
      for (const noticeId of outcome.published) logger.info('notice published', { noticeId, incidentId: noticeId.replace(/-n\d+$/, '') });
      if (outcome.failure) {
        count(METRIC.noticeFailures);
        logger.error('notice not published; retrying from it', { recordId: outcome.failure.recordId, reason: outcome.failure.reason, held: outcome.failedRecordIds.length });
      }
      return { batchItemFailures: outcome.failedRecordIds.map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createNotifyHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: DynamoDBStreamEvent) => {
  deployed ??= createNotifyHandler({ publisher: new SnsNoticePublisher(requireEnv(ENV.noticeTopicArn)), outbox: environmentStore() });
  return deployed(event);
};
