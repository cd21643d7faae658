import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { DynamoDbRateLimiter } from '../../lambda/adapters/dynamodb-rate-limiter';
import { ALERTMANAGER_MAX_ALERTS } from '../../lambda/adapters/inbound/alertmanager';
import { tokenSha256 } from '../../lambda/adapters/monitor-auth';
import { metrics } from '../../lambda/adapters/observability';
import { parseConfig, type TocsinConfigInput } from '../../lambda/core/config';
import { failoverKey, readinessKey, readinessSignal } from '../../lambda/core/lease';
import { ingestSignal } from '../../lambda/core/use-cases/ingest-signal';
import { createIngestHandler } from '../../lambda/handlers/ingest';
import { createMonitorHandler } from '../../lambda/handlers/monitor';
import { createOperateHandler } from '../../lambda/handlers/operate';
import { createHeartbeatHandler } from '../../lambda/handlers/heartbeat';
import { createTestResources, testClients, uniquePrefix, type TestAws } from '../helpers/aws';
import { MINUTE, SECOND, TestClock } from '../helpers/domain';
import { functionUrlEvent, tableItems } from '../helpers/events';
import { loadFixture } from '../helpers/fixtures';

/**
 * The monitor handler end to end on DynamoDB Local: bearer tokens, the rate limit, the three
 * paths, and hostile input on every way in (monitor URL, IAM ingest URL, operate, heartbeat).
 */

const PROMETHEUS_TOKEN = 'tcs_prometheus_5b2f9c8e1d7a4f6b3c0e9d8a7b6c5d4e';
const GRAFANA_TOKEN = 'tcs_grafana_0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const CONFIG: TocsinConfigInput = {
  markets: [{ id: 'equities', segments: [] }],
  components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
  groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
  monitors: [
    { id: 'prometheus', tokenSha256: tokenSha256(PROMETHEUS_TOKEN) },
    { id: 'grafana', tokenSha256: tokenSha256(GRAFANA_TOKEN), ratePerMinute: 3 },
  ],
};

interface Answer {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly json: any;
}

const monitorEvent = (overrides: Record<string, unknown> = {}) => ({
  dedupKey: 'arrowhead/shared-disk/unit-1/memory',
  status: 'firing',
  severity: 'critical',
  component: 'shared-disk',
  market: 'equities',
  summary: 'Memory fault on unit 1',
  occurredAt: '2020-10-01T07:04:13+09:00',
  ...overrides,
});

