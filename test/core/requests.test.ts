import { parseOperatorCommand } from '../../lambda/core/commands';
import { ConflictError, NotFoundError, ValidationError } from '../../lambda/core/errors';
import { canonicalJson, replayAnswer, requestIdentity, requestRecord } from '../../lambda/core/requests';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { MINUTE, T0, TSE_CONFIG } from '../helpers/domain';
import { firing, IncidentWorld } from '../helpers/domain-fixtures';

/**
 * Idempotent operator commands (shared/DESIGN.md, "Operator commands (contract additions)"): a
 * command with a `requestId` is applied once; a repeat gets the first answer and changes
 * nothing; another body or another caller under the same requestId is refused (409). Decided
 * in the core, over the in-memory store that commits under the DynamoDB adapter's conditions.
 */

const iso = (ms: number) => new Date(ms).toISOString();

/** Runs `act` and returns what it threw (failing the test when it throws nothing). */
async function rejection(act: Promise<unknown>): Promise<Error> {
  try {
    await act;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection, got none');
}

/** A world with equities halted by an operator for incident inc-1 (notices 1 incident-opened, 2 halt). */
async function haltedWorld(): Promise<IncidentWorld> {
  const w = new IncidentWorld(TSE_CONFIG);
  await w.command({ command: 'declare-halt', market: 'equities', note: 'shared disk failure' });
  return w;
}

describe('requestId: what is accepted', () => {
  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['over 64 characters', 'r'.repeat(65)],
    ['a number', 42],
    ['an object', { id: 'r-1' }],
    ['a control character', 'r-1\n'],
  ])('rejects a requestId that is %s with a ValidationError naming requestId', (_, requestId) => {
    // Act
    const act = () => parseOperatorCommand({ command: 'resume', requestId });

    // Assess
    expect(act).toThrow(ValidationError);
    expect(act).toThrow(/requestId: /);
  });

  it.each(Object.entries({ ack: { incidentId: 'inc-1' }, 'declare-halt': {}, 'schedule-resume': { effectiveAt: '2020-10-02T00:00:00Z' }, resume: {}, failover: { group: 'g' }, drill: { group: 'g' }, 'poll-readiness': {}, unsilence: { silenceId: 's' } }))(
    'accepts a requestId of 64 characters on %s',
    (command, fields) => {
      // Act
      const parsed = parseOperatorCommand({ command, ...fields, requestId: 'r'.repeat(64) });

      // Assess
      expect(parsed.requestId).toBe('r'.repeat(64));
    },
  );
});

describe('requestIdentity, replayAnswer (pure)', () => {
  const command = (input: Record<string, unknown>) => parseOperatorCommand(input);

  it('hashes the command without its requestId, whatever the key order', () => {
    // Act
    const a = requestIdentity(command({ command: 'declare-halt', market: 'equities', note: 'disk', requestId: 'r-1' }), 'tanaka');
    const b = requestIdentity(command({ requestId: 'r-1', note: 'disk', market: 'equities', command: 'declare-halt' }), 'tanaka');

    // Assess
    expect(a).toEqual(b);
    expect(a).toMatchObject({ requestId: 'r-1', command: 'declare-halt', actor: 'tanaka', bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('has no identity for a command without a requestId', () => {
    expect(requestIdentity(command({ command: 'resume' }), 'tanaka')).toBeUndefined();
  });

  it('writes nested objects with sorted keys', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ f: 1, e: 2 }], c: 'x' } })).toBe('{"a":{"c":"x","d":[{"e":2,"f":1}]},"b":1}');
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['another body', { command: 'declare-halt', market: 'derivatives', requestId: 'r-1' }, 'tanaka', /^requestId "r-1" was already used for a different declare-halt command/],
    ['another caller', { command: 'declare-halt', market: 'equities', requestId: 'r-1' }, 'sato', /^requestId "r-1" was already used by another caller/],
  ])('refuses a repeat with %s (ConflictError naming the requestId)', (_, input, actor, message) => {
    // Prepare
    const first = requestRecord(requestIdentity(command({ command: 'declare-halt', market: 'equities', requestId: 'r-1' }), 'tanaka')!, { ok: true }, T0);

    // Act
    const act = () => replayAnswer(first, requestIdentity(command(input), actor)!);

    // Assess
    expect(act).toThrow(ConflictError);
    expect(act).toThrow(message);
    try {
      act();
    } catch (error) {
      expect((error as ConflictError).state).toEqual({ requestId: 'r-1', command: 'declare-halt', requestedAt: iso(T0) });
    }
  });
});

