import type { TocsinConfigInput } from '../../lambda/core/config';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../lambda/core/errors';
import { parsePollAnswer, type AnswerCaller } from '../../lambda/core/readiness-poll';
import { answerPoll } from '../../lambda/core/use-cases/readiness-poll';
import { MINUTE, T0, TestClock } from '../helpers/domain';
import { firing, IncidentWorld } from '../helpers/domain-fixtures';

/**
 * Resumption by TSE's rules (shared/DESIGN.md, "Resumption"), through the real use cases over the
 * in-memory store (which commits under the DynamoDB adapter's conditions and checks that notices
 * are numbered without gaps): the readiness poll, the answers, the quorum gate on
 * `schedule-resume` and its override, when a poll closes, and the same-day cut-off read in the
 * market's time zone.
 */

const iso = (ms: number) => new Date(ms).toISOString();
const tokyo = (local: string) => Date.parse(`${local}+09:00`);

/** Four participants: A and B hold the value, C, D and E are the retail brokers. */
const CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['prime', 'standard'], timeZone: 'Asia/Tokyo', sameDayResumeCutoff: '14:30' }],
  components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
  participants: [
    { id: 'broker-a', name: 'Broker A', accountId: '111111111111', tradingValueShare: 0.3 },
    { id: 'broker-b', name: 'Broker B', accountId: '222222222222', tradingValueShare: 0.2 },
    { id: 'broker-c', name: 'Broker C', accountId: '333333333333', tradingValueShare: 0.05, retail: true, retailValueShare: 0.15 },
    { id: 'broker-d', name: 'Broker D', tradingValueShare: 0.05, retail: true, retailValueShare: 0.1 },
    { id: 'broker-e', name: 'Broker E', tradingValueShare: 0.02, retail: true, retailValueShare: 0.05 },
  ],
  policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 3 } },
};

