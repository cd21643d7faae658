import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import * as local from './commands/local';
import { OPERATOR_COMMANDS } from './commands/operate';
import { READ_COMMANDS } from './commands/read';
import { READINESS_COMMANDS } from './commands/readiness';
import * as subscribe from './commands/subscribe';
import { CliError, EXIT_CODES, EXIT_CODES_HELP } from './errors';
import { defaultClients, processIo, type CliIo, type CommandContext } from './io';
import { ROOT } from './root';

/**
 * The `tocsin` command line. Each command is a module under `commands/` exporting
 * `register(parent, ctx)`; they share the target options and resolver (`target.ts`), the error
 * vocabulary (`errors.ts`) and the injectable I/O (`io.ts`).
 */

/** A command module: adds its command (options, help, action) to the program. */
export interface CliCommandModule {
  register(parent: Command, ctx: CommandContext): Command;
}

/** The commands, in the order `tocsin --help` lists them. */
export const COMMANDS: readonly CliCommandModule[] = [local, subscribe, ...READ_COMMANDS, ...OPERATOR_COMMANDS, ...READINESS_COMMANDS];

/**
 * Runs the CLI with `argv` (the arguments after `tocsin`) and returns the exit code: 0 on success,
 * on failure one line on stderr and the code of {@link EXIT_CODES} that says what kind of failure
 * (2 usage, 3 not found, 4 conflict, 5 unreachable or not authorised, 1 anything else). Never
 * calls `process.exit`.
 *
 * @example
 *   const code = await run(['subscribe', '--local', 'serve.json', '--protocol', 'sqs', '--endpoint', queueArn], io);
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const owned: Array<{ destroy(): void }> = [];
  let exitCode: number = EXIT_CODES.ok;
  const ctx: CommandContext = {
    io,
    env: io.env ?? process.env,
    clients: { ...defaultClients, ...io.clients },
    out: (line) => io.stdout(`${line}\n`),
    note: (line) => io.stderr(`${line}\n`),
    interactive: io.interactive ?? false,
    ask: (question) => {
      if (!io.prompt) return Promise.reject(new CliError('cannot ask for confirmation here: pass --yes'));
      return io.prompt(question);
    },
    exitWith: (code) => {
      exitCode = code;
    },
    own: (client) => {
      owned.push(client);
      return client;
    },
  };
  try {
    await program(ctx).parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    // Commander has already written its own message (or the help) through the output configuration;
    // --help and --version exit 0, every usage error (unknown option, missing argument…) 2.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
    if (error instanceof CliError) {
      io.stderr(`error: ${oneLine(error.message)}\n`);
    } else {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      io.stderr(`error: unexpected ${name}: ${oneLine(message)}${ctx.env.TOCSIN_DEBUG ? '' : ' (TOCSIN_DEBUG=1 shows the stack)'}\n`);
    }
    if (ctx.env.TOCSIN_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_CODES.failure;
  } finally {
    for (const client of owned) client.destroy();
  }
}

/** The commander program, its output routed to `ctx.io`. */
export function program(ctx: CommandContext): Command {
  const root = new Command('tocsin')
    .description("Tocsin's operator and participant command line")
    .version(packageVersion(), '-V, --version')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.io.stdout(text),
      writeErr: (text) => ctx.io.stderr(text),
      // Keep commander's "(Did you mean …?)" on the error's line: one line per error.
      outputError: (text, write) => write(text.replace(/\n(?=\(Did you mean)/, ' ')),
    })
    .showHelpAfterError(false)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
  for (const command of COMMANDS) command.register(root, ctx);
  return root;
}

function packageVersion(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
  return version;
}

/** An error message as one stderr line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
