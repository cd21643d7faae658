import type { PolicyConfig } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { ConflictError, NotFoundError, ValidationError } from '../../lambda/core/errors';
import { halt, marketConfig, marketOfSignal, marketView, policyHalts, resume, scheduleResume } from '../../lambda/core/market';
import { initialMarket, type MarketState } from '../../lambda/core/model';
import type { AlarmSignal } from '../../lambda/core/signal';
import { MINUTE, SECOND, T0, TestClock, TSE_CONFIG, alarm } from '../helpers/domain';
import { draftOf, firing, haltedMarket, IncidentWorld, storedIncident, unannounced } from '../helpers/domain-fixtures';

/**
 * Market state (shared/DESIGN.md, "Incident model"): `trading → halted → resume-scheduled →
 * trading`, market-wide or per segment, every step numbered on the incident it belongs to.
 */

const LEAD = 15 * MINUTE; // the default resumeLeadMinutes
const iso = (ms: number) => new Date(ms).toISOString();

function contextAt(now: number, policy: Partial<PolicyConfig> = {}): DecisionContext {
  return new TestClock(now).context({ ...TSE_CONFIG, policy })();
}

function scheduled(resumeAt: number, overrides: Partial<MarketState> = {}): MarketState {
  return haltedMarket('equities', 'inc-7', { status: 'resume-scheduled', resumeAt, ordersAcceptedFrom: resumeAt - LEAD, version: 2, ...overrides });
}

/** Runs `act` and returns what it threw (failing the test when it throws nothing). */
function thrown(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, got none');
}

describe('marketConfig and marketOfSignal', () => {
  it('finds a configured market', () => {
    expect(marketConfig(contextAt(T0).config, 'derivatives')).toEqual({ id: 'derivatives', segments: [], timeZone: 'UTC' });
  });

  it('rejects an unknown market with NotFoundError listing the configured ones', () => {
    // Act
    const error = thrown(() => marketConfig(contextAt(T0).config, 'fx'));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ kind: 'market', id: 'fx' });
    expect(error.message).toBe('unknown market "fx": configured markets: equities, derivatives');
  });

  it.each<[string, Partial<AlarmSignal>, string]>([
    ['the alarm’s own market', { component: 'shared-disk', market: 'derivatives' }, 'derivatives'],
    ['its component’s configured market', { component: 'market-data' }, 'equities'],
    ['the first market for an unconfigured component', { component: 'matching-engine' }, 'equities'],
  ])('takes %s', (_, overrides, expected) => {
    expect(marketOfSignal(alarm(overrides), contextAt(T0).config)).toBe(expected);
  });
});

describe('policyHalts', () => {
  const trading = initialMarket('equities', 0);

  it.each<[string, Partial<PolicyConfig>, Partial<AlarmSignal>, MarketState, boolean]>([
    ['a critical firing on a critical component, policy on, market trading', { haltOnCritical: true }, { severity: 'critical' }, trading, true],
    ['the policy off', { haltOnCritical: false }, { severity: 'critical' }, trading, false],
    ['a major firing', { haltOnCritical: true }, { severity: 'major' }, trading, false],
    ['a critical OK report', { haltOnCritical: true }, { severity: 'critical', status: 'resolved' }, trading, false],
    ['a component not marked critical', { haltOnCritical: true }, { severity: 'critical', component: 'market-data' }, trading, false],
    ['a component not configured', { haltOnCritical: true }, { severity: 'critical', component: 'matching-engine' }, trading, false],
    ['a market already halted', { haltOnCritical: true }, { severity: 'critical' }, haltedMarket('equities', 'inc-1'), false],
    ['a market with a resumption scheduled', { haltOnCritical: true }, { severity: 'critical' }, scheduled(T0 + LEAD), false],
  ])('decides %s → %s', (_, policy, signal, market, expected) => {
    expect(policyHalts(alarm(signal), market, contextAt(T0, policy))).toBe(expected);
  });
});

