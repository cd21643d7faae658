import { decideSignal, type SignalSnapshot } from '../../lambda/core/alarm-rules';
import { announcesAutomatically, decideEscalation, ESCALATION_EARLY_MS, isParticipantFacing, overdueEscalation } from '../../lambda/core/audiences';
import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { ConfigError } from '../../lambda/core/errors';
import { acknowledge, resolveByOperator } from '../../lambda/core/incident-lifecycle';
import { drillKey, failoverKey, groupConfig, readinessKey, type LeaseState, type NodeState } from '../../lambda/core/lease';
import { initialMarket, type Incident, type NoticeType, type PageType, type Transition } from '../../lambda/core/model';
import { promoterStep, type GroupWatch } from '../../lambda/core/promoter-step';
import type { AlarmSignal, Severity } from '../../lambda/core/signal';
import { ESCALATION_SAFETY_NET_MS } from '../../lambda/core/use-cases/sweep';
import { MINUTE, SECOND, T0, TestClock } from '../helpers/domain';
import { at, firing, IncidentWorld, ok, storedAlarm, storedIncident } from '../helpers/domain-fixtures';

/**
 * Tocsin's two audiences (shared/DESIGN.md, "Round two" → "Two audiences"): participants hear
 * market facts — an incident of a participant-facing component at `announceSeverity`, one an
 * operator announces, one a market is halted for — numbered 1..n with no gap; operators are paged
 * about every incident, stage by stage, until somebody acknowledges it. Tocsin's own bookkeeping
 * (readiness, refused promotions, failed drills) pages and never reaches participants by itself,
 * and a freshly deployed failover group neither promotes nor raises anything in its startup grace.
 */

/** One market; the shared disk faces participants, surveillance says it does not, market data leaves it to the default. */
const AUDIENCES: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: ['first'] }],
  components: [
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'surveillance', market: 'equities', participantFacing: false },
    { id: 'market-data', market: 'equities' },
  ],
};

const stages = (...list: [string, number][]) => list.map(([name, afterSeconds]) => ({ name, afterSeconds }));
/** on-call at once, the duty-manager at 5 minutes, the CIO at 15. */
const THREE_STAGES = { stages: stages(['on-call', 0], ['duty-manager', 300], ['cio', 900]) };

function contextAt(now: number, config: TocsinConfigInput = AUDIENCES, id = 'inc-new'): DecisionContext {
  return { ...new TestClock(now).context(config)(), newIncidentId: () => id };
}

const trail = (t: Transition): [PageType, string][] => (t.pages ?? []).map((p) => [p.type, p.stage]);

describe('who hears of an incident when it opens', () => {
  it.each<[string, string, boolean]>([
    ['configured participant-facing', 'shared-disk', true],
    ['configured participantFacing: false', 'surveillance', false],
    ['configured without saying (default false)', 'market-data', false],
    ['not configured at all', 'matching-engine', false],
  ])('a component %s is participant-facing: %s', (_, component, expected) => {
    expect(isParticipantFacing(component, parseConfig(AUDIENCES))).toBe(expected);
  });

  it.each<[string, Severity, Severity | 'default', boolean, boolean]>([
    // [component, severity, policy.announceSeverity ('default': critical), bookkeeping, announced]
    ['shared-disk', 'critical', 'default', false, true],
    ['shared-disk', 'major', 'default', false, false],
    ['shared-disk', 'minor', 'default', false, false],
    ['shared-disk', 'info', 'default', false, false],
    ['shared-disk', 'critical', 'major', false, true],
    ['shared-disk', 'major', 'major', false, true],
    ['shared-disk', 'minor', 'major', false, false],
    ['shared-disk', 'info', 'info', false, true],
    ['shared-disk', 'critical', 'default', true, false],
    ['shared-disk', 'info', 'info', true, false],
    ['surveillance', 'critical', 'info', false, false],
    ['market-data', 'critical', 'default', false, false],
    ['matching-engine', 'critical', 'info', false, false],
  ])('a %s alarm, %s, announceSeverity %s, bookkeeping %s → announced: %s; paged to on-call either way', (component, severity, announceSeverity, bookkeeping, announced) => {
    // Prepare
    const ctx = contextAt(T0, { ...AUDIENCES, policy: announceSeverity === 'default' ? {} : { announceSeverity } });
    const signal: AlarmSignal = { ...firing('disk-1', 0), component, severity, ...(bookkeeping ? { bookkeeping, mayHalt: false } : {}) };

    // Act
    const t = decideSignal({ groupKey: 'key:disk-1', market: initialMarket('equities', 0) }, signal, ctx);

    // Assess
    // The bookkeeping rows would be announced were they not bookkeeping: it is the signal, not the component, that keeps them quiet.
    expect(announcesAutomatically(component, severity, ctx.config)).toBe(announced || bookkeeping);
    expect(t.notices.map((n) => [n.type, n.sequence])).toEqual(announced ? [['incident-opened', 1]] : []);
    expect(t.incident!.announced ?? false).toBe(announced);
    expect(t.incident!.internal ?? false).toBe(bookkeeping);
    expect(t.pages!.map((p) => [p.pageId, p.type, p.stage, p.announced])).toEqual([['inc-new-p1', 'opened', 'on-call', announced]]);
  });
});

