import { randomBytes } from 'node:crypto';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { metrics } from '../../lambda/adapters/observability';
import type { TocsinConfigInput } from '../../lambda/core/config';
import type { TimelineKind } from '../../lambda/core/model';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { COMMAND_MAX_BYTES, createOperateHandler } from '../../lambda/handlers/operate';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, T0, TestClock, TSE_CONFIG } from '../helpers/domain';
import { functionUrlEvent, storedPages, tableItems, type FunctionUrlOptions } from '../helpers/events';

/**
 * The operate handler end to end (shared/DESIGN.md, "Operator command"): Function URL events in,
 * the real store on DynamoDB Local, incidents opened by the real ingest use case, time from an
 * injected clock. Each test has a market and incident ids of its own on the file's one table.
 */

const OPERATOR_ARN = 'arn:aws:sts::123456789012:assumed-role/tocsin-operator/suzuki';
const LEAD_MINUTES = 15;
const iso = (ms: number) => new Date(ms).toISOString();

interface Reply {
  readonly statusCode: number;
  readonly body: Record<string, any>;
}

describe('operate handler on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  let runs = 0;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('operate', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  /**
   * A TSE-like world of its own: two markets (so market commands must name theirs), the
   * equities one with TSE's segments, a clock at 07:04 JST on 1 Oct 2020, and the handler. The
   * shared disk faces participants and announces from `major`, so its incidents are market facts
   * from their first alarm; `billing` is internal: participants hear of it only when told.
   */
  function world() {
    runs += 1;
    const run = `${runs}-${randomBytes(3).toString('hex')}`;
    const market = `eq-${run}`;
    const equities = TSE_CONFIG.markets![0]!;
    const config: TocsinConfigInput = {
      markets: [
        { id: market, segments: equities.segments },
        { id: `drv-${run}`, segments: [] },
      ],
      components: [
        { id: 'shared-disk', market, critical: true, participantFacing: true },
        { id: 'billing', market },
      ],
      policy: { resumeLeadMinutes: LEAD_MINUTES, announceSeverity: 'major' },
    };
    const clock = new TestClock(T0, `op${run}`);
    const context = clock.context(config);
    const operate = createOperateHandler({ store, context });
    let alarms = 0;

    const w = {
      clock,
      market,
      async send(body: unknown, options: FunctionUrlOptions = {}): Promise<Reply> {
        const response = await operate(functionUrlEvent(body, options));
        return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, any> };
      },
      /** Opens an incident the way production does: an alarm (of the shared disk, unless told) through the ingest use case. */
      async openIncident(component = 'shared-disk'): Promise<string> {
        alarms += 1;
        const dedupKey = `arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:${run}-unit-${alarms}-memory`;
        const outcome = await ingestSignal(store, alarm({ dedupKey, market, component }), { context });
        expect(outcome.action).toBe('opened');
        return outcome.incidentId!;
      },
      /** Sends a command that must succeed (state preparation). */
      async ok(body: Record<string, unknown>): Promise<Reply['body']> {
        const reply = await w.send({ as: 'setup', ...body });
        expect(reply).toMatchObject({ statusCode: 200, body: { ok: true } });
        return reply.body;
      },
      async halted(): Promise<string> {
        const incidentId = await w.openIncident();
        await w.ok({ command: 'declare-halt', incidentId, market });
        return incidentId;
      },
      async scheduled(): Promise<{ incidentId: string; effectiveAt: number }> {
        const incidentId = await w.halted();
        const effectiveAt = clock.now + 20 * MINUTE;
        await w.ok({ command: 'schedule-resume', market, effectiveAt: iso(effectiveAt) });
        return { incidentId, effectiveAt };
      },
    };
    return w;
  }

  type World = ReturnType<typeof world>;

  /** Runs `act` and checks that the table is item for item what it was before. */
  async function writesNothing<T>(act: () => Promise<T>): Promise<T> {
    const before = await tableItems(aws.dynamodb, tableName);
    const result = await act();
    expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    return result;
  }

  /** Sends a command that must be refused: nothing written, and counted as a rejected command. */
  async function refused(w: World, body: unknown, options: FunctionUrlOptions = {}): Promise<Reply> {
    const counted = jest.spyOn(metrics, 'addMetric');
    try {
      const reply = await writesNothing(() => w.send(body, options));
      expect(counted).toHaveBeenCalledWith('CommandsRejected', 'Count', 1);
      expect(counted).not.toHaveBeenCalledWith('CommandsRun', expect.anything(), expect.anything());
      return reply;
    } finally {
      counted.mockRestore();
    }
  }

  // The rejections come first, while the table is small: each of them scans it twice.
  describe('rejects a malformed request with the right status, naming the problem, and writes nothing', () => {
    const big = JSON.stringify({ command: 'annotate', incidentId: 'inc-1', note: 'x'.repeat(COMMAND_MAX_BYTES) });
    it.each<[string, unknown, FunctionUrlOptions, number, RegExp]>([
      ['an unknown command', { command: 'halt-everything', market: 'equities' }, {}, 400, /command: must be one of ack, declare-halt, schedule-resume, resume, resolve, annotate/],
      ['an ack with no incidentId', { command: 'ack' }, {}, 400, /incidentId: missing; expected a string/],
      ['an annotate with no note', { command: 'annotate', incidentId: 'inc-1' }, {}, 400, /note: missing/],
      ['an announce with no note', { command: 'announce', incidentId: 'inc-1' }, {}, 400, /note: missing/],
      ['an effectiveAt with no offset', { command: 'schedule-resume', effectiveAt: '2020-10-02T09:00:00' }, {}, 400, /effectiveAt: must be an ISO-8601 date-time/],
      ['an effectiveAt on a day that does not exist', { command: 'schedule-resume', effectiveAt: '2021-02-29T09:00:00+09:00' }, {}, 400, /effectiveAt: must be an ISO-8601 date-time/],
      ['a schedule-resume with no effectiveAt', { command: 'schedule-resume' }, {}, 400, /effectiveAt: /],
      ['an unknown field', { command: 'ack', incidentId: 'inc-1', operator: 'suzuki' }, {}, 400, /unknown field "operator"/],
      ['a control character in note', { command: 'annotate', incidentId: 'inc-1', note: 'bell\u0007' }, {}, 400, /note: must not contain control characters .* U\+0007/],
      ['a control character in as', { command: 'ack', incidentId: 'inc-1', as: 'suzuki\nadmin' }, {}, 400, /as: must not contain control characters .* U\+000A/],
      ['segments that are not an array', { command: 'declare-halt', segments: 'first' }, {}, 400, /segments: expected an array, got "first"/],
      ['a body that is not an object', [], {}, 400, /expected an object, got an array/],
      ['a body that is not JSON', '{"command":', {}, 400, /body is not valid JSON/],
      ['an empty body', '', {}, 400, /body is empty; expected a JSON operator command/],
      ['a wrong content type', 'command=ack', { contentType: 'application/x-www-form-urlencoded' }, 415, /content-type "application\/x-www-form-urlencoded" is not supported; expected application\/json/],
      ['a GET', { command: 'ack', incidentId: 'inc-1' }, { method: 'GET' }, 405, /method GET is not allowed; use POST/],
      ['a body over 16 KiB', big, {}, 413, /body is \d+ bytes; the limit is 16384 bytes \(16 KiB\)/],
    ])('rejects %s', async (_, body, options, statusCode, message) => {
      // Prepare
      const w = world();

      // Act
      const reply = await refused(w, body, options);

      // Assess
      expect(reply.statusCode).toBe(statusCode);
      expect(Object.keys(reply.body)).toEqual(['error']);
      expect(reply.body.error).toMatch(message);
    });

    // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header field in a 405 response".
    it('rejects a GET with 405 and an Allow: POST header', async () => {
      const w = world();
      const response = await createOperateHandler({ store, context: w.clock.context() })(functionUrlEvent({ command: 'ack', incidentId: 'inc-1' }, { method: 'GET' }));
      expect(response.statusCode).toBe(405);
      expect(response.headers).toMatchObject({ allow: 'POST' });
    });
  });

  describe('rejects a command the state does not allow, and writes nothing', () => {
    it.each<[string, (w: World) => Promise<Record<string, unknown>>, RegExp]>([
      ['ack of an unknown incident', async (w) => ({ command: 'ack', incidentId: `${w.market}-nope` }), /unknown incident ".*-nope"/],
      ['resolve of an unknown incident', async (w) => ({ command: 'resolve', incidentId: `${w.market}-nope` }), /unknown incident ".*-nope"/],
      ['annotate of an unknown incident', async (w) => ({ command: 'annotate', incidentId: `${w.market}-nope`, note: 'n' }), /unknown incident ".*-nope"/],
      ['announce of an unknown incident', async (w) => ({ command: 'announce', incidentId: `${w.market}-nope`, note: 'n' }), /unknown incident ".*-nope"/],
      ['declare-halt for an unknown incident', async (w) => ({ command: 'declare-halt', incidentId: `${w.market}-nope`, market: w.market }), /unknown incident ".*-nope"/],
      ['declare-halt for an unknown incident, naming no market', async (w) => ({ command: 'declare-halt', incidentId: `${w.market}-nope` }), /unknown incident ".*-nope"/],
      ['declare-halt of an unknown market', async () => ({ command: 'declare-halt', market: 'nasdaq' }), /unknown market "nasdaq": configured markets: eq-/],
      ['schedule-resume of an unknown market', async () => ({ command: 'schedule-resume', market: 'nasdaq', effectiveAt: iso(T0 + 60 * MINUTE) }), /unknown market "nasdaq"/],
      ['resume of an unknown market', async () => ({ command: 'resume', market: 'nasdaq' }), /unknown market "nasdaq"/],
    ])('rejects %s with 404', async (_, prepare, message) => {
      // Prepare
      const w = world();
      await w.openIncident();
      const body = await prepare(w);

      // Act
      const reply = await refused(w, { ...body, as: 'suzuki' });

      // Assess
      expect(reply.statusCode).toBe(404);
      expect(reply.body).toEqual({ error: expect.stringMatching(message) });
    });

    it.each<[string, (w: World) => Promise<{ body: Record<string, unknown>; state: Record<string, unknown> }>, RegExp]>([
      [
        'resume of a trading market',
        async (w) => ({ body: { command: 'resume', market: w.market }, state: { market: w.market, status: 'trading', segments: [], timeZone: 'UTC' } }),
        /cannot resume: market eq-\S+ is trading/,
      ],
      [
        'schedule-resume of a trading market',
        async (w) => ({ body: { command: 'schedule-resume', market: w.market, effectiveAt: iso(T0 + 60 * MINUTE) }, state: { market: w.market, status: 'trading', segments: [], timeZone: 'UTC' } }),
        /cannot schedule a resumption: market eq-\S+ is trading/,
      ],
      [
        'ack of a resolved incident',
        async (w) => {
          const incidentId = await w.openIncident();
          await w.ok({ command: 'resolve', incidentId });
          return { body: { command: 'ack', incidentId }, state: { incidentId, status: 'resolved' } };
        },
        /cannot acknowledge incident .*: it is resolved/,
      ],
      [
        'announce of a resolved incident',
        async (w) => {
          const incidentId = await w.openIncident('billing');
          await w.ok({ command: 'resolve', incidentId });
          return { body: { command: 'announce', incidentId, note: 'Billing delayed.' }, state: { incidentId, status: 'resolved' } };
        },
        /cannot announce incident .*: it is resolved/,
      ],
      [
        'declare-halt of an already halted market',
        async (w) => {
          const incidentId = await w.halted();
          return { body: { command: 'declare-halt', market: w.market }, state: { market: w.market, status: 'halted', segments: [], incidentId, haltedAt: iso(T0), timeZone: 'UTC' } };
        },
        /cannot halt: market eq-\S+ is halted since/,
      ],
      [
        'resume of a halted market with no resumption scheduled',
        async (w) => {
          const incidentId = await w.halted();
          return { body: { command: 'resume', market: w.market }, state: { market: w.market, status: 'halted', segments: [], incidentId, haltedAt: iso(T0), timeZone: 'UTC' } };
        },
        /schedule-resume first/,
      ],
      [
        'resume 1 ms before effectiveAt',
        async (w) => {
          const { incidentId, effectiveAt } = await w.scheduled();
          w.clock.now = effectiveAt - 1;
          return {
            body: { command: 'resume', market: w.market },
            state: {
              market: w.market,
              status: 'resume-scheduled',
              segments: [],
              incidentId,
              haltedAt: iso(T0),
              resumeAt: iso(effectiveAt),
              ordersAcceptedFrom: iso(effectiveAt - LEAD_MINUTES * MINUTE),
              timeZone: 'UTC',
            },
          };
        },
        /cannot resume yet: .*trading resumes at/,
      ],
    ])('refuses %s with 409 and the current state', async (_, prepare, message) => {
      // Prepare
      const w = world();
      const { body, state } = await prepare(w);

      // Act
      const reply = await refused(w, { ...body, as: 'suzuki' });

      // Assess
      expect(reply).toEqual({ statusCode: 409, body: { error: expect.stringMatching(message), state } });
    });

    it.each<[string, (w: World) => Promise<Record<string, unknown>>, RegExp]>([
      ['a halt of an unknown segment', async (w) => ({ command: 'declare-halt', market: w.market, segments: ['first', 'growth'] }), /segments: unknown segment\(s\) growth of market eq-\S+ \(known: first, second, mothers\)/],
      [
        'a halt for a resolved incident',
        async (w) => {
          const incidentId = await w.openIncident();
          await w.ok({ command: 'resolve', incidentId });
          return { command: 'declare-halt', incidentId, market: w.market };
        },
        /incidentId: incident .* is resolved/,
      ],
      ['a market command that names no market when two are configured', async () => ({ command: 'declare-halt' }), /market: required when more than one market is configured \(eq-\S+, drv-\S+\)/],
    ])('rejects %s with 400', async (_, prepare, message) => {
      // Prepare
      const w = world();
      const body = await prepare(w);

      // Act
      const reply = await refused(w, { ...body, as: 'suzuki' });

      // Assess
      expect(reply).toEqual({ statusCode: 400, body: { error: expect.stringMatching(message) } });
    });

    it(`rejects a schedule-resume less than ${LEAD_MINUTES} minutes ahead, naming effectiveAt and the earliest time`, async () => {
      // Prepare
      const w = world();
      await w.halted();
      w.clock.advance(2 * MINUTE);
      const earliest = w.clock.now + LEAD_MINUTES * MINUTE;

      // Act
      const reply = await refused(w, { command: 'schedule-resume', market: w.market, effectiveAt: iso(earliest - 1), as: 'suzuki' });

      // Assess
      expect(reply.statusCode).toBe(400);
      expect(reply.body).toEqual({ error: expect.stringContaining('effectiveAt: must be at least 15 minutes from now') });
      expect(reply.body.error).toContain(`got ${iso(earliest - 1)}, earliest ${iso(earliest)}`);
    });
  });

  describe('records the operator of every command on the timeline', () => {
    interface Case {
      readonly action: string;
      /** The timeline entries the command appends. */
      readonly kinds: readonly TimelineKind[];
      /** Brings the world to where the command applies; returns the command (without `as`). */
      readonly prepare: (w: World) => Promise<Record<string, unknown>>;
    }
    const cases: Record<string, Case> = {
      ack: { action: 'acknowledged', kinds: ['incident-acknowledged'], prepare: async (w) => ({ command: 'ack', incidentId: await w.openIncident() }) },
      annotate: {
        action: 'annotated',
        kinds: ['annotation'],
        prepare: async (w) => ({ command: 'annotate', incidentId: await w.openIncident(), note: 'Unit 2 did not take over; vendor on site.' }),
      },
      resolve: { action: 'resolved', kinds: ['incident-resolved'], prepare: async (w) => ({ command: 'resolve', incidentId: await w.openIncident() }) },
      announce: {
        action: 'announced',
        kinds: ['announced'],
        prepare: async (w) => ({ command: 'announce', incidentId: await w.openIncident('billing'), note: 'Billing reports delayed; trading unaffected.' }),
      },
      'declare-halt (for an incident)': {
        action: 'halted',
        kinds: ['halt'],
        prepare: async (w) => ({ command: 'declare-halt', incidentId: await w.openIncident(), market: w.market }),
      },
      'declare-halt (no incident)': { action: 'halted', kinds: ['incident-opened', 'halt'], prepare: async (w) => ({ command: 'declare-halt', market: w.market }) },
      'schedule-resume': {
        action: 'resume-scheduled',
        kinds: ['resume-scheduled'],
        prepare: async (w) => {
          await w.halted();
          return { command: 'schedule-resume', market: w.market, effectiveAt: iso(w.clock.now + 30 * MINUTE) };
        },
      },
      resume: {
        action: 'resumed',
        kinds: ['resume'],
        prepare: async (w) => {
          const { effectiveAt } = await w.scheduled();
          w.clock.now = effectiveAt;
          return { command: 'resume', market: w.market };
        },
      },
    };
    const identities: Array<[string, { as?: string }, FunctionUrlOptions, string]> = [
      ['`as` locally (no IAM authorizer)', { as: 'suzuki' }, {}, 'suzuki'],
      ['the IAM caller in AWS', {}, { callerArn: OPERATOR_ARN }, OPERATOR_ARN],
      ['the IAM caller, "(as NAME)" appended', { as: 'Suzuki' }, { callerArn: OPERATOR_ARN }, `${OPERATOR_ARN} (as Suzuki)`],
    ];
    const table = Object.keys(cases).flatMap((name) => identities.map(([who, as, options, actor]) => [name, who, as, options, actor] as const));

    // Concurrently: each case has a world of its own, and none compares the whole table.
    it.concurrent.each(table)('%s answers 200 and records %s', async (name, _who, as, options, actor) => {
      // Prepare
      const { action, kinds, prepare } = cases[name]!;
      const w = world();
      const body = await prepare(w);

      // Act
      const reply = await w.send({ ...body, ...as }, options);

      // Assess
      expect(reply.statusCode).toBe(200);
      expect(reply.body).toMatchObject({ ok: true, command: body.command, action, incidentId: expect.any(String), notices: expect.any(Array) });
      const record = await store.incidentRecord(reply.body.incidentId as string);
      expect(record?.timeline.slice(-kinds.length).map((e) => [e.kind, e.actor])).toEqual(kinds.map((kind) => [kind, actor]));
    });

    it('records "anonymous" when there is neither an IAM caller nor `as`', async () => {
      const w = world();
      const incidentId = await w.openIncident();
      const reply = await w.send({ command: 'ack', incidentId });
      expect(reply.statusCode).toBe(200);
      const record = await store.incidentRecord(incidentId);
      expect(record?.incident.acknowledgedBy).toBe('anonymous');
      expect(record?.timeline.at(-1)?.actor).toBe('anonymous');
    });
  });

  describe('ack', () => {
    it('acknowledges an open incident, and a second ack changes nothing', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident();

      // Act
      const first = await w.send({ command: 'ack', incidentId, as: 'suzuki', note: 'on it' });
      const again = await writesNothing(() => w.send({ command: 'ack', incidentId, as: 'tanaka' }));

      // Assess
      expect(first).toEqual({ statusCode: 200, body: { ok: true, command: 'ack', action: 'acknowledged', incidentId, notices: [] } });
      expect(again).toEqual({ statusCode: 200, body: { ok: true, command: 'ack', action: 'unchanged', incidentId, notices: [] } });
      const record = await store.incidentRecord(incidentId);
      expect(record?.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'suzuki', acknowledgedAt: T0 });
      expect(record?.timeline.map((e, i) => [i + 1, e.kind, e.text])).toEqual([
        [1, 'incident-opened', expect.any(String)],
        [2, 'incident-acknowledged', 'Acknowledged. on it'],
      ]);
      expect(record?.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
    });
  });

  describe('annotate', () => {
    it('adds a timeline entry and no notice, leaving the incident as it was', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident();
      const before = await store.incidentRecord(incidentId);

      // Act
      const reply = await w.send({ command: 'annotate', incidentId, note: 'Vendor confirms a memory fault on unit 1.', as: 'suzuki' });

      // Assess
      expect(reply).toEqual({ statusCode: 200, body: { ok: true, command: 'annotate', action: 'annotated', incidentId, notices: [] } });
      const after = await store.incidentRecord(incidentId);
      expect(after?.notices).toEqual(before?.notices);
      expect(after?.incident.status).toBe('open');
      expect(after?.timeline).toHaveLength(2);
      expect(after?.timeline.at(-1)).toMatchObject({ kind: 'annotation', actor: 'suzuki', text: 'Vendor confirms a memory fault on unit 1.', at: T0 });
    });
  });

  describe('announce', () => {
    it('tells participants of an internal incident only when an operator announces it, then numbers the updates', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident('billing');
      const before = await store.incidentRecord(incidentId);

      // Act
      const first = await w.send({ command: 'announce', incidentId, note: 'Billing reports delayed; investigating.', as: 'suzuki' });
      w.clock.advance(10 * MINUTE);
      const second = await w.send({ command: 'announce', incidentId, note: 'Cause found; recovery in 20 minutes.', as: 'suzuki' });

      // Assess
      expect(before?.notices).toEqual([]);
      expect(first).toEqual({
        statusCode: 200,
        body: { ok: true, command: 'announce', action: 'announced', incidentId, notices: [{ noticeId: `${incidentId}-n1`, type: 'incident-opened', sequence: 1 }] },
      });
      expect(second).toEqual({
        statusCode: 200,
        body: { ok: true, command: 'announce', action: 'updated', incidentId, notices: [{ noticeId: `${incidentId}-n2`, type: 'update', sequence: 2 }] },
      });
      const record = await store.incidentRecord(incidentId);
      expect(record?.incident).toMatchObject({ status: 'open', announced: true, noticeSequence: 2 });
      expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type, n.notice.market, n.notice.summary, n.notice.issuedAt])).toEqual([
        [1, 'incident-opened', w.market, 'Billing reports delayed; investigating.', iso(T0)],
        [2, 'update', w.market, 'Cause found; recovery in 20 minutes.', iso(T0 + 10 * MINUTE)],
      ]);
      expect(record?.timeline.map((e) => [e.kind, e.actor])).toEqual([
        ['incident-opened', expect.any(String)],
        ['announced', 'suzuki'],
        ['announced', 'suzuki'],
      ]);
    });

    it('announces an internal incident before the halt declared for it: notices 1 incident-opened, 2 halt', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident('billing');

      // Act
      const reply = await w.send({ command: 'declare-halt', incidentId, market: w.market, as: 'suzuki' });

      // Assess
      expect(reply.statusCode).toBe(200);
      expect(reply.body.notices).toEqual([
        { noticeId: `${incidentId}-n1`, type: 'incident-opened', sequence: 1 },
        { noticeId: `${incidentId}-n2`, type: 'halt', sequence: 2 },
      ]);
      expect((await store.incidentRecord(incidentId))?.incident.announced).toBe(true);
    });

    it('resolves an incident participants were never told of with no notice, and tells on-call', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident('billing');

      // Act
      const reply = await w.send({ command: 'resolve', incidentId, as: 'suzuki' });

      // Assess
      expect(reply).toEqual({ statusCode: 200, body: { ok: true, command: 'resolve', action: 'resolved', incidentId, notices: [] } });
      expect((await store.incidentRecord(incidentId))?.notices).toEqual([]);
      expect((await storedPages(aws.dynamodb, tableName, incidentId)).map((p) => [p.type, p.stage, p.announced])).toEqual([
        ['opened', 'on-call', false],
        ['resolved', 'on-call', false],
      ]);
    });
  });

  describe('resolve', () => {
    it('resolves the incident with an incident-resolved notice', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident();
      w.clock.advance(5 * MINUTE);

      // Act
      const reply = await w.send({ command: 'resolve', incidentId, as: 'suzuki', note: 'Unit 1 replaced.' });

      // Assess
      expect(reply).toEqual({
        statusCode: 200,
        body: { ok: true, command: 'resolve', action: 'resolved', incidentId, notices: [{ noticeId: `${incidentId}-n2`, type: 'incident-resolved', sequence: 2 }] },
      });
      const record = await store.incidentRecord(incidentId);
      expect(record?.incident).toMatchObject({ status: 'resolved', resolvedBy: 'suzuki', resolvedAt: T0 + 5 * MINUTE });
      expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type, n.status])).toEqual([
        [1, 'incident-opened', 'pending'],
        [2, 'incident-resolved', 'pending'],
      ]);
      expect(record?.notices[1]?.notice.detail).toEqual({ resolvedBy: 'suzuki', incidentStartedAt: new Date(T0).toISOString() });
    });
  });

  describe('declare-halt', () => {
    it('halts the market for a named incident, continuing its notice numbers', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident();

      // Act
      const reply = await w.send({ command: 'declare-halt', incidentId, market: w.market, note: 'Shared disk failover failed.', as: 'suzuki' });

      // Assess
      expect(reply).toEqual({
        statusCode: 200,
        body: {
          ok: true,
          command: 'declare-halt',
          action: 'halted',
          incidentId,
          market: { market: w.market, status: 'halted', segments: [], incidentId, haltedAt: iso(T0), timeZone: 'UTC' },
          notices: [{ noticeId: `${incidentId}-n2`, type: 'halt', sequence: 2 }],
        },
      });
      const record = await store.incidentRecord(incidentId);
      expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type])).toEqual([
        [1, 'incident-opened'],
        [2, 'halt'],
      ]);
      expect(record?.notices[1]?.notice).toMatchObject({ market: w.market, segments: [], detail: { reason: 'Shared disk failover failed.', declaredBy: 'operator' } });
      expect(await store.readMarket(w.market)).toMatchObject({ status: 'halted', incidentId, haltedAt: T0 });
    });

    it('opens a manual incident when none is named: notices 1 incident-opened, 2 halt', async () => {
      // Prepare
      const w = world();

      // Act
      const reply = await w.send({ command: 'declare-halt', market: w.market, as: 'suzuki' });

      // Assess
      expect(reply.statusCode).toBe(200);
      const incidentId = reply.body.incidentId as string;
      expect(reply.body).toMatchObject({
        ok: true,
        action: 'halted',
        market: { market: w.market, status: 'halted', incidentId },
        notices: [
          { type: 'incident-opened', sequence: 1 },
          { type: 'halt', sequence: 2 },
        ],
      });
      const record = await store.incidentRecord(incidentId);
      expect(record?.incident).toMatchObject({ status: 'open', severity: 'critical', market: w.market, groupKey: `manual:${incidentId}`, summary: 'Trading halt declared by suzuki' });
      expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type])).toEqual([
        [1, 'incident-opened'],
        [2, 'halt'],
      ]);
      expect(record?.timeline.map((e, i) => [i + 1, e.kind, e.actor])).toEqual([
        [1, 'incident-opened', 'suzuki'],
        [2, 'halt', 'suzuki'],
      ]);
    });

    it('halts only the named segments, and the resumption keeps them', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.openIncident();

      // Act
      const halted = await w.send({ command: 'declare-halt', incidentId, market: w.market, segments: ['first', 'mothers'], as: 'suzuki' });
      const scheduled = await w.send({ command: 'schedule-resume', market: w.market, effectiveAt: iso(T0 + 30 * MINUTE), as: 'suzuki' });

      // Assess
      expect(halted.body.market).toEqual({ market: w.market, status: 'halted', segments: ['first', 'mothers'], incidentId, haltedAt: iso(T0), timeZone: 'UTC' });
      expect(scheduled.body.market).toMatchObject({ status: 'resume-scheduled', segments: ['first', 'mothers'] });
      const record = await store.incidentRecord(incidentId);
      expect(record?.notices.map((n) => [n.notice.type, n.notice.segments])).toEqual([
        ['incident-opened', []],
        ['halt', ['first', 'mothers']],
        ['resume-scheduled', ['first', 'mothers']],
      ]);
    });
  });

  describe('schedule-resume and resume', () => {
    it(`accepts an effectiveAt exactly ${LEAD_MINUTES} minutes ahead, and shows when orders are accepted`, async () => {
      // Prepare
      const w = world();
      const incidentId = await w.halted();
      w.clock.advance(3 * MINUTE);
      const effectiveAt = w.clock.now + LEAD_MINUTES * MINUTE;

      // Act
      const reply = await w.send({ command: 'schedule-resume', market: w.market, effectiveAt: iso(effectiveAt), as: 'suzuki' });

      // Assess
      expect(reply).toEqual({
        statusCode: 200,
        body: {
          ok: true,
          command: 'schedule-resume',
          action: 'resume-scheduled',
          incidentId,
          market: { market: w.market, status: 'resume-scheduled', segments: [], incidentId, haltedAt: iso(T0), resumeAt: iso(effectiveAt), ordersAcceptedFrom: iso(w.clock.now), timeZone: 'UTC' },
          notices: [{ noticeId: `${incidentId}-n3`, type: 'resume-scheduled', sequence: 3 }],
        },
      });
      const notice = (await store.incidentRecord(incidentId))?.notices[2]?.notice;
      expect(notice).toMatchObject({ type: 'resume-scheduled', effectiveAt: iso(effectiveAt), detail: { ordersAcceptedFrom: iso(w.clock.now), rescheduled: false } });
    });

    it('takes an effectiveAt with a +09:00 offset', async () => {
      const w = world();
      await w.halted();
      const reply = await w.send({ command: 'schedule-resume', market: w.market, effectiveAt: '2020-10-01T09:00:00+09:00', as: 'suzuki' });
      expect(reply.statusCode).toBe(200);
      expect(reply.body.market).toMatchObject({ resumeAt: '2020-10-01T00:00:00.000Z', ordersAcceptedFrom: '2020-09-30T23:45:00.000Z' });
    });

    it('resumes trading once the clock reaches effectiveAt', async () => {
      // Prepare
      const w = world();
      const { incidentId, effectiveAt } = await w.scheduled();
      w.clock.now = effectiveAt;

      // Act
      const reply = await w.send({ command: 'resume', market: w.market, as: 'suzuki' });

      // Assess
      expect(reply).toEqual({
        statusCode: 200,
        body: {
          ok: true,
          command: 'resume',
          action: 'resumed',
          incidentId,
          market: { market: w.market, status: 'trading', segments: [], timeZone: 'UTC' },
          notices: [{ noticeId: `${incidentId}-n4`, type: 'resume', sequence: 4 }],
        },
      });
      expect(await store.readMarket(w.market)).toMatchObject({ status: 'trading', updatedAt: effectiveAt });
    });
  });

  it('numbers the notices of one incident 1, 2, 3, 4 with no gaps through the TSE morning', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.openIncident();

    // Act: ack and annotate write no notice, so they must not use a number.
    const replies = [await w.send({ command: 'ack', incidentId, as: 'suzuki' })];
    w.clock.advance(MINUTE);
    replies.push(await w.send({ command: 'declare-halt', incidentId, market: w.market, as: 'suzuki' }));
    replies.push(await w.send({ command: 'annotate', incidentId, note: 'Trading halted all day; resumption tomorrow.', as: 'suzuki' }));
    w.clock.advance(MINUTE);
    const effectiveAt = w.clock.now + 60 * MINUTE;
    replies.push(await w.send({ command: 'schedule-resume', market: w.market, effectiveAt: iso(effectiveAt), as: 'suzuki' }));
    w.clock.now = effectiveAt + MINUTE;
    replies.push(await w.send({ command: 'resume', market: w.market, as: 'suzuki' }));

    // Assess
    expect(replies.map((r) => [r.statusCode, r.body.action])).toEqual([
      [200, 'acknowledged'],
      [200, 'halted'],
      [200, 'annotated'],
      [200, 'resume-scheduled'],
      [200, 'resumed'],
    ]);
    const record = await store.incidentRecord(incidentId);
    expect(record?.notices.map((n) => [n.notice.sequence, n.notice.type, n.notice.noticeId])).toEqual([
      [1, 'incident-opened', `${incidentId}-n1`],
      [2, 'halt', `${incidentId}-n2`],
      [3, 'resume-scheduled', `${incidentId}-n3`],
      [4, 'resume', `${incidentId}-n4`],
    ]);
    expect(record?.timeline.map((e, i) => [i + 1, e.kind])).toEqual([
      [1, 'incident-opened'],
      [2, 'incident-acknowledged'],
      [3, 'halt'],
      [4, 'annotation'],
      [5, 'resume-scheduled'],
      [6, 'resume'],
    ]);
    expect(record?.incident).toMatchObject({ noticeSequence: 4, status: 'acknowledged' });
  });
});