describe('halt', () => {
  it('halts a trading market for the draft’s incident, logging and announcing the halt', () => {
    // Prepare
    const ctx = contextAt(T0 + 5 * SECOND);
    const draft = draftOf(storedIncident(), ctx);

    // Act
    const market = halt(initialMarket('equities', 0), draft, { segments: [], actor: 'tanaka', reason: 'shared disk failure' }, ctx);

    // Assess
    expect(market).toEqual({ id: 'equities', status: 'halted', segments: [], incidentId: 'inc-7', haltedAt: ctx.now, updatedAt: ctx.now, version: 1 });
    const t = draft.with({ market }).finish('halted');
    expect(t.timeline).toEqual([
      expect.objectContaining({ kind: 'halt', actor: 'tanaka', text: 'Trading halted: market equities. shared disk failure', data: { market: 'equities', segments: [] } }),
    ]);
    expect(t.notices).toEqual([
      expect.objectContaining({
        type: 'halt',
        sequence: 2,
        noticeId: 'inc-7-n2',
        market: 'equities',
        segments: [],
        summary: 'Trading halted on market equities. shared disk failure',
        detail: { reason: 'shared disk failure', declaredBy: 'operator', incidentStartedAt: iso(T0) },
      }),
    ]);
  });

  it('announces an incident participants never heard of before its halt: incident-opened 1, then halt 2, in the same draft', () => {
    // Prepare: a major alarm's incident, paged to operators only
    const ctx = contextAt(T0 + 5 * SECOND);
    const draft = draftOf(unannounced(), ctx);

    // Act
    const market = halt(initialMarket('equities', 0), draft, { segments: ['first'], actor: 'tanaka', reason: 'shared disk failure' }, ctx);

    // Assess
    const t = draft.with({ market }).finish('halted');
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId, n.segments])).toEqual([
      ['incident-opened', 1, 'inc-7-n1', []],
      ['halt', 2, 'inc-7-n2', ['first']],
    ]);
    expect(t.notices[0]).toMatchObject({ summary: 'shared disk unit 1 memory error', detail: { component: 'shared-disk' } });
    expect(t.incident).toMatchObject({ announced: true, noticeSequence: 2, version: 2 });
    expect(t.timeline.map((e) => e.kind)).toEqual(['halt']);
  });

  it('does not announce an announced incident again when it halts: the halt is its next notice', () => {
    // Prepare
    const ctx = contextAt(T0);
    const draft = draftOf(storedIncident({ noticeSequence: 3 }), ctx);

    // Act
    halt(initialMarket('equities', 0), draft, { segments: [], actor: 'tanaka', reason: '' }, ctx);

    // Assess
    expect(draft.finish('halted').notices.map((n) => [n.type, n.sequence])).toEqual([['halt', 4]]);
  });

  it('halts only the segments named', () => {
    // Prepare
    const ctx = contextAt(T0);
    const draft = draftOf(storedIncident(), ctx);

    // Act
    const market = halt(initialMarket('equities', 0), draft, { segments: ['second', 'mothers'], actor: 'tanaka', reason: '' }, ctx);

    // Assess
    expect(market.segments).toEqual(['second', 'mothers']);
    expect(draft.finish('halted').notices[0]).toMatchObject({ segments: ['second', 'mothers'], summary: 'Trading halted on segments second, mothers of equities.' });
  });

  it.each<[string, string, string[], string]>([
    ['one unknown segment', 'equities', ['first', 'prime'], 'unknown segment(s) prime of market equities (known: first, second, mothers)'],
    ['several unknown segments', 'equities', ['growth', 'prime'], 'unknown segment(s) growth, prime of market equities (known: first, second, mothers)'],
    ['any segment of a market that has none', 'derivatives', ['first'], 'unknown segment(s) first of market derivatives (known: none)'],
  ])('rejects %s with a ValidationError naming segments', (_, marketId, segments, problem) => {
    // Prepare
    const ctx = contextAt(T0);
    const draft = draftOf(storedIncident(), ctx);

    // Act
    const error = thrown(() => halt(initialMarket(marketId, 0), draft, { segments, actor: 'tanaka', reason: '' }, ctx));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([{ field: 'segments', problem }]);
    expect(draft.changed).toBe(false);
  });

  it.each<[string, MarketState, RegExp]>([
    ['halted', haltedMarket('equities', 'inc-1'), /^cannot halt: market equities is halted since 2020-09-30T22:04:00.000Z for incident inc-1$/],
    ['halted for some segments', haltedMarket('equities', 'inc-1', { segments: ['first'] }), /^cannot halt: market equities is halted \(segments first\) since .* for incident inc-1$/],
    ['resume-scheduled', scheduled(T0 + LEAD), /^cannot halt: market equities is halted; trading resumes at 2020-09-30T22:19:00.000Z \(orders accepted from 2020-09-30T22:04:00.000Z\)$/],
  ])('refuses to halt a market that is %s (ConflictError carrying its state)', (_, market, message) => {
    // Prepare
    const ctx = contextAt(T0);

    // Act
    const error = thrown(() => halt(market, draftOf(storedIncident(), ctx), { segments: [], actor: 'tanaka', reason: '' }, ctx));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(message);
    expect((error as ConflictError).state).toEqual(marketView(market, ctx.config));
    expect((error as ConflictError).state).toMatchObject({ market: 'equities', status: market.status, incidentId: market.incidentId });
  });
});

