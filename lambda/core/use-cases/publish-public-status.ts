import { ConcurrentUpdateError, ContentionError } from '../errors';
import type { TocsinConfig } from '../config';
import type { Notice } from '../model';
import type { PublicSitePublisher, PublicSiteStore } from '../ports';
import { indexWith, publicStatus, type PublicStatus } from '../public-status';

/**
 * Participant notices were published (or the schedule asks for a rebuild): the public status site is rebuilt from the store — every
 * market's state, and the notices of the incidents it lists — and published, with the pages of
 * the notices' incidents. Rebuilding from the store (not from the notices received) makes a
 * re-delivery, or notices arriving out of order, harmless: the last rebuild shows the latest state.
 */
export async function publishPublicStatus(
  store: PublicSiteStore,
  site: PublicSitePublisher,
  notices: readonly Notice[],
  options: { readonly config: TocsinConfig; readonly now: () => number; readonly maxAttempts?: number },
): Promise<PublicStatus> {
  const changed = [...new Set(notices.map((n) => n.incidentId))];
  const maxAttempts = options.maxAttempts ?? 5;
  // No notices (the schedule's rebuild, or a fresh deploy): the index stays as it is.
  let index = notices.length ? undefined : await store.readSiteIndex();
  for (let attempt = 1; !index; attempt += 1) {
    const next = indexWith(await store.readSiteIndex(), notices);
    try {
      await store.saveSiteIndex(next);
      index = next;
      break;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      if (attempt === maxAttempts) throw new ContentionError('the public site index', maxAttempts, { cause: error });
    }
  }
  const [markets, incidents] = await Promise.all([
    Promise.all(options.config.markets.map((m) => store.readMarket(m.id))),
    Promise.all(index.incidents.map((i) => store.readNotices(i.incidentId))),
  ]);
  const status = publicStatus(markets, incidents, options.config, options.now());
  await site.publish(status, changed);
  return status;
}
