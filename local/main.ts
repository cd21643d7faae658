import { parseArgs } from 'node:util';
import { startLocalRuntime } from './runtime';

/**
 * `npm start`: runs Tocsin locally on embedded emulators and stays up until Ctrl-C (SIGINT) or
 * SIGTERM. Prints exactly one JSON line with the endpoints on stdout; everything else goes to
 * stderr, so `npm start | head -1 | jq` works.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'boolean', default: false },
      'port-base': { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string' },
    },
    strict: true,
  });
  const portBase = values['port-base'] === undefined ? undefined : Number(values['port-base']);
  if (portBase !== undefined && (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65534)) {
    throw new Error(`--port-base must be a whole number from 1024 to 65534, got "${values['port-base']}"`);
  }
  const log = (line: string) => process.stderr.write(`[tocsin] ${line}\n`);
  const runtime = await startLocalRuntime({ portBase, dataDir: values.data, configFile: values.config, log });
  process.stdout.write(`${JSON.stringify(runtime.endpoints)}\n`);
  log('ready; Ctrl-C to stop');

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping the emulators`);
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log(`shutdown failed: ${String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`[tocsin] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