describe('scheduleResume', () => {
  const halted = haltedMarket('equities', 'inc-7', { segments: ['first'] });

  it('schedules the resumption, opening order acceptance resumeLeadMinutes before it', () => {
    // Prepare
    const ctx = contextAt(T0 + MINUTE);
    const effectiveAt = T0 + 60 * MINUTE;
    const draft = draftOf(storedIncident({ noticeSequence: 2 }), ctx);

    // Act
    const market = scheduleResume(halted, draft, { effectiveAt, actor: 'tanaka', note: 'disk replaced' }, ctx);

    // Assess
    expect(market).toEqual({ ...halted, status: 'resume-scheduled', resumeAt: effectiveAt, ordersAcceptedFrom: effectiveAt - LEAD, updatedAt: ctx.now, version: 2 });
    expect(draft.finish('resume-scheduled').notices).toEqual([
      expect.objectContaining({
        type: 'resume-scheduled',
        sequence: 3,
        noticeId: 'inc-7-n3',
        segments: ['first'],
        effectiveAt: iso(effectiveAt),
        detail: { ordersAcceptedFrom: iso(effectiveAt - LEAD), rescheduled: false, note: 'disk replaced', incidentStartedAt: iso(T0) },
      }),
    ]);
  });

  it.each<[string, number, number]>([
    ['exactly the lead time', 15, 15 * MINUTE],
    ['more than the lead time', 15, 90 * MINUTE],
    ['now, when the lead is 0', 0, 0],
    ['the lead time of a 30-minute policy', 30, 30 * MINUTE],
  ])('accepts an effectiveAt %s from now', (_, leadMinutes, ahead) => {
    // Prepare
    const ctx = contextAt(T0, { resumeLeadMinutes: leadMinutes });

    // Act
    const market = scheduleResume(halted, draftOf(storedIncident(), ctx), { effectiveAt: ctx.now + ahead, actor: 'tanaka' }, ctx);

    // Assess
    expect(market.resumeAt).toBe(ctx.now + ahead);
    expect(market.ordersAcceptedFrom).toBe(ctx.now + ahead - leadMinutes * MINUTE);
  });

  it.each<[string, number]>([
    ['1 ms short of the lead time', 15 * MINUTE - 1],
    ['now', 0],
    ['in the past', -MINUTE],
  ])('rejects an effectiveAt %s with a ValidationError naming effectiveAt and the earliest time', (_, ahead) => {
    // Prepare
    const ctx = contextAt(T0);
    const draft = draftOf(storedIncident(), ctx);

    // Act
    const error = thrown(() => scheduleResume(halted, draft, { effectiveAt: ctx.now + ahead, actor: 'tanaka' }, ctx));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const [problem, ...others] = (error as ValidationError).problems;
    expect(others).toEqual([]);
    expect(problem!.field).toBe('effectiveAt');
    expect(problem!.problem).toContain(`got ${iso(ctx.now + ahead)}, earliest ${iso(ctx.now + LEAD)}`);
    expect(problem!.problem).toContain('at least 15 minutes from now');
    expect(draft.changed).toBe(false);
  });

  it('re-schedules a scheduled resumption, saying so in the notice', () => {
    // Prepare
    const ctx = contextAt(T0);
    const market = scheduled(T0 + LEAD);
    const draft = draftOf(storedIncident({ noticeSequence: 3 }), ctx);

    // Act
    const next = scheduleResume(market, draft, { effectiveAt: T0 + 45 * MINUTE, actor: 'tanaka' }, ctx);

    // Assess
    expect(next).toMatchObject({ status: 'resume-scheduled', resumeAt: T0 + 45 * MINUTE, ordersAcceptedFrom: T0 + 30 * MINUTE, incidentId: 'inc-7', version: 3 });
    expect(draft.finish('resume-scheduled').notices[0]).toMatchObject({ sequence: 4, detail: { rescheduled: true } });
  });

  it('refuses to schedule a resumption of a trading market (ConflictError)', () => {
    // Prepare
    const ctx = contextAt(T0);

    // Act
    const error = thrown(() => scheduleResume(initialMarket('equities', 0), draftOf(storedIncident(), ctx), { effectiveAt: T0 + LEAD, actor: 'tanaka' }, ctx));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe('cannot schedule a resumption: market equities is trading');
  });
});

