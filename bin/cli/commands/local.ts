import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { CommandContext } from '../io';

/**
 * `tocsin local`: the local serve mode (shared/DESIGN.md, "Local serve mode") — the same process
 * as `npm start -- --serve`: one JSON line with the endpoints on stdout, logs on stderr, up until
 * Ctrl-C or SIGTERM, which it passes on so nothing is left behind.
 */
export function register(parent: Command, _ctx: CommandContext): Command {
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
      const root = join(__dirname, '..', '..', '..');
      const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(root, 'local', 'main.ts'), ...args], {
        cwd: root,
        stdio: 'inherit',
      });
      const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
      process.on('SIGINT', forward('SIGINT'));
      process.on('SIGTERM', forward('SIGTERM'));
      const code = await new Promise<number>((done) => child.once('exit', (c) => done(c ?? 1)));
      process.exitCode = code;
    });
}