/** Runs `act` and returns what it threw (failing the test when it throws nothing). */
async function thrown(act: () => Promise<unknown>): Promise<Error> {
  try {
    await act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, got none');
}

function setup(config: TocsinConfigInput = CONFIG, start = T0) {
  const world = new IncidentWorld(config, new TestClock(start));
  const answer = (participantId: string, ready: boolean, pollId: string, caller: AnswerCaller = {}, note?: string) =>
    answerPoll(world.store, parsePollAnswer({ pollId, participantId, ready, ...(note ? { note } : {}) }), caller, world.options);
  /** An incident on the shared disk and the market halted for it. */
  const halted = async (): Promise<string> => {
    const { incidentId } = await world.deliver(firing('disk-1', 0, { severity: 'critical' }));
    await world.command({ command: 'declare-halt', incidentId, note: 'shared disk failure' });
    return incidentId!;
  };
  const poll = async (respondBy?: number): Promise<string> => {
    const step = await world.command({ command: 'poll-readiness', ...(respondBy !== undefined ? { respondBy: iso(respondBy) } : {}) });
    return step.outcome.pollId!;
  };
  const schedule = (effectiveAt: number, extra: Record<string, unknown> = {}) => world.command({ command: 'schedule-resume', effectiveAt: iso(effectiveAt), ...extra });
  return { world, answer, halted, poll, schedule };
}

describe('the readiness poll, the quorum gate and the cut-off', () => {
  it('poll → answers → refused → more answers → scheduled: the notices numbered without a gap, the tally in the notice', async () => {
    // Prepare
    const { world, answer, halted, poll, schedule } = setup();
    const incidentId = await halted();

    // Act: the poll, and the big brokers' answers.
    const pollId = await poll();
    await answer('broker-a', true, pollId);
    await answer('broker-b', true, pollId);
    world.clock.advance(5 * MINUTE);
    const refused = await thrown(() => schedule(world.clock.now + 15 * MINUTE));
    await answer('broker-c', true, pollId);
    await answer('broker-d', true, pollId);
    await answer('broker-e', false, pollId, {}, 'our order gateway is still down');
    const stillShort = await thrown(() => schedule(world.clock.now + 15 * MINUTE));
    await answer('broker-e', true, pollId, {}, 'gateway back');
    const scheduled = await schedule(world.clock.now + 15 * MINUTE);

    // Assess: refused twice with the tally, then scheduled.
    expect(refused).toBeInstanceOf(ConflictError);
    expect(refused.message).toMatch(/cannot schedule the resumption of market equities: the latest readiness poll \(poll-\S+\) does not meet the quorum/);
    expect((refused as ConflictError).state).toMatchObject({
      market: 'equities',
      status: 'halted',
      pollId,
      tally: { valueShare: 0.5, retailValueShare: 0, retailParticipants: 0, met: false, missing: ['broker-c', 'broker-d', 'broker-e'] },
    });
    expect((stillShort as ConflictError).state).toMatchObject({ tally: { valueShare: 0.6, retailValueShare: 0.25, retailParticipants: 2, met: false, notReady: ['broker-e'] } });
    expect(scheduled.action).toBe('resume-scheduled');
    expect(world.noticeTrail(incidentId)).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['readiness-poll', 3],
      ['resume-scheduled', 4],
    ]);
    const [pollNotice, resumeNotice] = world.noticesOf(incidentId).slice(2);
    expect(pollNotice!.detail).toMatchObject({ pollId, respondBy: iso(T0 + 30 * MINUTE), participants: 5, quorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 3 } });
    expect(pollNotice!.summary).toContain('Answer by 2020-10-01 07:34 Asia/Tokyo');
    expect(resumeNotice!.detail.quorum).toEqual({
      valueShare: 0.62,
      retailValueShare: 0.3,
      retailParticipants: 3,
      met: true,
      missing: [],
      notReady: [],
      pollId,
      required: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 3 },
    });
    expect(world.market()).toMatchObject({ status: 'resume-scheduled', pollId });
  });

  it('records every answer on the halting incident, a changed one with what it was, and a repeated one not at all', async () => {
    // Prepare
    const { world, answer, halted, poll } = setup();
    const incidentId = await halted();
    const pollId = await poll();

    // Act
    const first = await answer('broker-a', true, pollId, { accountId: '111111111111', arn: 'arn:aws:sts::111111111111:assumed-role/tocsin-respond/broker-a' });
    const commitsBefore = world.store.log.length;
    const repeated = await answer('broker-a', true, pollId, { accountId: '111111111111' });
    const changed = await answer('broker-a', false, pollId, {}, 'matching engine link down');

    // Assess
    expect(first).toMatchObject({ action: 'answered', pollId, tally: { valueShare: 0.3, met: false } });
    expect(repeated).toMatchObject({ action: 'unchanged', tally: { valueShare: 0.3 } });
    expect(world.store.log.length).toBe(commitsBefore + 1);
    expect(changed).toMatchObject({ action: 'answer-changed', tally: { valueShare: 0, notReady: ['broker-a'] } });
    const answers = world.timelineOf(incidentId).filter((e) => e.kind === 'readiness-answer');
    expect(answers.map((e) => [e.actor, e.text.split('. Poll')[0]])).toEqual([
      ['arn:aws:sts::111111111111:assumed-role/tocsin-respond/broker-a', 'Broker A (broker-a) answered ready'],
      ['participant:broker-a', 'Broker A (broker-a) changed its answer to not ready (was ready): "matching engine link down"'],
    ]);
    // Answers reach no participant: the incident's notices are unchanged.
    expect(world.noticeTrail(incidentId).map(([type]) => type)).toEqual(['incident-opened', 'halt', 'readiness-poll']);
  });

  describe('who may answer', () => {
    it('rejects an answer signed by another participant’s account (403), and one for a participant with no account', async () => {
      // Prepare
      const { answer, halted, poll } = setup();
      await halted();
      const pollId = await poll();

      // Act
      const forOther = await thrown(() => answer('broker-b', true, pollId, { accountId: '111111111111' }));
      const noAccount = await thrown(() => answer('broker-d', true, pollId, { accountId: '111111111111' }));

      // Assess
      expect(forOther).toBeInstanceOf(ForbiddenError);
      expect(forOther.message).toBe('account 111111111111 may not answer for participant "broker-b": sign with the participant\'s own account');
      expect(noAccount).toBeInstanceOf(ForbiddenError);
      expect(noAccount.message).toMatch(/participant "broker-d" has no AWS account configured/);
    });

    it.each([
      ['an unknown participant', 'broker-z', undefined, 'unknown participant "broker-z": not a configured participant'],
      ['an unknown poll', 'broker-a', 'poll-nope', 'unknown poll "poll-nope"'],
    ])('rejects an answer from %s (404)', async (_, participantId, pollOverride, message) => {
      // Prepare
      const { answer, halted, poll } = setup();
      await halted();
      const pollId = await poll();

      // Act
      const error = await thrown(() => answer(participantId, true, pollOverride ?? pollId));

      // Assess
      expect(error).toBeInstanceOf(NotFoundError);
      expect(error.message).toBe(message);
    });

    it.each([
      ['no pollId', { participantId: 'broker-a', ready: true }, 'pollId'],
      ['ready as a string', { pollId: 'poll-1', participantId: 'broker-a', ready: 'yes' }, 'ready'],
      ['an unknown field', { pollId: 'poll-1', participantId: 'broker-a', ready: true, market: 'equities' }, ''],
      ['a note too long', { pollId: 'poll-1', participantId: 'broker-a', ready: true, note: 'x'.repeat(281) }, 'note'],
    ])('rejects an answer with %s (400), naming the field', (_, body, field) => {
      // Act
      const parse = () => parsePollAnswer(body);

      // Assess
      expect(parse).toThrow(ValidationError);
      expect(parse).toThrow(field ? new RegExp(`invalid answer: ${field}: `) : /invalid answer: unknown field "market"/);
    });
  });

  describe('when a poll closes', () => {
    it('at respondBy: a later answer is refused (409), the tally stands for the gate', async () => {
      // Prepare
      const { world, answer, halted, poll, schedule } = setup();
      await halted();
      const pollId = await poll(T0 + 10 * MINUTE);
      for (const id of ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e']) await answer(id, true, pollId);

      // Act: broker-a withdraws, at respondBy: too late.
      world.clock.advance(10 * MINUTE);
      const late = await thrown(() => answer('broker-a', false, pollId));
      const scheduled = await schedule(world.clock.now + 15 * MINUTE);

      // Assess
      expect(late).toBeInstanceOf(ConflictError);
      expect(late.message).toBe(`poll ${pollId} is closed: answers were due by ${iso(T0 + 10 * MINUTE)}`);
      expect((late as ConflictError).state).toMatchObject({ pollId, status: 'closed', closedReason: 'respond-by', tally: { met: true } });
      expect(scheduled.action).toBe('resume-scheduled');
      // A poll closed at respondBy needs no write to close: the scheduling closes nothing more.
      expect(scheduled.commits[0]!.polls).toBeUndefined();
    });

    it('when the resumption is scheduled: answers after it are refused (409)', async () => {
      // Prepare
      const { world, answer, halted, poll, schedule } = setup();
      const incidentId = await halted();
      const pollId = await poll();
      for (const id of ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e']) await answer(id, true, pollId);
      await schedule(world.clock.now + 15 * MINUTE);

      // Act
      const after = await thrown(() => answer('broker-a', false, pollId));

      // Assess
      expect(after.message).toBe(`poll ${pollId} is closed: the resumption has been scheduled`);
      expect(world.timelineOf(incidentId).map((e) => e.kind).slice(-2)).toEqual(['resume-scheduled', 'readiness-poll-closed']);
    });

    it('when a newer poll replaces it: only the newer one takes answers, and the gate reads it', async () => {
      // Prepare
      const { world, answer, halted, poll, schedule } = setup();
      const incidentId = await halted();
      const first = await poll();
      for (const id of ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e']) await answer(id, true, first);

      // Act: a second poll (the recovery slipped); nobody has answered it yet.
      world.clock.advance(20 * MINUTE);
      const second = await poll();
      const toFirst = await thrown(() => answer('broker-a', true, first));
      const gate = await thrown(() => schedule(world.clock.now + 15 * MINUTE));

      // Assess
      expect(second).not.toBe(first);
      expect(toFirst.message).toBe(`poll ${first} is closed: a newer poll replaced it`);
      expect((gate as ConflictError).state).toMatchObject({ pollId: second, tally: { valueShare: 0, met: false } });
      expect(world.noticeTrail(incidentId).map(([type]) => type)).toEqual(['incident-opened', 'halt', 'readiness-poll', 'readiness-poll']);
      expect(world.timelineOf(incidentId).find((e) => e.kind === 'readiness-poll-closed')?.text).toBe(`Readiness poll ${first} closed: replaced by ${second}.`);
    });
  });

  describe('poll-readiness refusals', () => {
    it.each([
      ['a trading market', false, {}, ConflictError, /cannot poll readiness: market equities is not halted \(it is trading\)/],
      ['a respondBy in the past', true, { respondBy: iso(T0 - MINUTE) }, ValidationError, /invalid command: respondBy: must be within the next 24 hours/],
      ['a respondBy more than a day ahead', true, { respondBy: iso(T0 + 25 * 60 * MINUTE) }, ValidationError, /respondBy: must be within the next 24 hours/],
    ])('refuses %s', async (_, halt, extra, kind, message) => {
      // Prepare
      const { world, halted } = setup();
      if (halt) await halted();

      // Act
      const error = await thrown(() => world.command({ command: 'poll-readiness', ...extra }));

      // Assess
      expect(error).toBeInstanceOf(kind);
      expect(error.message).toMatch(message);
    });

    it('refuses a poll when no participants are configured (409)', async () => {
      // Prepare
      const { world, halted } = setup({ ...CONFIG, participants: [], policy: {} });
      await halted();

      // Act
      const error = await thrown(() => world.command({ command: 'poll-readiness' }));

      // Assess
      expect(error).toBeInstanceOf(ConflictError);
      expect(error.message).toBe('cannot poll readiness: no participants are configured (configuration "participants")');
    });

    it('refuses a poll once the resumption is scheduled (409)', async () => {
      // Prepare
      const { world, halted, schedule } = setup();
      await halted();
      await schedule(T0 + 20 * MINUTE, { override: 'test' });

      // Act
      const error = await thrown(() => world.command({ command: 'poll-readiness' }));

      // Assess
      expect(error.message).toMatch(/not halted \(its resumption is already scheduled\)/);
    });
  });

  describe('the gate', () => {
    it('refuses a resumption with no poll at all (409), the empty tally in the state', async () => {
      // Prepare
      const { halted, schedule } = setup();
      await halted();

      // Act
      const error = await thrown(() => schedule(T0 + 20 * MINUTE));

      // Assess
      expect(error.message).toMatch(/no readiness poll for this halt; the quorum needs 50 % of trading value, 30 % of retail trading value, 3 retail brokers: run poll-readiness/);
      expect((error as ConflictError).state).toMatchObject({ tally: { valueShare: 0, met: false, missing: ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e'] } });
    });

    it('lets an override through, recorded on the timeline and announced in the notice', async () => {
      // Prepare
      const { world, answer, halted, poll, schedule } = setup();
      const incidentId = await halted();
      const pollId = await poll();
      await answer('broker-a', true, pollId);

      // Act
      const step = await schedule(T0 + 20 * MINUTE, { override: 'FSA instructed resumption; brokers confirmed by phone' });

      // Assess
      expect(step.action).toBe('resume-scheduled');
      const entry = world.timelineOf(incidentId).find((e) => e.kind === 'resume-scheduled')!;
      expect(entry.text).toContain('Scheduled WITHOUT the readiness quorum (50 % of trading value, 30 % of retail trading value, 3 retail brokers), by override: FSA instructed resumption');
      expect(entry.data).toMatchObject({ override: 'FSA instructed resumption; brokers confirmed by phone' });
      const notice = world.noticesOf(incidentId).find((n) => n.type === 'resume-scheduled')!;
      expect(notice.summary).toContain('by override: FSA instructed resumption');
      expect(notice.detail.quorum).toMatchObject({ met: false, valueShare: 0.3, override: 'FSA instructed resumption; brokers confirmed by phone', pollId });
    });

    it('is not there without resumeQuorum: a resumption needs no poll, and one that was held is closed and reported', async () => {
      // Prepare
      const { world, answer, halted, poll, schedule } = setup({ ...CONFIG, policy: {} });
      const incidentId = await halted();
      const pollId = await poll();
      await answer('broker-b', true, pollId);

      // Act
      await schedule(T0 + 20 * MINUTE);

      // Assess
      const notice = world.noticesOf(incidentId).find((n) => n.type === 'resume-scheduled')!;
      expect(notice.detail.quorum).toEqual({ valueShare: 0.2, retailValueShare: 0, retailParticipants: 0, met: true, missing: ['broker-a', 'broker-c', 'broker-d', 'broker-e'], notReady: [], pollId });
      expect(notice.summary).toContain('no quorum configured');
    });

    it('decides again when an answer changes between its read and its commit, and refuses on the new tally', async () => {
      // Prepare: a met quorum.
      const { world, answer, halted, poll, schedule } = setup();
      await halted();
      const pollId = await poll();
      for (const id of ['broker-a', 'broker-b', 'broker-c', 'broker-d', 'broker-e']) await answer(id, true, pollId);
      const held = world.store.holdBefore('commit', (transition) => transition.action === 'resume-scheduled');

      // Act: schedule-resume decides on the met tally; before it commits, broker-b withdraws.
      const scheduling = thrown(() => schedule(world.clock.now + 15 * MINUTE));
      await held.reached;
      await answer('broker-b', false, pollId, {}, 'lost connectivity');
      held.release();
      const error = await scheduling;

      // Assess
      expect(error).toBeInstanceOf(ConflictError);
      expect((error as ConflictError).state).toMatchObject({ tally: { valueShare: 0.42, met: false, notReady: ['broker-b'] } });
      expect(world.market()).toMatchObject({ status: 'halted', pollId });
    });
  });

  describe('the same-day cut-off, in Tokyo time', () => {
    // The halt at 07:04 Tokyo on 1 October 2020 is 22:04 UTC on 30 September: the Tokyo day and
    // the UTC day differ, and the cut-off is read on the Tokyo day.
    it.each([
      ['14:30 Tokyo on the day of the halt: exactly the cut-off', '2020-10-01T14:30:00', true],
      ['14:31 Tokyo on the day of the halt (05:31 UTC, the next UTC day)', '2020-10-01T14:31:00', false],
      ['23:59 Tokyo on the day of the halt', '2020-10-01T23:59:00', false],
      ['09:00 Tokyo the next day (00:00 UTC)', '2020-10-02T09:00:00', true],
      ['15:00 Tokyo the next day: the cut-off binds the day of the halt only', '2020-10-02T15:00:00', true],
    ])('%s', async (_, local, allowed) => {
      // Prepare
      const { halted, schedule } = setup({ ...CONFIG, policy: {} });
      await halted();

      // Act
      const attempt = () => schedule(tokyo(local));

      // Assess
      if (allowed) await expect(attempt()).resolves.toMatchObject({ action: 'resume-scheduled' });
      else {
        const error = await thrown(attempt);
        expect(error).toBeInstanceOf(ValidationError);
        expect(error.message).toMatch(
          new RegExp(`effectiveAt: ${local.slice(0, 10)} ${local.slice(11, 16)} Asia/Tokyo is after the same-day resumption cut-off 14:30 \\(Asia/Tokyo\\) of 2020-10-01, the day of the halt .*resume by 14:30 today, or on 2020-10-02 or later`),
        );
      }
    });

    it('reads the day of a halt just after Tokyo midnight (still the previous day in UTC) in Tokyo time', async () => {
      // Prepare: halted at 00:30 Tokyo on 2 October (15:30 UTC on 1 October).
      const { world, halted, schedule } = setup({ ...CONFIG, policy: {} }, tokyo('2020-10-02T00:30:00'));
      await halted();

      // Act
      const late = await thrown(() => schedule(tokyo('2020-10-02T14:45:00')));
      const fine = await schedule(tokyo('2020-10-02T09:00:00'));

      // Assess: 14:45 Tokyo on 2 October is 05:45 UTC on 2 October, a "next day" only in UTC.
      expect(late.message).toMatch(/cut-off 14:30 \(Asia\/Tokyo\) of 2020-10-02, the day of the halt/);
      expect(fine.action).toBe('resume-scheduled');
      expect(world.market().resumeAt).toBe(tokyo('2020-10-02T09:00:00'));
    });

    it('is checked before the quorum: a late resumption is a 400 even without quorum', async () => {
      // Prepare
      const { halted, schedule } = setup();
      await halted();

      // Act
      const error = await thrown(() => schedule(tokyo('2020-10-01T15:00:00')));

      // Assess
      expect(error).toBeInstanceOf(ValidationError);
    });

    it('does not apply to a market without a cut-off', async () => {
      // Prepare
      const { halted, schedule } = setup({ ...CONFIG, markets: [{ id: 'equities', timeZone: 'Asia/Tokyo' }], policy: {} });
      await halted();

      // Act and Assess
      await expect(schedule(tokyo('2020-10-01T23:00:00'))).resolves.toMatchObject({ action: 'resume-scheduled' });
    });
  });
});