describe('pages: every stage paged so far hears of what happens next', () => {
  const config: TocsinConfigInput = { ...AUDIENCES, policy: { escalation: THREE_STAGES } };
  const ctx = () => contextAt(T0 + 20 * MINUTE, config);
  /** inc-7 with `paged` stages paged (a page each), waiting for the next. */
  const pagedThrough = (paged: number | undefined): Incident =>
    storedIncident({
      ...(paged === undefined ? { pagedStage: undefined, pageSequence: undefined } : { pagedStage: paged, pageSequence: paged + 1 }),
      nextEscalation: { step: (paged ?? 0) + 1, at: T0 + [300, 900, 900][paged ?? 0]! * SECOND },
    });
  /** A newer, critical firing of the incident's own alarm (stored firing at T0, major). */
  const raise = (incident: Incident): Transition => {
    const snapshot: SignalSnapshot = { groupKey: incident.groupKey, group: { groupKey: incident.groupKey, incidentId: incident.id, version: 1 }, incident, alarm: storedAlarm(), market: initialMarket('equities', 0) };
    return decideSignal(snapshot, firing('disk-1', 60, { severity: 'critical' }), ctx());
  };

  it('pages the first stage when an incident opens, and schedules the second', () => {
    // Act
    const t = decideSignal({ groupKey: 'key:disk-1', market: initialMarket('equities', 0) }, firing('disk-1', 0), contextAt(T0, config));

    // Assess
    expect(trail(t)).toEqual([['opened', 'on-call']]);
    expect(t.incident).toMatchObject({ pagedStage: 0, pageSequence: 1, nextEscalation: { step: 1, at: T0 + 300 * SECOND } });
    expect(t.timers).toEqual([{ incidentId: 'inc-new', step: 1, at: T0 + 300 * SECOND }]);
  });

  it.each<[string, number | undefined, (incident: Incident) => Transition, [PageType, string][], boolean]>([
    // [event, highest stage paged, decision, pages, escalation goes on]
    ['acknowledged after on-call was paged', 0, (i) => acknowledge(i, { actor: 'tanaka' }, ctx()), [['acknowledged', 'on-call']], false],
    ['acknowledged after the duty-manager was paged', 1, (i) => acknowledge(i, { actor: 'tanaka' }, ctx()), [['acknowledged', 'on-call'], ['acknowledged', 'duty-manager']], false],
    [
      'acknowledged after every stage was paged',
      2,
      (i) => acknowledge(i, { actor: 'tanaka' }, ctx()),
      [
        ['acknowledged', 'on-call'],
        ['acknowledged', 'duty-manager'],
        ['acknowledged', 'cio'],
      ],
      false,
    ],
    ['resolved after on-call was paged', 0, (i) => resolveByOperator(i, { actor: 'tanaka' }, ctx()), [['resolved', 'on-call']], false],
    [
      'resolved after every stage was paged',
      2,
      (i) => resolveByOperator(i, { actor: 'tanaka' }, ctx()),
      [
        ['resolved', 'on-call'],
        ['resolved', 'duty-manager'],
        ['resolved', 'cio'],
      ],
      false,
    ],
    ['raised in severity after on-call was paged', 0, raise, [['severity-raised', 'on-call']], true],
    ['raised in severity after the duty-manager was paged', 1, raise, [['severity-raised', 'on-call'], ['severity-raised', 'duty-manager']], true],
    ['acknowledged, stored before pages existed (no stage recorded): on-call', undefined, (i) => acknowledge(i, { actor: 'tanaka' }, ctx()), [['acknowledged', 'on-call']], false],
  ])('%s: pages %j', (_, paged, decide, pages, goesOn) => {
    // Prepare
    const incident = pagedThrough(paged);

    // Act
    const t = decide(incident);

    // Assess
    expect(trail(t)).toEqual(pages);
    // Pages continue the incident's own numbering.
    const first = (incident.pageSequence ?? 0) + 1;
    expect(t.pages!.map((p) => p.pageId)).toEqual(pages.map((_p, i) => `inc-7-p${first + i}`));
    expect(t.incident!.pageSequence).toBe(first + pages.length - 1);
    expect(t.incident!.nextEscalation).toEqual(goesOn ? incident.nextEscalation : undefined);
    expect(t.timers).toBeUndefined();
  });
});

