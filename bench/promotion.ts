import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbIncidentStore } from '../lambda/adapters/dynamodb-store';
import { startLocalRuntime } from '../local/runtime';

/**
 * Promotion time from the primary's last heartbeat, in the local runtime with real time and
 * the default timings (heartbeat 2 s, lease 10 s, check 2 s): 20 groups, each a primary and a
 * standby heartbeating over HTTP; each primary falls silent at a different moment; the time is
 * the lease's `updatedAt` (the promoter's clock) minus when the primary's last heartbeat was
 * answered (this process's clock — the same machine).
 */
export async function benchPromotion(runs = 20): Promise<Record<string, unknown>> {
  const groups = Array.from({ length: runs }, (_, i) => `g${String(i + 1).padStart(2, '0')}`);
  const folder = mkdtempSync(join(tmpdir(), 'tocsin-bench-'));
  const file = join(folder, 'config.json');
  writeFileSync(file, JSON.stringify({ groups: groups.map((id) => ({ id, nodes: ['primary', 'standby'] })) }));
  const runtime = await startLocalRuntime({ prefix: `bench-${Date.now()}`, configFile: file }).catch((error: unknown) => {
    rmSync(folder, { recursive: true, force: true });
    throw error;
  });
  try {
    const beat = async (group: string, nodeId: string, epoch?: number) => {
      const response = await fetch(runtime.endpoints.heartbeatUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ group, nodeId, ready: true, ...(epoch ? { epoch } : {}) }),
      });
      return (await response.json()) as { role: string; epoch: number };
    };
    const start = Date.now();
    // Primary i falls silent 6 s + i × 0.7 s after the start: every phase of the 2 s check cycle.
    const silentAt = groups.map((_, i) => start + 6000 + i * 700);
    const lastBeat = new Map<string, number>();
    const store = new DynamoDbIncidentStore({ tableName: runtime.endpoints.tableName });
    const promotedAt = new Map<string, number>();
    while (promotedAt.size < groups.length && Date.now() - start < 90_000) {
      const round = Date.now();
      await Promise.all(
        groups.map(async (group, i) => {
          if (round < silentAt[i]!) {
            await beat(group, 'primary', 1);
            lastBeat.set(group, Date.now());
          }
          await beat(group, 'standby');
          if (!promotedAt.has(group)) {
            const { lease } = await store.readLeaseGroup(group);
            if (lease && lease.holder === 'standby') promotedAt.set(group, lease.updatedAt);
          }
        }),
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 2000 - (Date.now() - round))));
    }
    const seconds = groups
      .filter((g) => promotedAt.has(g))
      .map((g) => (promotedAt.get(g)! - lastBeat.get(g)!) / 1000)
      .sort((a, b) => a - b);
    const round2 = (n: number) => Math.round(n * 100) / 100;
    return {
      measuredAgainst: `local runtime (DynamoDB Local, real time), heartbeats over HTTP every 2 s, lease 10 s, check 2 s, Node ${process.version}`,
      runs,
      promoted: seconds.length,
      secondsFromLastHeartbeat: { min: round2(seconds[0]!), median: round2(seconds[Math.floor(seconds.length / 2)]!), max: round2(seconds[seconds.length - 1]!) },
      target: 'between leaseDuration (10 s) and leaseDuration + checkInterval (12 s)',
      belowTarget: seconds.filter((x) => x < 10).length,
      overTarget: seconds.filter((x) => x > 12).length,
      all: seconds.map(round2),
    };
  } finally {
    await runtime.stop();
    rmSync(folder, { recursive: true, force: true });
  }
}
