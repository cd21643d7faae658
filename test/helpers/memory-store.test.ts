import { decideSignal } from '../../lambda/core/alarm-rules';
import { IncidentDraft } from '../../lambda/core/draft';
import { ConcurrentUpdateError } from '../../lambda/core/errors';
import { initialMarket, type Transition } from '../../lambda/core/model';
import { T0, TestClock, TSE_CONFIG } from './domain';
import { firing, haltedMarket, storedAlarm, storedIncident } from './domain-fixtures';
import { MemoryIncidentStore } from './memory-store';

/**
 * The in-memory store the domain tests run the use cases on must refuse exactly what the
 * DynamoDB adapter's conditional writes refuse, or those tests prove nothing about the real
 * thing (the adapter itself is checked on DynamoDB Local in test/adapters/incident-store.test.ts).
 */

const ctx = () => new TestClock(T0).context(TSE_CONFIG)();
const nothing = (action = 'test'): Transition => ({ action, timeline: [], notices: [] });

/**
 * A store holding incident inc-7 (version 1) with one timeline entry, notice 1 (a critical alarm
 * of the participant-facing shared disk), page 1 (on-call) and the duty-manager's timer, alarm
 * disk-1 and its group.
 */
async function seeded(): Promise<{ store: MemoryIncidentStore; opened: Transition }> {
  const store = new MemoryIncidentStore();
  const opened = decideSignal({ groupKey: 'key:disk-1', market: initialMarket('equities', 0) }, firing('disk-1', 0, { severity: 'critical' }), { ...ctx(), newIncidentId: () => 'inc-7' });
  await store.commit(opened);
  return { store, opened };
}

/** An annotation of inc-7 as stored (version 1 → 2), at `now`. */
function annotation(now = T0 + 1000, overrides: Partial<ReturnType<typeof storedIncident>> = {}): Transition {
  return new IncidentDraft(storedIncident({ startedAt: T0, openedAt: T0, ...overrides }), now).touch().log('annotation', 'tanaka', 'note').finish('annotated');
}

