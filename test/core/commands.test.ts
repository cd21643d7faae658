import { isFailoverCommand, isIncidentCommand, isPollCommand, isSilenceCommand, OPERATOR_COMMANDS, parseOperatorCommand, type MarketCommand, type OperatorCommand } from '../../lambda/core/commands';
import type { TocsinConfigInput } from '../../lambda/core/config';
import type { DecisionContext } from '../../lambda/core/context';
import { ConflictError, NotFoundError, TocsinError, ValidationError } from '../../lambda/core/errors';
import { decideIncidentCommand } from '../../lambda/core/incident-lifecycle';
import { commandMarket, decideMarketCommand } from '../../lambda/core/market-commands';
import { initialMarket, type Incident, type MarketState, type Transition } from '../../lambda/core/model';
import { MINUTE, T0, TestClock, TSE_CONFIG } from '../helpers/domain';
import { firing, haltedMarket, IncidentWorld, storedIncident } from '../helpers/domain-fixtures';

/**
 * Operator commands (the `operate` function's body and the `tocsin` CLI's requests): what is
 * accepted, what is refused and why, and what each decides — as pure decisions, and through the
 * real `runCommand` over the in-memory store.
 */

const ONE_MARKET: TocsinConfigInput = { markets: [{ id: 'equities', segments: ['first', 'second'] }] };
const iso = (ms: number) => new Date(ms).toISOString();

function contextAt(now = T0, config: TocsinConfigInput = TSE_CONFIG, id = 'inc-9'): DecisionContext {
  return { ...new TestClock(now).context(config)(), newIncidentId: () => id };
}

function thrown(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw, got none');
}

/** An incident command decided on `incident`, on behalf of tanaka. */
function decideOn(incident: Incident, input: unknown, ctx = contextAt()): Transition {
  const command = parseOperatorCommand(input);
  if (!isIncidentCommand(command)) throw new Error(`${command.command} is not an incident command`);
  return decideIncidentCommand(command, incident, 'tanaka', ctx);
}

/** A market command decided on the market (and the incident named or halted for), on behalf of tanaka. */
function decideMarket(input: unknown, snapshot: { market: MarketState; incident?: Incident }, ctx = contextAt()): Transition {
  return decideMarketCommand(parseOperatorCommand(input) as MarketCommand, snapshot, 'tanaka', ctx);
}

