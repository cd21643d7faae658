import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { ConflictError, NotFoundError, ValidationError } from '../../lambda/core/errors';
import { addSilence, currentSilences, endSilence, MAX_SILENCES, NO_SILENCES, silenceFor, type SilenceSet } from '../../lambda/core/silences';
import { MINUTE, SECOND, T0 } from '../helpers/domain';
import { firing, IncidentWorld, ok } from '../helpers/domain-fixtures';

/**
 * Silences and maintenance windows (shared/DESIGN.md, "Two audiences"): matching alarms are
 * recorded (the timeline says silenced), page nobody, announce nothing, halt nothing by policy;
 * a silence ends by itself, lasts at most `policy.maxSilenceHours`, and never mutes an
 * operator's halt.
 */

const HOUR = 60 * MINUTE;
const iso = (ms: number) => new Date(ms).toISOString();

/** The shared disk faces participants and halts the market on a critical alarm; batch is internal. */
const CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['first'] }, { id: 'derivatives' }],
  components: [
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'surveillance', market: 'equities' },
  ],
  policy: { haltOnCritical: true },
};

function contextAt(now: number, config: TocsinConfigInput = CONFIG): DecisionContext {
  return { now, config: parseConfig(config), newIncidentId: () => 'inc-20201001-070400-abcdef' };
}

const request = (overrides: Partial<Parameters<typeof addSilence>[1]> = {}) => ({ matchers: { component: 'shared-disk' }, until: T0 + HOUR, note: 'disk firmware update', ...overrides });

