import { randomBytes } from 'node:crypto';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { metrics } from '../../lambda/adapters/observability';
import type { TocsinConfigInput } from '../../lambda/core/config';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { createOperateHandler } from '../../lambda/handlers/operate';
import { ANSWER_MAX_BYTES, createRespondHandler } from '../../lambda/handlers/respond';
import { createStatusHandler } from '../../lambda/handlers/status';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, T0, TestClock } from '../helpers/domain';
import { functionUrlEvent, loadEvent, tableItems } from '../helpers/events';

/**
 * The respond Function URL and the resumption's operator side, end to end on DynamoDB Local
 * (shared/DESIGN.md, "Resumption"): `poll-readiness` through the operate handler, participants'
 * answers through the respond handler with a stubbed IAM caller (the Function URL's
 * `requestContext.authorizer.iam`), the quorum gate and the cut-off on `schedule-resume`, and the
 * poll in the status views. Each test has a market and incident ids of its own on the file's table.
 */

const RESPOND_URL = 'https://w9q3k2h7m4x8c1v6b5n0z2l7p3r9t4yd.lambda-url.ap-northeast-1.on.aws/';
const ACCOUNT = { a: '210987654321', b: '310987654321', c: '410987654321', d: '510987654321' };
const iso = (ms: number) => new Date(ms).toISOString();
const tokyo = (local: string) => Date.parse(`${local}+09:00`);