describe('decideEscalation', () => {
  const DUE = T0 + 300 * SECOND;
  const timer = (step: number, atMs: number) => ({ step, at: atMs });
  const waiting = (step: number, atMs: number, overrides: Partial<Incident> = {}) => storedIncident({ pagedStage: Math.min(step - 1, 1), pageSequence: step, nextEscalation: { step, at: atMs }, ...overrides });

  it.each<[string, TocsinConfigInput['policy'], Incident, { step: number; at: number }, number, string, [PageType, string][], { step: number; at: number } | undefined]>([
    // [case, policy, incident, timer, now, action, pages, next escalation]
    ['due: pages the duty-manager, and nothing follows', {}, waiting(1, DUE), timer(1, DUE), DUE, 'escalated', [['escalated', 'duty-manager']], undefined],
    ['1 s early counts as on time', {}, waiting(1, DUE), timer(1, DUE), DUE - ESCALATION_EARLY_MS, 'escalated', [['escalated', 'duty-manager']], undefined],
    ['more than 1 s early: not yet', {}, waiting(1, DUE), timer(1, DUE), DUE - ESCALATION_EARLY_MS - 1, 'not-yet', [], { step: 1, at: DUE }],
    ['an hour late (a timer lost on its way): paged now', {}, waiting(1, DUE), timer(1, DUE), DUE + 60 * MINUTE, 'escalated', [['escalated', 'duty-manager']], undefined],
    ['a stale step: the incident waits for a later one', { escalation: THREE_STAGES }, waiting(2, T0 + 900 * SECOND), timer(1, DUE), DUE, 'stale-timer', [], { step: 2, at: T0 + 900 * SECOND }],
    ['a timer of the right step for another time', {}, waiting(1, DUE), timer(1, DUE - MINUTE), DUE, 'stale-timer', [], { step: 1, at: DUE }],
    ['the incident was acknowledged', {}, storedIncident({ status: 'acknowledged', nextEscalation: undefined }), timer(1, DUE), DUE, 'stale-timer', [], undefined],
    ['the incident is acknowledged though a timer is still recorded', {}, waiting(1, DUE, { status: 'acknowledged' }), timer(1, DUE), DUE, 'stale-timer', [], { step: 1, at: DUE }],
    ['the incident was resolved', {}, storedIncident({ status: 'resolved', nextEscalation: undefined }), timer(1, DUE), DUE, 'stale-timer', [], undefined],
    ['the incident waits for no escalation', {}, storedIncident({ nextEscalation: undefined }), timer(1, DUE), DUE, 'stale-timer', [], undefined],
    ['three stages: the second, then the third is scheduled', { escalation: THREE_STAGES }, waiting(1, DUE), timer(1, DUE), DUE, 'escalated', [['escalated', 'duty-manager']], { step: 2, at: T0 + 900 * SECOND }],
    ['three stages: the last, and nothing follows without repeatEverySeconds', { escalation: THREE_STAGES }, waiting(2, T0 + 900 * SECOND), timer(2, T0 + 900 * SECOND), T0 + 900 * SECOND, 'escalated', [['escalated', 'cio']], undefined],
    [
      'repeatEverySeconds 600: the last stage, then its first reminder',
      { escalation: { ...THREE_STAGES, repeatEverySeconds: 600 } },
      waiting(2, T0 + 900 * SECOND),
      timer(2, T0 + 900 * SECOND),
      T0 + 900 * SECOND,
      'escalated',
      [['escalated', 'cio']],
      { step: 3, at: T0 + 1500 * SECOND },
    ],
    [
      'repeatEverySeconds 600: a reminder of the last stage, and the next',
      { escalation: { ...THREE_STAGES, repeatEverySeconds: 600 } },
      waiting(3, T0 + 1500 * SECOND, { pagedStage: 2 }),
      timer(3, T0 + 1500 * SECOND),
      T0 + 1500 * SECOND,
      'reminded',
      [['reminder', 'cio']],
      { step: 4, at: T0 + 2100 * SECOND },
    ],
    [
      'repeatEverySeconds 600: the fifth reminder',
      { escalation: { ...THREE_STAGES, repeatEverySeconds: 600 } },
      waiting(7, T0 + 3900 * SECOND, { pagedStage: 2 }),
      timer(7, T0 + 3900 * SECOND),
      T0 + 3900 * SECOND,
      'reminded',
      [['reminder', 'cio']],
      { step: 8, at: T0 + 4500 * SECOND },
    ],
    [
      'one stage with reminders: on-call reminded every 2 minutes',
      { escalation: { stages: stages(['on-call', 0]), repeatEverySeconds: 120 } },
      waiting(1, T0 + 120 * SECOND, { pagedStage: 0 }),
      timer(1, T0 + 120 * SECOND),
      T0 + 120 * SECOND,
      'reminded',
      [['reminder', 'on-call']],
      { step: 2, at: T0 + 240 * SECOND },
    ],
  ])('%s', (_, policy, incident, due, now, action, pages, next) => {
    // Prepare
    const ctx = contextAt(now, { ...AUDIENCES, policy });

    // Act
    const t = decideEscalation(incident, due, ctx);

    // Assess
    expect(t.action).toBe(action);
    expect(t.incidentId).toBe('inc-7');
    expect(trail(t)).toEqual(pages);
    if (!pages.length) {
      expect(t.incident).toBeUndefined();
      return;
    }
    expect(t.incident!.nextEscalation).toEqual(next);
    expect(t.timers).toEqual(next ? [{ incidentId: 'inc-7', ...next }] : undefined);
    expect(t.pages!.map((p) => p.pageId)).toEqual([`inc-7-p${(incident.pageSequence ?? 0) + 1}`]);
    expect(t.timeline).toEqual([
      expect.objectContaining({
        kind: 'escalated',
        actor: 'system',
        text: `${action === 'reminded' ? 'Reminder to' : 'Escalated to'} ${pages[0]![1]}: not acknowledged ${Math.round((now - T0) / 1000)} s after it opened.`,
        data: { stage: pages[0]![1], step: due.step },
      }),
    ]);
    expect(t.notices).toEqual([]);
  });

  it('records the highest stage paged, so an acknowledgement pages every stage reached', () => {
    // Prepare
    const ctx = contextAt(T0 + 900 * SECOND, { ...AUDIENCES, policy: { escalation: { ...THREE_STAGES, repeatEverySeconds: 60 } } });
    let incident = storedIncident();

    // Act: duty-manager at 300 s, the CIO at 900 s, a reminder of the CIO at 960 s, then an ack
    for (let i = 0; i < 3; i += 1) incident = decideEscalation(incident, incident.nextEscalation!, { ...ctx, now: incident.nextEscalation!.at }).incident!;
    const acked = acknowledge(incident, { actor: 'tanaka' }, ctx);

    // Assess
    expect(incident).toMatchObject({ pagedStage: 2, pageSequence: 4, nextEscalation: { step: 4, at: T0 + 1020 * SECOND } });
    expect(trail(acked)).toEqual([
      ['acknowledged', 'on-call'],
      ['acknowledged', 'duty-manager'],
      ['acknowledged', 'cio'],
    ]);
  });

  it.each<[string, Partial<Incident>, number, { step: number; at: number } | undefined]>([
    ['a timer due a minute ago, exactly at the safety net: left to its queue', {}, T0 + 300 * SECOND + ESCALATION_SAFETY_NET_MS, undefined],
    ['a timer more than a minute late: run by the sweep', {}, T0 + 300 * SECOND + ESCALATION_SAFETY_NET_MS + 1, { step: 1, at: T0 + 300 * SECOND }],
    ['an acknowledged incident: nothing', { status: 'acknowledged' }, T0 + 60 * MINUTE, undefined],
    ['an incident that waits for nothing', { nextEscalation: undefined }, T0 + 60 * MINUTE, undefined],
  ])('overdueEscalation: %s', (_, overrides, now, expected) => {
    expect(overdueEscalation(storedIncident(overrides), now, ESCALATION_SAFETY_NET_MS)).toEqual(expected);
  });
});

