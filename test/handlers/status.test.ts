import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import type { TocsinConfigInput } from '../../lambda/core/config';
import { recordHeartbeat } from '../../lambda/core/use-cases/heartbeat';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { runCommand } from '../../lambda/core/use-cases/dispatch';
import { createStatusHandler, escapeHtml, prefersHtml } from '../../lambda/handlers/status';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { alarm, MINUTE, SECOND, T0, TestClock } from '../helpers/domain';
import { functionUrlEvent, tableItems } from '../helpers/events';

/**
 * The status Function URL on DynamoDB Local: the JSON the CLI reads (`GET /`, `GET
 * /incidents/<id>`), the HTML a browser gets (escaped), and 404 / 405. Incidents, halts and
 * leases are made by the real use cases.
 */

const CONFIG: TocsinConfigInput = {
  markets: [
    { id: 'equities', segments: ['first', 'second', 'mothers'] },
    { id: 'derivatives', segments: [] },
  ],
  components: [{ id: 'shared-disk', market: 'equities', critical: true }],
  groups: [
    { id: 'shared-disk', nodes: ['unit-1', 'unit-2'] },
    { id: 'nas', nodes: ['nas-1', 'nas-2'] },
  ],
};
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const HOSTILE = '<script>alert("pwned")</script> & <img src=x onerror=alert(1)>';
const iso = (ms: number) => new Date(ms).toISOString();

function get(path: string, accept?: string, method = 'GET'): Record<string, unknown> {
  const event = functionUrlEvent('', { method, path }) as { headers: Record<string, string>; body?: string };
  const headers: Record<string, string> = { ...event.headers };
  delete headers['content-type'];
  if (accept !== undefined) headers.accept = accept;
  else delete headers.accept;
  const { body: _, ...rest } = event;
  return { ...rest, headers };
}