describe('repeated operator commands, through runCommand', () => {
  it('answers a repeated declare-halt as the first time: one halt, one numbering, no second incident', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    const first = await w.command({ command: 'declare-halt', market: 'equities', note: 'disk', requestId: 'r-halt' });
    w.clock.advance(MINUTE);

    // Act
    const repeat = await w.command({ command: 'declare-halt', market: 'equities', note: 'disk', requestId: 'r-halt' });

    // Assess
    expect(repeat.outcome.replayed).toBe(true);
    expect(repeat.outcome.answer).toEqual(first.outcome.answer);
    expect(first.outcome.answer).toMatchObject({ action: 'halted', incidentId: 'inc-1', notices: [{ noticeId: 'inc-1-n1' }, { noticeId: 'inc-1-n2' }] });
    expect(repeat.commits).toEqual([]);
    expect(w.incidents()).toHaveLength(1);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(w.market('equities')).toMatchObject({ status: 'halted', incidentId: 'inc-1', version: 1 });
  });

  it('sends no second resume-scheduled notice for a repeated schedule-resume, and answers the same', async () => {
    // Prepare
    const w = await haltedWorld();
    const command = { command: 'schedule-resume', market: 'equities', effectiveAt: iso(T0 + 30 * MINUTE), requestId: 'r-sched' };
    const first = await w.command(command);

    // Act
    const repeat = await w.command({ ...command });

    // Assess
    expect(repeat.outcome.answer).toEqual(first.outcome.answer);
    expect(repeat.commits).toEqual([]);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['resume-scheduled', 3],
    ]);
  });

  it('adds no second timeline entry for a repeated annotate', async () => {
    // Prepare
    const w = await haltedWorld();
    await w.command({ command: 'annotate', incidentId: 'inc-1', note: 'vendor on site', requestId: 'r-note' });
    const entries = w.timelineOf('inc-1').length;

    // Act
    const repeat = await w.command({ note: 'vendor on site', incidentId: 'inc-1', command: 'annotate', requestId: 'r-note' });

    // Assess
    expect(repeat.outcome.replayed).toBe(true);
    expect(w.timelineOf('inc-1')).toHaveLength(entries);
    expect(w.timelineOf('inc-1').filter((e) => e.text.includes('vendor on site'))).toHaveLength(1);
  });

  it('records a command that changes nothing, so its repeat gets the same answer', async () => {
    // Prepare
    const w = await haltedWorld();
    await w.command({ command: 'ack', incidentId: 'inc-1' });
    const first = await w.command({ command: 'ack', incidentId: 'inc-1', requestId: 'r-ack' });

    // Act
    const repeat = await w.command({ command: 'ack', incidentId: 'inc-1', requestId: 'r-ack' });

    // Assess
    expect(first.commits).toHaveLength(1);
    expect(first.commits[0]).toMatchObject({ request: { requestId: 'r-ack' }, timeline: [], notices: [] });
    expect(first.commits[0]!.incident).toBeUndefined();
    expect(repeat.outcome).toMatchObject({ replayed: true, answer: first.outcome.answer });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['another body', { command: 'annotate', incidentId: 'inc-1', note: 'something else', requestId: 'r-1' }, 'operator-on-duty'],
    ['another command', { command: 'ack', incidentId: 'inc-1', requestId: 'r-1' }, 'operator-on-duty'],
    ['another caller', { command: 'annotate', incidentId: 'inc-1', note: 'vendor on site', requestId: 'r-1' }, 'arn:aws:sts::123456789012:assumed-role/ops/sato'],
  ])('rejects the same requestId with %s (409 naming it), writing nothing', async (_, input, actor) => {
    // Prepare
    const w = await haltedWorld();
    await w.command({ command: 'annotate', incidentId: 'inc-1', note: 'vendor on site', requestId: 'r-1' });
    const commits = w.store.log.length;

    // Act
    const error = await rejection(w.command(input, actor));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('requestId "r-1"');
    expect((error as ConflictError).state).toMatchObject({ requestId: 'r-1', command: 'annotate' });
    expect(w.store.log).toHaveLength(commits);
  });

  it('does not record a refusal: the same request is decided afresh once the state allows it', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    const command = { command: 'schedule-resume', market: 'equities', effectiveAt: iso(T0 + 30 * MINUTE), requestId: 'r-early' };
    await expect(w.command(command)).rejects.toThrow(ConflictError);
    await w.command({ command: 'declare-halt', market: 'equities' });

    // Act
    const retried = await w.command(command);

    // Assess
    expect(retried.action).toBe('resume-scheduled');
    expect(retried.outcome.replayed).toBeUndefined();
    expect(w.store.allRequests().map((r) => r.requestId)).toEqual(['r-early']);
  });

  it('applies two identical requests racing each other once, and answers both alike', async () => {
    // Prepare: the second reads "no record" before the first commits.
    const w = await haltedWorld();
    const command = { command: 'schedule-resume', market: 'equities', effectiveAt: iso(T0 + 30 * MINUTE), requestId: 'r-race' };
    const held = w.store.holdBefore('commit', (t) => t.request?.requestId === 'r-race');
    const first = w.command(command);
    await held.reached;

    // Act
    const second = await w.command(command);
    held.release();
    const firstStep = await first;

    // Assess
    expect([firstStep.outcome.replayed, second.outcome.replayed]).toEqual([true, undefined]);
    expect(firstStep.outcome.answer).toEqual(second.outcome.answer);
    expect(firstStep.outcome.attempts).toBe(2);
    expect(w.noticeTrail('inc-1').filter(([type]) => type === 'resume-scheduled')).toHaveLength(1);
  });

  it('gives a repeated silence the silence id it made the first time, and makes no second silence', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    const command = { command: 'silence', matchers: { component: 'batch' }, until: iso(T0 + 60 * MINUTE), note: 'patching', requestId: 'r-sil' };
    const first = await w.command(command);
    w.clock.advance(MINUTE);

    // Act
    const repeat = await w.command(command);

    // Assess
    expect(first.outcome.answer).toMatchObject({ action: 'silenced', silenceId: first.outcome.silenceId });
    expect(repeat.outcome.answer).toEqual(first.outcome.answer);
    expect((await w.store.readSilences()).silences).toHaveLength(1);
  });

  it('keeps requests without a requestId as they were: each applies', async () => {
    // Prepare
    const w = await haltedWorld();

    // Act
    await w.command({ command: 'annotate', incidentId: 'inc-1', note: 'twice' });
    await w.command({ command: 'annotate', incidentId: 'inc-1', note: 'twice' });

    // Assess
    expect(w.timelineOf('inc-1').filter((e) => e.text.includes('twice'))).toHaveLength(2);
    expect(w.store.allRequests()).toEqual([]);
  });

  it('records the answer the caller is given (the operate function passes its reply)', async () => {
    // Prepare
    const w = await haltedWorld();
    const command = parseOperatorCommand({ command: 'annotate', incidentId: 'inc-1', note: 'x', requestId: 'r-own' });
    const answer = () => ({ ok: true, mine: 'yes' });

    // Act
    const outcome = await runCommand(w.store, command, 'tanaka', { ...w.options, answer });

    // Assess
    expect(outcome.answer).toEqual({ ok: true, mine: 'yes' });
    expect(w.store.allRequests()).toEqual([expect.objectContaining({ requestId: 'r-own', actor: 'tanaka', answer: { ok: true, mine: 'yes' }, at: T0 })]);
  });
});