describe('parseOperatorCommand', () => {
  it.each<[string, Record<string, unknown>]>([
    ['ack', { command: 'ack', incidentId: 'inc-1' }],
    ['ack with a note and an operator name', { command: 'ack', incidentId: 'inc-1', note: 'on it', as: 'tanaka' }],
    ['resolve', { command: 'resolve', incidentId: 'inc-1' }],
    ['resolve with a note', { command: 'resolve', incidentId: 'inc-1', note: 'disk replaced' }],
    ['annotate', { command: 'annotate', incidentId: 'inc-1', note: 'vendor engineer on site' }],
    ['announce', { command: 'announce', incidentId: 'inc-1', note: 'Order entry suspended on all equities.' }],
    ['announce on behalf of an operator', { command: 'announce', incidentId: 'inc-1', note: '第2報: recovery expected 12:30', as: 'tanaka' }],
    ['declare-halt naming nothing', { command: 'declare-halt' }],
    ['declare-halt in full', { command: 'declare-halt', incidentId: 'inc-1', market: 'equities', segments: ['first', 'second'], note: 'shared disk failure' }],
    ['schedule-resume in UTC', { command: 'schedule-resume', effectiveAt: '2020-10-02T00:00:00Z' }],
    ['schedule-resume with an offset', { command: 'schedule-resume', market: 'equities', effectiveAt: '2020-10-02T09:00:00+09:00', note: 'full day' }],
    ['schedule-resume with fractional seconds', { command: 'schedule-resume', effectiveAt: '2020-10-02T09:00:00.250+09:00' }],
    ['resume', { command: 'resume' }],
    ['resume naming the market', { command: 'resume', market: 'derivatives' }],
    ['silence of a component until a time', { command: 'silence', matchers: { component: 'batch' }, until: '2020-10-02T06:00:00+09:00', note: 'nightly patching' }],
    ['silence of a window ahead', { command: 'silence', matchers: { market: 'equities', dedupKeyPrefix: 'arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:batch-' }, from: '2020-10-02T01:00:00+09:00', until: '2020-10-02T03:00:00+09:00', note: 'maintenance', as: 'tanaka' }],
    ['unsilence', { command: 'unsilence', silenceId: 'sil-20201001-070412-3fa9c1' }],
  ])('accepts %s', (_, input) => {
    // Act
    const command = parseOperatorCommand(input);

    // Assess
    expect(command).toEqual(input);
  });

  it('knows exactly the twelve commands of the design', () => {
    expect([...OPERATOR_COMMANDS].sort()).toEqual(['ack', 'annotate', 'announce', 'declare-halt', 'drill', 'failover', 'poll-readiness', 'resolve', 'resume', 'schedule-resume', 'silence', 'unsilence']);
  });

  it.each<[string, unknown, string]>([
    ['an unknown command', { command: 'nuke', incidentId: 'inc-1' }, 'command'],
    ['a missing command', { incidentId: 'inc-1' }, 'command'],
    ['ack without incidentId', { command: 'ack' }, 'incidentId'],
    ['resolve without incidentId', { command: 'resolve', note: 'done' }, 'incidentId'],
    ['annotate without incidentId', { command: 'annotate', note: 'hello' }, 'incidentId'],
    ['ack with an empty incidentId', { command: 'ack', incidentId: '' }, 'incidentId'],
    ['annotate without note', { command: 'annotate', incidentId: 'inc-1' }, 'note'],
    ['announce without note', { command: 'announce', incidentId: 'inc-1' }, 'note'],
    ['announce without incidentId', { command: 'announce', note: 'Order entry suspended.' }, 'incidentId'],
    ['announce with an empty note', { command: 'announce', incidentId: 'inc-1', note: '' }, 'note'],
    ['announce with a note over 2000 characters', { command: 'announce', incidentId: 'inc-1', note: 'x'.repeat(2001) }, 'note'],
    ['schedule-resume without effectiveAt', { command: 'schedule-resume' }, 'effectiveAt'],
    ['a date with no time', { command: 'schedule-resume', effectiveAt: '2020-10-02' }, 'effectiveAt'],
    ['a date-time with no offset', { command: 'schedule-resume', effectiveAt: '2020-10-02T09:00:00' }, 'effectiveAt'],
    ['a day that does not exist', { command: 'schedule-resume', effectiveAt: '2020-02-30T09:00:00Z' }, 'effectiveAt'],
    ['words instead of a date', { command: 'schedule-resume', effectiveAt: 'tomorrow 9am' }, 'effectiveAt'],
    ['a number instead of a date', { command: 'schedule-resume', effectiveAt: 1601600400000 }, 'effectiveAt'],
    ['a control character in a note', { command: 'annotate', incidentId: 'inc-1', note: 'bell\u0007' }, 'note'],
    ['a newline in an incidentId', { command: 'ack', incidentId: 'inc-1\nack inc-2' }, 'incidentId'],
    ['DEL in the operator name', { command: 'ack', incidentId: 'inc-1', as: 'tanaka\u007f' }, 'as'],
    ['a control character in a segment', { command: 'declare-halt', segments: ['first\u0000'] }, 'segments[0]'],
    ['segments that are not a list', { command: 'declare-halt', segments: 'first' }, 'segments'],
    ['a note over 2000 characters', { command: 'annotate', incidentId: 'inc-1', note: 'x'.repeat(2001) }, 'note'],
    ['an incidentId over 100 characters', { command: 'ack', incidentId: 'i'.repeat(101) }, 'incidentId'],
    ['a segment named twice', { command: 'declare-halt', segments: ['first', 'first'] }, 'segments'],
    ['silence without until', { command: 'silence', matchers: { component: 'batch' }, note: 'x' }, 'until'],
    ['silence without a note', { command: 'silence', matchers: { component: 'batch' }, until: '2020-10-02T00:00:00Z' }, 'note'],
    ['silence without matchers', { command: 'silence', until: '2020-10-02T00:00:00Z', note: 'x' }, 'matchers'],
    ['silence matching on a label it does not know', { command: 'silence', matchers: { host: 'a' }, until: '2020-10-02T00:00:00Z', note: 'x' }, 'matchers'],
    ['silence with a from that is no date', { command: 'silence', matchers: { component: 'batch' }, from: 'now', until: '2020-10-02T00:00:00Z', note: 'x' }, 'from'],
    ['unsilence without silenceId', { command: 'unsilence' }, 'silenceId'],
  ])('rejects %s with a ValidationError naming %s', (_, input, field) => {
    // Act
    const error = thrown(() => parseOperatorCommand(input));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toContain(field);
    expect(error.message).toContain(`${field}: `);
  });

  it.each<[string, Record<string, unknown>]>([
    ['on ack', { command: 'ack', incidentId: 'inc-1', colour: 'red' }],
    ['on declare-halt', { command: 'declare-halt', segment: ['first'] }],
    ['segments on resume (a partial resumption it would not do)', { command: 'resume', segments: ['first'] }],
    ['effectiveAt on resume', { command: 'resume', effectiveAt: '2020-10-02T09:00:00+09:00' }],
    ['segments on schedule-resume', { command: 'schedule-resume', segments: ['first'], effectiveAt: '2020-10-02T09:00:00+09:00' }],
    ['market on ack', { command: 'ack', incidentId: 'inc-1', market: 'equities' }],
    ['market on announce (the incident says which)', { command: 'announce', incidentId: 'inc-1', note: 'x', market: 'equities' }],
  ])('rejects a field the command does not take %s, naming it', (_, input) => {
    // Act
    const error = thrown(() => parseOperatorCommand(input));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    const unknown = Object.keys(input).find((k) => !['command', 'incidentId', 'note'].includes(k))!;
    expect(error.message).toContain(`"${unknown}"`);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'ack inc-1'],
    ['a list', [{ command: 'ack', incidentId: 'inc-1' }]],
  ])('rejects %s instead of a command object', (_, input) => {
    expect(() => parseOperatorCommand(input)).toThrow(ValidationError);
  });
});

