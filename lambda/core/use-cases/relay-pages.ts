import type { EscalationTimer, Page } from '../model';
import { MAX_TIMER_DELAY_SECONDS, type EscalationQueue, type PagePublisher } from '../ports';

/**
 * The operators' outbox: each page a transition wrote goes to the pages topic, and each
 * escalation timer to the delayed queue, in stream order. The first failure stops the batch: it
 * and every later record are reported failed and retried, so nothing is skipped; a record that is
 * no page or timer at all is skipped (and reported), since retrying cannot mend it. Delivery is at
 * least once (a page carries its `pageId`; a repeated timer finds its step already paged).
 */

export type RelayRecord =
  | { readonly recordId: string; readonly page: Page }
  | { readonly recordId: string; readonly timer: EscalationTimer }
  | { readonly recordId: string; readonly invalid: string };

export interface RelayOutcome {
  readonly paged: string[];
  /** Records that are no page and no timer (they never will be): skipped, so they hold nothing up. */
  readonly skipped: { readonly recordId: string; readonly reason: string }[];
  readonly scheduled: number;
  readonly failedRecordIds: string[];
  readonly failure?: { readonly recordId: string; readonly reason: string };
}

export async function relayPages(
  records: readonly RelayRecord[],
  ports: { readonly publisher: PagePublisher; readonly queue: EscalationQueue; readonly now: () => number },
): Promise<RelayOutcome> {
  const paged: string[] = [];
  const skipped: RelayOutcome['skipped'] = [];
  let scheduled = 0;
  for (const [index, record] of records.entries()) {
    if ('invalid' in record) {
      // Retrying cannot make it valid; holding it would delay every later page past its time.
      skipped.push({ recordId: record.recordId, reason: record.invalid });
      continue;
    }
    try {
      if ('page' in record) {
        await ports.publisher.publish(record.page);
        paged.push(record.page.pageId);
      } else {
        const wait = Math.max(0, Math.ceil((record.timer.at - ports.now()) / 1000));
        await ports.queue.schedule(record.timer, Math.min(wait, MAX_TIMER_DELAY_SECONDS));
        scheduled += 1;
      }
    } catch (error) {
      return {
        paged,
        skipped,
        scheduled,
        failedRecordIds: records.slice(index).map((r) => r.recordId),
        failure: { recordId: record.recordId, reason: error instanceof Error ? error.message : String(error) },
      };
    }
  }
  return { paged, skipped, scheduled, failedRecordIds: [] };
}