describe('escalation through the use cases: timers, acknowledgements, the sweep’s safety net', () => {
  /** A major shared-disk alarm at T0: operators only; the duty-manager is due at T0 + 300 s. */
  async function opened(policy: TocsinConfigInput['policy'] = {}): Promise<IncidentWorld> {
    const w = new IncidentWorld({ ...AUDIENCES, policy });
    await w.deliver(firing('disk-1', 0));
    expect(w.timersOf('inc-1')).toEqual([{ incidentId: 'inc-1', step: 1, at: T0 + 300 * SECOND }]);
    return w;
  }

  it('puts a timer that came back early on the queue again for the rest of its wait, writing nothing', async () => {
    // Prepare
    const w = await opened();
    w.clock.advance(100 * SECOND);

    // Act
    const step = await w.escalate('inc-1');

    // Assess
    expect(step.action).toBe('requeued');
    expect(step.requeued).toEqual([{ timer: { incidentId: 'inc-1', step: 1, at: T0 + 300 * SECOND }, delaySeconds: 200 }]);
    expect(step.commits).toEqual([]);
  });

  it('pages the duty-manager when the timer is due, once: a redelivered timer is stale', async () => {
    // Prepare
    const w = await opened();
    const due = w.nextTimer('inc-1');
    w.clock.now = due.at;

    // Act
    const first = await w.escalate(due);
    const again = await w.escalate(due);

    // Assess
    expect(first.action).toBe('escalated');
    expect(first.pages.map((p) => [p.pageId, p.type, p.stage, p.announced])).toEqual([['inc-1-p2', 'escalated', 'duty-manager', false]]);
    expect(first.timeline.map((e) => e.kind)).toEqual(['escalated']);
    expect(first.notices).toEqual([]);
    expect(again.action).toBe('stale-timer');
    expect(again.commits).toEqual([]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['escalated', 'duty-manager'],
    ]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['acknowledged', { command: 'ack', incidentId: 'inc-1' }],
    ['resolved', { command: 'resolve', incidentId: 'inc-1' }],
  ])('stops escalating an incident %s before its timer: the timer finds it stale', async (_, command) => {
    // Prepare
    const w = await opened();
    const due = w.nextTimer('inc-1');
    w.clock.advance(MINUTE);
    await w.command(command);
    w.clock.now = due.at;

    // Act
    const step = await w.escalate(due);

    // Assess
    expect(step.action).toBe('stale-timer');
    expect(step.commits).toEqual([]);
    expect(w.pageTrail('inc-1').map(([type]) => type)).not.toContain('escalated');
  });

  it.each<[string, number, string[]]>([
    ['exactly a minute late: left to the timer', ESCALATION_SAFETY_NET_MS, []],
    ['more than a minute late: run by the sweep', ESCALATION_SAFETY_NET_MS + 1, ['escalated']],
  ])('sweeps a lost timer %s', async (_, late, actions) => {
    // Prepare
    const w = await opened();
    w.clock.now = T0 + 300 * SECOND + late;

    // Act
    const swept = await w.sweep();

    // Assess
    expect(swept.commits.map((t) => t.action)).toEqual(actions);
  });

  it('reminds the last stage every repeatEverySeconds until someone acknowledges, then pages both stages once', async () => {
    // Prepare
    const w = await opened({ escalation: { stages: stages(['on-call', 0], ['duty-manager', 300]), repeatEverySeconds: 600 } });

    // Act: the duty-manager at 300 s, reminders at 900 s and 1500 s, an ack at 1600 s
    const actions: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const due = w.nextTimer('inc-1');
      w.clock.now = due.at;
      actions.push((await w.escalate(due)).action);
    }
    w.clock.now = T0 + 1600 * SECOND;
    await w.command({ command: 'ack', incidentId: 'inc-1' });

    // Assess
    expect(actions).toEqual(['escalated', 'reminded', 'reminded']);
    expect(w.timersOf('inc-1').map((t) => [t.step, (t.at - T0) / SECOND])).toEqual([
      [1, 300],
      [2, 900],
      [3, 1500],
      [4, 2100],
    ]);
    expect(w.pageTrail('inc-1')).toEqual([
      ['opened', 'on-call'],
      ['escalated', 'duty-manager'],
      ['reminder', 'duty-manager'],
      ['reminder', 'duty-manager'],
      ['acknowledged', 'on-call'],
      ['acknowledged', 'duty-manager'],
    ]);
    expect(w.incident('inc-1').nextEscalation).toBeUndefined();
  });
});