describe('isIncidentCommand, isFailoverCommand, isSilenceCommand and isPollCommand', () => {
  const routes: [Record<string, unknown>, 'incident' | 'market' | 'failover' | 'silence' | 'poll'][] = [
    [{ command: 'ack', incidentId: 'inc-1' }, 'incident'],
    [{ command: 'resolve', incidentId: 'inc-1' }, 'incident'],
    [{ command: 'annotate', incidentId: 'inc-1', note: 'x' }, 'incident'],
    [{ command: 'announce', incidentId: 'inc-1', note: 'x' }, 'incident'],
    [{ command: 'declare-halt' }, 'market'],
    [{ command: 'schedule-resume', effectiveAt: '2020-10-02T00:00:00Z' }, 'market'],
    [{ command: 'resume' }, 'market'],
    [{ command: 'failover', group: 'shared-disk' }, 'failover'],
    [{ command: 'drill', group: 'shared-disk' }, 'failover'],
    [{ command: 'silence', matchers: { component: 'batch' }, until: '2020-10-02T00:00:00Z', note: 'patching' }, 'silence'],
    [{ command: 'unsilence', silenceId: 'sil-1' }, 'silence'],
    [{ command: 'poll-readiness', market: 'equities' }, 'poll'],
  ];

  it.each(routes)('routes %j to the %s commands, and to no other', (input, kind) => {
    // Prepare
    const command = parseOperatorCommand(input);

    // Act
    const kinds = [isIncidentCommand(command) && 'incident', isFailoverCommand(command) && 'failover', isSilenceCommand(command) && 'silence', isPollCommand(command) && 'poll'].filter(Boolean);

    // Assess
    expect(kinds).toEqual(kind === 'market' ? [] : [kind]);
  });

  it('routes every command of the design', () => {
    expect(routes.map(([input]) => input.command).sort()).toEqual([...OPERATOR_COMMANDS].sort());
  });
});