/** A signed answer: the sample event (events/respond/) with another body and caller account. */
function answerEvent(body: unknown, accountId: string | undefined, options: { method?: string; contentType?: string } = {}): Record<string, unknown> {
  const sample = loadEvent<Record<string, any>>('respond/readiness-answer.json');
  const iam = accountId === undefined ? undefined : { ...sample.requestContext.authorizer.iam, accountId, userArn: `arn:aws:sts::${accountId}:assumed-role/tocsin-respond/operations` };
  return {
    ...sample,
    headers: { ...sample.headers, 'content-type': options.contentType ?? 'application/json' },
    requestContext: { ...sample.requestContext, authorizer: iam ? { iam } : undefined, http: { ...sample.requestContext.http, method: options.method ?? 'POST' } },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

interface Reply {
  readonly statusCode: number;
  readonly body: Record<string, any>;
}

describe('respond handler and the resumption on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  let runs = 0;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('respond', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  /**
   * A Tokyo market of its own (cut-off 14:30), four participants with accounts (broker-d has
   * none), TSE-like thresholds scaled down (50 %, 30 %, 2 retail brokers), and the three handlers
   * on one store and one clock (07:04 JST, 1 October 2020).
   */
  function world(policy: TocsinConfigInput['policy'] = {}) {
    runs += 1;
    const run = `${runs}-${randomBytes(3).toString('hex')}`;
    const market = `eq-${run}`;
    const config: TocsinConfigInput = {
      markets: [{ id: market, segments: ['prime', 'standard'], timeZone: 'Asia/Tokyo', sameDayResumeCutoff: '14:30' }],
      components: [{ id: 'shared-disk', market, critical: true, participantFacing: true }],
      participants: [
        { id: 'broker-a', name: 'Broker A Securities', accountId: ACCOUNT.a, tradingValueShare: 0.35 },
        { id: 'broker-b', name: 'Broker B <Online>', accountId: ACCOUNT.b, tradingValueShare: 0.1, retail: true, retailValueShare: 0.2 },
        { id: 'broker-c', name: 'Broker C', accountId: ACCOUNT.c, tradingValueShare: 0.1, retail: true, retailValueShare: 0.15 },
        { id: 'broker-d', name: 'Broker D', tradingValueShare: 0.05 },
      ],
      policy: { resumeQuorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 2 }, ...policy },
    };
    const clock = new TestClock(T0, `rs${run}`);
    const context = clock.context(config);
    const operate = createOperateHandler({ store, context, respondUrl: RESPOND_URL });
    const respond = createRespondHandler({ store, context });
    const status = createStatusHandler({ store, context });
    const reply = (response: { statusCode: number; body: string }): Reply => ({ statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, any> });

    const w = {
      clock,
      market,
      command: async (body: Record<string, unknown>): Promise<Reply> => reply(await operate(functionUrlEvent({ as: 'ops-tanaka', ...body }))),
      answer: async (participantId: string, ready: boolean, pollId: string, accountId: string | undefined, note?: string): Promise<Reply> =>
        reply(await respond(answerEvent({ pollId, participantId, ready, ...(note ? { note } : {}) }, accountId))),
      respondRaw: async (event: Record<string, unknown>): Promise<Reply> => reply(await respond(event)),
      status: async (path = '/'): Promise<Reply> => reply(await status(functionUrlEvent('', { method: 'GET', path }))),
      async halted(): Promise<string> {
        const outcome = await ingestSignal(store, alarm({ dedupKey: `arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:${run}-memory`, market, severity: 'critical' }), { context });
        const halt = await w.command({ command: 'declare-halt', incidentId: outcome.incidentId, note: 'shared disk failure' });
        expect(halt.statusCode).toBe(200);
        return outcome.incidentId!;
      },
      async polled(respondBy?: number): Promise<string> {
        const poll = await w.command({ command: 'poll-readiness', market, ...(respondBy !== undefined ? { respondBy: iso(respondBy) } : {}) });
        expect(poll).toMatchObject({ statusCode: 200, body: { ok: true, action: 'poll-opened' } });
        return poll.body.pollId as string;
      },
      async notices(incidentId: string) {
        return (await store.incidentRecord(incidentId))!.notices.map((n) => n.notice);
      },
    };
    return w;
  }

  /** Runs `act` and checks that the table is item for item what it was before. */
  async function writesNothing<T>(act: () => Promise<T>): Promise<T> {
    const before = await tableItems(aws.dynamodb, tableName);
    const result = await act();
    expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    return result;
  }

  it('poll → answers → refused → more answers → scheduled, the notices numbered 1 … n without a gap', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();

    // Act
    const pollId = await w.polled();
    const a = await w.answer('broker-a', true, pollId, ACCOUNT.a);
    const b = await w.answer('broker-b', true, pollId, ACCOUNT.b, 'order gateway verified');
    w.clock.advance(5 * MINUTE);
    const refused = await w.command({ command: 'schedule-resume', market: w.market, effectiveAt: iso(w.clock.now + 15 * MINUTE) });
    const c = await w.answer('broker-c', true, pollId, ACCOUNT.c);
    const scheduled = await w.command({ command: 'schedule-resume', market: w.market, effectiveAt: iso(w.clock.now + 15 * MINUTE), note: 'Afternoon session.' });

    // Assess: each answer's tally, the refusal with the tally, then the resumption with it.
    expect(a).toEqual({ statusCode: 200, body: { ok: true, pollId, participantId: 'broker-a', action: 'answered', tally: { valueShare: 0.35, retailValueShare: 0, retailParticipants: 0, met: false, missing: ['broker-b', 'broker-c', 'broker-d'], notReady: [] } } });
    expect(b.body.tally).toMatchObject({ valueShare: 0.45, retailValueShare: 0.2, retailParticipants: 1, met: false });
    expect(refused.statusCode).toBe(409);
    expect(refused.body.error).toMatch(/does not meet the quorum of 50 % of trading value, 30 % of retail trading value, 2 retail brokers/);
    expect(refused.body.state).toMatchObject({ market: w.market, status: 'halted', pollId, tally: { valueShare: 0.45, retailValueShare: 0.2, retailParticipants: 1, met: false, missing: ['broker-c', 'broker-d'] } });
    expect(c.body.tally).toMatchObject({ valueShare: 0.55, retailValueShare: 0.35, retailParticipants: 2, met: true, missing: ['broker-d'] });
    expect(scheduled).toMatchObject({ statusCode: 200, body: { ok: true, action: 'resume-scheduled', quorum: { met: true, valueShare: 0.55, pollId } } });
    const notices = await w.notices(incidentId);
    expect(notices.map((n) => [n.sequence, n.type])).toEqual([
      [1, 'incident-opened'],
      [2, 'halt'],
      [3, 'readiness-poll'],
      [4, 'resume-scheduled'],
    ]);
    expect(notices[2]!.detail).toMatchObject({ pollId, respondUrl: RESPOND_URL, respondBy: iso(T0 + 30 * MINUTE), participants: 4 });
    expect(notices[3]!.detail.quorum).toMatchObject({ valueShare: 0.55, retailValueShare: 0.35, retailParticipants: 2, met: true, missing: ['broker-d'], pollId });
    const timeline = (await store.incidentRecord(incidentId))!.timeline;
    expect(timeline.map((e) => e.kind)).toEqual(['incident-opened', 'halt', 'readiness-poll', 'readiness-answer', 'readiness-answer', 'readiness-answer', 'resume-scheduled', 'readiness-poll-closed']);
    expect(timeline.filter((e) => e.kind === 'readiness-answer').map((e) => e.actor)).toEqual([ACCOUNT.a, ACCOUNT.b, ACCOUNT.c].map((acct) => `arn:aws:sts::${acct}:assumed-role/tocsin-respond/operations`));
  });

  describe('who may answer', () => {
    it('rejects a participant answering for another account (403) and writes nothing', async () => {
      // Prepare
      const w = world();
      await w.halted();
      const pollId = await w.polled();

      // Act: broker-a's account signs an answer for broker-b.
      const reply = await writesNothing(() => w.answer('broker-b', true, pollId, ACCOUNT.a));

      // Assess
      expect(reply).toEqual({ statusCode: 403, body: { error: `account ${ACCOUNT.a} may not answer for participant "broker-b": sign with the participant's own account` } });
    });

    it('rejects an answer for a participant with no account configured (403)', async () => {
      // Prepare
      const w = world();
      await w.halted();
      const pollId = await w.polled();

      // Act
      const reply = await writesNothing(() => w.answer('broker-d', true, pollId, ACCOUNT.a));

      // Assess
      expect(reply.statusCode).toBe(403);
      expect(reply.body.error).toMatch(/participant "broker-d" has no AWS account configured/);
    });

    it('rejects a request without an IAM caller (403): the deployed URL always has one', async () => {
      // Prepare
      const w = world();
      await w.halted();
      const pollId = await w.polled();
      const counted = jest.spyOn(metrics, 'addMetric');

      // Act
      const reply = await writesNothing(() => w.answer('broker-a', true, pollId, undefined));

      // Assess
      expect(reply.statusCode).toBe(403);
      expect(reply.body.error).toMatch(/must be signed \(SigV4, AWS_IAM\)/);
      expect(counted).toHaveBeenCalledWith('ReadinessAnswersRejected', 'Count', 1);
      counted.mockRestore();
    });
  });

  it.each<[string, number, (pollId: string) => Record<string, unknown>, RegExp]>([
    ['an unknown poll', 404, () => answerEvent({ pollId: 'poll-nope', participantId: 'broker-a', ready: true }, ACCOUNT.a), /^unknown poll "poll-nope"$/],
    ['an unknown participant', 404, (pollId) => answerEvent({ pollId, participantId: 'broker-z', ready: true }, ACCOUNT.a), /^unknown participant "broker-z"/],
    ['ready as a string', 400, (pollId) => answerEvent({ pollId, participantId: 'broker-a', ready: 'yes' }, ACCOUNT.a), /^invalid answer: ready: expected a boolean, got "yes"$/],
    ['no participantId', 400, (pollId) => answerEvent({ pollId, ready: true }, ACCOUNT.a), /^invalid answer: participantId: missing; expected a string$/],
    ['an unknown field', 400, (pollId) => answerEvent({ pollId, participantId: 'broker-a', ready: true, market: 'x' }, ACCOUNT.a), /^invalid answer: unknown field "market"$/],
    ['a body that is not JSON', 400, () => answerEvent('{"pollId":', ACCOUNT.a), /^body is not valid JSON/],
    ['a GET', 405, (pollId) => answerEvent({ pollId }, ACCOUNT.a, { method: 'GET' }), /^method GET is not allowed; use POST$/],
    ['a form post', 415, (pollId) => answerEvent({ pollId }, ACCOUNT.a, { contentType: 'application/x-www-form-urlencoded' }), /is not supported; expected application\/json/],
    ['a body over 4 KiB', 413, (pollId) => answerEvent({ pollId, participantId: 'broker-a', ready: true, note: 'x'.repeat(ANSWER_MAX_BYTES) }, ACCOUNT.a), /the limit is 4096 bytes/],
  ])('rejects %s with %i, naming what is wrong, and writes nothing', async (_, statusCode, event, error) => {
    // Prepare
    const w = world();
    await w.halted();
    const pollId = await w.polled();

    // Act
    const reply = await writesNothing(() => w.respondRaw(event(pollId)));

    // Assess
    expect(reply.statusCode).toBe(statusCode);
    expect(reply.body.error).toMatch(error);
  });

  it('takes the same answer twice as once (200, nothing written), and records a changed answer on the timeline', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();
    const pollId = await w.polled();
    await w.answer('broker-b', true, pollId, ACCOUNT.b, 'ready from 12:30');

    // Act
    const again = await writesNothing(() => w.answer('broker-b', true, pollId, ACCOUNT.b, 'ready from 12:30'));
    const changed = await w.answer('broker-b', false, pollId, ACCOUNT.b, 'order gateway failed its check');

    // Assess
    expect(again).toMatchObject({ statusCode: 200, body: { action: 'unchanged', tally: { valueShare: 0.1 } } });
    expect(changed).toMatchObject({ statusCode: 200, body: { action: 'answer-changed', tally: { valueShare: 0, notReady: ['broker-b'] } } });
    const entries = (await store.incidentRecord(incidentId))!.timeline.filter((e) => e.kind === 'readiness-answer');
    expect(entries.map((e) => e.text.split('. Poll')[0])).toEqual([
      'Broker B <Online> (broker-b) answered ready: "ready from 12:30"',
      'Broker B <Online> (broker-b) changed its answer to not ready (was ready): "order gateway failed its check"',
    ]);
  });

  it('refuses answers to a closed poll (409) with the poll and its tally: after respondBy, after a newer poll', async () => {
    // Prepare
    const w = world();
    await w.halted();
    const first = await w.polled(T0 + 10 * MINUTE);
    await w.answer('broker-a', true, first, ACCOUNT.a);

    // Act
    w.clock.advance(10 * MINUTE);
    const late = await writesNothing(() => w.answer('broker-c', true, first, ACCOUNT.c));
    const second = await w.polled();
    const toFirst = await w.answer('broker-c', true, first, ACCOUNT.c);

    // Assess
    expect(late.statusCode).toBe(409);
    expect(late.body).toMatchObject({ error: `poll ${first} is closed: answers were due by ${iso(T0 + 10 * MINUTE)}`, state: { pollId: first, status: 'closed', closedReason: 'respond-by', tally: { valueShare: 0.35 } } });
    expect(toFirst.statusCode).toBe(409);
    expect(toFirst.body.state).toMatchObject({ pollId: first, closedReason: 'respond-by' });
    expect(second).not.toBe(first);
  });

  it('schedules with an override: the reason is recorded and announced', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();
    await w.polled();

    // Act
    const scheduled = await w.command({ command: 'schedule-resume', market: w.market, effectiveAt: iso(T0 + 20 * MINUTE), override: 'brokers confirmed by phone' });

    // Assess
    expect(scheduled).toMatchObject({ statusCode: 200, body: { action: 'resume-scheduled', quorum: { met: false, override: 'brokers confirmed by phone' } } });
    const notice = (await w.notices(incidentId)).find((n) => n.type === 'resume-scheduled')!;
    expect(notice.summary).toMatch(/Scheduled WITHOUT the readiness quorum .* by override: brokers confirmed by phone/);
  });

  it('refuses a resumption after the 14:30 Tokyo cut-off of the halt day (400, naming it), though that is the next day in UTC; the next Tokyo day is allowed', async () => {
    // Prepare: halted at 07:04 Tokyo on 1 October, 22:04 UTC on 30 September.
    const w = world({});
    await w.halted();
    await w.polled();

    // Act
    const late = await writesNothing(() => w.command({ command: 'schedule-resume', market: w.market, effectiveAt: '2020-10-01T14:45:00+09:00', override: 'test' }));
    const nextDay = await w.command({ command: 'schedule-resume', market: w.market, effectiveAt: '2020-10-02T09:00:00+09:00', override: 'next day, normal open' });

    // Assess
    expect(late.statusCode).toBe(400);
    expect(late.body.error).toBe(
      `invalid command: effectiveAt: 2020-10-01 14:45 Asia/Tokyo is after the same-day resumption cut-off 14:30 (Asia/Tokyo) of 2020-10-01, the day of the halt (markets "${w.market}" sameDayResumeCutoff): resume by 14:30 today, or on 2020-10-02 or later`,
    );
    expect(nextDay).toMatchObject({ statusCode: 200, body: { market: { status: 'resume-scheduled', resumeAt: iso(tokyo('2020-10-02T09:00:00')) } } });
  });

  it('shows the open poll in the status JSON, and every answer at /polls/<pollId>', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();
    const pollId = await w.polled();
    await w.answer('broker-a', true, pollId, ACCOUNT.a);
    await w.answer('broker-b', false, pollId, ACCOUNT.b, 'waiting for our vendor');

    // Act
    const overview = await w.status('/');
    const detail = await w.status(`/polls/${pollId}`);
    const unknown = await w.status('/polls/poll-nope');

    // Assess
    const market = (overview.body.markets as Record<string, any>[]).find((m) => m.market === w.market)!;
    expect(market).toMatchObject({ status: 'halted', pollId, incidentId });
    expect(market.poll).toEqual({
      pollId,
      market: w.market,
      incidentId,
      status: 'open',
      openedAt: iso(T0),
      openedBy: 'ops-tanaka',
      respondBy: iso(T0 + 30 * MINUTE),
      tally: { valueShare: 0.35, retailValueShare: 0, retailParticipants: 0, met: false, missing: ['broker-c', 'broker-d'], notReady: ['broker-b'] },
      quorum: { valueShare: 0.5, retailValueShare: 0.3, retailParticipants: 2 },
      timeZone: 'Asia/Tokyo',
    });
    expect(detail.body.answers).toEqual([
      expect.objectContaining({ participantId: 'broker-a', answer: 'ready', answeredBy: `arn:aws:sts::${ACCOUNT.a}:assumed-role/tocsin-respond/operations` }),
      expect.objectContaining({ participantId: 'broker-b', answer: 'not ready', note: 'waiting for our vendor' }),
      expect.objectContaining({ participantId: 'broker-c', answer: 'none' }),
      expect.objectContaining({ participantId: 'broker-d', answer: 'none' }),
    ]);
    expect(unknown).toEqual({ statusCode: 404, body: { error: 'unknown poll "poll-nope"' } });
  });

  it('shows the poll on the status page, escaped', async () => {
    // Prepare
    const w = world();
    await w.halted();
    const pollId = await w.polled();
    await w.answer('broker-b', true, pollId, ACCOUNT.b);
    const status = createStatusHandler({ store, context: w.clock.context({ markets: [{ id: w.market }], participants: [{ id: 'broker-b', name: 'Broker B <Online>', tradingValueShare: 0.1 }] }) });
    const page = (path: string) => status({ ...functionUrlEvent('', { method: 'GET', path }), headers: { accept: 'text/html' } });

    // Act
    const overview = await page('/');
    const detail = await page(`/polls/${pollId}`);

    // Assess
    expect(overview.statusCode).toBe(200);
    expect(overview.body).toContain(`Readiness poll <a href="/polls/${pollId}">${pollId}</a>`);
    expect(overview.body).toContain('<td>10 %</td>');
    expect(detail.body).toContain('Broker B &#60;Online&#62;');
    expect(detail.body).not.toContain('<Online>');
  });
});
