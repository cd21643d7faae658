import type { Notice } from '../../lambda/core/model';
import { publishOutbox, type NoticePublisher, type OutboxRecord, type OutboxStore, type PublishResult } from '../../lambda/core/outbox';

/** The outbox loop with in-memory ports: ordering, batching, skip-if-sent, stop at first failure. */

function notice(incidentId: string, sequence: number): Notice {
  return {
    schema: 'tocsin.notice/v1',
    noticeId: `${incidentId}-n${sequence}`,
    type: sequence === 1 ? 'incident-opened' : 'halt',
    incidentId,
    sequence,
    typeSequence: sequence === 1 ? 1 : sequence - 1,
    market: 'equities',
    segments: [],
    severity: 'critical',
    issuedAt: '2020-09-30T22:04:00.000Z',
    effectiveAt: '2020-09-30T22:04:00.000Z',
    summary: 's',
    detail: {},
  };
}

const rec = (n: Notice): OutboxRecord => ({ recordId: `r-${n.noticeId}`, notice: n });

class Ports implements NoticePublisher, OutboxStore {
  public readonly calls: string[][] = [];
  public readonly sent = new Set<string>();
  public refuse = new Set<string>();
  public throwOnCall = -1;
  public failMarkFor = new Set<string>();

  public async publish(notices: readonly Notice[]): Promise<PublishResult> {
    this.calls.push(notices.map((n) => n.noticeId));
    if (this.calls.length - 1 === this.throwOnCall) throw new Error('SNS unavailable');
    const published = new Map<string, string>();
    const failed = new Map<string, string>();
    for (const n of notices) {
      if (this.refuse.has(n.noticeId)) failed.set(n.noticeId, 'InternalError');
      else published.set(n.noticeId, `m-${n.noticeId}`);
    }
    return { published, failed };
  }

  public async sentNoticeIds(notices: readonly Notice[]): Promise<ReadonlySet<string>> {
    return new Set(notices.map((n) => n.noticeId).filter((id) => this.sent.has(id)));
  }

  public async markSent(n: Notice): Promise<void> {
    if (this.failMarkFor.has(n.noticeId)) throw new Error('throttled');
    this.sent.add(n.noticeId);
  }
}

const run = (records: OutboxRecord[], ports: Ports) => publishOutbox(records, { publisher: ports, outbox: ports, now: () => 0 });

describe('publishOutbox', () => {
  it('publishes in record order, ten per call, and marks each sent', async () => {
    const ports = new Ports();
    const records = Array.from({ length: 23 }, (_, i) => rec(notice('inc-a', i + 1)));
    const outcome = await run(records, ports);
    expect(ports.calls.map((c) => c.length)).toEqual([10, 10, 3]);
    expect(outcome.published).toEqual(records.map((r) => ('notice' in r ? r.notice.noticeId : '')));
    expect(outcome.failedRecordIds).toEqual([]);
    expect(ports.sent.size).toBe(23);
  });

  it('never publishes a notice already marked sent (a retried batch)', async () => {
    const ports = new Ports();
    ports.sent.add('inc-a-n1');
    const outcome = await run([rec(notice('inc-a', 1)), rec(notice('inc-a', 2))], ports);
    expect(ports.calls).toEqual([['inc-a-n2']]);
    expect(outcome.skipped).toEqual(['inc-a-n1']);
  });

  it.each<[string, (p: Ports) => void, string]>([
    ['SNS refuses one entry', (p) => p.refuse.add('inc-a-n3'), 'publish refused: InternalError'],
    ['marking one sent fails after its publish', (p) => p.failMarkFor.add('inc-a-n3'), 'published as m-inc-a-n3 but not marked sent'],
  ])('fails from the first failure on when %s, so nothing overtakes it', async (_, arrange, reason) => {
    const ports = new Ports();
    arrange(ports);
    const records = [1, 2, 3, 4, 5].map((s) => rec(notice('inc-a', s)));
    const outcome = await run(records, ports);
    expect(outcome.published).toEqual(['inc-a-n1', 'inc-a-n2']);
    expect(outcome.failedRecordIds).toEqual(['r-inc-a-n3', 'r-inc-a-n4', 'r-inc-a-n5']);
    expect(outcome.failure?.reason).toContain(reason);
  });

  it('fails the whole run when the publish call itself throws', async () => {
    const ports = new Ports();
    ports.throwOnCall = 0;
    const records = [1, 2].map((s) => rec(notice('inc-a', s)));
    const outcome = await run(records, ports);
    expect(outcome.failedRecordIds).toEqual(['r-inc-a-n1', 'r-inc-a-n2']);
    expect(ports.sent.size).toBe(0);
  });

  it('publishes what precedes a poison record and fails from it', async () => {
    const ports = new Ports();
    const records: OutboxRecord[] = [rec(notice('inc-a', 1)), { recordId: 'poison', invalid: 'invalid notice: sequence: …' }, rec(notice('inc-b', 1))];
    const outcome = await run(records, ports);
    expect(outcome.published).toEqual(['inc-a-n1']);
    expect(outcome.failedRecordIds).toEqual(['poison', 'r-inc-b-n1']);
    expect(outcome.failure).toEqual({ recordId: 'poison', reason: 'invalid notice: sequence: …' });
  });
});