describe('addSilence', () => {
  it('adds a silence in force from now, with an id, the operator and the note', () => {
    // Act
    const { set, silence } = addSilence(NO_SILENCES, request(), 'tanaka', contextAt(T0));

    // Assess
    expect(silence).toEqual({
      id: 'sil-20201001-070400-abcdef',
      matchers: { component: 'shared-disk' },
      from: T0,
      until: T0 + HOUR,
      note: 'disk firmware update',
      createdBy: 'tanaka',
      createdAt: T0,
    });
    expect(set).toEqual({ silences: [silence], version: 1 });
  });

  it.each<[string, Partial<Parameters<typeof addSilence>[1]>, string, string]>([
    ['no matcher at all', { matchers: {} }, 'matchers', 'at least one of component, market, dedupKeyPrefix'],
    ['an unknown market', { matchers: { market: 'bonds' } }, 'matchers.market', 'unknown market "bonds" (configured: equities, derivatives)'],
    ['an end in the past', { until: T0 - SECOND }, 'until', 'must be in the future'],
    ['an end before its start', { from: T0 + 2 * HOUR, until: T0 + HOUR }, 'until', 'must be after from'],
    ['more than policy.maxSilenceHours (24)', { until: T0 + 24 * HOUR + SECOND }, 'until', 'at most policy.maxSilenceHours = 24 h'],
    ['a window more than 30 days ahead', { from: T0 + 31 * 24 * HOUR, until: T0 + 31 * 24 * HOUR + HOUR }, 'from', 'at most 30 days ahead'],
  ])('refuses %s, naming the field', (_, overrides, field, problem) => {
    // Act
    let error: unknown;
    try {
      addSilence(NO_SILENCES, request(overrides), 'tanaka', contextAt(T0));
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([expect.objectContaining({ field, problem: expect.stringContaining(problem) })]);
  });

  it('takes a longer window when policy.maxSilenceHours allows it, and a scheduled one', () => {
    // Act
    const { silence } = addSilence(NO_SILENCES, request({ from: T0 + HOUR, until: T0 + 49 * HOUR }), 'tanaka', contextAt(T0, { ...CONFIG, policy: { maxSilenceHours: 48 } }));

    // Assess
    expect([silence.from, silence.until]).toEqual([T0 + HOUR, T0 + 49 * HOUR]);
  });

  it(`refuses a ${MAX_SILENCES + 1}th silence in force, and forgets silences a day after they ended`, () => {
    // Prepare: MAX_SILENCES silences in force, one that ended over a day ago.
    const silences = Array.from({ length: MAX_SILENCES }, (_, i) => ({ id: `sil-${i}`, matchers: { component: `c${i}` }, from: T0, until: T0 + HOUR, note: 'n', createdBy: 'x', createdAt: T0 }));
    const old = { id: 'sil-old', matchers: { component: 'old' }, from: T0 - 30 * HOUR, until: T0 - 25 * HOUR, note: 'n', createdBy: 'x', createdAt: T0 - 30 * HOUR };
    const set: SilenceSet = { silences: [old, ...silences], version: 7 };

    // Act / Assess
    expect(() => addSilence(set, request(), 'tanaka', contextAt(T0))).toThrow(ConflictError);
    const fewer = { silences: [old, ...silences.slice(1)], version: 7 };
    const { set: next } = addSilence(fewer, request(), 'tanaka', contextAt(T0));
    expect(next.silences.map((s) => s.id)).not.toContain('sil-old');
    expect(next.version).toBe(8);
  });
});

describe('silenceFor', () => {
  const set: SilenceSet = {
    silences: [
      { id: 'sil-disk', matchers: { component: 'shared-disk' }, from: T0, until: T0 + HOUR, note: 'n', createdBy: 'x', createdAt: T0 },
      { id: 'sil-prefix', matchers: { market: 'equities', dedupKeyPrefix: 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:batch-' }, from: T0 + HOUR, until: T0 + 3 * HOUR, note: 'n', createdBy: 'x', createdAt: T0 },
      { id: 'sil-ended', matchers: { component: 'surveillance' }, from: T0, until: T0 + HOUR, note: 'n', createdBy: 'x', createdAt: T0, endedAt: T0 + 10 * MINUTE, endedBy: 'y' },
    ],
    version: 3,
  };
  const batch = 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:batch-nightly';

  it.each<[string, { dedupKey: string; component: string; market: string }, number, string | undefined]>([
    ['its component, in force', { dedupKey: 'disk-1', component: 'shared-disk', market: 'equities' }, T0, 'sil-disk'],
    ['its component, at its end (over)', { dedupKey: 'disk-1', component: 'shared-disk', market: 'equities' }, T0 + HOUR, undefined],
    ['another component', { dedupKey: 'feed-1', component: 'market-data', market: 'equities' }, T0, undefined],
    ['a prefix and market, before the window', { dedupKey: batch, component: 'batch', market: 'equities' }, T0 + HOUR - 1, undefined],
    ['a prefix and market, in the window', { dedupKey: batch, component: 'batch', market: 'equities' }, T0 + HOUR, 'sil-prefix'],
    ['the prefix in another market (every matcher must match)', { dedupKey: batch, component: 'batch', market: 'derivatives' }, T0 + HOUR, undefined],
    ['one an operator ended early', { dedupKey: 'surv-1', component: 'surveillance', market: 'equities' }, T0 + 20 * MINUTE, undefined],
    ['one an operator ended, before it ended', { dedupKey: 'surv-1', component: 'surveillance', market: 'equities' }, T0 + 5 * MINUTE, 'sil-ended'],
  ])('%s', (_, subject, now, expected) => {
    expect(silenceFor(subject, set, now)?.id).toBe(expected);
  });

  it('lists silences in force or scheduled, soonest end first', () => {
    expect(currentSilences(set, T0 + 30 * MINUTE).map((s) => s.id)).toEqual(['sil-disk', 'sil-prefix']);
  });
});

describe('endSilence', () => {
  const set: SilenceSet = { silences: [{ id: 'sil-1', matchers: { component: 'shared-disk' }, from: T0, until: T0 + HOUR, note: 'n', createdBy: 'x', createdAt: T0 }], version: 1 };

  it('ends a silence now, recording who; ending it again changes nothing; an unknown id is not found', () => {
    // Act
    const ended = endSilence(set, 'sil-1', 'sato', T0 + MINUTE);
    const again = endSilence(ended.set!, 'sil-1', 'sato', T0 + 2 * MINUTE);

    // Assess
    expect(ended.set).toEqual({ silences: [{ ...set.silences[0], endedAt: T0 + MINUTE, endedBy: 'sato' }], version: 2 });
    expect(again.set).toBeUndefined();
    expect(() => endSilence(set, 'sil-2', 'sato', T0)).toThrow(NotFoundError);
  });
});

describe('silences through the use cases', () => {
  /** A world with a one-hour silence on the shared disk, created at T0 (it takes id inc-1's place: sil-1). */
  async function silenced(config: TocsinConfigInput = CONFIG): Promise<IncidentWorld> {
    const w = new IncidentWorld(config);
    const step = await w.command({ command: 'silence', matchers: { component: 'shared-disk' }, until: iso(T0 + HOUR), note: 'disk firmware update' }, 'tanaka');
    expect(step.outcome.silenceId).toBe('sil-1');
    return w;
  }

  it('records a silenced critical alarm of a participant-facing, halting component: nobody paged, nothing announced, no halt', async () => {
    // Prepare
    const w = await silenced();

    // Act
    const step = await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('opened');
    const incident = w.incident('inc-2');
    expect(incident).toMatchObject({ silencedBy: 'sil-1', silencedUntil: T0 + HOUR });
    expect(incident.announced ?? false).toBe(false);
    expect(incident.pagedStage).toBeUndefined();
    expect(w.pagesOf('inc-2')).toEqual([]);
    expect(w.noticesOf('inc-2')).toEqual([]);
    expect(w.market('equities').status).toBe('trading');
    expect(w.timelineOf('inc-2').map((e) => [e.kind, e.text])).toEqual([['incident-opened', '(silenced by sil-1) disk-1 in alarm']]);
    expect(w.timelineOf('inc-2')[0]!.data).toMatchObject({ silenceId: 'sil-1' });
    // Its first page waits for the silence's end.
    expect(w.timersOf('inc-2')).toEqual([{ incidentId: 'inc-2', step: 0, at: T0 + HOUR }]);
  });

  it('pages on-call when the silence ends with the alarm still firing, and escalates from then', async () => {
    // Prepare
    const w = await silenced();
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));
    w.clock.now = T0 + HOUR;

    // Act
    const step = await w.escalate('inc-2');

    // Assess
    expect(step.action).toBe('silence-ended');
    expect(w.pageTrail('inc-2')).toEqual([['opened', 'on-call']]);
    expect(step.timeline.map((e) => e.kind)).toEqual(['silence-ended']);
    // The duty-manager is due ackTimeoutSeconds (300 s) after the first page, not after the opening.
    expect(w.incident('inc-2').nextEscalation).toEqual({ step: 1, at: T0 + HOUR + 300 * SECOND });
  });

  it('pages nobody when the silence ends and every alarm is already OK; a later firing pages then', async () => {
    // Prepare
    const w = await silenced({ ...CONFIG, policy: { ...CONFIG.policy, autoResolveQuietSeconds: 7200 } });
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));
    await w.deliver(ok('disk-1', 60));
    w.clock.now = T0 + HOUR;

    // Act
    const ended = await w.escalate('inc-2');
    w.clock.now = T0 + HOUR + MINUTE;
    const again = await w.deliver(firing('disk-1', 3660, { severity: 'major' }));

    // Assess
    expect(ended.action).toBe('silence-ended');
    expect(ended.pages).toEqual([]);
    expect(again.pages.map((p) => [p.type, p.stage])).toEqual([['opened', 'on-call']]);
  });

  it('pages at once when an alarm outside the silence fires in a silenced incident (grouped by market)', async () => {
    // Prepare
    const w = await silenced({ ...CONFIG, policy: { groupBy: 'market' } });
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));
    w.clock.advance(MINUTE);

    // Act
    const step = await w.deliver(firing('surv-1', 60));

    // Assess
    expect(step.pages.map((p) => [p.type, p.stage])).toEqual([['opened', 'on-call']]);
    expect(w.incident('inc-2').silencedUntil).toBeUndefined();
    expect(w.incident('inc-2').nextEscalation).toEqual({ step: 1, at: T0 + MINUTE + 300 * SECOND });
  });

  it('records a silenced alarm joining a paged incident quietly: no severity raise, no page, no announcement', async () => {
    // Prepare: a market-data fault already paged, grouped by market with the shared disk.
    const w = new IncidentWorld({ ...CONFIG, policy: { groupBy: 'market', haltOnCritical: true } });
    await w.deliver(firing('surv-1', 0, { severity: 'minor' }));
    await w.command({ command: 'silence', matchers: { component: 'shared-disk' }, until: iso(T0 + HOUR), note: 'firmware' }, 'tanaka');

    // Act
    const step = await w.deliver(firing('disk-1', 10, { severity: 'critical' }));

    // Assess
    expect(step.action).toBe('attached');
    expect(step.pages).toEqual([]);
    expect(step.notices).toEqual([]);
    expect(w.incident('inc-1').severity).toBe('minor');
    expect(w.market('equities').status).toBe('trading');
    expect(step.timeline.map((e) => e.text)).toEqual(['(silenced by sil-2) disk-1 in alarm']);
  });

  it('ends the silence on unsilence: the incidents it holds page on-call now; a retried unsilence changes nothing', async () => {
    // Prepare
    const w = await silenced();
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));
    w.clock.advance(10 * MINUTE);

    // Act
    const step = await w.command({ command: 'unsilence', silenceId: 'sil-1', note: 'update done' }, 'sato');
    const retry = await w.command({ command: 'unsilence', silenceId: 'sil-1' }, 'sato');

    // Assess
    expect(step.action).toBe('unsilenced');
    expect(w.pageTrail('inc-2')).toEqual([['opened', 'on-call']]);
    expect(w.timelineOf('inc-2').at(-1)!.text).toBe('sato ended silence sil-1: update done Operators are paged now.');
    expect(retry.action).toBe('already-ended');
    expect(retry.commits).toEqual([]);
    // The timer at the old end is stale now.
    w.clock.now = T0 + HOUR;
    expect((await w.escalate({ incidentId: 'inc-2', step: 0, at: T0 + HOUR })).action).toBe('stale-timer');
    // A new alarm of the component pages as usual.
    expect((await w.deliver(firing('disk-2', 3600, { severity: 'major' }))).pages.map((p) => p.type)).toEqual(['opened']);
  });

  it('never mutes an operator: a halt declared for a silenced incident pages on-call and tells participants', async () => {
    // Prepare
    const w = await silenced();
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));

    // Act
    const step = await w.command({ command: 'declare-halt', incidentId: 'inc-2', note: 'shared disk failure' }, 'tanaka');

    // Assess
    expect(step.pages.map((p) => [p.type, p.stage, p.announced])).toEqual([['opened', 'on-call', true]]);
    expect(w.noticeTrail('inc-2')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(w.market('equities').status).toBe('halted');
  });

  it('pages nobody when a silenced incident is acknowledged or resolved', async () => {
    // Prepare
    const w = await silenced();
    await w.deliver(firing('disk-1', 0, { severity: 'major' }));

    // Act
    await w.command({ command: 'ack', incidentId: 'inc-2' });
    await w.command({ command: 'resolve', incidentId: 'inc-2' });

    // Assess
    expect(w.pagesOf('inc-2')).toEqual([]);
    expect(w.incident('inc-2').status).toBe('resolved');
  });

  it('does not silence what Tocsin does itself: a silence of the market still lets an operator halt open its incident and page', async () => {
    // Prepare
    const w = new IncidentWorld(CONFIG);
    await w.command({ command: 'silence', matchers: { market: 'equities' }, until: iso(T0 + HOUR), note: 'maintenance' });

    // Act
    const step = await w.command({ command: 'declare-halt', market: 'equities', note: 'manual halt' }, 'tanaka');

    // Assess
    expect(step.pages.map((p) => p.type)).toEqual(['opened']);
    expect(step.notices.map((n) => n.type)).toEqual(['incident-opened', 'halt']);
  });
});