describe('participants: halts, announcements and resolutions', () => {
  it.each<[string, TocsinConfigInput, (w: IncidentWorld) => Promise<unknown>]>([
    ['an operator halts for a major alarm’s incident', AUDIENCES, (w) => w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'disk failure' })],
    [
      'the halt policy halts for a critical alarm of an internal, critical component',
      { ...AUDIENCES, components: [{ id: 'matching', market: 'equities', critical: true }], policy: { haltOnCritical: true } },
      (w) => w.deliver(firing('disk-2', 1, { component: 'matching', severity: 'critical' })),
    ],
  ])('announces an incident participants never heard of before its halt (%s): incident-opened 1, then halt 2', async (_, config, halting) => {
    // Prepare: a major shared-disk alarm, or nothing yet
    const w = new IncidentWorld(config);
    if (config === AUDIENCES) await w.deliver(firing('disk-1', 0));

    // Act
    await halting(w);

    // Assess
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
    expect(w.noticesOf('inc-1').map((n) => [n.type, n.sequence, n.noticeId])).toEqual([
      ['incident-opened', 1, 'inc-1-n1'],
      ['halt', 2, 'inc-1-n2'],
    ]);
    expect(w.incident('inc-1')).toMatchObject({ announced: true, noticeSequence: 2 });
  });

  it.each<[string, AlarmSignal, boolean]>([
    ['a critical alarm of an internal, critical component: the halt announces it', firing('disk-2', 1, { component: 'matching', severity: 'critical' }), true],
    ['a major alarm of the same component: no halt, no announcement', firing('disk-2', 1, { component: 'matching', severity: 'major' }), false],
  ])('opens with the halt policy on, %s; the opened page says whether participants were told in the same transaction', async (_, signal, told) => {
    // Prepare
    const w = new IncidentWorld({ ...AUDIENCES, components: [{ id: 'matching', market: 'equities', critical: true }], policy: { haltOnCritical: true } });

    // Act
    const step = await w.deliver(signal);

    // Assess
    expect(step.commits).toHaveLength(1);
    expect(step.notices.map((n) => n.type)).toEqual(told ? ['incident-opened', 'halt'] : []);
    expect(step.pages.map((p) => [p.type, p.announced])).toEqual([['opened', told]]);
  });

  it('numbers announcements, updates, the halt cycle and the resolution of an internal incident 1..n with no gap', async () => {
    // Prepare: market data faces no participant: its incident is the operators' until announced
    const w = new IncidentWorld(AUDIENCES);
    await w.deliver(firing('feed-1', 0, { severity: 'critical' }));
    expect(w.noticeTrail('inc-1')).toEqual([]);

    // Act
    await w.command({ command: 'announce', incidentId: 'inc-1', note: '第1報: market data delayed' });
    await w.command({ command: 'announce', incidentId: 'inc-1', note: '第2報: cause under investigation' });
    await w.command({ command: 'declare-halt', incidentId: 'inc-1', note: 'prices unreliable' });
    await w.command({ command: 'announce', incidentId: 'inc-1', note: '第3報: feed handler restarted' });
    await w.command({ command: 'schedule-resume', effectiveAt: new Date(w.clock.now + 20 * MINUTE).toISOString() });
    w.clock.advance(20 * MINUTE);
    await w.command({ command: 'resume' });
    await w.command({ command: 'announce', incidentId: 'inc-1', note: '第4報: normal trading' });
    await w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Assess
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['update', 2],
      ['halt', 3],
      ['update', 4],
      ['resume-scheduled', 5],
      ['resume', 6],
      ['update', 7],
      ['incident-resolved', 8],
    ]);
    expect(w.noticesOf('inc-1').map((n) => n.noticeId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((n) => `inc-1-n${n}`));
  });

  it.each<[string, (w: IncidentWorld) => Promise<unknown>, [PageType, string][]]>([
    ['by an operator', (w) => w.command({ command: 'resolve', incidentId: 'inc-1' }), [['opened', 'on-call'], ['resolved', 'on-call']]],
    [
      'by an operator after an acknowledgement',
      async (w) => {
        await w.command({ command: 'ack', incidentId: 'inc-1' });
        await w.command({ command: 'resolve', incidentId: 'inc-1' });
      },
      [
        ['opened', 'on-call'],
        ['acknowledged', 'on-call'],
        ['resolved', 'on-call'],
      ],
    ],
    [
      'by auto-resolve once its alarm has been OK for the quiet time',
      async (w) => {
        await w.deliver(ok('disk-1', 1));
        w.clock.advance(MINUTE);
        await w.sweep();
      },
      [
        ['opened', 'on-call'],
        ['resolved', 'on-call'],
      ],
    ],
  ])('resolves an incident participants never heard of %s with no notice at all; operators are paged', async (_, resolve, pages) => {
    // Prepare
    const w = new IncidentWorld(AUDIENCES);
    await w.deliver(firing('disk-1', 0));

    // Act
    await resolve(w);

    // Assess
    expect(w.incident('inc-1').status).toBe('resolved');
    expect(w.noticeTrail('inc-1')).toEqual([]);
    expect(w.pageTrail('inc-1')).toEqual(pages);
  });
});

