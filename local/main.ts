import { parseArgs } from 'node:util';

/**
 * `npm start`: replays the TSE morning of 1 October 2020 on embedded emulators — and the afternoon
 * it did not have, resuming by TSE's 2021 rules — and prints the timeline (`--scenario no-standby`
 * for the standby that was never ready, `--scenario no-quorum` for too few participants ready to
 * resume the same day, `--speed N` for the acceleration).
 *
 * `npm start -- --serve` (and `tocsin local`): runs Tocsin locally and stays up until Ctrl-C
 * (SIGINT) or SIGTERM. Prints exactly one JSON line with the endpoints on stdout; everything
 * else goes to stderr, so `npm start -- --serve | head -1 | jq` works.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      serve: { type: 'boolean', default: false },
      'port-base': { type: 'string' },
      data: { type: 'string' },
      config: { type: 'string' },
      scenario: { type: 'string' },
      speed: { type: 'string' },
      verbose: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const portBase = values['port-base'] === undefined ? undefined : Number(values['port-base']);
  if (portBase !== undefined && (!Number.isInteger(portBase) || portBase < 1024 || portBase > 65526)) {
    throw new Error(`--port-base must be a whole number from 1024 to 65526, got "${values['port-base']}"`);
  }
  const log = (line: string) => process.stderr.write(`[tocsin] ${line}\n`);
  // stdout carries only the endpoint line: the handlers' logs (Powertools, in dev mode through
  // the global console) go to stderr, and their EMF metrics stay off (no CloudWatch here).
  process.env.POWERTOOLS_DEV ??= 'true';
  for (const level of ['log', 'info', 'debug', 'warn'] as const) console[level] = console.error;
  // The replay prints its own story; the handlers' per-request logs would drown it (--verbose
  // brings them back). Set before the handlers are loaded: their loggers read it when created.
  if (!values.serve && !values.verbose) process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
  // Loaded only now, so that the handlers' loggers are created with the settings above.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startLocalRuntime } = require('./runtime') as typeof import('./runtime');
  if (!values.serve) {
    const scenario = (values.scenario ?? 'tse-2020') as import('./replay').Scenario;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { replay, report, SCENARIOS } = require('./replay') as typeof import('./replay');
    if (!SCENARIOS.includes(scenario)) throw new Error(`--scenario must be one of ${SCENARIOS.join(', ')}, got "${values.scenario}"`);
    const speed = values.speed === undefined ? 20 : Number(values.speed);
    if (!(speed >= 1 && speed <= 200)) throw new Error(`--speed must be a number from 1 to 200, got "${values.speed}"`);
    const started = Date.now();
    const result = await replay({ scenario, speed, progress: (line) => log(`${line}  [${((Date.now() - started) / 1000).toFixed(1)} s]`) });
    process.stdout.write(`${report(result)}\n`);
    return;
  }
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
