import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { ENV } from '../adapters/environment';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { SnsPagePublisher } from '../adapters/sns-page-publisher';
import { parseTimer, SqsEscalationQueue } from '../adapters/sqs-escalation-queue';
import { requireEnv } from '../adapters/wiring';
import { ValidationError } from '../core/errors';
import { parsePage } from '../core/page';
import type { EscalationQueue, PagePublisher } from '../core/ports';
import { relayPages, type RelayRecord } from '../core/use-cases/relay-pages';

/**
 * `pages` (DynamoDB stream, page and timer inserts only): sends each operator page to the pages
 * topic and each escalation timer to the delayed escalation queue; answers with
 * `batchItemFailures` so that only the failed part is retried (then the on-failure destination).
 */

export interface PagesDependencies {
  readonly publisher: PagePublisher;
  readonly queue: EscalationQueue;
  readonly now?: () => number;
}

/** The page or timer a stream record carries, or why it carries none. */
export function relayRecord(record: DynamoDBRecord, index: number): RelayRecord {
  const recordId = record.dynamodb?.SequenceNumber ?? `index-${index}`;
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return { recordId, invalid: `not a page or timer insert (${record.eventName ?? 'no event name'})` };
  try {
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (item.entity === 'page') return { recordId, page: parsePage(item.page) };
    if (item.entity === 'timer') {
      const timer = parseTimer(JSON.stringify(item.timer));
      return timer ? { recordId, timer } : { recordId, invalid: 'unreadable escalation timer' };
    }
    return { recordId, invalid: `not a page or timer (entity ${String(item.entity)})` };
  } catch (error) {
    return { recordId, invalid: error instanceof ValidationError ? error.message : `unreadable record: ${(error as Error).message}` };
  }
}

export function createPagesHandler(deps: PagesDependencies) {
  return async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
    try {
      const outcome = await relayPages((event.Records ?? []).map(relayRecord), { publisher: deps.publisher, queue: deps.queue, now: deps.now ?? Date.now });
      if (outcome.paged.length) count(METRIC.pagesPublished, outcome.paged.length);
      for (const bad of outcome.skipped) {
        count(METRIC.pageFailures);
        logger.error('not a page or timer; skipped', { recordId: bad.recordId, reason: bad.reason });
      }
      for (const pageId of outcome.paged) logger.info('page published', { pageId, incidentId: pageId.replace(/-p\d+$/, '') });
      if (outcome.failure) {
        count(METRIC.pageFailures);
        logger.error('page or timer not sent; retrying from it', { recordId: outcome.failure.recordId, reason: outcome.failure.reason, held: outcome.failedRecordIds.length });
      }
      return { batchItemFailures: outcome.failedRecordIds.map((itemIdentifier) => ({ itemIdentifier })) };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createPagesHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: DynamoDBStreamEvent) => {
  deployed ??= createPagesHandler({ publisher: new SnsPagePublisher(requireEnv(ENV.pageTopicArn)), queue: new SqsEscalationQueue(requireEnv(ENV.escalationQueueUrl)) });
  return deployed(event);
};
