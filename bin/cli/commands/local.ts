import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../io';
import { ROOT } from '../root';

/**
 * `tocsin local`: the local serve mode (shared/DESIGN.md, "Local serve mode") — the same process
 * as `npm start -- --serve`: one JSON line with the endpoints on stdout, logs on stderr, up until
 * Ctrl-C or SIGTERM, which it passes on so nothing is left behind. Exits with the runtime's exit
 * code: non-zero when it cannot start (an invalid `--config`, a port in use).
 */
export function register(parent: Command, ctx: CommandContext): Command {
  return parent
    .command('local')
    .description('Run Tocsin locally on embedded emulators and print the endpoints as one JSON line (until Ctrl-C).')
    .option('--config <file>', 'configuration JSON (the same as the deployed stack takes)')
    .option('--port-base <n>', 'DynamoDB on n, SNS/SQS/S3 on n+1, ingest n+2, operate n+3, heartbeat n+4, status n+5, alarm events n+6, public status n+7, monitor n+8, respond n+9')
    .option('--data <dir>', 'keep DynamoDB state in this folder across restarts')
    .action(async (options: { config?: string; portBase?: string; data?: string }) => {
      const args = ['--serve'];
      if (options.config) args.push('--config', options.config);
      if (options.portBase) args.push('--port-base', options.portBase);
      if (options.data) args.push('--data', options.data);
      const root = ROOT;
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'local', 'main.ts'), ...args], {
        cwd: root,
        stdio: 'inherit',
      });
      const onInt = () => child.kill('SIGINT');
      const onTerm = () => child.kill('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      try {
        // Killed by a signal it did not handle: the shell's convention, 128 + the signal's number.
        const code = await new Promise<number>((done, fail) => {
          child.once('error', fail);
          child.once('exit', (c, signal) => done(c ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
        });
        ctx.exitWith(code);
      } finally {
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
      }
    });
}