describe('resume', () => {
  it.each<[string, number]>([
    ['at resumeAt', 0],
    ['after resumeAt', 5 * MINUTE],
  ])('resumes trading %s: the whole market trades again, announced on the incident', (_, late) => {
    // Prepare
    const resumeAt = T0 + LEAD;
    const ctx = contextAt(resumeAt + late);
    const draft = draftOf(storedIncident({ noticeSequence: 3 }), ctx);

    // Act
    const market = resume(scheduled(resumeAt, { segments: ['first'] }), draft, { actor: 'tanaka' }, ctx);

    // Assess
    expect(market).toEqual({ id: 'equities', status: 'trading', segments: [], updatedAt: ctx.now, version: 3 });
    expect(draft.finish('resumed').notices).toEqual([
      expect.objectContaining({ type: 'resume', sequence: 4, noticeId: 'inc-7-n4', segments: ['first'], summary: 'Trading resumed on segments first of equities.' }),
    ]);
  });

  it.each<[string, MarketState, number, string]>([
    ['a trading market', initialMarket('equities', 0), T0, 'cannot resume: market equities is trading'],
    [
      'a halted market with no resumption scheduled',
      haltedMarket('equities', 'inc-7'),
      T0,
      'cannot resume: market equities is halted since 2020-09-30T22:04:00.000Z for incident inc-7 with no resumption scheduled; schedule-resume first (orders are accepted 15 minutes before trading resumes)',
    ],
    [
      'before resumeAt',
      scheduled(T0 + LEAD),
      T0 + LEAD - 1,
      'cannot resume yet: market equities is halted; trading resumes at 2020-09-30T22:19:00.000Z (orders accepted from 2020-09-30T22:04:00.000Z)',
    ],
  ])('refuses to resume %s (ConflictError naming the current state)', (_, market, now, message) => {
    // Prepare
    const ctx = contextAt(now);
    const draft = draftOf(storedIncident(), ctx);

    // Act
    const error = thrown(() => resume(market, draft, { actor: 'tanaka' }, ctx));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toBe(message);
    expect((error as ConflictError).state).toEqual(marketView(market, ctx.config));
    expect(draft.changed).toBe(false);
  });
});

describe('a halt cycle, numbered on the halting incident', () => {
  it('goes trading → halted → resume-scheduled → trading with notices 2, 3, 4 after incident-opened 1', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Act
    const statuses = [w.market('equities').status];
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'shared disk failure' });
    statuses.push(w.market('equities').status);
    w.clock.advance(MINUTE);
    await w.command({ command: 'schedule-resume', market: 'equities', effectiveAt: iso(w.clock.now + 30 * MINUTE) });
    statuses.push(w.market('equities').status);
    w.clock.advance(30 * MINUTE);
    await w.command({ command: 'resume', market: 'equities' });
    statuses.push(w.market('equities').status);

    // Assess
    expect(statuses).toEqual(['trading', 'halted', 'resume-scheduled', 'trading']);
    expect(w.noticesOf('inc-1').map((n) => [n.sequence, n.type, n.noticeId])).toEqual([
      [1, 'incident-opened', 'inc-1-n1'],
      [2, 'halt', 'inc-1-n2'],
      [3, 'resume-scheduled', 'inc-1-n3'],
      [4, 'resume', 'inc-1-n4'],
    ]);
    expect(w.timelineOf('inc-1').map((e) => e.kind)).toEqual(['incident-opened', 'halt', 'resume-scheduled', 'resume']);
    expect(w.market('equities')).toMatchObject({ status: 'trading', segments: [], version: 3 });
    expect(w.market('equities').incidentId).toBeUndefined();
  });

  it('announces a major alarm’s incident, unannounced until then, when an operator halts for it: notices 1..4 with no gap', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('disk-1', 0));
    expect(w.noticeTrail('inc-1')).toEqual([]);

    // Act
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'shared disk failure' });
    w.clock.advance(MINUTE);
    await w.command({ command: 'schedule-resume', market: 'equities', effectiveAt: iso(w.clock.now + LEAD) });
    w.clock.advance(LEAD);
    await w.command({ command: 'resume', market: 'equities' });

    // Assess
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['resume-scheduled', 3],
      ['resume', 4],
    ]);
    expect(w.incident('inc-1').announced).toBe(true);
  });

  it('can halt again after resuming, for another incident', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.command({ command: 'declare-halt', market: 'equities' });
    await w.command({ command: 'schedule-resume', market: 'equities', effectiveAt: iso(w.clock.now + LEAD) });
    w.clock.advance(LEAD);
    await w.command({ command: 'resume', market: 'equities' });

    // Act
    await w.command({ command: 'declare-halt', market: 'equities', segments: ['mothers'] });

    // Assess
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-2', segments: ['mothers'], version: 4 });
    expect(w.noticeTrail('inc-2')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
  });

  it('fails when another writer halted the market first: the second halt loses the race and writes nothing', async () => {
    // Prepare: two operators declare a halt at once; both read the market trading
    const w = new IncidentWorld(TSE_CONFIG);
    const held = w.store.holdBefore('commit');
    const first = w.command({ command: 'declare-halt', market: 'equities', note: 'first' }, 'tanaka');
    await held.reached;

    // Act
    await w.command({ command: 'declare-halt', market: 'equities', note: 'second' }, 'sato');
    held.release();
    const outcome = await first.then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess: the retry decided again on the halted market, and refused
    expect(outcome).toBeInstanceOf(ConflictError);
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-2' });
    expect(w.incidents().map((i) => [i.id, i.summary])).toEqual([['inc-2', 'second']]);
  });
});
