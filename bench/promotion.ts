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
      return (await response.json()) as { role: string; epoch: number; nextHeartbeatMs?: number };
    };
    const start = Date.now();
    // Primary i falls silent 6 s + i × 0.7 s after the start: every phase of the 2 s check cycle.
    const silentAt = groups.map((_, i) => start + 6000 + i * 700);
    const lastBeat = new Map<string, number>();
    const store = new DynamoDbIncidentStore({ tableName: runtime.endpoints.tableName });
    const promotedAt = new Map<string, number>();
    const toldAt = new Map<string, number>();
    const deadline = start + 90_000;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Each node runs its own loop, as a real agent does: the primary every 2 s until it falls
    // silent; the standby when the last reply says (sooner while the primary looks silent).
    const primary = async (group: string, i: number) => {
      while (Date.now() < silentAt[i]!) {
        await beat(group, 'primary', 1);
        lastBeat.set(group, Date.now());
        await sleep(2000);
      }
    };
    const standby = async (group: string) => {
      while (!toldAt.has(group) && Date.now() < deadline) {
        const reply = await beat(group, 'standby');
        if (reply.role === 'primary') toldAt.set(group, Date.now());
        else await sleep(reply.nextHeartbeatMs ?? 2000);
      }
    };
    await Promise.all(groups.flatMap((group, i) => [primary(group, i), standby(group)]));
    for (const group of groups) {
      const { lease } = await store.readLeaseGroup(group);
      if (lease && lease.holder === 'standby') promotedAt.set(group, lease.updatedAt);
    }
    const seconds = groups
      .filter((g) => promotedAt.has(g))
      .map((g) => (promotedAt.get(g)! - lastBeat.get(g)!) / 1000)
      .sort((a, b) => a - b);
    const told = groups
      .filter((g) => toldAt.has(g))
      .map((g) => (toldAt.get(g)! - lastBeat.get(g)!) / 1000)
      .sort((a, b) => a - b);
    const toldAfterMove = groups
      .filter((g) => toldAt.has(g) && promotedAt.has(g))
      .map((g) => (toldAt.get(g)! - promotedAt.get(g)!) / 1000)
      .sort((a, b) => a - b);
    const round2 = (n: number) => Math.round(n * 100) / 100;
    const median = (list: number[]) => round2(list[Math.floor(list.length / 2)]!);
    return {
      measuredAgainst: `local runtime (DynamoDB Local, real time), heartbeats over HTTP every 2 s (a standby asks every 250 ms while the primary looks silent, as its reply says), lease 10 s, check 2 s, Node ${process.version}`,
      runs,
      promoted: seconds.length,
      secondsFromLastHeartbeat: { min: round2(seconds[0]!), median: round2(seconds[Math.floor(seconds.length / 2)]!), max: round2(seconds[seconds.length - 1]!) },
      standbyToldSecondsFromLastHeartbeat: { min: round2(told[0]!), median: median(told), max: round2(told[told.length - 1]!) },
      standbyToldSecondsAfterLeaseMoved: { min: round2(toldAfterMove[0]!), median: median(toldAfterMove), max: round2(toldAfterMove[toldAfterMove.length - 1]!) },
      standbyToldTarget: 'median ≤ lease (10 s) + 1 s from the last heartbeat; within 0.5 s of the lease moving',
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
