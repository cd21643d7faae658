import { randomBytes } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import type { TocsinConfigInput } from '../../lambda/core/config';
import { ConcurrentUpdateError } from '../../lambda/core/errors';
import { noChange } from '../../lambda/core/model';
import { requestRecord } from '../../lambda/core/requests';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { createOperateHandler } from '../../lambda/handlers/operate';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, T0, TestClock } from '../helpers/domain';
import { functionUrlEvent, tableItems, type FunctionUrlOptions } from '../helpers/events';

/**
 * Idempotent operator commands end to end (shared/DESIGN.md, "Operator commands (contract
 * additions)"): Function URL events into the operate handler, the real store on DynamoDB Local.
 * A repeat with the same `requestId` answers the first JSON and writes nothing; another body or
 * caller under it is 409; two identical requests racing apply once.
 */

const SUZUKI = 'arn:aws:sts::123456789012:assumed-role/tocsin-operator/suzuki';
const SATO = 'arn:aws:sts::123456789012:assumed-role/tocsin-operator/sato';
const HOUR_SECONDS = 3600;
const iso = (ms: number) => new Date(ms).toISOString();

interface Reply {
  readonly statusCode: number;
  readonly body: Record<string, any>;
}

describe('operate handler: requestId on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;
  let runs = 0;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('operate-requests', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  /** A market of its own (two configured, so commands name theirs), a clock, the handler, and requestIds unique to the run. */
  function world() {
    runs += 1;
    const run = `${runs}-${randomBytes(3).toString('hex')}`;
    const market = `eq-${run}`;
    const config: TocsinConfigInput = {
      markets: [
        { id: market, segments: ['first', 'second'] },
        { id: `drv-${run}`, segments: [] },
      ],
      components: [
        { id: 'shared-disk', market, critical: true, participantFacing: true },
        { id: 'billing', market },
      ],
      policy: { resumeLeadMinutes: 15 },
    };
    const clock = new TestClock(T0, `rq${run}`);
    const context = clock.context(config);
    const operate = createOperateHandler({ store, context });
    let alarms = 0;
    const w = {
      clock,
      market,
      /** A requestId of this run. */
      id: (name: string) => `${name}-${run}`,
      async send(body: unknown, options: FunctionUrlOptions = { callerArn: SUZUKI }): Promise<Reply> {
        const response = await operate(functionUrlEvent(body, options));
        return { statusCode: response.statusCode, body: JSON.parse(response.body) as Record<string, any> };
      },
      /** Opens an incident the way production does: an alarm of `component` through the ingest use case. */
      async openIncident(component = 'shared-disk'): Promise<string> {
        alarms += 1;
        const dedupKey = `arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:${run}-unit-${alarms}`;
        const outcome = await ingestSignal(store, alarm({ dedupKey, market, component }), { context });
        expect(outcome.action).toBe('opened');
        return outcome.incidentId!;
      },
      async halted(): Promise<string> {
        const incidentId = await w.openIncident();
        expect((await w.send({ command: 'declare-halt', incidentId, market })).statusCode).toBe(200);
        return incidentId;
      },
      async notices(incidentId: string) {
        return (await store.incidentRecord(incidentId))!.notices.map((n) => [n.notice.type, n.notice.sequence]);
      },
      async timeline(incidentId: string) {
        return (await store.incidentRecord(incidentId))!.timeline;
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

  it.each<[string, unknown]>([
    ['an empty requestId', ''],
    ['a requestId over 64 characters', 'r'.repeat(65)],
    ['a requestId that is a number', 7],
    ['a requestId that is null', null],
  ])('rejects %s with 400 naming requestId, writing nothing', async (_, requestId) => {
    // Prepare
    const w = world();

    // Act
    const reply = await writesNothing(() => w.send({ command: 'declare-halt', market: w.market, requestId }));

    // Assess
    expect(reply.statusCode).toBe(400);
    expect(reply.body).toEqual({ error: expect.stringMatching(/^invalid command: requestId: /) });
  });

  it('answers a repeated schedule-resume with the same JSON and sends no second resume-scheduled notice', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();
    const command = { command: 'schedule-resume', market: w.market, effectiveAt: iso(T0 + 30 * MINUTE), note: 'orders from 09:15', requestId: w.id('sched') };
    const first = await w.send(command);
    w.clock.advance(MINUTE);

    // Act
    const repeat = await writesNothing(() => w.send({ requestId: command.requestId, note: command.note, effectiveAt: command.effectiveAt, market: w.market, command: 'schedule-resume' }));

    // Assess
    expect(first).toMatchObject({ statusCode: 200, body: { ok: true, action: 'resume-scheduled', incidentId, requestId: command.requestId, notices: [{ type: 'resume-scheduled', sequence: 3 }] } });
    expect(repeat).toEqual(first);
    expect(await w.notices(incidentId)).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['resume-scheduled', 3],
    ]);
  });

  it('adds no second timeline entry for a repeated annotate', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.openIncident();
    const command = { command: 'annotate', incidentId, note: 'vendor engineer on site', requestId: w.id('note') };
    const first = await w.send(command);

    // Act
    const repeat = await w.send(command);

    // Assess
    expect(repeat).toEqual(first);
    expect((await w.timeline(incidentId)).filter((e) => e.text.includes('vendor engineer on site'))).toHaveLength(1);
  });

  it('does not halt twice nor number a second notice for a repeated declare-halt', async () => {
    // Prepare
    const w = world();
    const command = { command: 'declare-halt', market: w.market, note: 'shared disk failure', requestId: w.id('halt') };
    const first = await w.send(command);

    // Act
    const repeat = await writesNothing(() => w.send(command));

    // Assess
    expect(repeat).toEqual(first);
    expect(first.body).toMatchObject({ action: 'halted', market: { status: 'halted' } });
    expect(await w.notices(first.body.incidentId)).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
    ]);
    expect(await store.readMarket(w.market)).toMatchObject({ status: 'halted', incidentId: first.body.incidentId, version: 1 });
  });

  it('keeps the request record a day (expiresAt), with the caller, the body hash and the answer', async () => {
    // Prepare
    const w = world();
    const requestId = w.id('kept');
    const reply = await w.send({ command: 'declare-halt', market: w.market, requestId });

    // Act
    const { Item } = await aws.dynamodb.send(new GetItemCommand({ TableName: tableName, Key: { pk: { S: `REQUEST#${requestId}` }, sk: { S: 'REQUEST' } }, ConsistentRead: true }));

    // Assess
    const item = unmarshall(Item!);
    expect(item).toMatchObject({ entity: 'request', requestId, command: 'declare-halt', actor: SUZUKI, at: T0, answer: reply.body, bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const inADay = Math.floor(Date.now() / 1000) + 24 * HOUR_SECONDS;
    expect(item.expiresAt).toBeGreaterThan(inADay - 60);
    expect(item.expiresAt).toBeLessThanOrEqual(inADay);
  });

  it.each<[string, (w: ReturnType<typeof world>, requestId: string) => Record<string, unknown>, FunctionUrlOptions, RegExp]>([
    ['another body', (w, requestId) => ({ command: 'declare-halt', market: w.market, note: 'another note', requestId }), { callerArn: SUZUKI }, /already used for a different declare-halt command/],
    ['another command', (w, requestId) => ({ command: 'resume', market: w.market, requestId }), { callerArn: SUZUKI }, /already used for a different declare-halt command/],
    ['another caller', (w, requestId) => ({ command: 'declare-halt', market: w.market, note: 'shared disk failure', requestId }), { callerArn: SATO }, /already used by another caller/],
  ])('rejects the same requestId with %s: 409 {error, state} naming it, writing nothing', async (_, repeat, options, message) => {
    // Prepare
    const w = world();
    const requestId = w.id('once');
    expect((await w.send({ command: 'declare-halt', market: w.market, note: 'shared disk failure', requestId })).statusCode).toBe(200);

    // Act
    const reply = await writesNothing(() => w.send(repeat(w, requestId), options));

    // Assess
    expect(reply.statusCode).toBe(409);
    expect(reply.body).toEqual({ error: expect.stringMatching(message), state: { requestId, command: 'declare-halt', requestedAt: iso(T0) } });
    expect(reply.body.error).toContain(`requestId "${requestId}"`);
  });

  it('applies two identical requests sent at once exactly once, and answers both alike', async () => {
    // Prepare
    const w = world();
    const incidentId = await w.halted();
    const command = { command: 'schedule-resume', market: w.market, effectiveAt: iso(T0 + 30 * MINUTE), requestId: w.id('race') };

    // Act
    const replies = await Promise.all([w.send(command), w.send(command), w.send(command)]);

    // Assess
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(replies[1]).toEqual(replies[0]);
    expect(replies[2]).toEqual(replies[0]);
    expect(await w.notices(incidentId)).toEqual([
      ['incident-opened', 1],
      ['halt', 2],
      ['resume-scheduled', 3],
    ]);
  });

  describe('schedule-resume and resume naming the incident', () => {
    it('schedules and resumes for the incident the market is halted for', async () => {
      // Prepare
      const w = world();
      const incidentId = await w.halted();

      // Act
      const scheduled = await w.send({ command: 'schedule-resume', incidentId, effectiveAt: iso(T0 + 20 * MINUTE) });
      w.clock.advance(20 * MINUTE);
      const resumed = await w.send({ command: 'resume', incidentId });

      // Assess
      expect(scheduled).toMatchObject({ statusCode: 200, body: { action: 'resume-scheduled', incidentId } });
      expect(resumed).toMatchObject({ statusCode: 200, body: { action: 'resumed', incidentId, market: { market: w.market, status: 'trading' } } });
    });

    it.each<[string, Record<string, unknown>]>([
      ['schedule-resume', { command: 'schedule-resume', effectiveAt: iso(T0 + 30 * MINUTE) }],
      ['resume', { command: 'resume' }],
    ])('rejects %s naming another open incident with 409 and the market, writing nothing', async (_, command) => {
      // Prepare: the other incident opens first (once halted, the market's alarms join the halting one).
      const w = world();
      const other = await w.openIncident('billing');
      const halting = await w.halted();

      // Act
      const reply = await writesNothing(() => w.send({ ...command, incidentId: other }));

      // Assess
      expect(reply.statusCode).toBe(409);
      expect(reply.body.error).toContain(`for incident ${other}: market ${w.market} is halted for incident ${halting}`);
      expect(reply.body.state).toMatchObject({ market: w.market, status: 'halted', incidentId: halting });
    });
  });

  describe('the store’s request records', () => {
    const later = (hours: number) => new DynamoDbIncidentStore({ tableName, now: () => Date.now() + hours * HOUR_SECONDS * 1000 });

    it('writes a request record only over none: a second commit of the same requestId loses the race', async () => {
      // Prepare
      const requestId = `lone-${randomBytes(4).toString('hex')}`;
      const record = requestRecord({ requestId, command: 'ack', bodySha256: 'a'.repeat(64), actor: 'suzuki' }, { ok: true }, T0);
      await store.commit({ ...noChange('unchanged'), request: record });

      // Act
      const again = store.commit({ ...noChange('unchanged'), request: { ...record, answer: { ok: false } } });

      // Assess
      await expect(again).rejects.toThrow(ConcurrentUpdateError);
      expect(await store.readRequest(requestId)).toEqual(record);
    });

    it('forgets a record past its time: it reads as none, and a new one may be written over it', async () => {
      // Prepare
      const requestId = `old-${randomBytes(4).toString('hex')}`;
      const record = requestRecord({ requestId, command: 'ack', bodySha256: 'b'.repeat(64), actor: 'suzuki' }, { ok: true }, T0);
      await store.commit({ ...noChange('unchanged'), request: record });

      // Act
      const seen = await later(25).readRequest(requestId);
      await later(25).commit({ ...noChange('unchanged'), request: { ...record, at: T0 + 1 } });

      // Assess
      expect(seen).toBeUndefined();
      expect(await later(23).readRequest(requestId)).toMatchObject({ at: T0 + 1 });
    });
  });
});