describe('commandMarket', () => {
  const ctxOf = (config: TocsinConfigInput) => contextAt(T0, config).config;
  const market = (input: unknown) => parseOperatorCommand(input) as MarketCommand;

  it('defaults to the only market configured', () => {
    expect(commandMarket(market({ command: 'resume' }), ctxOf(ONE_MARKET))).toBe('equities');
  });

  it('takes the market named when several are configured', () => {
    expect(commandMarket(market({ command: 'resume', market: 'derivatives' }), ctxOf(TSE_CONFIG))).toBe('derivatives');
  });

  it('takes the incident’s market when the command names none', () => {
    const incident = storedIncident({ market: 'derivatives' });
    expect(commandMarket(market({ command: 'declare-halt', incidentId: incident.id }), ctxOf(TSE_CONFIG), incident)).toBe('derivatives');
  });

  it('rejects a market command naming no market when several are configured, listing them', () => {
    // Act
    const error = thrown(() => commandMarket(market({ command: 'declare-halt' }), ctxOf(TSE_CONFIG)));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems).toEqual([{ field: 'market', problem: 'required when more than one market is configured (equities, derivatives)' }]);
  });

  it.each<[string, TocsinConfigInput]>([
    ['one market', ONE_MARKET],
    ['several markets', TSE_CONFIG],
  ])('rejects an unknown market with NotFoundError (404) when %s configured', (_, config) => {
    // Act
    const error = thrown(() => commandMarket(market({ command: 'resume', market: 'fx' }), ctxOf(config)));

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ kind: 'market', id: 'fx' });
  });
});

describe('incident commands: ack, resolve, annotate, announce', () => {
  it('acknowledges an open incident, with a timeline entry and no notice', () => {
    // Act
    const t = decideOn(storedIncident(), { command: 'ack', incidentId: 'inc-7', note: 'on it' });

    // Assess
    expect(t.action).toBe('acknowledged');
    expect(t.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'tanaka', acknowledgedAt: T0 });
    expect(t.timeline.map((e) => [e.kind, e.actor, e.text])).toEqual([['incident-acknowledged', 'tanaka', 'Acknowledged. on it']]);
    expect(t.notices).toEqual([]);
  });

  it('leaves the incident unchanged when acknowledged twice', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('disk-1', 0));
    await w.command({ command: 'ack', incidentId: 'inc-1' });
    const commits = w.store.log.length;

    // Act
    const step = await w.command({ command: 'ack', incidentId: 'inc-1' }, 'sato');

    // Assess
    expect(step.action).toBe('unchanged');
    expect(step.incidentId).toBe('inc-1');
    expect(step.commits).toEqual([]);
    expect(w.store.log).toHaveLength(commits);
    expect(w.incident('inc-1').acknowledgedBy).toBe('operator-on-duty');
  });

  it('rejects acknowledging a resolved incident (ConflictError)', () => {
    // Act
    const error = thrown(() => decideOn(storedIncident({ status: 'resolved' }), { command: 'ack', incidentId: 'inc-7' }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('resolved');
  });

  it.each<['open' | 'acknowledged']>([['open'], ['acknowledged']])('resolves an %s incident with notice incident-resolved', (status) => {
    // Act
    const t = decideOn(storedIncident({ status }), { command: 'resolve', incidentId: 'inc-7', note: 'disk replaced' });

    // Assess
    expect(t.action).toBe('resolved');
    expect(t.incident).toMatchObject({ status: 'resolved', resolvedBy: 'tanaka', resolvedAt: T0 });
    expect(t.timeline.map((e) => e.kind)).toEqual(['incident-resolved']);
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId])).toEqual([['incident-resolved', 2, 'inc-7-n2']]);
  });

  it('leaves a resolved incident unchanged when resolved again: no second notice', async () => {
    // Prepare: announced (critical, participant-facing)
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('disk-1', 0, { severity: 'critical' }));
    await w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Act
    const step = await w.command({ command: 'resolve', incidentId: 'inc-1' });

    // Assess
    expect(step.action).toBe('unchanged');
    expect(step.commits).toEqual([]);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
  });

  it.each<['open' | 'resolved']>([['open'], ['resolved']])('annotates an %s incident: a timeline entry only', (status) => {
    // Act
    const t = decideOn(storedIncident({ status }), { command: 'annotate', incidentId: 'inc-7', note: 'vendor on site' });

    // Assess
    expect(t.action).toBe('annotated');
    expect(t.timeline.map((e) => [e.kind, e.actor, e.text, e.entryId])).toEqual([['annotation', 'tanaka', 'vendor on site', `${iso(T0)}#v0000000002.00`]]);
    expect(t.notices).toEqual([]);
    expect(t.incident).toMatchObject({ status, noticeSequence: 1, version: 2 });
  });

  it.each<[string, Record<string, unknown>]>([
    ['ack', { command: 'ack', incidentId: 'inc-404' }],
    ['resolve', { command: 'resolve', incidentId: 'inc-404' }],
    ['annotate', { command: 'annotate', incidentId: 'inc-404', note: 'x' }],
    ['announce', { command: 'announce', incidentId: 'inc-404', note: 'x' }],
    ['declare-halt', { command: 'declare-halt', incidentId: 'inc-404' }],
  ])('rejects %s of an incident that does not exist with NotFoundError (404), writing nothing', async (_, input) => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);

    // Act
    const error = await w.command(input).then(
      () => undefined,
      (e: unknown) => e,
    );

    // Assess
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ kind: 'incident', id: 'inc-404' });
    expect(w.store.log).toEqual([]);
  });
});