describe('failover and drill notices reach participants only for participant-facing groups', () => {
  const GROUP = 'shared-disk';

  function failoverWorld(participantFacing: boolean): IncidentWorld {
    return new IncidentWorld({
      markets: [{ id: 'equities', segments: [] }],
      components: [{ id: GROUP, market: 'equities', participantFacing }],
      groups: [{ id: GROUP, nodes: ['unit-1', 'unit-2'], drills: true, startupGraceSeconds: 0 }],
    });
  }
  const incidentOf = (w: IncidentWorld, dedupKey: string) => w.incidents().find((i) => i.groupKey === `key:${dedupKey}`);

  /** unit-1 holds the lease; unit-2 reports `ready`. */
  async function serving(w: IncidentWorld, ready: boolean): Promise<void> {
    await w.heartbeat(GROUP, 'unit-1', true);
    await w.heartbeat(GROUP, 'unit-2', ready);
  }

  it.each<[boolean, NoticeType[]]>([
    [true, ['failover']],
    [false, []],
  ])('participant-facing %s: a forced failover tells participants %j, and pages operators', async (participantFacing, notices) => {
    // Prepare
    const w = failoverWorld(participantFacing);
    await serving(w, true);

    // Act
    const step = await w.command({ command: 'failover', group: GROUP });

    // Assess
    expect(step.action).toBe('promoted');
    const incident = incidentOf(w, failoverKey(GROUP))!;
    expect(w.noticeTrail(incident.id).map(([type]) => type)).toEqual(notices);
    expect(incident.announced ?? false).toBe(participantFacing);
    expect(w.pageTrail(incident.id)).toEqual([['opened', 'on-call']]);
  });

  it.each<[boolean, NoticeType[]]>([
    [true, ['failover', 'drill']],
    [false, []],
  ])('participant-facing %s: a drill that promotes tells participants %j', async (participantFacing, notices) => {
    // Prepare: a drill stops counting unit-1's heartbeats; the promoter watches the lease stand still
    const w = failoverWorld(participantFacing);
    await serving(w, true);
    await w.command({ command: 'drill', group: GROUP });
    await w.check(GROUP);
    w.clock.advance(10 * SECOND);
    await w.heartbeat(GROUP, 'unit-2', true);

    // Act
    const step = await w.check(GROUP);

    // Assess
    expect(step.decision).toBe('promote');
    const incident = incidentOf(w, failoverKey(GROUP))!;
    expect(w.noticeTrail(incident.id).map(([type]) => type)).toEqual(notices);
    expect(w.timelineOf(incident.id).map((e) => e.kind)).toEqual(['incident-opened', 'failover', 'drill']);
    expect(w.pageTrail(incident.id)).toEqual([['opened', 'on-call']]);
  });

  it.each<[boolean, NoticeType[]]>([
    [true, ['drill']],
    [false, []],
  ])('participant-facing %s: a drill that fails (no standby ready) tells participants %j; its incident is bookkeeping and pages', async (participantFacing, notices) => {
    // Prepare
    const w = failoverWorld(participantFacing);
    await serving(w, false);
    await w.command({ command: 'drill', group: GROUP });
    await w.check(GROUP);
    w.clock.advance(10 * SECOND);

    // Act
    const step = await w.check(GROUP);

    // Assess
    expect(step.decision).toBe('drill-failed');
    const incident = incidentOf(w, drillKey(GROUP))!;
    expect(incident).toMatchObject({ internal: true, severity: 'critical' });
    expect(w.noticeTrail(incident.id).map(([type]) => type)).toEqual(notices);
    expect(w.pageTrail(incident.id)).toEqual([['opened', 'on-call']]);
    // The readiness alarm raised on the way is bookkeeping too: paged, never announced.
    const readiness = incidentOf(w, readinessKey(GROUP))!;
    expect(w.noticeTrail(readiness.id)).toEqual([]);
    expect(w.pageTrail(readiness.id)).toEqual([['opened', 'on-call']]);
  });
});

