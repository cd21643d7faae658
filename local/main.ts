import { parseArgs } from 'node:util';

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
  // stdout carries only the endpoint line: the handlers' logs (Powertools, in dev mode through
  // the global console) go to stderr, and their EMF metrics stay off (no CloudWatch here).
  process.env.POWERTOOLS_DEV ??= 'true';
  for (const level of ['log', 'info', 'debug', 'warn'] as const) console[level] = console.error;
  // Loaded only now, so that the handlers' loggers are created with the settings above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startLocalRuntime } = require('./runtime') as typeof import('./runtime');
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