describe('incident commands: announce, through runCommand', () => {
  it('announces an incident participants never heard of, then numbers each later announcement as an update, 1..n with no gap', async () => {
    // Prepare: a major shared-disk alarm reaches operators only
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('disk-1', 0));
    expect(w.noticeTrail('inc-1')).toEqual([]);

    // Act
    const steps = [
      await w.command({ command: 'announce', incidentId: 'inc-1', note: '第1報: order entry delayed on some equities' }, 'tanaka'),
      await w.command({ command: 'announce', incidentId: 'inc-1', note: '第2報: cause identified' }, 'sato'),
      await w.command({ command: 'announce', incidentId: 'inc-1', note: '第3報: recovery expected 12:30' }, 'tanaka'),
    ];

    // Assess
    expect(steps.map((s) => s.action)).toEqual(['announced', 'updated', 'updated']);
    expect(w.noticesOf('inc-1').map((n) => [n.type, n.sequence, n.noticeId, n.summary, n.detail.announcedBy])).toEqual([
      ['incident-opened', 1, 'inc-1-n1', '第1報: order entry delayed on some equities', 'tanaka'],
      ['update', 2, 'inc-1-n2', '第2報: cause identified', 'sato'],
      ['update', 3, 'inc-1-n3', '第3報: recovery expected 12:30', 'tanaka'],
    ]);
    expect(w.timelineOf('inc-1').map((e) => [e.kind, e.actor])).toEqual([
      ['incident-opened', 'alarm:disk-1'],
      ['announced', 'tanaka'],
      ['announced', 'sato'],
      ['announced', 'tanaka'],
    ]);
    expect(w.incident('inc-1')).toMatchObject({ announced: true, noticeSequence: 3 });
  });

  it('tells participants the end of what was announced: resolving after an announcement sends incident-resolved', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('feed-1', 0));
    await w.command({ command: 'announce', incidentId: 'inc-1', note: 'Market data delayed' });

    // Act
    await w.command({ command: 'resolve', incidentId: 'inc-1', note: 'feed restored' });

    // Assess
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['incident-resolved', 2],
    ]);
  });

  it('rejects announcing a resolved incident (ConflictError), writing nothing', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('feed-1', 0));
    await w.command({ command: 'resolve', incidentId: 'inc-1' });
    const commits = w.store.log.length;

    // Act
    const act = w.command({ command: 'announce', incidentId: 'inc-1', note: 'too late' });

    // Assess
    await expect(act).rejects.toThrow(ConflictError);
    expect(w.store.log).toHaveLength(commits);
    expect(w.noticeTrail('inc-1')).toEqual([]);
  });
});