describe('MemoryIncidentStore.commit', () => {
  it.each<[string, (opened: Transition) => Transition]>([
    ['an incident at version 1 over a stored incident', (opened) => ({ ...nothing(), incident: opened.incident! })],
    ['an incident two versions ahead of the stored one', () => annotation(T0 + 1000, { version: 2 })],
    ['an alarm at version 2 over nothing', () => ({ ...nothing(), alarm: storedAlarm({ dedupKey: 'disk-9', version: 2 }) })],
    ['an alarm at the version stored (a replay decided on a stale read)', (opened) => ({ ...nothing(), alarm: opened.alarm! })],
    ['a group pointer at version 1 over a stored one', (opened) => ({ ...nothing(), group: { ...opened.group!, incidentId: 'inc-8' } })],
    ['a market at version 2 over a market nobody wrote', () => ({ ...nothing(), market: haltedMarket('equities', 'inc-7', { version: 2 }) })],
    ['a timeline entry that exists', (opened) => ({ ...nothing(), timeline: opened.timeline })],
    ['a notice that exists', (opened) => ({ ...nothing(), notices: opened.notices })],
    ['a page that exists (the adapter’s PAGE#<n>)', (opened) => ({ ...nothing(), pages: opened.pages! })],
    ['a page numbered as a stored one, whatever it says', (opened) => ({ ...nothing(), pages: [{ ...opened.pages![0]!, type: 'escalated', stage: 'duty-manager' }] })],
    ['an escalation timer that exists (the adapter’s TIMER#<step>#<at>)', (opened) => ({ ...nothing(), timers: opened.timers! })],
  ])('fails with ConcurrentUpdateError when writing %s, writing nothing', async (_, transition) => {
    // Prepare
    const { store, opened } = await seeded();
    const before = { log: store.log.length, incident: store.incident('inc-7'), alarm: store.alarm('disk-1'), timeline: store.timeline('inc-7') };

    // Act
    const act = store.commit(transition(opened));

    // Assess
    await expect(act).rejects.toThrow(ConcurrentUpdateError);
    expect(store.log).toHaveLength(before.log);
    expect(store.incident('inc-7')).toEqual(before.incident);
    expect(store.alarm('disk-1')).toEqual(before.alarm);
    expect(store.timeline('inc-7')).toEqual(before.timeline);
    expect(store.pages('inc-7')).toEqual(opened.pages);
    expect(store.timers('inc-7')).toEqual(opened.timers);
    expect(store.market('equities')).toEqual(initialMarket('equities', 0));
  });

  it('writes nothing of a transition when one of its conditions fails: all or nothing', async () => {
    // Prepare: a new alarm (fine) with an incident version that lost the race
    const { store } = await seeded();
    const transition: Transition = { ...annotation(T0 + 1000, { version: 2 }), alarm: storedAlarm({ dedupKey: 'disk-2' }) };

    // Act
    const act = store.commit(transition);

    // Assess
    await expect(act).rejects.toThrow(ConcurrentUpdateError);
    expect(store.alarm('disk-2')).toBeUndefined();
  });

  it('keeps the pages and escalation timers a transition writes, for tests to read', async () => {
    // Act
    const { store, opened } = await seeded();

    // Assess
    expect(opened.pages).toHaveLength(1);
    expect(store.pages('inc-7')).toEqual([expect.objectContaining({ pageId: 'inc-7-p1', type: 'opened', stage: 'on-call', announced: true })]);
    expect(store.timers('inc-7')).toEqual([{ incidentId: 'inc-7', step: 1, at: T0 + 300_000 }]);
    expect(store.pages('inc-8')).toEqual([]);
    expect(store.timers('inc-8')).toEqual([]);
  });

  it('writes a timer for a later step or time beside the stored one: the key is <step>#<at>', async () => {
    // Prepare
    const { store } = await seeded();

    // Act
    await store.commit({ ...nothing(), timers: [{ incidentId: 'inc-7', step: 1, at: T0 + 600_000 }, { incidentId: 'inc-7', step: 2, at: T0 + 300_000 }] });

    // Assess
    expect(store.timers('inc-7').map((t) => [t.step, t.at - T0])).toEqual([
      [1, 300_000],
      [1, 600_000],
      [2, 300_000],
    ]);
  });

  it('writes a transition whose conditions hold, and logs it', async () => {
    // Prepare
    const { store } = await seeded();

    // Act
    await store.commit(annotation());

    // Assess
    expect(store.incident('inc-7')).toMatchObject({ version: 2 });
    expect(store.timeline('inc-7').map((e) => e.kind)).toEqual(['incident-opened', 'annotation']);
    expect(store.log.map((t) => t.action)).toEqual(['opened', 'annotated']);
  });

  it.each<[string, (opened: Transition) => Transition, RegExp]>([
    ['a notice id other than <incidentId>-n<sequence>', (opened) => ({ ...nothing(), notices: [{ ...opened.notices[0]!, sequence: 2, noticeId: 'inc-7-2' }] }), /notice id inc-7-2 is not inc-7-n2/],
    ['a notice that leaves a gap in the incident’s numbering', (opened) => ({ ...nothing(), notices: [{ ...opened.notices[0]!, sequence: 3, noticeId: 'inc-7-n3' }] }), /leaves a gap after sequence 1/],
    ['the same item twice in one transaction', (opened) => ({ ...nothing(), timeline: [opened.timeline[0]!, opened.timeline[0]!] }), /writes .* twice/],
    ['a page id other than <incidentId>-p<n>', (opened) => ({ ...nothing(), pages: [{ ...opened.pages![0]!, pageId: 'inc-7-page-2' }] }), /page id inc-7-page-2 is not <incidentId>-p<n> of inc-7/],
    ['a page that leaves a gap in the incident’s page numbers', (opened) => ({ ...nothing(), pages: [{ ...opened.pages![0]!, pageId: 'inc-7-p3' }] }), /page inc-7-p3 leaves a gap after page 1 of inc-7/],
    ['the same timer twice in one transaction', (opened) => ({ ...nothing(), timers: [opened.timers![0]!, opened.timers![0]!] }), /writes INCIDENT#inc-7\/TIMER#1#\d+ twice/],
  ])('rejects %s (not a lost race: a bug)', async (_, transition, message) => {
    // Prepare
    const { store, opened } = await seeded();

    // Act
    const error = await store.commit(transition(opened)).then(
      () => undefined,
      (e: unknown) => e as Error,
    );

    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ConcurrentUpdateError);
    expect(error!.message).toMatch(message);
  });
});

