import { benchBundles } from './bundles';
import { benchIngest } from './ingest';
import { benchFanout, benchNotify } from './notify';
import { benchPromotion } from './promotion';

/**
 * `npm run bench`: every benchmark, one JSON object on stdout (progress on stderr). Figures
 * depend on the machine; each says what it was measured against.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const result: Record<string, unknown> = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };
  if (want('ingest')) {
    process.stderr.write('bench: ingest…\n');
    const { startEmulators } = await import('../local/emulators.mjs');
    const emulators = await startEmulators();
    try {
      Object.assign(process.env, emulators.environment);
      result.ingest = await benchIngest();
    } finally {
      await emulators.stop();
    }
  }
  if (want('notify')) {
    process.stderr.write('bench: notify…\n');
    result.notify = await benchNotify();
    process.stderr.write('bench: fan-out…\n');
    result.fanout = await benchFanout();
  }
  if (want('promotion')) {
    process.stderr.write('bench: promotion (about a minute)…\n');
    result.promotion = await benchPromotion();
  }
  if (want('bundles')) {
    process.stderr.write('bench: bundles…\n');
    result.bundles = benchBundles();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
