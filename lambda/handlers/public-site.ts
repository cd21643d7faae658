import { ENV } from '../adapters/environment';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { S3SitePublisher } from '../adapters/s3-site-publisher';
import { environmentConfig, environmentStore, requireEnv } from '../adapters/wiring';
import type { TocsinConfig } from '../core/config';
import type { Notice } from '../core/model';
import { parseNotice } from '../core/notice';
import type { PublicSitePublisher, PublicSiteStore } from '../core/ports';
import { publishPublicStatus } from '../core/use-cases/publish-public-status';

/**
 * `public-site`: subscribed to the participant notices topic (in AWS an SNS → Lambda
 * subscription, reserved concurrency 1 so rebuilds never overlap; locally an SQS queue on the
 * topic), and every minute by a schedule. Every batch of notices, and every scheduled run,
 * rebuilds the public status site from the store and writes it.
 * A failure throws: SNS's retries (then the subscription's dead-letter queue) or the queue's
 * redelivery try again, and a rebuild is idempotent.
 */

export interface PublicSiteDependencies {
  readonly store: PublicSiteStore;
  readonly site: PublicSitePublisher;
  readonly config: TocsinConfig;
  readonly now?: () => number;
}

interface NoticeEvent {
  readonly Records?: ReadonlyArray<{ readonly Sns?: { readonly Message?: string }; readonly body?: string }>;
}

/** The notices of an SNS event (`Records[].Sns.Message`) or an SQS event of SNS envelopes (`Records[].body`). */
export function noticesOf(event: NoticeEvent): { notices: Notice[]; unreadable: number } {
  const notices: Notice[] = [];
  let unreadable = 0;
  for (const record of event.Records ?? []) {
    try {
      const raw = record.Sns?.Message ?? record.body ?? '';
      const parsed = JSON.parse(raw) as { Type?: string; Message?: string };
      notices.push(parseNotice(parsed.Type === 'Notification' && typeof parsed.Message === 'string' ? JSON.parse(parsed.Message) : parsed));
    } catch {
      unreadable += 1;
    }
  }
  return { notices, unreadable };
}

export function createPublicSiteHandler(deps: PublicSiteDependencies) {
  return async function handler(event: NoticeEvent): Promise<{ published: number }> {
    try {
      const { notices, unreadable } = noticesOf(event);
      if (unreadable) logger.error('messages that are no notice; skipped', { unreadable });
      // A batch of nothing but unreadable messages changes nothing; a scheduled event (no
      // records) rebuilds the site from the store, so a fresh deploy has a page at once.
      if (!notices.length && event.Records?.length) return { published: 0 };
      const status = await publishPublicStatus(deps.store, deps.site, notices, { config: deps.config, now: deps.now ?? Date.now });
      count(METRIC.sitePublished);
      logger.info('public status site published', { notices: notices.map((n) => n.noticeId), incidents: status.incidents.length });
      return { published: notices.length };
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createPublicSiteHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: NoticeEvent) => {
  deployed ??= createPublicSiteHandler({ store: environmentStore(), site: new S3SitePublisher(requireEnv(ENV.siteBucket)), config: environmentConfig() });
  return deployed(event);
};