describe('status handler on DynamoDB Local', () => {
  let aws: TestAws;
  let tableName: string;
  let handler: ReturnType<typeof createStatusHandler>;
  let clock: TestClock;
  let first: string;
  let second: string;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('status', aws)).tableName;
    const store = new DynamoDbIncidentStore({ tableName });
    clock = new TestClock(T0, 'st');
    const context = clock.context(CONFIG);
    handler = createStatusHandler({ store, context });

    // A lease for shared-disk (none for nas), two incidents, a halt and an ack on the first.
    await recordHeartbeat(store, { group: 'shared-disk', nodeId: 'unit-1', ready: true }, { context });
    first = (await ingestSignal(store, alarm({ dedupKey: 'arn:status:1', summary: HOSTILE }), { context })).incidentId!;
    clock.advance(MINUTE);
    second = (await ingestSignal(store, alarm({ dedupKey: 'arn:status:2', summary: 'market data feed late', severity: 'minor' }), { context })).incidentId!;
    clock.advance(MINUTE);
    await runCommand(store, { command: 'declare-halt', incidentId: first, market: 'equities', note: HOSTILE }, 'tanaka', { context });
    await runCommand(store, { command: 'ack', incidentId: first }, 'suzuki', { context });
    clock.advance(MINUTE);
  });
  afterAll(() => aws.destroy());

  const call = async (path: string, accept?: string, method?: string) => {
    const response = await handler(get(path, accept, method));
    return { ...response, json: () => JSON.parse(response.body) as Record<string, any> };
  };

  describe('GET / (JSON)', () => {
    it('has every configured market, the open incidents oldest first, the held leases and the time', async () => {
      // Act
      const response = await call('/', 'application/json');

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.json()).toEqual({
        markets: [
          { market: 'equities', status: 'halted', segments: [], incidentId: first, haltedAt: iso(T0 + 2 * MINUTE), timeZone: 'UTC' },
          { market: 'derivatives', status: 'trading', segments: [], timeZone: 'UTC' },
        ],
        incidents: [
          { incidentId: first, status: 'acknowledged', severity: 'major', market: 'equities', summary: HOSTILE, openedAt: iso(T0), startedAt: iso(T0), announced: true, escalation: { stage: 'on-call' }, timeZone: 'UTC' },
          { incidentId: second, status: 'open', severity: 'minor', market: 'equities', summary: 'market data feed late',
            openedAt: iso(T0 + MINUTE),
            startedAt: iso(T0),
            // Internal: operators only; on-call paged, the duty manager next while nobody acknowledges.
            announced: false,
            escalation: { stage: 'on-call', next: { stage: 'duty-manager', at: iso(T0 + MINUTE + 300 * SECOND) } },
            timeZone: 'UTC',
          },
        ],
        groups: [{ group: 'shared-disk', holder: 'unit-1', epoch: 1, timeZone: 'UTC' }],
        silences: [],
        generatedAt: iso(T0 + 3 * MINUTE),
      });
    });

    it('answers JSON to a client that accepts anything, or says nothing', async () => {
      for (const accept of [undefined, '*/*', 'application/json, text/html']) {
        const response = await call('/', accept);
        expect(response.headers['content-type']).toBe('application/json');
        expect(Object.keys(response.json()).sort()).toEqual(['generatedAt', 'groups', 'incidents', 'markets', 'silences']);
      }
    });
  });

  describe('GET /incidents/<id> (JSON)', () => {
    it('has the incident, its timeline and its notices', async () => {
      // Act
      const response = await call(`/incidents/${first}`);
      const body = response.json();

      // Assess
      expect(response.statusCode).toBe(200);
      expect(Object.keys(body).sort()).toEqual(['incident', 'notices', 'timeline']);
      expect(body.incident).toEqual({
        incidentId: first,
        status: 'acknowledged',
        severity: 'major',
        market: 'equities',
        summary: HOSTILE,
        openedAt: iso(T0),
        startedAt: iso(T0),
        announced: true,
        // Acknowledged: escalation stopped at on-call.
        escalation: { stage: 'on-call' },
        acknowledgedAt: iso(T0 + 2 * MINUTE),
        acknowledgedBy: 'suzuki',
        alarms: 1,
        alarmsFiring: 1,
        timeZone: 'UTC',
      });
      expect(body.timeline.map((e: any) => [e.sequence, e.kind, e.actor])).toEqual([
        [1, 'incident-opened', expect.any(String)],
        [2, 'halt', 'tanaka'],
        [3, 'incident-acknowledged', 'suzuki'],
      ]);
      for (const entry of body.timeline) {
        expect(Object.keys(entry).sort()).toEqual(['actor', 'at', 'entryId', 'kind', 'sequence', 'text']);
        expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
      // A major alarm is not announced by itself: participants heard of the incident when the market was halted for it.
      expect(body.notices).toEqual([
        { noticeId: expect.any(String), sequence: 1, type: 'incident-opened', status: 'pending', issuedAt: iso(T0 + 2 * MINUTE), summary: expect.any(String) },
        { noticeId: expect.any(String), sequence: 2, type: 'halt', status: 'pending', issuedAt: iso(T0 + 2 * MINUTE), summary: expect.stringContaining('Trading halted') },
      ]);
    });

    it('answers 404 for an unknown incident', async () => {
      const response = await call('/incidents/inc-nope');
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: 'unknown incident "inc-nope"' });
    });
  });

  describe('HTML for a browser', () => {
    it('shows the market status and the open incidents, escaping what alarms and operators wrote', async () => {
      // Act
      const response = await call('/', BROWSER);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.headers['content-security-policy']).toMatch(/default-src 'none'/);
      expect(response.body).toMatch(/^<!doctype html>/);
      expect(response.body).toContain('equities: HALTED');
      expect(response.body).toContain('derivatives: TRADING');
      expect(response.body).toContain(`href="/incidents/${first}"`);
      expect(response.body).toContain(escapeHtml(HOSTILE));
      expect(response.body).not.toContain('<script');
      expect(response.body).not.toContain('<img');
    });

    it('shows an incident with its timeline, escaped', async () => {
      // Act
      const response = await call(`/incidents/${first}`, BROWSER);

      // Assess
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain('&#60;script&#62;alert(&#34;pwned&#34;)&#60;/script&#62; &#38; &#60;img');
      expect(response.body).toContain('incident-acknowledged');
      expect(response.body).not.toContain('<script');
      expect(response.body).not.toContain('<img');
    });

    it('escapes an incident id in the path of a 404 page', async () => {
      const response = await call(`/incidents/${encodeURIComponent('<b>x</b>')}`, BROWSER);
      expect(response.statusCode).toBe(404);
      expect(response.body).toContain('unknown incident &#34;&#60;b&#62;x&#60;/b&#62;&#34;');
      expect(response.body).not.toContain('<b>');
    });
  });

  describe('refusals', () => {
    it.each(['/nope', '/incidentsx', '/incidents/a/b'])('answers 404 {error} for %s', async (path) => {
      const response = await call(path);
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ error: expect.stringContaining(JSON.stringify(path)) });
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH'])('answers 405 to %s with allow: GET, and writes nothing', async (method) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const response = await call('/', undefined, method);
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET');
      expect(response.json()).toEqual({ error: `method ${method} is not allowed; use GET` });
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    });

    it('answers HEAD like GET, without a body', async () => {
      const response = await call('/', undefined, 'HEAD');
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body).toBe('');
    });
  });
});