describe('startup grace: a group no node ever held', () => {
  const GROUP = 'g';
  const config = parseConfig({ groups: [{ id: GROUP, nodes: ['n-1', 'n-2'], startupGraceSeconds: 300 }] });
  const group = groupConfig(config, GROUP);
  const standby = (ready: boolean, now: number): NodeState => ({ group: GROUP, nodeId: 'n-2', ready, lastHeartbeatAt: now - SECOND, version: 3 });
  const holder: LeaseState = { group: GROUP, holder: 'n-1', epoch: 1, version: 4, updatedAt: at(-1) };
  /** A promoter that has watched the group since T0: the lease (none: version 0, or version 4) not moving. */
  const watched = (version = 0): GroupWatch => ({ firstSeen: at(0), readiness: 'resolved', observation: { version, since: at(0) } });
  const kinds = (step: ReturnType<typeof promoterStep>) => step.actions.map((a) => (a.kind === 'raise' ? `raise ${a.signal.dedupKey} mayHalt=${String(a.signal.mayHalt)}` : a.kind));

  it.each<[string, GroupWatch, { lease?: LeaseState; firstSeenAt?: number }, boolean, number, string, string[]]>([
    // [case, watch, lease / first sighting, standby ready, now, decision, actions]
    ['first sight of the group: only marks it seen', {}, {}, true, at(0), 'watching', ['mark-seen']],
    ['a standby ready for minutes, 1 ms before the grace is over: no promotion', watched(), { firstSeenAt: at(0) }, true, at(300) - 1, 'watching', []],
    ['no standby ready, 1 ms before the grace is over: nothing raised', watched(), { firstSeenAt: at(0) }, false, at(300) - 1, 'watching', []],
    ['grace over, a standby ready: promoted as before (the first lease)', watched(), { firstSeenAt: at(0) }, true, at(300), 'promote', ['promote']],
    [
      'grace over, no standby ready: refused, raised, and it may not halt (no holder went silent)',
      watched(),
      { firstSeenAt: at(0) },
      false,
      at(300),
      'no-ready-standby',
      [`raise ${readinessKey(GROUP)} mayHalt=false`, `raise ${failoverKey(GROUP)} mayHalt=false`],
    ],
    ['the grace runs from the stored first sighting, not this promoter’s', watched(), { firstSeenAt: at(-600) }, true, at(10), 'promote', ['promote']],
    ['a holder went silent inside the grace: the grace does not apply, promoted', watched(4), { lease: holder, firstSeenAt: at(0) }, true, at(10), 'promote', ['promote']],
    [
      'a holder went silent with no standby ready: raised, and it may halt by policy',
      watched(4),
      { lease: holder, firstSeenAt: at(0) },
      false,
      at(10),
      'no-ready-standby',
      [`raise ${readinessKey(GROUP)} mayHalt=false`, `raise ${failoverKey(GROUP)} mayHalt=true`],
    ],
  ])('%s', (_, watch, view, ready, now, decision, actions) => {
    // Act
    const step = promoterStep(watch, { ...view, nodes: [standby(ready, now)] }, group, now);

    // Assess
    expect(step.decision).toBe(decision);
    expect(kinds(step)).toEqual(actions);
    for (const action of step.actions) if (action.kind === 'raise') expect(action.signal.bookkeeping).toBe(true);
  });

  it('a group with startupGraceSeconds 0 is checked from its first sight', () => {
    // Prepare
    const eager = groupConfig(parseConfig({ groups: [{ id: GROUP, nodes: ['n-1', 'n-2'], startupGraceSeconds: 0 }] }), GROUP);

    // Act
    const step = promoterStep(watched(), { nodes: [standby(true, at(10))] }, eager, at(10));

    // Assess
    expect(kinds(step)).toEqual(['mark-seen', 'promote']);
  });

  describe('through the promoter and the halt policy', () => {
    /** A critical, participant-facing shared disk; a critical alarm on it halts equities. */
    function graceWorld(): IncidentWorld {
      return new IncidentWorld({
        markets: [{ id: 'equities', segments: [] }],
        components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
        groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], startupGraceSeconds: 60 }],
        policy: { haltOnCritical: true },
      });
    }

    it('neither promotes nor raises anything before the grace is over, then promotes the first lease as before', async () => {
      // Prepare: unit-1 (the first node) never starts; unit-2 reports ready
      const w = graceWorld();
      const decisions: string[] = [];

      // Act: checks every 10 s for 90 s
      for (let s = 0; s <= 90; s += 10) {
        w.clock.now = at(s);
        await w.heartbeat('shared-disk', 'unit-2', true);
        decisions.push(`${s}:${(await w.check('shared-disk')).decision}`);
      }

      // Assess: grace until 60 s; then a lease duration (10 s) of watching the empty lease
      expect(decisions).toEqual(['0:watching', '10:watching', '20:watching', '30:watching', '40:watching', '50:watching', '60:watching', '70:promote', '80:watching', '90:watching']);
      expect(w.store.firstSeen('shared-disk')).toBe(at(0));
      expect(w.incidents().filter((i) => i.openedAt < at(60))).toEqual([]);
      expect(w.store.log.filter((t) => t.lease && t.lease.updatedAt < at(60))).toEqual([]);
      const failover = w.incidents().find((i) => i.groupKey === `key:${failoverKey('shared-disk')}`)!;
      expect(failover.openedAt).toBe(at(70));
      expect(w.market('equities').status).toBe('trading');
    });

    it.each<[string, boolean, string, NoticeType[]]>([
      ['a holder that went silent with no standby ready halts the market by policy', true, 'halted', ['incident-opened', 'halt']],
      ['a group no node ever held, no standby ready after the grace, never halts it', false, 'trading', []],
    ])('%s', async (_, everHeld, market, notices) => {
      // Prepare: unit-2 never ready; unit-1 beats once (holding the lease) or never
      const w = graceWorld();
      if (everHeld) await w.heartbeat('shared-disk', 'unit-1', true);
      await w.heartbeat('shared-disk', 'unit-2', false);

      // Act: checks every 10 s for 90 s, unit-1 silent
      for (let s = 0; s <= 90; s += 10) {
        w.clock.now = at(s);
        await w.check('shared-disk');
      }

      // Assess
      const refused = w.incidents().find((i) => i.groupKey === `key:${failoverKey('shared-disk')}`)!;
      expect(refused).toMatchObject({ internal: true, severity: 'critical' });
      expect(w.market('equities').status).toBe(market);
      expect(w.noticeTrail(refused.id).map(([type]) => type)).toEqual(notices);
      expect(w.pageTrail(refused.id)).toEqual([['opened', 'on-call']]);
      // The readiness alarm pages and does neither.
      const readiness = w.incidents().find((i) => i.groupKey === `key:${readinessKey('shared-disk')}`)!;
      expect(w.noticeTrail(readiness.id)).toEqual([]);
    });
  });
});

