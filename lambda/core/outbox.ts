import type { Notice } from './model';

/**
 * Publishing the outbox: the notify function's use case. Notices arrive from the table's
 * stream in order; each is published to SNS, then marked sent. Delivery is at least once: a
 * crash between publish and mark-sent re-sends that notice (same `noticeId`, receivers drop it);
 * a notice already marked sent is never published again.
 *
 * Ordering: the first failure stops the batch. It and every later record are reported failed,
 * so the event source retries from there (a DynamoDB stream resumes at the lowest failed
 * record), and no notice overtakes an earlier one that has not gone out.
 */

/** One stream record as the use case sees it: a notice, or why it is not one. */
export type OutboxRecord = { readonly recordId: string; readonly notice: Notice } | { readonly recordId: string; readonly invalid: string };

export interface PublishResult {
  /** noticeId → SNS message id */
  readonly published: ReadonlyMap<string, string>;
  /** noticeId → why SNS refused it */
  readonly failed: ReadonlyMap<string, string>;
}

/** Publishes up to {@link MAX_PUBLISH_BATCH} notices in one call. */
export interface NoticePublisher {
  publish(notices: readonly Notice[]): Promise<PublishResult>;
}

export const MAX_PUBLISH_BATCH = 10;

/** The outbox side of the store. */
export interface OutboxStore {
  /** Notices still pending that were issued before `issuedBefore` (epoch ms), oldest first, at most `limit`. */
  pendingNotices?(issuedBefore: number, limit: number): Promise<Notice[]>;
  /** The noticeIds among these that are already marked sent. */
  sentNoticeIds(notices: readonly Notice[]): Promise<ReadonlySet<string>>;
  markSent(notice: Notice, messageId: string, sentAt: number): Promise<void>;
}

export interface OutboxOutcome {
  readonly published: string[];
  readonly skipped: string[];
  /** recordIds to report as failed (the first failure and everything after it). */
  readonly failedRecordIds: string[];
  readonly failure?: { readonly recordId: string; readonly reason: string };
}

export async function publishOutbox(
  records: readonly OutboxRecord[],
  ports: { readonly publisher: NoticePublisher; readonly outbox: OutboxStore; readonly now: () => number },
): Promise<OutboxOutcome> {
  const published: string[] = [];
  const skipped: string[] = [];
  const fail = (index: number, reason: string): OutboxOutcome => ({
    published,
    skipped,
    failedRecordIds: records.slice(index).map((r) => r.recordId),
    failure: { recordId: records[index]!.recordId, reason },
  });

  const notices = records.flatMap((r) => ('notice' in r ? [r.notice] : []));
  const alreadySent = notices.length ? await ports.outbox.sentNoticeIds(notices) : new Set<string>();

  let index = 0;
  while (index < records.length) {
    // The next run of publishable records, at most one PublishBatch long.
    const run: { index: number; notice: Notice }[] = [];
    while (index < records.length && run.length < MAX_PUBLISH_BATCH) {
      const record = records[index]!;
      if ('invalid' in record) break;
      if (alreadySent.has(record.notice.noticeId)) {
        if (run.length) break; // keep order: publish what precedes it first
        skipped.push(record.notice.noticeId);
        index += 1;
        continue;
      }
      run.push({ index, notice: record.notice });
      index += 1;
    }
    if (run.length === 0) {
      const record = records[index];
      if (record && 'invalid' in record) return fail(index, record.invalid);
      continue;
    }
    let result: PublishResult;
    try {
      result = await ports.publisher.publish(run.map((r) => r.notice));
    } catch (error) {
      return fail(run[0]!.index, `publish failed: ${(error as Error).message}`);
    }
    // Mark what went out, all at once (the order of the marks does not matter, only that of
    // the publishes), then settle in record order: the first refusal or failed mark fails from there.
    const marks = await Promise.allSettled(
      run.map(({ notice }) => {
        const messageId = result.published.get(notice.noticeId);
        return messageId === undefined ? Promise.resolve() : ports.outbox.markSent(notice, messageId, ports.now());
      }),
    );
    for (const [i, { index: at, notice }] of run.entries()) {
      const messageId = result.published.get(notice.noticeId);
      if (messageId === undefined) return fail(at, `publish refused: ${result.failed.get(notice.noticeId) ?? 'no result for this notice'}`);
      const mark = marks[i]!;
      if (mark.status === 'rejected') {
        // Published but not marked: the retry re-sends it (the one duplicate the design allows).
        return fail(at, `published as ${messageId} but not marked sent: ${(mark.reason as Error).message}`);
      }
      published.push(notice.noticeId);
    }
  }
  return { published, skipped, failedRecordIds: [] };
}

/**
 * The outbox's safety net: re-publishes notices still pending `olderThanMs` after they were
 * issued — those whose stream records exhausted their retries (and sit in the notify
 * dead-letter queue), or were never delivered. Run on a schedule. A notice that notify is merely
 * slow with may go out twice; receivers drop the second by `noticeId`.
 */
export async function redriveOutbox(
  ports: { readonly publisher: NoticePublisher; readonly outbox: OutboxStore & Required<Pick<OutboxStore, 'pendingNotices'>>; readonly now: () => number },
  options: { readonly olderThanMs: number; readonly limit?: number },
): Promise<OutboxOutcome> {
  const pending = await ports.outbox.pendingNotices(ports.now() - options.olderThanMs, options.limit ?? 100);
  // Per incident in sequence order, incidents oldest first: nothing overtakes an earlier notice.
  const ordered = [...pending].sort((a, b) => a.issuedAt.localeCompare(b.issuedAt) || a.incidentId.localeCompare(b.incidentId) || a.sequence - b.sequence);
  return publishOutbox(
    ordered.map((notice) => ({ recordId: notice.noticeId, notice })),
    ports,
  );
}