describe('GET /incidents: every incident, open or resolved, newest first, paged (gsi2)', () => {
  let aws: TestAws;
  let handler: ReturnType<typeof createStatusHandler>;
  /** Oldest first, as opened. */
  const opened: string[] = [];
  let resolved: string;

  beforeAll(async () => {
    aws = testClients();
    const { tableName } = await createTestResources('status-list', aws);
    const store = new DynamoDbIncidentStore({ tableName });
    const clock = new TestClock(T0, 'sl');
    const context = clock.context(CONFIG);
    handler = createStatusHandler({ store, context });
    // Five incidents a minute apart; the second is resolved, the fourth acknowledged.
    for (let n = 1; n <= 5; n += 1) {
      opened.push((await ingestSignal(store, alarm({ dedupKey: `arn:list:${n}`, summary: `fault ${n}` }), { context })).incidentId!);
      clock.advance(MINUTE);
    }
    resolved = opened[1]!;
    await runCommand(store, { command: 'resolve', incidentId: resolved, note: 'fixed' }, 'tanaka', { context });
    await runCommand(store, { command: 'ack', incidentId: opened[3]! }, 'tanaka', { context });
  });
  afterAll(() => aws.destroy());

  const list = async (query: Record<string, string>, accept?: string) => {
    const event = get('/incidents', accept);
    const response = await handler({ ...event, queryStringParameters: query });
    return { ...response, json: () => JSON.parse(response.body) as Record<string, any> };
  };

  it('lists them all, resolved ones too, newest first, in pages of `limit`, with a `next` token until the last page', async () => {
    // Act
    const first = await list({ limit: '2', all: 'true' });
    const second = await list({ limit: '2', next: first.json().next });
    const third = await list({ limit: '2', next: second.json().next });

    // Assess
    const ids = (r: { json(): Record<string, any> }) => r.json().incidents.map((i: { incidentId: string }) => i.incidentId);
    expect([first.statusCode, second.statusCode, third.statusCode]).toEqual([200, 200, 200]);
    expect([...ids(first), ...ids(second), ...ids(third)]).toEqual([...opened].reverse());
    expect(first.json().next).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(third.json()).not.toHaveProperty('next');
    expect(second.json().incidents.map((i: { status: string }) => i.status)).toEqual(['open', 'resolved']);
    expect(second.json().incidents[1]).toMatchObject({ incidentId: resolved, status: 'resolved', resolvedAt: expect.stringMatching(/Z$/), summary: 'fault 2', timeZone: 'UTC' });
    expect(first.json()).toMatchObject({ incidents: [{ status: 'open' }, { status: 'acknowledged' }], generatedAt: expect.stringMatching(/Z$/) });
  });

  it('gives 50 a page by default, and no `next` when everything fits', async () => {
    const response = await list({});

    expect(response.json().incidents).toHaveLength(5);
    expect(response.json()).not.toHaveProperty('next');
  });

  it('ends with a full last page and no `next` (it asks one more than the page to know)', async () => {
    const response = await list({ limit: '5' });

    expect(response.json().incidents).toHaveLength(5);
    expect(response.json()).not.toHaveProperty('next');
  });

  it.each([
    [{ limit: '0' }, 'limit: expected a whole number from 1 to 200, got "0"'],
    [{ limit: '201' }, 'limit: expected a whole number from 1 to 200, got "201"'],
    [{ limit: 'ten' }, 'limit: expected a whole number from 1 to 200, got "ten"'],
    [{ next: 'not a token' }, 'next: expected the "next" token of a previous page, got "not a token"'],
    [{ next: Buffer.from('INCIDENT#x').toString('base64url') }, 'next: expected the "next" token of a previous page'],
  ])('rejects %j with 400 naming the parameter', async (query, message) => {
    const response = await list(query);

    expect(response.statusCode).toBe(400);
    expect(response.json().error).toContain(message);
  });

  it('renders the page for a browser, with a link to the older incidents', async () => {
    const response = await list({ limit: '2' }, BROWSER);

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain(`href="/incidents/${opened[4]}"`);
    expect(response.body).toMatch(/<a href="\/incidents\?limit=2&amp;next=[A-Za-z0-9_-]+">Older incidents<\/a>/);
  });
});

