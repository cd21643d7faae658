import { benchNotify } from './notify';
import { benchPromotion } from './promotion';

/**
 * `npm run bench`: every benchmark, one JSON object on stdout (progress on stderr). Figures
 * depend on the machine; each says what it was measured against.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const result: Record<string, unknown> = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };
  if (want('notify')) {
    process.stderr.write('bench: notify…\n');
    result.notify = await benchNotify();
  }
  if (want('promotion')) {
    process.stderr.write('bench: promotion (about a minute)…\n');
    result.promotion = await benchPromotion();
  }
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
