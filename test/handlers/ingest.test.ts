import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { metrics } from '../../lambda/adapters/observability';
import { ValidationError } from '../../lambda/core/errors';
import type { IncidentRecord } from '../../lambda/core/ports';
import { sweepIncidents } from '../../lambda/core/use-cases/sweep';
import { createIngestHandler } from '../../lambda/handlers/ingest';
import { createTestResources, testClients, type TestAws } from '../helpers/aws';
import { MINUTE, SECOND, TestClock } from '../helpers/domain';
import { functionUrlEvent, loadEvent, tableItems } from '../helpers/events';
import { PROJECT_ROOT } from '../helpers/processes';

/**
 * The ingest handler end to end: real sample events in, the real store on DynamoDB Local.
 */

/** The shared disk faces participants: a critical alarm on it is announced (shared/DESIGN.md, "Two audiences"). */
const CONFIG = {
  markets: [{ id: 'equities', segments: ['prime', 'standard', 'growth'] }],
  components: [
    { id: 'shared-disk', market: 'equities', critical: true, participantFacing: true },
    { id: 'market-data', market: 'equities' },
    { id: 'surveillance', market: 'equities' },
  ],
};

type Handler = ReturnType<typeof createIngestHandler>;

describe('ingest handler', () => {
  let aws: TestAws;
  let tableName: string;
  let store: DynamoDbIncidentStore;

  beforeAll(async () => {
    aws = testClients();
    tableName = (await createTestResources('ingest', aws)).tableName;
    store = new DynamoDbIncidentStore({ tableName });
  });
  afterAll(() => aws.destroy());

  function handlerAt(clock: TestClock, config: object = CONFIG, target = store): Handler {
    return createIngestHandler({ store: target, context: clock.context(config) });
  }

  /** An EventBridge alarm state change for alarm `name`, built from the documented sample. */
  function cloudWatchEvent(name: string, state: 'ALARM' | 'OK', at: number, tokens = 'component=shared-disk severity=critical market=equities') {
    const sample = loadEvent<Record<string, any>>('eventbridge/alarm-state-change-alarm.json');
    const arn = `arn:aws:cloudwatch:ap-northeast-1:123456789012:alarm:${name}`;
    return {
      ...sample,
      resources: [arn],
      detail: {
        ...sample.detail,
        alarmName: name,
        state: { ...sample.detail.state, value: state, timestamp: new Date(at).toISOString() },
        configuration: { ...sample.detail.configuration, description: `${name}. ${tokens}` },
      },
    };
  }

  describe('accepts every valid sample in events/', () => {
    it.each([
      ['eventbridge/alarm-state-change-alarm.json', 'opened'],
      ['eventbridge/alarm-state-change-insufficient-data.json', 'ignored'],
      ['eventbridge/alarm-state-change-composite-alarm.json', 'opened'],
      ['eventbridge/alarm-state-change-metric-math-alarm.json', 'opened'],
      ['eventbridge/alarm-state-change-untagged-alarm.json', 'opened'],
    ])('%s → %s', async (file, action) => {
      // Prepare: each sample on a table of its own, so that samples sharing an alarm do not interact.
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources('sample', aws)).tableName });

      // Act
      const result = await handlerAt(new TestClock(), CONFIG, own)(loadEvent(file));

      // Assess
      expect(result).toMatchObject({ action });
    });

    it('opens from an SNS-wrapped alarm notification and answers per record', async () => {
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources('sns', aws)).tableName });
      const result = await handlerAt(new TestClock(), CONFIG, own)(loadEvent('sns/cloudwatch-alarm-notification.json'));
      expect(result).toEqual([{ incidentId: expect.stringMatching(/^inc-/), action: 'opened' }]);
    });

    it('answers a monitor event POST with 202 {incidentId, action}', async () => {
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources('http', aws)).tableName });
      const handler = handlerAt(new TestClock(), CONFIG, own);
      const response = (await handler(loadEvent('function-url/monitor-event-firing.json'))) as { statusCode: number; body: string };
      expect(response.statusCode).toBe(202);
      expect(JSON.parse(response.body)).toEqual({ incidentId: expect.stringMatching(/^inc-/), action: 'opened' });
      const resolved = (await handler(loadEvent('function-url/monitor-event-resolved.json'))) as { statusCode: number; body: string };
      expect(JSON.parse(resolved.body)).toMatchObject({ action: 'resolve-pending' });
    });
  });

  describe('rejects every malformed sample with a clear error, counts it, and writes nothing', () => {
    const invalid = readdirSync(join(PROJECT_ROOT, 'events', 'invalid')).filter((f) => f.endsWith('.json'));

    it.each(invalid)('rejects invalid/%s', async (file) => {
      // Prepare
      const before = await tableItems(aws.dynamodb, tableName);
      const counted = jest.spyOn(metrics, 'addMetric');
      const event = loadEvent(`invalid/${file}`);

      // Act
      const outcome = await handlerAt(new TestClock())(event).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );

      // Assess: HTTP callers get a 4xx naming what is wrong; queued events fail (retry, then DLQ).
      if (file.startsWith('function-url')) {
        const response = (outcome as { value: { statusCode: number; body: string } }).value;
        expect([400, 405, 413, 415]).toContain(response.statusCode);
        expect(JSON.parse(response.body).error).toMatch(/\S{8,}/);
      } else {
        expect((outcome as { error: unknown }).error).toBeInstanceOf(ValidationError);
        expect(((outcome as { error: Error }).error).message).toMatch(/^invalid /);
      }
      expect(counted).toHaveBeenCalledWith('AlarmsRejected', 'Count', 1);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
      counted.mockRestore();
    });

    it.each([
      ['a 1 MiB body', functionUrlEvent(JSON.stringify({ summary: 'x'.repeat(1024 * 1024) })), 413, /body is \d+ bytes; the limit is 65536 bytes/],
      ['a non-JSON body', functionUrlEvent('{"dedupKey":'), 400, /body is not valid JSON/],
      ['a wrong content type', functionUrlEvent('dedupKey=x', { contentType: 'application/x-www-form-urlencoded' }), 415, /content-type .* is not supported/],
      ['a control character in a string', functionUrlEvent({ dedupKey: 'k', status: 'firing', severity: 'major', component: 'shared-disk', summary: 'bad\u0007bell', occurredAt: '2020-10-01T07:04:00+09:00' }), 400, /summary: must not contain control characters/],
      ['a missing field', functionUrlEvent({ status: 'firing', severity: 'major', component: 'shared-disk', summary: 's', occurredAt: '2020-10-01T07:04:00+09:00' }), 400, /dedupKey: missing/],
      ['a wrong type', functionUrlEvent({ dedupKey: 'k', status: 'firing', severity: 3, component: 'shared-disk', summary: 's', occurredAt: '2020-10-01T07:04:00+09:00' }), 400, /severity: /],
    ])('rejects %s', async (_, event, statusCode, message) => {
      const before = await tableItems(aws.dynamodb, tableName);
      const response = (await handlerAt(new TestClock())(event)) as { statusCode: number; body: string };
      expect(response.statusCode).toBe(statusCode);
      expect(JSON.parse(response.body).error).toMatch(message);
      expect(await tableItems(aws.dynamodb, tableName)).toEqual(before);
    });
  });

  it('creates exactly one incident from 20 concurrent deliveries of the same new alarm', async () => {
    // Prepare
    const clock = new TestClock();
    const handler = handlerAt(clock);
    const event = cloudWatchEvent(`race-${Date.now()}`, 'ALARM', clock.now);

    // Act
    const results = (await Promise.all(Array.from({ length: 20 }, () => handler(event)))) as { incidentId: string; action: string }[];

    // Assess
    const ids = new Set(results.map((r) => r.incidentId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.action === 'opened')).toHaveLength(1);
    expect(results.filter((r) => r.action === 'duplicate')).toHaveLength(19);
    const record = await store.incidentRecord([...ids][0]!);
    expect(record?.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
  });

  describe('200 duplicate and shuffled deliveries of a 20-event sequence', () => {
    /**
     * An alarm storm on 1 Oct 2020, grouped by market: unit 1's memory alarm, market-data and
     * surveillance servers that lose the disk, one of them flapping, all OK later; and a
     * separate, later incident of the derivatives clearing link.
     */
    function sequence(run: string): object[] {
      const t = Date.parse('2020-10-01T07:04:00+09:00');
      const eq = (name: string) => `${run}-${name}`;
      const tokens = (component: string, market = 'equities') => `component=${component} severity=major market=${market}`;
      return [
        cloudWatchEvent(eq('unit-1-memory'), 'ALARM', t, tokens('shared-disk')),
        cloudWatchEvent(eq('md-1-io'), 'ALARM', t + 5 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('md-2-io'), 'ALARM', t + 6 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('md-3-io'), 'ALARM', t + 7 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('sv-1-io'), 'ALARM', t + 8 * SECOND, tokens('surveillance')),
        cloudWatchEvent(eq('sv-2-io'), 'ALARM', t + 9 * SECOND, tokens('surveillance')),
        cloudWatchEvent(eq('md-2-io'), 'OK', t + 20 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('md-2-io'), 'ALARM', t + 25 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('md-4-io'), 'ALARM', t + 30 * SECOND, tokens('market-data')),
        cloudWatchEvent(eq('sv-3-io'), 'ALARM', t + 31 * SECOND, tokens('surveillance')),
        cloudWatchEvent(eq('md-1-io'), 'OK', t + 60 * MINUTE, tokens('market-data')),
        cloudWatchEvent(eq('md-2-io'), 'OK', t + 61 * MINUTE, tokens('market-data')),
        cloudWatchEvent(eq('md-3-io'), 'OK', t + 62 * MINUTE, tokens('market-data')),
        cloudWatchEvent(eq('md-4-io'), 'OK', t + 63 * MINUTE, tokens('market-data')),
        cloudWatchEvent(eq('sv-1-io'), 'OK', t + 64 * MINUTE, tokens('surveillance')),
        cloudWatchEvent(eq('sv-2-io'), 'OK', t + 65 * MINUTE, tokens('surveillance')),
        cloudWatchEvent(eq('sv-3-io'), 'OK', t + 66 * MINUTE, tokens('surveillance')),
        cloudWatchEvent(eq('unit-1-memory'), 'OK', t + 70 * MINUTE, tokens('shared-disk')),
        cloudWatchEvent(eq('clearing-link'), 'ALARM', t + 2 * MINUTE, tokens('clearing', 'derivatives')),
        cloudWatchEvent(eq('clearing-link'), 'OK', t + 3 * MINUTE, tokens('clearing', 'derivatives')),
      ];
    }

    /** A seeded PRNG (mulberry32), so a failure names the shuffle that caused it. */
    function random(seed: number): () => number {
      let a = seed;
      return () => {
        a = (a + 0x6d2b79f5) | 0;
        let t = Math.imul(a ^ (a >>> 15), 1 | a);
        t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
      };
    }

    /** What must not depend on delivery order: incidents, their alarms, and their notices. */
    async function outcome(target: DynamoDbIncidentStore, ids: string[], run: string) {
      const unique = [...new Set(ids)];
      const records = (await Promise.all(unique.map((id) => target.incidentRecord(id)))) as IncidentRecord[];
      const alarms = await Promise.all(unique.map((id) => target.incidentAlarms(id)));
      const strip = (key: string) => key.replace(`alarm:${run}-`, 'alarm:');
      return records
        .map(({ incident, notices }, i) => ({
          market: incident.market,
          status: incident.status,
          severity: incident.severity,
          startedAt: incident.startedAt,
          keys: Object.fromEntries(alarms[i]!.map((a) => [strip(a.dedupKey), a.status]).sort()),
          notices: notices.map((n) => [n.notice.sequence, n.notice.type, n.notice.market, n.notice.severity, n.status]),
        }))
        .sort((a, b) => String(a.market).localeCompare(String(b.market)));
    }

    async function deliver(events: object[], run: string, marketGrouped: object) {
      const own = new DynamoDbIncidentStore({ tableName: (await createTestResources(`order-${run}`, aws)).tableName });
      const clock = new TestClock();
      const handler = createIngestHandler({ store: own, context: clock.context(marketGrouped) });
      const ids: string[] = [];
      for (const event of events) {
        const result = (await handler(event)) as { incidentId?: string };
        if (result.incidentId) ids.push(result.incidentId);
      }
      clock.advance(2 * MINUTE); // the auto-resolve quiet time passes
      await sweepIncidents(own, { context: clock.context(marketGrouped) });
      return { own, ids };
    }

    it('gives the same final state and the same outbox as one ordered delivery', async () => {
      // Prepare
      // Both incidents are market facts from their first alarm (participant-facing, announced from major), so each has an outbox.
      const config = {
        ...CONFIG,
        markets: [...CONFIG.markets, { id: 'derivatives', segments: [] }],
        components: [...CONFIG.components.map((c) => ({ ...c, participantFacing: true })), { id: 'clearing', market: 'derivatives', participantFacing: true }],
        policy: { groupBy: 'market', announceSeverity: 'major' },
      };
      const events = sequence('s');
      const rand = random(20201001);
      const deliveries = Array.from({ length: 200 }, (_, i) => events[i % events.length]!);
      for (let i = deliveries.length - 1; i > 0; i -= 1) {
        const j = Math.floor(rand() * (i + 1));
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }

      // Act
      const ordered = await deliver(events, 'ordered', config);
      const shuffled = await deliver(deliveries, 'shuffled', config);

      // Assess
      const expected = await outcome(ordered.own, ordered.ids, 's');
      expect(expected.map((i) => [i.market, i.status, i.notices.map((n) => n[1])])).toEqual([
        ['derivatives', 'resolved', ['incident-opened', 'incident-resolved']],
        ['equities', 'resolved', ['incident-opened', 'incident-resolved']],
      ]);
      expect(await outcome(shuffled.own, shuffled.ids, 's')).toEqual(expected);
    });
  });
});
