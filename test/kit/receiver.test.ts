import { NoticeDeliveryError, NoticeReceiver, TocsinError, ValidationError, type GapEvent, type MissingEvent, type NoticeReceiverOptions } from '../../kit';
import type { Notice } from '../../lambda/core/model';
import { INCIDENT, ManualClock, notice, snsToSqsEnvelope } from './notices';

const WAIT = 10_000;

/** A receiver on a manual clock that records what it delivers and reports. */
function setup(options: Partial<NoticeReceiverOptions> = {}) {
  const clock = new ManualClock();
  const delivered: Notice[] = [];
  const gaps: GapEvent[] = [];
  const missing: MissingEvent[] = [];
  const receiver = new NoticeReceiver({
    gapWaitMs: WAIT,
    now: clock.now,
    onGap: (g) => gaps.push(g),
    onMissing: (m) => missing.push(m),
    ...options,
  });
  const deliver = (n: Notice) => {
    delivered.push(n);
  };
  return {
    clock,
    receiver,
    gaps,
    missing,
    /** Sequence numbers delivered so far (of INCIDENT unless asked otherwise). */
    sequences: (incidentId = INCIDENT) => delivered.filter((n) => n.incidentId === incidentId).map((n) => n.sequence),
    delivered,
    feed: (n: Notice | string) => receiver.receive(typeof n === 'string' ? n : JSON.stringify(n), deliver),
    release: () => receiver.releaseDue(deliver),
  };
}