describe('monitor handler', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('monitor', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  /** A clock whose incident ids no other test of this file uses (they share the table). */
  const clock = () => new TestClock(Date.parse('2020-10-01T07:05:00+09:00'), uniquePrefix('inc'));

  function monitorAt(at: TestClock, config: TocsinConfigInput = CONFIG) {
    const handler = createMonitorHandler({ store, limiter: new DynamoDbRateLimiter(tableName), context: at.context(config), newDedupKey: () => 'generated-key-0001' });
    return async (body: unknown, options: { path?: string; token?: string | null; method?: string; contentType?: string; authorization?: string } = {}): Promise<Answer> => {
      const event = functionUrlEvent(body, { path: options.path ?? '/', method: options.method ?? 'POST', contentType: options.contentType ?? 'application/json' });
      const authorization = options.authorization ?? (options.token === null ? undefined : `Bearer ${options.token ?? PROMETHEUS_TOKEN}`);
      (event as { headers: Record<string, string> }).headers = { ...(event.headers as Record<string, string>), ...(authorization === undefined ? {} : { authorization }) };
      const response = await handler(event);
      return { statusCode: response.statusCode, headers: response.headers, json: response.body ? JSON.parse(response.body) : undefined };
    };
  }

  async function timelineOf(incidentId: string) {
    return (await store.incidentRecord(incidentId))!.timeline;
  }

  describe('refuses a request without a valid bearer token with one generic 401, writing nothing', () => {
    it.each([
      ['no Authorization header', { token: null }],
      ['a wrong token', { token: 'tcs_wrong' }],
      ['a malformed header', { authorization: 'Bearer' }],
      ['another scheme', { authorization: `Basic ${Buffer.from(`x:${PROMETHEUS_TOKEN}`).toString('base64')}` }],
      ['the digest instead of the token', { token: tokenSha256(PROMETHEUS_TOKEN) }],
      ['a valid token on an unknown path', { token: 'tcs_wrong', path: '/admin' }],
      ['a PagerDuty event without a header whose routing_key is wrong', { token: null, path: '/pagerduty/v2/enqueue' }],
    ])('%s', async (_, options) => {
      // Prepare
      const before = await tableItems(aws.dynamodb, tableName);
      const counted = jest.spyOn(metrics, 'addMetric');

      // Act
      const path = (options as { path?: string }).path;
      const answer = await monitorAt(clock())(path === '/pagerduty/v2/enqueue' ? { ...loadFixture('pagerduty/trigger.json'), routing_key: 'wrong' } : monitorEvent(), options);

      // Assess
      expect(answer).toEqual({ statusCode: 401, headers: expect.objectContaining({ 'www-authenticate': 'Bearer realm="tocsin"' }), json: { error: 'missing or invalid bearer token' } });
      expect(counted).toHaveBeenCalledWith('MonitorRequestsUnauthorized', 'Count', 1);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
      counted.mockRestore();
    });
  });

  describe('POST / (Tocsin monitor event)', () => {
    it('opens an incident whose timeline names the monitor as the source, under the monitor’s own key', async () => {
      // Act
      const answer = await monitorAt(clock())(monitorEvent({ dedupKey: uniquePrefix('unit-1') }));

      // Assess
      expect(answer).toMatchObject({ statusCode: 202, json: { incidentId: expect.any(String), action: 'opened' } });
      const [opened] = await timelineOf(answer.json.incidentId);
      expect(opened).toMatchObject({
        kind: 'incident-opened',
        actor: expect.stringMatching(/^alarm:monitor:prometheus:t-unit-1-/),
        data: { source: 'monitor', monitor: 'prometheus', dedupKey: expect.stringMatching(/^monitor:prometheus:/) },
      });
    });

    it('keeps integers beyond 2^53 in details as strings of their digits', async () => {
      const body = `{"dedupKey":"${uniquePrefix('ns')}","status":"firing","severity":"major","component":"shared-disk","summary":"s","occurredAt":"2020-10-01T07:04:13+09:00","details":{"ns":1601535853482339012,"nested":{"id":-18446744073709551615}}}`;
      const answer = await monitorAt(clock())(body);

      expect(answer.statusCode).toBe(202);
      const [opened] = await timelineOf(answer.json.incidentId);
      expect(opened!.data).toMatchObject({ ns: '1601535853482339012', nested: { id: '-18446744073709551615' } });
    });
  });

  describe('dedup keys are namespaced by source: no monitor can touch another source’s alarms', () => {
    it.each([
      ['readiness', readinessKey('shared-disk')],
      ['failover', failoverKey('shared-disk')],
    ])("a monitor's resolve of Tocsin's %s key leaves Tocsin's incident open", async (_, key) => {
      // Prepare: Tocsin's own critical "No failover capacity" incident (its key is the readiness key)
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources('own', aws)).tableName });
      const at = clock();
      const group = parseConfig(CONFIG).groups[0]!;
      const signal = { ...readinessSignal(group, undefined, [], at.now), dedupKey: key };
      const opened = await ingestSignal(own, signal, { context: at.context(CONFIG) });
      at.advance(MINUTE);
      const handler = createMonitorHandler({ store: own, limiter: new DynamoDbRateLimiter(tableName), context: at.context(CONFIG) });
      const ingest = createIngestHandler({ store: own, context: at.context(CONFIG) });
      const resolved = monitorEvent({ dedupKey: key, status: 'resolved', occurredAt: new Date(at.now).toISOString() });

      // Act: through the monitor URL and through the IAM ingest URL
      const viaMonitor = await handler({ ...functionUrlEvent(resolved), headers: { 'content-type': 'application/json', authorization: `Bearer ${PROMETHEUS_TOKEN}` } });
      const viaIngest = (await ingest(functionUrlEvent(resolved))) as { statusCode: number; body: string };
      at.advance(5 * MINUTE);

      // Assess: both answered for their own namespace; Tocsin's incident is untouched
      expect(viaMonitor.statusCode).toBe(202);
      expect(JSON.parse(viaMonitor.body)).toMatchObject({ action: 'recorded' });
      expect(JSON.parse(viaIngest.body)).toMatchObject({ action: 'recorded' });
      const incident = await own.readIncident(opened.incidentId!);
      expect(incident!.status).toBe('open');
      expect(incident!.resolvePendingSince).toBeUndefined();
      expect((await own.incidentRecord(opened.incidentId!))!.timeline.map((e) => e.kind)).toEqual(['incident-opened']);
      expect(await own.readAlarm(key)).toMatchObject({ status: 'firing' });
      expect(await own.readAlarm(`monitor:prometheus:${key}`)).toMatchObject({ status: 'resolved' });
      expect(await own.readAlarm(`ingest:${key}`)).toMatchObject({ status: 'resolved' });
    });

    it("one monitor's key is not another's", async () => {
      const at = clock();
      const key = uniquePrefix('shared-key');
      const first = await monitorAt(at)(monitorEvent({ dedupKey: key }));
      const second = await monitorAt(at)(monitorEvent({ dedupKey: key }), { token: GRAFANA_TOKEN });

      expect(first.json.action).toBe('opened');
      expect(second.json.action).toBe('opened');
      expect(second.json.incidentId).not.toBe(first.json.incidentId);
    });
  });

  describe('POST /alertmanager', () => {
    it('opens one incident per alert, then the resolved webhook starts its auto-resolve', async () => {
      // Prepare: a table of its own, since the fixtures' fingerprints are fixed
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources('am', aws)).tableName });
      const at = clock();
      const handler = createMonitorHandler({ store: own, limiter: new DynamoDbRateLimiter(tableName), context: at.context(CONFIG) });
      const post = async (body: unknown) => {
        const response = await handler({ ...functionUrlEvent(body, { path: '/alertmanager' }), headers: { 'content-type': 'application/json', authorization: `Bearer ${PROMETHEUS_TOKEN}` } });
        return { statusCode: response.statusCode, json: JSON.parse(response.body) };
      };

      // Act
      const firing = await post(loadFixture('alertmanager/shared-disk-firing.json'));
      at.advance(30 * SECOND);
      const again = await post(loadFixture('alertmanager/shared-disk-firing.json'));
      at.advance(30 * SECOND);
      const resolved = await post(loadFixture('alertmanager/shared-disk-resolved.json'));

      // Assess
      expect(firing).toEqual({
        statusCode: 202,
        json: {
          alerts: 2,
          results: [
            { key: '5f8e3c0a91d2b7e4', incidentId: expect.any(String), action: 'opened' },
            { key: 'a03b77c2e1f0d945', incidentId: expect.any(String), action: 'opened' },
          ],
        },
      });
      expect(again.json.results.map((r: { action: string }) => r.action)).toEqual(['duplicate', 'duplicate']);
      expect(resolved.json.results).toEqual([{ key: '5f8e3c0a91d2b7e4', incidentId: firing.json.results[0].incidentId, action: 'resolve-pending' }]);
      const disk = await own.incidentRecord(firing.json.results[0].incidentId);
      expect(disk!.incident).toMatchObject({ component: 'shared-disk', severity: 'critical', market: 'equities', summary: 'Memory fault on unit 1 of the shared disk', resolvePendingSince: at.now });
      expect(disk!.timeline.find((e) => e.kind === 'incident-opened')).toMatchObject({ data: { monitor: 'prometheus', source: 'monitor', via: 'alertmanager', fingerprint: '5f8e3c0a91d2b7e4' } });
      expect(disk!.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
      const feed = await own.readIncident(firing.json.results[1].incidentId);
      expect(feed).toMatchObject({ component: 'market-data', severity: 'minor', status: 'open' });
    });

    it(`refuses ${ALERTMANAGER_MAX_ALERTS + 1} alerts in one webhook with 400, writing nothing`, async () => {
      const before = await tableItems(aws.dynamodb, tableName);
      const alert = loadFixture('alertmanager/documented-example.json').alerts[0];
      const body = { ...loadFixture('alertmanager/documented-example.json'), alerts: Array.from({ length: ALERTMANAGER_MAX_ALERTS + 1 }, (_, i) => ({ ...alert, fingerprint: `f${i}` })) };

      const answer = await monitorAt(clock())(body, { path: '/alertmanager' });

      expect(answer).toMatchObject({ statusCode: 400, json: { error: 'invalid Alertmanager webhook: alerts: must have at most 1000 items, got 1001' } });
      const after = await tableItems(aws.dynamodb, tableName);
      expect(after.filter((item) => !String((item.pk as { S: string }).S).startsWith('RATE#'))).toEqual(before.filter((item) => !String((item.pk as { S: string }).S).startsWith('RATE#')));
    });
  });

  describe('POST /pagerduty/v2/enqueue', () => {
    it('answers as PagerDuty does: trigger opens, acknowledge acknowledges as the monitor, resolve starts the auto-resolve', async () => {
      // Prepare
      const at = clock();
      const post = monitorAt(at);
      const key = uniquePrefix('pd');
      const event = (file: string) => ({ ...loadFixture(`pagerduty/${file}.json`), dedup_key: key });

      // Act
      const triggered = await post(event('trigger'), { path: '/pagerduty/v2/enqueue' });
      at.advance(SECOND);
      const acknowledged = await post(event('acknowledge'), { path: '/pagerduty/v2/enqueue' });
      at.advance(SECOND);
      const resolved = await post(event('resolve'), { path: '/pagerduty/v2/enqueue' });

      // Assess
      for (const answer of [triggered, acknowledged, resolved]) {
        expect(answer).toMatchObject({ statusCode: 202, json: { status: 'success', message: 'Event processed', dedup_key: key } });
      }
      const alarm = await store.readAlarm(`monitor:prometheus:${key}`);
      const record = await store.incidentRecord(alarm!.incidentId!);
      expect(record!.incident).toMatchObject({ status: 'acknowledged', acknowledgedBy: 'monitor:prometheus', component: 'postgres', severity: 'critical', resolvePendingSince: at.now });
      expect(record!.timeline.map((e) => [e.kind, e.actor])).toEqual([
        ['incident-opened', `alarm:monitor:prometheus:${key}`],
        ['incident-acknowledged', 'monitor:prometheus'],
        ['alarm-resolved', `alarm:monitor:prometheus:${key}`],
        ['resolve-pending', expect.any(String)],
      ]);
    });

    it('generates and returns a dedup_key for a trigger without one', async () => {
      const answer = await monitorAt(clock())(loadFixture('pagerduty/trigger-without-dedup-key.json'), { path: '/pagerduty/v2/enqueue' });

      expect(answer).toMatchObject({ statusCode: 202, json: { status: 'success', message: 'Event processed', dedup_key: 'generated-key-0001' } });
      expect(await store.readAlarm('monitor:prometheus:generated-key-0001')).toMatchObject({ status: 'firing' });
    });

    it('takes the routing_key as the token when no Authorization header is sent (PagerDuty integrations send none)', async () => {
      const key = uniquePrefix('rk');
      const answer = await monitorAt(clock())({ ...loadFixture('pagerduty/trigger.json'), routing_key: GRAFANA_TOKEN, dedup_key: key }, { path: '/pagerduty/v2/enqueue', token: null });

      expect(answer.statusCode).toBe(202);
      expect(await store.readAlarm(`monitor:grafana:${key}`)).toMatchObject({ status: 'firing' });
    });

    it('accepts an acknowledge or resolve of a key it never saw, changing nothing, as PagerDuty does', async () => {
      const before = await tableItems(aws.dynamodb, tableName);
      const ack = await monitorAt(clock())({ event_action: 'acknowledge', dedup_key: uniquePrefix('never') }, { path: '/pagerduty/v2/enqueue' });
      const resolve = await monitorAt(clock())({ event_action: 'resolve', dedup_key: uniquePrefix('never') }, { path: '/pagerduty/v2/enqueue' });

      expect([ack.statusCode, resolve.statusCode]).toEqual([202, 202]);
      const withoutRates = (items: Record<string, unknown>[]) => items.filter((item) => !String((item.pk as { S: string }).S).startsWith('RATE#'));
      expect(withoutRates(await tableItems(aws.dynamodb, tableName))).toEqual(withoutRates(before));
    });

    it.each([
      ['an unknown severity', { ...loadFixture('pagerduty/trigger.json'), payload: { ...loadFixture('pagerduty/trigger.json').payload, severity: 'high' } }, 'payload.severity: expected one of "critical", "error", "warning", "info"; got "high"'],
      ['a trigger without payload', { event_action: 'trigger' }, 'payload: missing; a trigger event needs a payload'],
      ['a body that is not JSON', '{"event_action":', /^body is not valid JSON: /],
    ])('answers %s with PagerDuty’s 400, naming the field', async (_, body, error) => {
      const answer = await monitorAt(clock())(body, { path: '/pagerduty/v2/enqueue' });

      expect(answer).toEqual({ statusCode: 400, headers: expect.any(Object), json: { status: 'invalid event', message: 'Event object is invalid', errors: [typeof error === 'string' ? error : expect.stringMatching(error)] } });
    });
  });

  describe('throttles each monitor on its own', () => {
    it('answers 429 with Retry-After past ratePerMinute, lets the other monitor through, and admits again next minute', async () => {
      // Prepare: grafana may make 3 requests a minute; a minute of its own on the clock
      const at = new TestClock(Date.parse('2020-10-01T09:00:13Z') + Math.floor(Math.random() * 1000) * MINUTE, uniquePrefix('inc'));
      const post = monitorAt(at);
      const event = () => monitorEvent({ dedupKey: uniquePrefix('rate') });

      // Act
      const admitted = [await post(event(), { token: GRAFANA_TOKEN }), await post(event(), { token: GRAFANA_TOKEN }), await post(event(), { token: GRAFANA_TOKEN })];
      const throttled = await post(event(), { token: GRAFANA_TOKEN });
      const other = await post(event());
      at.advance(47 * SECOND);
      const nextMinute = await post(event(), { token: GRAFANA_TOKEN });

      // Assess
      expect(admitted.map((a) => a.statusCode)).toEqual([202, 202, 202]);
      expect(throttled).toEqual({ statusCode: 429, headers: expect.objectContaining({ 'retry-after': '47' }), json: { error: 'monitor grafana sent more than 3 requests this minute; retry after 47 s' } });
      expect(other.statusCode).toBe(202);
      expect(nextMinute.statusCode).toBe(202);
    });
  });

  describe('refuses what is not a request it serves, writing nothing', () => {
    it.each([
      ['an unknown path', monitorEvent(), { path: '/admin' }, 404, /no such path "\/admin"/],
      ['GET', '', { method: 'GET' }, 405, /method GET is not allowed; use POST/],
      ['a body that is not JSON', '{"dedupKey":', {}, 400, /^body is not valid JSON/],
      ['a monitor event over 64 KiB', monitorEvent({ summary: 's'.repeat(70_000) }), {}, 413, /the limit is 65536 bytes \(64 KiB\)/],
      ['an Alertmanager webhook over 1 MiB', { ...loadFixture('alertmanager/documented-example.json'), receiver: 'r'.repeat(1024 * 1024) }, { path: '/alertmanager' }, 413, /the limit is 1048576 bytes \(1024 KiB\)/],
      ['a wrong content type', 'dedupKey=x', { contentType: 'text/plain' }, 415, /content-type "text\/plain" is not supported/],
      ['an unknown field', monitorEvent({ occured_at: 'typo' }), {}, 400, /invalid monitor event: unknown field "occured_at"/],
    ])('%s', async (_, body, options, statusCode, error) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const counted = jest.spyOn(metrics, 'addMetric');

      const answer = await monitorAt(clock())(body, options);

      expect(answer.statusCode).toBe(statusCode);
      expect(answer.json.error).toMatch(error);
      expect(counted).toHaveBeenCalledWith('AlarmsRejected', 'Count', 1);
      const withoutRates = (items: Record<string, unknown>[]) => items.filter((item) => !String((item.pk as { S: string }).S).startsWith('RATE#'));
      expect(withoutRates(await tableItems(aws.dynamodb, tableName))).toEqual(withoutRates(before));
      counted.mockRestore();
    });

    it('answers a body that is not UTF-8 with 415', async () => {
      const handler = createMonitorHandler({ store, limiter: new DynamoDbRateLimiter(tableName), context: clock().context(CONFIG) });
      const event = { ...functionUrlEvent(''), body: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d]).toString('base64'), isBase64Encoded: true, headers: { 'content-type': 'application/json', authorization: `Bearer ${PROMETHEUS_TOKEN}` } };

      const response = await handler(event);

      expect(response.statusCode).toBe(415);
      expect(JSON.parse(response.body).error).toMatch(/not valid UTF-8/);
    });
  });

  /**
   * Hostile input found by an adversarial run against serve mode: each is a 400 naming the field,
   * with nothing written, on every way in that takes JSON over HTTP.
   */
  describe('hostile input on every way in', () => {
    const deep = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`);
    const raw = (details: string) =>
      `{"dedupKey":"hostile","status":"firing","severity":"major","component":"shared-disk","summary":"s","occurredAt":"2020-10-01T07:04:13+09:00","details":${details}}`;
    const cases: Array<[string, string | Record<string, unknown>, RegExp]> = [
      ['details nested 32 levels', JSON.stringify(monitorEvent({ details: deep(31) })), /details(\.a)+: nests deeper than 16 levels/],
      ['details holding 1e400', raw('{"x":1e400}'), /details\.x: number 1e400 is out of range/],
      ['details holding 1e-200', raw('{"x":1e-200}'), /details\.x: number 1e-200 is too small to store/],
      ['details with an empty key', raw('{"":1}'), /details: has an empty key/],
      ['details with a nested __proto__', raw('{"a":{"__proto__":{"admin":true}}}'), /details\.a\.__proto__: the key "__proto__" is not accepted/],
      ['details with constructor.prototype', raw('{"constructor":{"prototype":{"admin":true}}}'), /details\.constructor\.prototype: the key "constructor.prototype" is not accepted/],
      ['a C1 control in summary', monitorEvent({ summary: 'unit 1\u0085fault' }), /summary: must not contain control characters .* found U\+0085/],
      ['a bidirectional override in summary', monitorEvent({ summary: 'unit 1 \u202Eok' }), /summary: must not contain .* found U\+202E/],
      ['a bidirectional isolate in dedupKey', monitorEvent({ dedupKey: 'key\u2066x' }), /dedupKey: must not contain .* found U\+2066/],
      ['a lone surrogate in summary', '{"dedupKey":"k","status":"firing","severity":"major","component":"shared-disk","summary":"\\ud800","occurredAt":"2020-10-01T07:04:13+09:00"}', /summary: holds an unpaired UTF-16 surrogate/],
    ];

    it.each(cases)('monitor URL: %s', async (_, body, error) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const answer = await monitorAt(clock())(body);

      expect(answer.statusCode).toBe(400);
      expect(answer.json.error).toMatch(error);
      const withoutRates = (items: Record<string, unknown>[]) => items.filter((item) => !String((item.pk as { S: string }).S).startsWith('RATE#'));
      expect(withoutRates(await tableItems(aws.dynamodb, tableName))).toEqual(withoutRates(before));
    });

    it.each(cases)('IAM ingest URL: %s', async (_, body, error) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const response = (await createIngestHandler({ store, context: clock().context(CONFIG) })(functionUrlEvent(body))) as { statusCode: number; body: string };

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toMatch(error);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    });

    it.each([
      ['a bidirectional override in note', { command: 'annotate', incidentId: 'inc-1', note: 'all clear \u202Eton' }, /note: must not contain .* found U\+202E/],
      ['a C1 control in as', { command: 'ack', incidentId: 'inc-1', as: 'tanaka\u009B' }, /as: must not contain .* found U\+009B/],
      ['a bidirectional isolate in as', { command: 'ack', incidentId: 'inc-1', as: '\u2067admin' }, /as: must not contain .* found U\+2067/],
      ['a body nested 32 levels', { command: 'ack', incidentId: 'inc-1', extra: deep(31) }, /nests deeper than 16 levels/],
      ['an integer beyond 2^53', '{"command":"ack","incidentId":12345678901234567890}', /incidentId: expected a string, got integer 12345678901234567890/],
    ])('operate URL: %s', async (_, body, error) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const response = await createOperateHandler({ store, context: clock().context(CONFIG) })(functionUrlEvent(body));

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toMatch(error);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    });

    it.each([
      ['an epoch beyond 2^53', '{"group":"shared-disk","nodeId":"unit-1","ready":true,"epoch":18446744073709551616}', /epoch: expected a number, got integer 18446744073709551616/],
      ['an epoch of 1e400', '{"group":"shared-disk","nodeId":"unit-1","ready":true,"epoch":1e400}', /epoch: number 1e400 is out of range/],
      ['a __proto__ key', '{"group":"shared-disk","nodeId":"unit-1","ready":true,"__proto__":{"epoch":1}}', /__proto__/],
    ])('heartbeat URL: %s', async (_, body, error) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const response = await createHeartbeatHandler({ store, context: clock().context(CONFIG) })(functionUrlEvent(body));

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error).toMatch(error);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    });
  });
});