describe('market commands: declare-halt', () => {
  it('opens a manual incident when none is named: notices 1 incident-opened, 2 halt', () => {
    // Act
    const t = decideMarket({ command: 'declare-halt', market: 'equities', note: 'order gateway unstable' }, { market: initialMarket('equities', 0) });

    // Assess
    expect(t.action).toBe('halted');
    expect(t.incident).toMatchObject({ id: 'inc-9', groupKey: 'manual:inc-9', status: 'open', severity: 'critical', summary: 'order gateway unstable', startedAt: T0, noticeSequence: 2 });
    expect(t.notices.map((n) => [n.type, n.sequence, n.noticeId, n.incidentId])).toEqual([
      ['incident-opened', 1, 'inc-9-n1', 'inc-9'],
      ['halt', 2, 'inc-9-n2', 'inc-9'],
    ]);
    expect(t.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['incident-opened', 'tanaka'],
      ['halt', 'tanaka'],
    ]);
    expect(t.market).toMatchObject({ id: 'equities', status: 'halted', incidentId: 'inc-9', segments: [] });
    expect(t.incident).toMatchObject({ announced: true });
    expect(t.pages!.map((p) => [p.pageId, p.type, p.stage, p.announced])).toEqual([['inc-9-p1', 'opened', 'on-call', true]]);
    expect(t.timers).toEqual([{ incidentId: 'inc-9', step: 1, at: T0 + 5 * MINUTE }]);
  });

  it('summarises a manual incident declared without a note by who declared it', () => {
    // Act
    const t = decideMarket({ command: 'declare-halt' }, { market: initialMarket('equities', 0) });

    // Assess
    expect(t.incident!.summary).toBe('Trading halt declared by tanaka');
  });

  it('halts for a named open incident, continuing its notice numbering, for the segments named', () => {
    // Act
    const t = decideMarket(
      { command: 'declare-halt', incidentId: 'inc-7', segments: ['first'], note: 'shared disk failure' },
      { incident: storedIncident({ noticeSequence: 3 }), market: initialMarket('equities', 0) },
    );

    // Assess
    expect(t.incident).toMatchObject({ id: 'inc-7', noticeSequence: 4, version: 2 });
    expect(t.notices.map((n) => [n.type, n.sequence, n.segments])).toEqual([['halt', 4, ['first']]]);
    expect(t.market).toMatchObject({ status: 'halted', incidentId: 'inc-7', segments: ['first'] });
  });

  it('halts, through runCommand, the market of the incident named, for an alarm’s incident, announcing it first', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);
    await w.deliver(firing('deriv-1', 0));

    // Act
    const step = await w.command({ command: 'declare-halt', incidentId: 'inc-1' });

    // Assess
    expect(step.action).toBe('halted');
    expect(w.market('derivatives')).toMatchObject({ status: 'halted', incidentId: 'inc-1' });
    expect(w.market('equities').status).toBe('trading');
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
  });

  it('rejects a halt declared for a resolved incident with a ValidationError naming incidentId', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'declare-halt', incidentId: 'inc-7' }, { incident: storedIncident({ status: 'resolved' }), market: initialMarket('equities', 0) }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['incidentId']);
    expect(error.message).toContain('inc-7 is resolved');
  });

  it('rejects a halt of a market that is already halted (ConflictError)', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'declare-halt' }, { market: haltedMarket('equities', 'inc-1') }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toMatch(/^cannot halt: market equities is halted/);
  });

  it('rejects unknown segments with a ValidationError naming segments', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'declare-halt', segments: ['prime'] }, { market: initialMarket('equities', 0) }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['segments']);
  });

  it('rejects a market command for a market that is not configured (NotFoundError), writing nothing', async () => {
    // Prepare
    const w = new IncidentWorld(TSE_CONFIG);

    // Act
    const act = w.command({ command: 'declare-halt', market: 'fx' });

    // Assess
    await expect(act).rejects.toThrow(NotFoundError);
    await expect(act).rejects.toMatchObject({ kind: 'market', id: 'fx' });
    expect(w.store.log).toEqual([]);
  });
});

