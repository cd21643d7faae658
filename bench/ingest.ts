import { performance } from 'node:perf_hooks';
import { DynamoDbIncidentStore, type WriteReport } from '../lambda/adapters/dynamodb-store';
import { parseConfig, type TocsinConfigInput } from '../lambda/core/config';
import type { DecisionContext } from '../lambda/core/context';
import type { AlarmSignal } from '../lambda/core/signal';
import { ingestSignal } from '../lambda/core/use-cases/ingest-signal';
import { createLocalResources } from '../local/resources';

/**
 * Ingest benchmarks against DynamoDB Local, in process (the store and the use case the ingest
 * handler runs, without HTTP): alarm-to-outbox latency and throughput, the hot-incident ratio
 * (one incident against one incident per alarm, same run), the growth of an alarm's cost with
 * the size of its incident, a 10,000-delivery storm, and write units on AWS pricing.
 */

const measuredAgainst = (dynamodbLocal: string) =>
  `DynamoDB Local ${dynamodbLocal} (in memory, Java, same 2 cores, a fresh one per phase) on 127.0.0.1, the ingest use case in process (no HTTP), Node ${process.version}`;

const pct = (sorted: readonly number[], q: number) => Number(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(2));
const sortedCopy = (values: readonly number[]) => [...values].sort((a, b) => a - b);

function contextFor(config: TocsinConfigInput = {}): () => DecisionContext {
  const parsed = parseConfig(config);
  let n = 0;
  return () => {
    const now = Date.now();
    return { now, config: parsed, newIncidentId: () => `inc-bench-${now}-${(n += 1)}` };
  };
}

function alarm(i: number, overrides: Partial<AlarmSignal> = {}): AlarmSignal {
  return { dedupKey: `bench/alarm-${i}`, status: 'firing', severity: 'major', component: 'bench', market: 'equities', summary: `bench alarm ${i}`, occurredAt: Date.now(), source: 'monitor', ...overrides };
}

async function pool<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

async function freshStore(label: string, onWrite?: (write: WriteReport) => void): Promise<DynamoDbIncidentStore> {
  const { tableName } = await createLocalResources(`bench-${label}-${Date.now()}`);
  return new DynamoDbIncidentStore({ tableName, ...(onWrite ? { onWrite } : {}) });
}

/** `count` distinct alarms, `concurrency` at a time: alarms per second and errors. */
async function rate(store: DynamoDbIncidentStore, config: TocsinConfigInput, count: number, concurrency: number, prefix: string) {
  const context = contextFor(config);
  const incidents = new Set<string>();
  let errors = 0;
  const started = performance.now();
  await pool(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      try {
        const outcome = await ingestSignal(store, alarm(i, { dedupKey: `${prefix}/alarm-${i}` }), { context });
        if (outcome.incidentId) incidents.add(outcome.incidentId);
      } catch {
        errors += 1;
      }
    },
  );
  const seconds = (performance.now() - started) / 1000;
  return { alarmsPerSecond: Math.round(count / seconds), alarms: count, concurrency, incidents: incidents.size, errors };
}

const progress = (line: string) => process.stderr.write(`bench: ingest: ${line}\n`);

/**
 * Runs `phase` on a fresh DynamoDB Local: the emulator slows down as it holds more data (measured:
 * several times slower after ~10,000 items), so each figure gets the same starting point.
 */
async function onFreshEmulator<T>(phase: () => Promise<T>): Promise<T> {
  const { startEmulators } = await import('../local/emulators.mjs');
  const emulators = await startEmulators();
  const stop = () => void emulators.stop().finally(() => process.exit(130));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  try {
    Object.assign(process.env, emulators.environment);
    return await phase();
  } finally {
    process.off('SIGINT', stop).off('SIGTERM', stop);
    await emulators.stop();
  }
}

