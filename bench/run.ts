import { benchBundles } from './bundles';
import { benchCli } from './cli';
import { benchIngest } from './ingest';
import { benchFanout, benchNotify } from './notify';
import { benchPaging } from './paging';
import { benchPromotion } from './promotion';

/**
 * `npm run bench`: every benchmark, one JSON object on stdout (progress on stderr). Figures
 * depend on the machine; each says what it was measured against.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const result: Record<string, unknown> = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };
  const failed: string[] = [];
  // Every phase runs and is printed: a phase that fails says so in its place (and the exit code
  // says so too), and the others still report.
  const phase = async (name: string, label: string, run: () => Promise<unknown>, wanted = want(name)) => {
    if (!wanted) return;
    process.stderr.write(`bench: ${label}…\n`);
    try {
      result[name] = await run();
    } catch (error) {
      failed.push(name);
      result[name] = { error: error instanceof Error ? error.message : String(error) };
      process.stderr.write(`bench: ${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
  };
  await phase('ingest', 'ingest (a few minutes)', benchIngest);
  await phase('notify', 'notify', benchNotify);
  await phase('fanout', 'fan-out', benchFanout, want('notify') || want('fanout'));
  await phase('paging', 'paging and escalation (about 20 s)', () => benchPaging());
  await phase('promotion', 'promotion (about a minute)', benchPromotion);
  await phase('bundles', 'bundles', async () => benchBundles());
  await phase('cli', 'CLI start', async () => benchCli());
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  if (failed.length) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