describe('schedule-resume and resume naming the incident', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['schedule-resume', { command: 'schedule-resume', effectiveAt: iso(T0 + 30 * MINUTE) }, 'resume-scheduled'],
    ['resume', { command: 'resume' }, 'resumed'],
  ])('%s with the halting incident works, taking the incident’s market', async (name, input, action) => {
    // Prepare: two markets configured, none named; resume needs a schedule first.
    const w = await haltedWorld();
    if (name === 'resume') {
      await w.command({ command: 'schedule-resume', incidentId: 'inc-1', effectiveAt: iso(T0 + 20 * MINUTE) });
      w.clock.advance(20 * MINUTE);
    }

    // Act
    const step = await w.command({ ...input, incidentId: 'inc-1' });

    // Assess
    expect(step.action).toBe(action);
    expect(step.incidentId).toBe('inc-1');
  });

  it.each<[string, Record<string, unknown>]>([
    ['schedule-resume', { command: 'schedule-resume', effectiveAt: iso(T0 + 30 * MINUTE) }],
    ['resume', { command: 'resume' }],
  ])('rejects %s naming another open incident (409 with the market), writing nothing', async (_, input) => {
    // Prepare: inc-1 halts equities; inc-2 is an open alarm incident.
    const w = await haltedWorld();
    await w.deliver(firing('deriv-1', 0));
    const other = w.incidents().find((i) => i.id !== 'inc-1')!.id;
    const commits = w.store.log.length;

    // Act
    const error = await rejection(w.command({ ...input, incidentId: other, market: 'equities' }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain(`for incident ${other}: market equities is halted for incident inc-1`);
    expect((error as ConflictError).state).toMatchObject({ market: 'equities', status: 'halted', incidentId: 'inc-1' });
    expect(w.store.log).toHaveLength(commits);
  });

  it('rejects a resumption naming an unknown incident (404)', async () => {
    // Prepare
    const w = await haltedWorld();

    // Act
    const error = await rejection(w.command({ command: 'resume', incidentId: 'inc-404', market: 'equities' }));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ kind: 'incident', id: 'inc-404' });
  });
});