describe('MemoryIncidentStore counters', () => {
  it('moves the counters by increments and returns them after, from zeros', async () => {
    // Prepare
    const store = new MemoryIncidentStore();

    // Act
    const after = [await store.addCounts('inc-1', { alarms: 1, firing: 1 }), await store.addCounts('inc-1', { alarms: 1, firing: 1 }), await store.addCounts('inc-1', { alarms: 0, firing: -1 })];

    // Assess
    expect(after).toEqual([
      { alarms: 1, firing: 1 },
      { alarms: 2, firing: 2 },
      { alarms: 2, firing: 1 },
    ]);
    expect(await store.readCounts('inc-2')).toEqual({ alarms: 0, firing: 0 });
  });

  it.each<[string, { alarms: number; firing: number }, boolean]>([
    ['they still hold what was read', { alarms: 2, firing: 2 }, true],
    ['an increment came in between', { alarms: 2, firing: 1 }, false],
  ])('repairs the counters only when %s', async (_, expected, repaired) => {
    // Prepare
    const store = new MemoryIncidentStore();
    await store.addCounts('inc-1', { alarms: 2, firing: 2 });

    // Act
    const done = await store.repairCounts('inc-1', expected, { alarms: 2, firing: 0 });

    // Assess
    expect(done).toBe(repaired);
    expect(store.counts('inc-1')).toEqual(repaired ? { alarms: 2, firing: 0 } : { alarms: 2, firing: 2 });
  });

  it('recounts the alarms an incident lists', async () => {
    // Prepare
    const { store } = await seeded();
    await store.commit({ ...nothing(), incidentAlarm: { incidentId: 'inc-7', dedupKey: 'disk-2', status: 'resolved', at: T0, severity: 'major', component: 'shared-disk', summary: 'x' } });

    // Act
    const tally = await store.countAlarms('inc-7');

    // Assess
    expect(tally).toEqual({ alarms: 2, firing: 1 });
  });
});

describe('MemoryIncidentStore reads', () => {
  it('reads for a signal what the adapter reads: group, its incident, the alarm, the market, and an unresolved halting incident', async () => {
    // Prepare
    const { store, opened } = await seeded();
    await store.commit({ ...nothing(), market: haltedMarket('equities', 'inc-7') });

    // Act
    const snapshot = await store.readForSignal('key:disk-2', 'disk-2', 'equities');
    const own = await store.readForSignal('key:disk-1', 'disk-1', 'equities');

    // Assess
    expect(snapshot).toEqual({ groupKey: 'key:disk-2', market: haltedMarket('equities', 'inc-7'), haltingIncident: opened.incident });
    expect(own).toEqual({ groupKey: 'key:disk-1', group: opened.group, incident: opened.incident, alarm: opened.alarm, market: haltedMarket('equities', 'inc-7'), haltingIncident: opened.incident });
  });

  it.each<[string, number[], number | undefined]>([
    ['a group nobody saw has no firstSeenAt', [], undefined],
    ['the first sight is kept', [T0], T0],
    ['later sights leave the first one (the adapter’s attribute_not_exists)', [T0, T0 + 60_000, T0 - 60_000], T0],
  ])('marks when a group was first seen: %s', async (_, sights, expected) => {
    // Prepare
    const store = new MemoryIncidentStore();

    // Act
    for (const at of sights) await store.markGroupSeen('shared-disk', at);

    // Assess
    expect((await store.readLeaseGroup('shared-disk')).firstSeenAt).toBe(expected);
    expect(store.firstSeen('shared-disk')).toBe(expected);
  });

  it('hands out copies: changing what was read changes nothing stored', async () => {
    // Prepare
    const { store } = await seeded();
    const read = (await store.readIncident('inc-7')) as { status: string };

    // Act
    read.status = 'resolved';

    // Assess
    expect(store.incident('inc-7')!.status).toBe('open');
  });
});
