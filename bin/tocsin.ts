#!/usr/bin/env node
import { run } from './cli/program';

/**
 * The `tocsin` command line (`npx tocsin --help`). The program lives in `bin/cli/`; this file
 * only connects it to the process. `bin/tocsin.js` runs it through ts-node.
 */
export { run } from './cli/program';
export type { CliClients, CliIo } from './cli/io';

/** Runs the CLI on this process's arguments and sets the exit code (no `process.exit`, so output is flushed). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  process.exitCode = await run(argv);
}

if (require.main === module) void main();