describe('policy.escalation validation', () => {
  it.each<[string, unknown, string]>([
    ['a first stage not at 0 s', { stages: stages(['on-call', 60], ['duty-manager', 300]) }, 'policy.escalation.stages[0].afterSeconds: the first stage is paged when the incident opens: must be 0, got 60'],
    ['a stage at the same time as the one before', { stages: stages(['on-call', 0], ['duty-manager', 300], ['cio', 300]) }, "policy.escalation.stages[2].afterSeconds: must be more than the previous stage's 300, got 300"],
    ['a stage before the one before', { stages: stages(['on-call', 0], ['duty-manager', 600], ['cio', 300]) }, "policy.escalation.stages[2].afterSeconds: must be more than the previous stage's 600, got 300"],
    ['a stage named twice', { stages: stages(['on-call', 0], ['duty-manager', 300], ['on-call', 900]) }, 'policy.escalation.stages[2].name: duplicate stage "on-call"'],
    ['no stage at all', { stages: [] }, 'policy.escalation.stages: at least one stage'],
    ['a negative afterSeconds', { stages: stages(['on-call', 0], ['duty-manager', -5]) }, 'policy.escalation.stages[1].afterSeconds: must be >= 0'],
    ['a negative repeatEverySeconds', { stages: stages(['on-call', 0]), repeatEverySeconds: -60 }, 'policy.escalation.repeatEverySeconds: must be >= 0'],
    ['a stage name that is not an id', { stages: stages(['On Call', 0]) }, 'policy.escalation.stages[0].name: '],
    ['an unknown field in a stage', { stages: [{ name: 'on-call', afterSeconds: 0, after: 5 }] }, 'policy.escalation.stages[0]: Unrecognized key: "after"'],
    ['fractional seconds', { stages: stages(['on-call', 0], ['duty-manager', 299.5]) }, 'policy.escalation.stages[1].afterSeconds: '],
  ])('rejects %s with a ConfigError naming the field', (_, escalation, expected) => {
    // Act
    const act = () => parseConfig({ policy: { escalation } });

    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(expected);
  });

  it('rejects a first stage not at 0 s and a duplicate name at once, naming both fields', () => {
    // Act
    const act = () => parseConfig({ policy: { escalation: { stages: stages(['on-call', 30], ['on-call', 300]) } } });

    // Assess
    expect(act).toThrow('policy.escalation.stages[0].afterSeconds: ');
    expect(act).toThrow('policy.escalation.stages[1].name: duplicate stage "on-call"');
  });

  it.each<[string, unknown]>([
    ['one stage', { stages: stages(['on-call', 0]) }],
    ['the design’s example', { stages: stages(['on-call', 0], ['duty-manager', 300]), repeatEverySeconds: 0 }],
    ['reminders every 10 minutes', { stages: stages(['on-call', 0], ['duty-manager', 300], ['cio', 900]), repeatEverySeconds: 600 }],
  ])('accepts %s', (_, escalation) => {
    expect(() => parseConfig({ policy: { escalation } })).not.toThrow();
  });
});
