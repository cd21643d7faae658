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
          { market: 'equities', status: 'halted', segments: [], incidentId: first, haltedAt: iso(T0 + 2 * MINUTE) },
          { market: 'derivatives', status: 'trading', segments: [] },
        ],
        incidents: [
          { incidentId: first, status: 'acknowledged', severity: 'major', market: 'equities', summary: HOSTILE, openedAt: iso(T0), startedAt: iso(T0), announced: true, escalation: { stage: 'on-call' } },
          { incidentId: second, status: 'open', severity: 'minor', market: 'equities', summary: 'market data feed late',
            openedAt: iso(T0 + MINUTE),
            startedAt: iso(T0),
            // Internal: operators only; on-call paged, the duty manager next while nobody acknowledges.
            announced: false,
            escalation: { stage: 'on-call', next: { stage: 'duty-manager', at: iso(T0 + MINUTE + 300 * SECOND) } },
          },
        ],
        groups: [{ group: 'shared-disk', holder: 'unit-1', epoch: 1 }],
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
    it.each(['/nope', '/incidents', '/incidents/a/b'])('answers 404 {error} for %s', async (path) => {
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
        { market: 'equities', status: 'trading', segments: [] },
        { market: 'derivatives', status: 'trading', segments: [] },
      ],
      incidents: [],
      groups: [],
      silences: [],
      generatedAt: iso(T0),
    });
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