export async function benchIngest(): Promise<Record<string, unknown>> {
  progress('latency, 500 alarms one at a time');
  // Latency: one new alarm at a time, each its own incident, from the call to its outbox notice written.
  const lat = await onFreshEmulator(async () => {
    const latencyStore = await freshStore('lat');
    const context = contextFor();
    const latencies: number[] = [];
    for (let i = 0; i < 500; i += 1) {
      const started = performance.now();
      await ingestSignal(latencyStore, alarm(i), { context });
      latencies.push(performance.now() - started);
    }
    return sortedCopy(latencies);
  });

  // Throughput: new alarms, each its own incident, 16 at a time.
  progress('throughput, 2,000 alarms 16 at a time');
  const throughput = await onFreshEmulator(async () => rate(await freshStore('tp'), {}, 2000, 16, 'tp'));

  // The hot incident: the same 2,000 distinct alarms into ONE incident (grouped by market) and
  // each into its own incident, 16 writers each, in this run. No hot item: the ratio stays near 1.
  progress('hot incident: 2,000 alarms into one incident, then into 2,000 incidents, 16 at a time');
  const oneIncident = await onFreshEmulator(async () => rate(await freshStore('hot-one'), { policy: { groupBy: 'market' } }, 2000, 16, 'hot'));
  const ownIncidents = await onFreshEmulator(async () => rate(await freshStore('hot-own'), { policy: { groupBy: 'dedupKey' } }, 2000, 16, 'hot'));

  // The large incident: 10,000 distinct alarms into one incident, one at a time. An alarm costs
  // the same whether its incident has 10 alarms or 9,990.
  progress('large incident: 10,000 alarms into one incident, one at a time');
  const large = await onFreshEmulator(async () => {
    const reports: WriteReport[] = [];
    const largeStore = await freshStore('large', (write) => reports.push(write));
    const largeContext = contextFor({ policy: { groupBy: 'market' } });
    const startedAt = Date.now();
    const largeLatencies: number[] = [];
    let unitsAt5000: number | undefined;
    let unitsFirst: number | undefined;
    for (let i = 0; i < 10_000; i += 1) {
      reports.length = 0;
      const started = performance.now();
      await ingestSignal(largeStore, alarm(i, { dedupKey: `large/alarm-${i}`, occurredAt: startedAt + i }), { context: largeContext });
      largeLatencies.push(performance.now() - started);
      if (i === 0) unitsFirst = reports.reduce((sum, r) => sum + r.awsWriteUnits, 0);
      if (i === 5000) unitsAt5000 = reports.reduce((sum, r) => sum + r.awsWriteUnits, 0);
    }
    const firstThousand = pct(sortedCopy(largeLatencies.slice(0, 1000)), 0.5);
    const lastThousand = pct(sortedCopy(largeLatencies.slice(-1000)), 0.5);
    // A duplicate of an alarm of that incident, and a newer report of a firing one.
    reports.length = 0;
    // The very delivery again (same source time): a replay writes nothing.
    await ingestSignal(largeStore, alarm(7, { dedupKey: 'large/alarm-7', occurredAt: startedAt + 7 }), { context: largeContext });
    const unitsDuplicate = reports.reduce((sum, r) => sum + r.awsWriteUnits, 0);
    reports.length = 0;
    await ingestSignal(largeStore, alarm(7, { dedupKey: 'large/alarm-7', occurredAt: Date.now() + 1000 }), { context: largeContext });
    const unitsRefresh = reports.reduce((sum, r) => sum + r.awsWriteUnits, 0);
    return { firstThousand, lastThousand, unitsFirst, unitsAt5000, unitsDuplicate, unitsRefresh };
  });
  const { firstThousand, lastThousand, unitsFirst, unitsAt5000, unitsDuplicate, unitsRefresh } = large;

  // A storm: 10,000 deliveries for one fault — 50 servers' alarms, each delivered 200 times
  // (at-least-once re-deliveries and monitors re-sending a firing alert with its same start
  // time), 16 at a time, grouped by market: one incident, one notice.
  progress('storm: 10,000 deliveries of 50 alarms, 16 at a time');
  const storm = await onFreshEmulator(async () => {
    let stormUnits = 0;
    const stormStore = await freshStore('storm', (write) => (stormUnits += write.awsWriteUnits));
    const stormContext = contextFor({ policy: { groupBy: 'market' } });
    const t0 = Date.now();
    const deliveries = Array.from({ length: 10_000 }, (_, i) => alarm(i % 50, { occurredAt: t0 + (i % 50) }));
    const actions = new Map<string, number>();
    const incidents = new Set<string>();
    let notices = 0;
    await pool(deliveries, 16, async (signal) => {
      const outcome = await ingestSignal(stormStore, signal, { context: stormContext });
      actions.set(outcome.action, (actions.get(outcome.action) ?? 0) + 1);
      if (outcome.incidentId) incidents.add(outcome.incidentId);
      notices += outcome.transition.notices.length;
    });
    return { stormUnits, deliveries: deliveries.length, actions, incidents: incidents.size, notices };
  });

  return {
    measuredAgainst: measuredAgainst((await import('../local/emulators.mjs')).emulatorVersions().dynamodbLocal),
    alarmToOutboxMs: { p50: pct(lat, 0.5), p99: pct(lat, 0.99), samples: lat.length, target: 'p99 < 50 ms' },
    throughput: { ...throughput, target: '>= 500 alarms/s' },
    hotIncident: {
      oneIncident,
      ownIncidents,
      throughputRatio: Number((oneIncident.alarmsPerSecond / ownIncidents.alarmsPerSecond).toFixed(2)),
      target: 'throughputRatio >= 0.8, 0 errors',
    },
    largeIncident: {
      alarms: 10_000,
      p50FirstThousandMs: firstThousand,
      p50LastThousandMs: lastThousand,
      latencyGrowth: Number((lastThousand / firstThousand).toFixed(2)),
      target: 'latencyGrowth <= 1.5',
    },
    awsWriteUnitsPerAlarm: {
      newAlarmOpeningAnIncident: unitsFirst,
      attachToIncidentWith5000Alarms: unitsAt5000,
      duplicate: unitsDuplicate,
      newerReportOfAFiringAlarm: unitsRefresh,
      pricing: 'on-demand: 1 unit per KB per item, 2 inside a transaction, +1 per KB per secondary-index entry; item sizes estimated from their JSON',
    },
    storm: {
      deliveries: storm.deliveries,
      distinctAlarms: 50,
      concurrency: 16,
      incidents: storm.incidents,
      notices: storm.notices,
      actions: Object.fromEntries(storm.actions),
      awsWriteUnitsPerDelivery: Number((storm.stormUnits / storm.deliveries).toFixed(3)),
    },
  };
}