describe('status handler on an empty store', () => {
  let aws: TestAws;
  afterAll(() => aws.destroy());

  it('shows every configured market trading, no incidents and no leases', async () => {
    // Prepare
    aws = testClients();
    const { tableName } = await createTestResources('status-empty', aws);
    const handler = createStatusHandler({ store: new DynamoDbIncidentStore({ tableName }), context: new TestClock(T0).context(CONFIG) });

    // Act
    const response = await handler(get('/'));

    // Assess
    expect(JSON.parse(response.body)).toEqual({
      markets: [
        { market: 'equities', status: 'trading', segments: [], timeZone: 'UTC' },
        { market: 'derivatives', status: 'trading', segments: [], timeZone: 'UTC' },
      ],
      incidents: [],
      groups: [],
      silences: [],
      generatedAt: iso(T0),
    });
  });
});

describe('status handler in market time', () => {
  // Tokyo equities and a New York market: each view names the zone its instants belong to, and
  // the HTML shows them on that clock, the ISO instant kept in <time datetime>.
  const ZONED: TocsinConfigInput = {
    markets: [
      { id: 'equities', segments: ['prime'], timeZone: 'Asia/Tokyo' },
      { id: 'nyse', segments: [], timeZone: 'America/New_York' },
    ],
    components: [{ id: 'shared-disk', market: 'equities', critical: true }],
    groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'], drills: true }],
    policy: { resumeLeadMinutes: 15 },
  };
  let aws: TestAws;
  let handler: ReturnType<typeof createStatusHandler>;
  let incidentId: string;
  const call = async (path: string, accept?: string) => {
    const response = await handler(get(path, accept));
    return { ...response, json: () => JSON.parse(response.body) as Record<string, any> };
  };

  beforeAll(async () => {
    aws = testClients();
    const { tableName } = await createTestResources('status-zoned', aws);
    const store = new DynamoDbIncidentStore({ tableName });
    const clock = new TestClock(T0, 'zn');
    const context = clock.context(ZONED);
    handler = createStatusHandler({ store, context });

    // 07:04 Tokyo: a lease, an alarm, a halt; at 07:05 a resumption at 09:00 Tokyo; a drill; a silence per market.
    await recordHeartbeat(store, { group: 'shared-disk', nodeId: 'unit-1', ready: true }, { context });
    incidentId = (await ingestSignal(store, alarm({ dedupKey: 'arn:zoned:1', market: 'equities' }), { context })).incidentId!;
    await runCommand(store, { command: 'declare-halt', incidentId, market: 'equities', note: 'shared disk failure' }, 'tanaka', { context });
    clock.advance(MINUTE);
    await runCommand(store, { command: 'schedule-resume', market: 'equities', effectiveAt: '2020-10-01T09:00:00+09:00' }, 'tanaka', { context });
    await runCommand(store, { command: 'drill', group: 'shared-disk' }, 'tanaka', { context });
    await runCommand(store, { command: 'silence', matchers: { market: 'nyse' }, until: '2020-10-01T01:00:00Z', note: 'NYSE maintenance' }, 'suzuki', { context });
    await runCommand(store, { command: 'silence', matchers: { component: 'shared-disk' }, until: '2020-10-01T00:00:00Z', note: 'disk patching' }, 'suzuki', { context });
  });
  afterAll(() => aws.destroy());

  it("names each view's zone: a market's own, an incident's market's, a group's and a silence's by their market", async () => {
    // Act
    const body = (await call('/', 'application/json')).json();

    // Assess
    expect(body.markets).toEqual([
      expect.objectContaining({ market: 'equities', status: 'resume-scheduled', resumeAt: '2020-10-01T00:00:00.000Z', timeZone: 'Asia/Tokyo' }),
      { market: 'nyse', status: 'trading', segments: [], timeZone: 'America/New_York' },
    ]);
    expect(body.incidents).toEqual([expect.objectContaining({ incidentId, market: 'equities', timeZone: 'Asia/Tokyo' })]);
    expect(body.groups).toEqual([expect.objectContaining({ group: 'shared-disk', drillUntil: expect.any(String), timeZone: 'Asia/Tokyo' })]);
    expect(body.silences.map((x: any) => [x.note, x.timeZone])).toEqual([
      ['disk patching', 'Asia/Tokyo'],
      ['NYSE maintenance', 'America/New_York'],
    ]);
    expect((await call(`/incidents/${incidentId}`)).json().incident.timeZone).toBe('Asia/Tokyo');
  });

  it('shows the overview in each market\'s time, the zone named, and the ISO instant in <time datetime>', async () => {
    // Act
    const { body } = await call('/', BROWSER);

    // Assess
    expect(body).toContain('resumes at <time datetime="2020-10-01T00:00:00.000Z">2020-10-01 09:00:00 Japan Standard Time</time>');
    expect(body).toContain('orders accepted from <time datetime="2020-09-30T23:45:00.000Z">2020-10-01 08:45:00 Japan Standard Time</time>');
    expect(body).toContain('halted at <time datetime="2020-09-30T22:04:00.000Z">2020-10-01 07:04:00 Japan Standard Time</time>');
    expect(body).toContain('<time datetime="2020-10-01T01:00:00.000Z">2020-09-30 21:00:00 Eastern Daylight Time</time>');
    expect(body).toContain('Generated at <time datetime="2020-09-30T22:05:00.000Z">2020-10-01 07:05:00 Japan Standard Time</time>');
    // No instant is shown on the UTC clock: every ISO string stays inside an attribute.
    expect(body.replace(/datetime="[^"]*"/g, '')).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  it('shows an incident, its timeline and its notices on its market\'s clock', async () => {
    // Act
    const { body } = await call(`/incidents/${incidentId}`, BROWSER);

    // Assess
    expect(body).toContain('<tr><th>Opened</th><td><time datetime="2020-09-30T22:04:00.000Z">2020-10-01 07:04:00 Japan Standard Time</time></td></tr>');
    // The resumption's timeline text is market time too, written so by the market rules.
    expect(body).toContain('resumes at 2020-10-01 09:00:00 Japan Standard Time; orders accepted from 2020-10-01 08:45:00 Japan Standard Time.');
    expect(body.replace(/datetime="[^"]*"/g, '')).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });
});

describe('prefersHtml', () => {
  it.each([
    [BROWSER, true],
    ['text/html', true],
    ['text/*', true],
    ['application/json', false],
    ['*/*', false],
    ['', false],
    [undefined, false],
    ['application/json;q=0.5, text/html', true],
    ['text/html;q=0.5, application/json', false],
    ['text/html;q=0', false],
  ])('%s → %s', (accept, expected) => {
    expect(prefersHtml(accept)).toBe(expected);
  });
});