describe('market commands: schedule-resume and resume', () => {
  const halting = () => storedIncident({ noticeSequence: 2 });

  it('schedules the resumption on the halting incident as notice 3', () => {
    // Act
    const t = decideMarket({ command: 'schedule-resume', effectiveAt: '2020-10-01T09:00:00+09:00' }, { incident: halting(), market: haltedMarket('equities', 'inc-7') });

    // Assess
    expect(t.action).toBe('resume-scheduled');
    expect(t.market).toMatchObject({ status: 'resume-scheduled', resumeAt: Date.parse('2020-10-01T00:00:00Z'), ordersAcceptedFrom: Date.parse('2020-09-30T23:45:00Z') });
    expect(t.notices.map((n) => [n.type, n.sequence, n.effectiveAt])).toEqual([['resume-scheduled', 3, '2020-10-01T00:00:00.000Z']]);
  });

  it('rejects an effectiveAt inside the lead time with a ValidationError naming effectiveAt', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'schedule-resume', effectiveAt: iso(T0 + 10 * MINUTE) }, { incident: halting(), market: haltedMarket('equities', 'inc-7') }));

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).problems.map((p) => p.field)).toEqual(['effectiveAt']);
    expect(error.message).toContain(`earliest ${iso(T0 + 15 * MINUTE)}`);
  });

  it('resumes at the scheduled time as the next notice of the halting incident', () => {
    // Act
    const t = decideMarket(
      { command: 'resume', note: 'normal trading' },
      { incident: storedIncident({ noticeSequence: 3 }), market: haltedMarket('equities', 'inc-7', { status: 'resume-scheduled', resumeAt: T0 + 15 * MINUTE, version: 2 }) },
      contextAt(T0 + 15 * MINUTE),
    );

    // Assess
    expect(t.action).toBe('resumed');
    expect(t.market).toMatchObject({ status: 'trading', version: 3 });
    expect(t.notices.map((n) => [n.type, n.sequence])).toEqual([['resume', 4]]);
  });

  it.each<[string, Record<string, unknown>]>([
    ['resume', { command: 'resume' }],
    ['schedule-resume', { command: 'schedule-resume', effectiveAt: iso(T0 + 60 * MINUTE) }],
  ])('rejects %s of a trading market (ConflictError)', (_, input) => {
    // Act
    const error = thrown(() => decideMarket(input, { market: initialMarket('equities', 0) }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('market equities is trading');
    expect((error as ConflictError).state).toMatchObject({ market: 'equities', status: 'trading' });
  });

  it('rejects resuming a halted market with no resumption scheduled (ConflictError)', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'resume' }, { incident: halting(), market: haltedMarket('equities', 'inc-7') }));

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect(error.message).toContain('schedule-resume first');
  });

  it('fails when the halting incident could not be read, rather than numbering notices on another', () => {
    // Act
    const error = thrown(() => decideMarket({ command: 'resume' }, { incident: storedIncident({ id: 'inc-other' }), market: haltedMarket('equities', 'inc-7') }));

    // Assess
    expect(error).toBeInstanceOf(TocsinError);
    expect(error).not.toBeInstanceOf(ConflictError);
    expect(error.message).toBe('market equities is halted for incident inc-7, which could not be read');
  });
});

describe('commands chained on one market (single-market configuration)', () => {
  it('declares, schedules and resumes without naming the market', async () => {
    // Prepare
    const w = new IncidentWorld(ONE_MARKET);

    // Act
    const actions = [(await w.command({ command: 'declare-halt', segments: ['second'] })).action];
    actions.push((await w.command({ command: 'schedule-resume', effectiveAt: iso(w.clock.now + 20 * MINUTE) })).action);
    w.clock.advance(20 * MINUTE);
    actions.push((await w.command({ command: 'resume' })).action);

    // Assess
    expect(actions).toEqual(['halted', 'resume-scheduled', 'resumed']);
    expect(w.noticeTrail('inc-1')).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['resume-scheduled', 3],
      ['resume', 4],
    ]);
    expect(w.noticesOf('inc-1').every((n) => n.segments.length === 0 || n.segments[0] === 'second')).toBe(true);
  });

  it('accepts a command parsed from JSON text the way the HTTP adapter receives it', () => {
    // Prepare
    const body = JSON.stringify({ command: 'declare-halt', note: 'disk failure', as: 'tanaka' });

    // Act
    const command: OperatorCommand = parseOperatorCommand(JSON.parse(body));

    // Assess
    expect(command).toEqual({ command: 'declare-halt', note: 'disk failure', as: 'tanaka' });
  });
});
