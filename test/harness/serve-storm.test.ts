import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbIncidentStore } from '../../lambda/adapters/dynamodb-store';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, uniquePrefix } from '../helpers/aws';
import { storedPages } from '../helpers/events';

/**
 * The storm through serve mode, as a monitor sees it: 1,000 distinct alarms of one fault POSTed
 * to `ingestUrl` at once are all accepted (2xx) and become one incident. Before the storm data
 * model, 960 of them got 503 because every alarm rewrote one growing incident item.
 */
describe('serve mode under an alarm storm', () => {
  let runtime: LocalRuntime;
  let folder: string;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'tocsin-storm-'));
    const configFile = join(folder, 'config.json');
    // The market data servers face participants: the storm's incident is a market fact, announced once.
    const components = Array.from({ length: 20 }, (_, n) => ({ id: `market-data-${n}`, market: 'equities', participantFacing: true }));
    writeFileSync(configFile, JSON.stringify({ components, policy: { groupBy: 'market' } }));
    runtime = await startLocalRuntime({ prefix: uniquePrefix('storm'), configFile, emulators: suiteEmulators() });
  });
  afterAll(async () => {
    await runtime?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('answers 1,000 concurrent monitor-event POSTs of distinct alarms of one market all with 2xx, as one incident announced once', async () => {
    // Prepare
    const occurredAt = new Date().toISOString();
    const event = (n: number) => ({
      dedupKey: `market-data/server-${n}/feed-stalled`,
      status: 'firing',
      severity: n % 10 === 0 ? 'critical' : 'major',
      component: `market-data-${n % 20}`,
      market: 'equities',
      summary: `server ${n}: market data feed stalled`,
      occurredAt,
    });

    // Act
    const responses = await Promise.all(
      Array.from({ length: 1000 }, async (_, n) => {
        const response = await fetch(runtime.endpoints.ingestUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(n)) });
        return { status: response.status, body: (await response.json()) as { incidentId?: string; action?: string; error?: string } };
      }),
    );

    // Assess
    const refused = responses.filter((r) => r.status < 200 || r.status > 299);
    expect(refused).toEqual([]);
    const incidents = new Set(responses.map((r) => r.body.incidentId));
    expect(incidents.size).toBe(1);
    const store = new DynamoDbIncidentStore({ tableName: runtime.endpoints.tableName });
    const [incidentId] = [...incidents];
    expect(await store.incidentAlarms(incidentId!)).toHaveLength(1000);
    expect((await store.incidentRecord(incidentId!))?.notices.map((n) => n.notice.type)).toEqual(['incident-opened']);
    // Operators are paged once for the fault, not once per alarm (at most once more if a critical alarm raised it).
    const dynamodb = new DynamoDBClient({});
    try {
      const pages = await storedPages(dynamodb, runtime.endpoints.tableName, incidentId!);
      expect(pages.filter((p) => p.type === 'opened')).toEqual([expect.objectContaining({ stage: 'on-call', announced: expect.any(Boolean) })]);
      expect(pages.filter((p) => p.type !== 'opened' && p.type !== 'severity-raised')).toEqual([]);
      expect(pages.length).toBeLessThanOrEqual(2);
    } finally {
      dynamodb.destroy();
    }
  // A behaviour test, not a timing one: on CI's 2 cores the suite's other files share DynamoDB Local.
  }, 300_000);
});
