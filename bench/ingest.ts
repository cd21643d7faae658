import { performance } from 'node:perf_hooks';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import { parseConfig } from '../lambda/core/config';
import type { DecisionContext } from '../lambda/core/context';
import { ingestSignal } from '../lambda/core/service';
import type { AlarmSignal } from '../lambda/core/signal';
import { createLocalResources } from '../local/resources';

/**
 * Ingest benchmarks against DynamoDB Local, in process (the store and the use case the ingest
 * handler runs, without HTTP): alarm-to-outbox latency and throughput, and a 10,000-event storm
 * for one fault (incidents, notices and write units it costs).
 */

const pct = (sorted: number[], q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2));

function contextFor(config = parseConfig({})): () => DecisionContext {
  let n = 0;
  return () => {
    const now = Date.now();
    return { now, config, newIncidentId: () => `inc-bench-${now}-${(n += 1)}` };
  };
}

function alarm(i: number, overrides: Partial<AlarmSignal> = {}): AlarmSignal {
  return { dedupKey: `bench/alarm-${i}`, status: 'firing', severity: 'major', component: 'bench', summary: `bench alarm ${i}`, occurredAt: Date.now(), source: 'monitor', ...overrides };
}

async function pool<T>(items: T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

export async function benchIngest(): Promise<Record<string, unknown>> {
  // Latency: one new alarm at a time, from the call to its outbox notice written.
  const latencyStore = new DynamoDbIncidentStore({ tableName: (await createLocalResources(`bench-lat-${Date.now()}`)).tableName });
  const context = contextFor();
  const latencies: number[] = [];
  for (let i = 0; i < 500; i += 1) {
    const started = performance.now();
    await ingestSignal(latencyStore, alarm(i), { context });
    latencies.push(performance.now() - started);
  }
  latencies.sort((a, b) => a - b);

  // Throughput: new alarms, 16 at a time, for as many as 2000.
  const throughputStore = new DynamoDbIncidentStore({ tableName: (await createLocalResources(`bench-tp-${Date.now()}`)).tableName });
  const count = 2000;
  const started = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    16,
    async (i) => void (await ingestSignal(throughputStore, alarm(i), { context })),
  );
  const seconds = (performance.now() - started) / 1000;

  // A storm: 10,000 deliveries for one fault — 50 servers' alarms, each delivered 200 times
  // (at-least-once re-deliveries and monitors re-sending a firing alert with its same start
  // time), 16 at a time, grouped by market: one incident, one notice.
  let writeUnits = 0;
  const stormStore = new DynamoDbIncidentStore({
    tableName: (await createLocalResources(`bench-storm-${Date.now()}`)).tableName,
    onWriteCapacity: (units) => (writeUnits += units),
  });
  const stormContext = contextFor(parseConfig({ policy: { groupBy: 'market' } }));
  const t0 = Date.now();
  const deliveries = Array.from({ length: 10_000 }, (_, i) => alarm(i % 50, { market: 'equities', occurredAt: t0 + (i % 50) }));
  const actions = new Map<string, number>();
  const incidents = new Set<string>();
  let notices = 0;
  await pool(deliveries, 16, async (signal) => {
    const outcome = await ingestSignal(stormStore, signal, { context: stormContext });
    actions.set(outcome.action, (actions.get(outcome.action) ?? 0) + 1);
    if (outcome.incidentId) incidents.add(outcome.incidentId);
    notices += outcome.transition.notices.length;
  });
  // A duplicate: the same delivery twice; the second's write units.
  const duplicateTable = (await createLocalResources(`bench-dup-${Date.now()}`)).tableName;
  const exact = new DynamoDbIncidentStore({ tableName: duplicateTable });
  let duplicateUnits = 0;
  const probe = new DynamoDbIncidentStore({ tableName: duplicateTable, onWriteCapacity: (u) => (duplicateUnits += u) });
  const one = alarm(1);
  await ingestSignal(exact, one, { context });
  await ingestSignal(probe, one, { context });

  return {
    measuredAgainst: `DynamoDB Local 3.3 (in memory) on 127.0.0.1, the ingest use case in process (no HTTP), Node ${process.version}`,
    alarmToOutboxMs: { p50: pct(latencies, 0.5), p99: pct(latencies, 0.99), samples: latencies.length, target: 'p99 < 50 ms' },
    throughput: { alarmsPerSecond: Math.round(count / seconds), alarms: count, concurrency: 16, target: '>= 500 alarms/s' },
    storm: {
      deliveries: deliveries.length,
      distinctAlarms: 50,
      incidents: incidents.size,
      notices,
      actions: Object.fromEntries(actions),
      writeUnitsPerDelivery: Number((writeUnits / deliveries.length).toFixed(3)),
      note: 'DynamoDB Local reports a transaction at 1 unit per item; AWS charges 2',
    },
    duplicateAlarmWriteUnits: duplicateUnits,
  };
}
