import { ENV } from '../adapters/environment';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { SnsNoticePublisher } from '../adapters/sns-publisher';
import { environmentStore, requireEnv } from '../adapters/wiring';
import { redriveOutbox, type NoticePublisher, type OutboxStore } from '../core/outbox';

/**
 * `redrive` (EventBridge Scheduler, every minute): re-publishes outbox notices still pending
 * two minutes after they were issued, so a notice whose stream delivery gave up (the notify
 * dead-letter queue) still reaches participants. Notices are never lost, only late.
 */

/** How long a notice may stay pending before the redrive takes it over. */
export const REDRIVE_AFTER_MS = 2 * 60_000;

export interface RedriveDependencies {
  readonly publisher: NoticePublisher;
  readonly outbox: OutboxStore & Required<Pick<OutboxStore, 'pendingNotices'>>;
  readonly now?: () => number;
}

export function createRedriveHandler(deps: RedriveDependencies) {
  return async function handler(): Promise<{ republished: string[]; failed?: string }> {
    try {
      const outcome = await redriveOutbox({ publisher: deps.publisher, outbox: deps.outbox, now: deps.now ?? Date.now }, { olderThanMs: REDRIVE_AFTER_MS });
      if (outcome.published.length) {
        count(METRIC.noticesRedriven, outcome.published.length);
        logger.warn('pending notices re-published', { noticeIds: outcome.published });
      }
      if (outcome.failure) {
        count(METRIC.noticeFailures);
        logger.error('redrive stopped at a notice it could not publish', { ...outcome.failure });
      }
      return { republished: outcome.published, ...(outcome.failure ? { failed: outcome.failure.reason } : {}) };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createRedriveHandler> | undefined;

/** The Lambda entry point. */
export const handler = () => {
  deployed ??= createRedriveHandler({ publisher: new SnsNoticePublisher(requireEnv(ENV.noticeTopicArn)), outbox: environmentStore() });
  return deployed();
};