describe('NoticeReceiver', () => {
  describe('reading messages', () => {
    it.each([
      ['a raw notice (RawMessageDelivery)', JSON.stringify(notice(1))],
      ['an SNS envelope (SNS to SQS, default)', snsToSqsEnvelope(notice(1))],
    ])('delivers %s', async (_, body) => {
      // Prepare
      const t = setup();
      // Act
      const result = await t.receiver.receive(body, (n) => void t.delivered.push(n));
      // Assess
      expect(result.outcome).toBe('delivered');
      expect(t.delivered).toEqual([notice(1)]);
    });

    it('takes an already parsed notice object', async () => {
      const t = setup();
      const result = await t.receiver.receive(notice(1), (n) => void t.delivered.push(n));
      expect(result.outcome).toBe('delivered');
    });

    it.each([
      ['a body that is not JSON', 'halt!', ''],
      ['an envelope without Message', JSON.stringify({ Type: 'Notification', MessageId: 'm-1' }), 'Message'],
      ['an envelope of another SNS type', JSON.stringify({ Type: 'SubscriptionConfirmation', Message: '{}' }), 'Type'],
      ['an envelope whose Message is not JSON', snsToSqsEnvelope('trading halted'), ''],
      ['a notice without sequence', JSON.stringify({ ...notice(1), sequence: undefined }), 'sequence'],
      ['a notice with sequence 0', snsToSqsEnvelope({ ...notice(1), sequence: 0 }), 'sequence'],
      ['a notice of another schema', JSON.stringify({ ...notice(1), schema: 'tocsin.notice/v2' }), 'schema'],
      ['a notice with an unknown type', snsToSqsEnvelope({ ...notice(1), type: 'panic' }), 'type'],
    ])('rejects %s as invalid, naming the field, without throwing', async (_, body, field) => {
      // Prepare
      const t = setup();
      // Act
      const result = await t.feed(body);
      // Assess
      expect(result.outcome).toBe('invalid');
      if (result.outcome !== 'invalid') return;
      expect(result.error).toBeInstanceOf(ValidationError);
      expect(result.error.problems.map((p) => p.field)).toContain(field);
      expect(t.delivered).toEqual([]);
    });
  });

  describe('duplicates', () => {
    it('drops a notice whose id it has delivered (SNS and SQS deliver at least once)', async () => {
      const t = setup();
      const outcomes = [];
      for (const n of [notice(1), notice(1), notice(2), notice(1), notice(2)]) outcomes.push((await t.feed(n)).outcome);
      expect(outcomes).toEqual(['delivered', 'duplicate', 'delivered', 'duplicate', 'duplicate']);
      expect(t.sequences()).toEqual([1, 2]);
    });

    it('drops a duplicate that arrives in another envelope (each SNS retry has its own wrapper)', async () => {
      const t = setup();
      await t.feed(snsToSqsEnvelope(notice(1)));
      expect((await t.feed(snsToSqsEnvelope(notice(1)))).outcome).toBe('duplicate');
      expect(t.sequences()).toEqual([1]);
    });

    it('keeps memory bounded: past rememberNotices ids, an old notice is still refused by its sequence (stale)', async () => {
      // Prepare: remembers two ids only
      const t = setup({ rememberNotices: 2 });
      for (const n of [1, 2, 3]) await t.feed(notice(n));
      // Act
      const result = await t.feed(notice(1));
      // Assess
      expect(result.outcome).toBe('stale');
      expect(t.receiver.snapshot().rememberedNotices).toBe(2);
      expect(t.sequences()).toEqual([1, 2, 3]);
    });

    it('treats a second notice with the same incident and sequence but another id as a duplicate', async () => {
      const t = setup();
      await t.feed(notice(2));
      expect((await t.feed(notice(2, { noticeId: 'other' }))).outcome).toBe('duplicate');
      expect((await t.feed(notice(1))).outcome).toBe('delivered');
      expect(t.sequences()).toEqual([1, 2]);
    });
  });

  describe('ordering within an incident', () => {
    it.each([
      [[1, 2, 3], [1, 2, 3]],
      [[2, 1, 3], [1, 2, 3]],
      [[3, 2, 1], [1, 2, 3]],
      [[1, 3, 2], [1, 2, 3]],
      [[2, 3, 1, 5, 4], [1, 2, 3, 4, 5]],
      [[1, 3, 3, 2, 2], [1, 2, 3]],
    ])('delivers arrivals %j as %j without waiting', async (arrivals, expected) => {
      // Prepare
      const t = setup();
      // Act
      for (const n of arrivals) await t.feed(notice(n));
      // Assess
      expect(t.sequences()).toEqual(expected);
      expect(t.missing).toEqual([]);
      expect(t.receiver.snapshot().heldNotices).toBe(0);
    });

    it.each([
      ['held', [2], { heldNotices: 1 }, []],
      ['delivered with what it unblocks', [2, 3, 1], { heldNotices: 0 }, [1, 2, 3]],
    ])('reports the outcome of the last arrival: %s', async (_, arrivals, snapshot, expected) => {
      const t = setup();
      for (const n of arrivals) await t.feed(notice(n));
      expect(t.receiver.snapshot()).toMatchObject(snapshot);
      expect(t.sequences()).toEqual(expected);
    });

    it('keeps incidents independent: a gap in one holds nothing of another', async () => {
      const t = setup();
      await t.feed(notice(2, { incidentId: 'inc-a' }));
      await t.feed(notice(1, { incidentId: 'inc-b' }));
      await t.feed(notice(2, { incidentId: 'inc-b' }));
      expect(t.sequences('inc-a')).toEqual([]);
      expect(t.sequences('inc-b')).toEqual([1, 2]);
      expect(t.gaps).toEqual([{ incidentId: 'inc-a', expected: 1, got: 2 }]);
    });

    it('hands an async handler one notice at a time, in order, even when messages arrive concurrently', async () => {
      // Prepare: a slow handler and three messages fed at once, out of order
      const receiver = new NoticeReceiver({ gapWaitMs: WAIT });
      const log: string[] = [];
      const deliver = async (n: Notice) => {
        log.push(`start ${n.sequence}`);
        await new Promise((r) => setImmediate(r));
        log.push(`end ${n.sequence}`);
      };
      // Act
      await Promise.all([notice(1), notice(3), notice(2)].map((n) => receiver.receive(JSON.stringify(n), deliver)));
      // Assess
      expect(log).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
    });
  });

  describe('gaps', () => {
    it('reports a gap once, when it opens', async () => {
      const t = setup();
      for (const n of [1, 3, 4, 5]) await t.feed(notice(n));
      expect(t.gaps).toEqual([{ incidentId: INCIDENT, expected: 2, got: 3 }]);
      expect(t.sequences()).toEqual([1]);
    });

    it('reports the next gap when a fill leaves another one', async () => {
      const t = setup();
      for (const n of [1, 3, 5, 2]) await t.feed(notice(n));
      expect(t.gaps).toEqual([
        { incidentId: INCIDENT, expected: 2, got: 3 },
        { incidentId: INCIDENT, expected: 4, got: 5 },
      ]);
      expect(t.sequences()).toEqual([1, 2, 3]);
    });

    it.each([
      [WAIT - 1, [1], []],
      [WAIT, [1, 3, 4], [{ incidentId: INCIDENT, missing: [2] }]],
    ])('after %i ms of gap wait, has delivered %j and reported missing %j', async (elapsed, expected, missing) => {
      // Prepare: 2 never comes
      const t = setup();
      for (const n of [1, 3, 4]) await t.feed(notice(n));
      // Act
      t.clock.advance(elapsed);
      await t.release();
      // Assess
      expect(t.sequences()).toEqual(expected);
      expect(t.missing).toEqual(missing);
    });

    it('releases on the next message too, not only on releaseDue', async () => {
      const t = setup();
      await t.feed(notice(3));
      t.clock.advance(WAIT);
      const result = await t.feed(notice(1, { incidentId: 'inc-other' }));
      expect(result.delivered.map((n) => [n.incidentId, n.sequence])).toEqual([
        ['inc-other', 1],
        [INCIDENT, 3],
      ]);
    });

    it('skips several gaps once each has waited, reporting each run of missing numbers', async () => {
      // Prepare: 3 and 6 arrive, 1, 2, 4 and 5 never do
      const t = setup();
      await t.feed(notice(3));
      await t.feed(notice(6));
      // Act
      t.clock.advance(WAIT);
      await t.release();
      // Assess
      expect(t.sequences()).toEqual([3, 6]);
      expect(t.missing).toEqual([
        { incidentId: INCIDENT, missing: [1, 2] },
        { incidentId: INCIDENT, missing: [4, 5] },
      ]);
    });

    it('waits for a later gap from when its own first notice arrived', async () => {
      // Prepare: 2 at t0; 4 at t0 + WAIT/2
      const t = setup();
      await t.feed(notice(2));
      t.clock.advance(WAIT / 2);
      await t.feed(notice(4));
      // Act 1: 2 has waited long enough, 4 not yet
      t.clock.advance(WAIT / 2);
      await t.release();
      // Assess 1
      expect(t.sequences()).toEqual([2]);
      expect(t.gaps.at(-1)).toEqual({ incidentId: INCIDENT, expected: 3, got: 4 });
      expect(t.receiver.msUntilNextRelease()).toBe(WAIT / 2);
      // Act 2
      t.clock.advance(WAIT / 2);
      await t.release();
      // Assess 2
      expect(t.sequences()).toEqual([2, 4]);
      expect(t.missing.map((m) => m.missing)).toEqual([[1], [3]]);
      expect(t.receiver.msUntilNextRelease()).toBeUndefined();
    });

    it('drops a notice that turns up after its number was given up on (stale), so an old halt never follows the resume', async () => {
      const t = setup();
      for (const n of [1, 3]) await t.feed(notice(n));
      t.clock.advance(WAIT);
      await t.release();
      const result = await t.feed(notice(2));
      expect(result.outcome).toBe('stale');
      expect(t.sequences()).toEqual([1, 3]);
    });

    it('delivers an unseen incident that starts past 1 (subscribed mid-incident) after the wait, reporting 1 … n−1 missing', async () => {
      // Prepare
      const t = setup();
      // Act 1
      const first = await t.feed(notice(5));
      // Assess 1: held, gap reported
      expect(first.outcome).toBe('held');
      expect(t.gaps).toEqual([{ incidentId: INCIDENT, expected: 1, got: 5 }]);
      // Act 2
      await t.feed(notice(6));
      t.clock.advance(WAIT);
      await t.release();
      // Assess 2
      expect(t.sequences()).toEqual([5, 6]);
      expect(t.missing).toEqual([{ incidentId: INCIDENT, missing: [1, 2, 3, 4] }]);
    });

    it('with gapWaitMs 0, delivers at once and still drops stale notices (for filter policies on type)', async () => {
      const t = setup({ gapWaitMs: 0 });
      for (const n of [2, 5, 3, 6]) await t.feed(notice(n));
      expect(t.sequences()).toEqual([2, 5, 6]);
      expect(t.missing.map((m) => m.missing)).toEqual([[1], [3, 4]]);
    });

    it('releases the oldest gap early when it holds more than maxHeldNotices', async () => {
      const t = setup({ maxHeldNotices: 2 });
      await t.feed(notice(2, { incidentId: 'inc-a' }));
      t.clock.advance(1);
      await t.feed(notice(2, { incidentId: 'inc-b' }));
      t.clock.advance(1);
      await t.feed(notice(2, { incidentId: 'inc-c' }));
      expect(t.delivered.map((n) => n.incidentId)).toEqual(['inc-a']);
      expect(t.receiver.snapshot().heldNotices).toBe(2);
    });

    it('tells a transport when to come back (msUntilNextRelease)', async () => {
      const t = setup();
      expect(t.receiver.msUntilNextRelease()).toBeUndefined();
      await t.feed(notice(2));
      t.clock.advance(3_000);
      expect(t.receiver.msUntilNextRelease()).toBe(WAIT - 3_000);
      expect(t.receiver.isHeld(notice(2).noticeId)).toBe(true);
    });

    it('answers a redelivery of a held notice with held, and does not hold it twice', async () => {
      const t = setup();
      await t.feed(notice(2));
      expect((await t.feed(notice(2))).outcome).toBe('held');
      expect(t.receiver.snapshot().heldNotices).toBe(1);
      expect(t.gaps).toHaveLength(1);
    });
  });

  describe('a subscription that takes only some types (types, by typeSequence)', () => {
    // The trail: 1 incident-opened, 2 halt, 3 update, 4 update, 5 resume-scheduled, 6 resume, 7 incident-resolved.
    const MARKET_FACTS = ['halt', 'resume-scheduled', 'resume'] as const;

    it('sees no gap where its filter withheld notices: halt, resume-scheduled, resume are delivered at once', async () => {
      // Prepare
      const t = setup({ types: MARKET_FACTS });
      // Act
      for (const n of [2, 5, 6]) await t.feed(notice(n));
      // Assess
      expect(t.sequences()).toEqual([2, 5, 6]);
      expect(t.gaps).toEqual([]);
      t.clock.advance(WAIT);
      await t.release();
      expect(t.missing).toEqual([]);
    });

    it('without types, the same subscription holds the halt and reports false losses', async () => {
      // Prepare
      const t = setup();
      // Act
      for (const n of [2, 5, 6]) await t.feed(notice(n));
      t.clock.advance(WAIT);
      await t.release();
      // Assess
      expect(t.gaps[0]).toEqual({ incidentId: INCIDENT, expected: 1, got: 2 });
      expect(t.missing.map((m) => m.missing)).toEqual([[1], [3, 4]]);
    });

    it('detects a lost halt by its typeSequence, and reports it by type after the gap wait', async () => {
      // Prepare: the incident's second halt (after a resume, a re-halt) arrives; its first never does.
      const t = setup({ types: MARKET_FACTS });
      const second = notice(9, { type: 'halt', typeSequence: 2 });
      // Act
      const held = await t.feed(second);
      t.clock.advance(WAIT);
      await t.release();
      // Assess
      expect(held.outcome).toBe('held');
      expect(t.gaps).toEqual([{ incidentId: INCIDENT, type: 'halt', expected: 1, got: 2 }]);
      expect(t.missing).toEqual([{ incidentId: INCIDENT, type: 'halt', missing: [1] }]);
      expect(t.sequences()).toEqual([9]);
    });

    it('drops a halt older than the resume already delivered (by sequence, across types)', async () => {
      // Prepare
      const t = setup({ types: MARKET_FACTS });
      await t.feed(notice(6));
      // Act
      const late = await t.feed(notice(2));
      // Assess
      expect(late.outcome).toBe('stale');
      expect(t.sequences()).toEqual([6]);
    });

    it('drops a held notice released after a later notice of another type went out', async () => {
      // Prepare: halt #2 waits for halt #1; meanwhile the resume (later) is delivered.
      const t = setup({ types: MARKET_FACTS });
      await t.feed(notice(4, { type: 'halt', typeSequence: 2 }));
      await t.feed(notice(6));
      // Act
      t.clock.advance(WAIT);
      await t.release();
      // Assess
      expect(t.sequences()).toEqual([6]);
      expect(t.missing).toEqual([{ incidentId: INCIDENT, type: 'halt', missing: [1] }]);
    });

    it('refuses an empty list of types at construction', () => {
      expect(() => new NoticeReceiver({ types: [] })).toThrow('types must name at least one notice type');
    });
  });

  describe('when the handler fails', () => {
    it('rejects with NoticeDeliveryError and retries the notice, in order, on its redelivery', async () => {
      // Prepare: the handler fails once on notice 2
      const receiver = new NoticeReceiver({ gapWaitMs: WAIT, now: new ManualClock().now });
      const delivered: number[] = [];
      let failOn: number | undefined = 2;
      const deliver = (n: Notice) => {
        if (n.sequence === failOn) {
          failOn = undefined;
          throw new Error('trading system unavailable');
        }
        delivered.push(n.sequence);
      };
      await receiver.receive(JSON.stringify(notice(1)), deliver);
      await receiver.receive(JSON.stringify(notice(3)), deliver);
      // Act 1
      const failure = receiver.receive(JSON.stringify(notice(2)), deliver);
      // Assess 1
      await expect(failure).rejects.toThrow(NoticeDeliveryError);
      await expect(failure).rejects.toMatchObject({ notice: { sequence: 2 }, delivered: [] });
      expect(delivered).toEqual([1]);
      // Act 2: 4 arrives before the retry; then SQS/SNS redelivers 2
      expect((await receiver.receive(JSON.stringify(notice(4)), deliver)).outcome).toBe('held');
      const retry = await receiver.receive(JSON.stringify(notice(2)), deliver);
      // Assess 2
      expect(retry.outcome).toBe('delivered');
      expect(delivered).toEqual([1, 2, 3, 4]);
    });

    it('retries a failed notice after the gap wait when no redelivery comes', async () => {
      const clock = new ManualClock();
      const receiver = new NoticeReceiver({ gapWaitMs: WAIT, now: clock.now });
      const delivered: number[] = [];
      await expect(
        receiver.receive(JSON.stringify(notice(1)), () => {
          throw new Error('down');
        }),
      ).rejects.toThrow(NoticeDeliveryError);
      clock.advance(WAIT);
      await receiver.releaseDue((n) => void delivered.push(n.sequence));
      expect(delivered).toEqual([1]);
    });
  });

  it('keeps its state when an onMissing callback throws: the release is retried', async () => {
    // Prepare: the first report fails
    let failReports = 1;
    const t = setup({
      onMissing: () => {
        if (failReports-- > 0) throw new Error('pager down');
      },
    });
    await t.feed(notice(2));
    t.clock.advance(WAIT);
    // Act 1
    await expect(t.release()).rejects.toThrow('pager down');
    // Assess 1
    expect(t.sequences()).toEqual([]);
    // Act 2
    t.clock.advance(WAIT);
    await t.release();
    // Assess 2
    expect(t.sequences()).toEqual([2]);
  });

  it.each([
    ['gapWaitMs', { gapWaitMs: -1 }],
    ['rememberNotices', { rememberNotices: 0 }],
    ['maxHeldNotices', { maxHeldNotices: 1.5 }],
  ])('fails at construction when %s is out of range', (name, options) => {
    expect(() => new NoticeReceiver(options)).toThrow(TocsinError);
    expect(() => new NoticeReceiver(options)).toThrow(name);
  });
});
