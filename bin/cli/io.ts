import type { CloudFormationClient, CloudFormationClientConfig } from '@aws-sdk/client-cloudformation';
import type { SNSClient, SNSClientConfig } from '@aws-sdk/client-sns';

/**
 * Builds the SDK clients a command needs once its target is known (the region, endpoint and
 * credentials depend on it). Tests inject their own; the CLI destroys every client it was given
 * when the command ends.
 */
export interface CliClients {
  sns(config: SNSClientConfig): SNSClient;
  cloudFormation(config: CloudFormationClientConfig): CloudFormationClient;
  /** Credentials for signing requests to Tocsin's IAM-auth Function URLs (`--stack`). */
  credentials(): CredentialsProvider;
}

/** AWS credentials, as the SDK's providers give them. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

export type CredentialsProvider = () => Promise<AwsCredentials>;

/** Everything the CLI touches outside itself, so `run` can be driven from a test. */
export interface CliIo {
  /** Receives stdout text, newlines included. */
  readonly stdout: (text: string) => void;
  /** Receives stderr text, newlines included. */
  readonly stderr: (text: string) => void;
  /** Environment variables the CLI reads itself (`TOCSIN_LOCAL`, `TOCSIN_DEBUG`). Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Defaults to {@link defaultClients}. Any client left out is built the default way. */
  readonly clients?: Partial<CliClients>;
  /**
   * Whether a person is at a terminal: stdin and stdout both TTYs. Commands that change trading
   * ask for confirmation then, and refuse without `--yes` otherwise. Defaults to false (no prompt,
   * `--yes` needed): {@link processIo} sets it from the process.
   */
  readonly interactive?: boolean;
  /**
   * Shows `question` (on stderr, so stdout stays the command's output) and resolves to the line
   * typed. Only called when {@link interactive}. Defaults to reading a line from stdin.
   */
  readonly prompt?: (question: string) => Promise<string>;
}

/** Clients from the given configuration, the rest (credentials, endpoints) from the SDK's default chain. */
// The SDK's clients are loaded when a command first needs one, so a call that needs none (most
// against --local, --help, --version) starts without loading them.
/* eslint-disable @typescript-eslint/no-require-imports */
export const defaultClients: CliClients = {
  sns: (config) => new (require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns')).SNSClient(config),
  cloudFormation: (config) => new (require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation')).CloudFormationClient(config),
  // Loaded on first use: only the signed (--stack) requests to Tocsin's URLs need it.
  credentials: () => {
    let provider: CredentialsProvider | undefined;
    return async () => {
      provider ??= (await import('@aws-sdk/credential-provider-node')).defaultProvider();
      return provider();
    };
  },
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The real process: stdout, stderr, environment, and whether both stdin and stdout are a terminal. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    prompt: promptOnTerminal,
  };
}

/** Asks on stderr and reads one line from stdin (the terminal); the interface is closed after the answer so the process can end. */
async function promptOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const terminal = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await terminal.question(question);
  } finally {
    terminal.close();
  }
}

/** What a command's action receives besides its options. */
export interface CommandContext {
  readonly io: CliIo;
  readonly env: NodeJS.ProcessEnv;
  readonly clients: CliClients;
  /** Writes one line to stdout. */
  out(line: string): void;
  /** Writes one line to stderr. */
  note(line: string): void;
  /** Whether a person is at a terminal ({@link CliIo.interactive}). */
  readonly interactive: boolean;
  /** Asks a question at the terminal and resolves to the answer ({@link CliIo.prompt}). */
  ask(question: string): Promise<string>;
  /** Sets the exit code `run` returns when the command ends without an error (e.g. `local`'s runtime's). */
  exitWith(code: number): void;
  /** Destroys `client` when the command ends, whatever the outcome. */
  own<T extends { destroy(): void }>(client: T): T;
}
