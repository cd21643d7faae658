import { TocsinError } from '../../lambda/core/errors';

/**
 * The `tocsin` exit codes, so a script can tell a refusal it may retry from one it must not
 * (`tocsin --help` and the README list them). Commander's own usage errors exit with `usage` too.
 */
export const EXIT_CODES = {
  ok: 0,
  /** Anything not listed below (a server error, a stack without the output, a bug). */
  failure: 1,
  /** Bad options or arguments, a command Tocsin refuses as malformed (HTTP 400), a missing `--yes`. */
  usage: 2,
  /** Tocsin does not know the incident, market, group, node or poll (HTTP 404). */
  notFound: 3,
  /** The current state does not allow the command (HTTP 409). */
  conflict: 4,
  /** Tocsin or AWS could not be reached, or refused the credentials (network error, timeout, HTTP 401/403). */
  unreachable: 5,
} as const;

export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit codes as `tocsin --help` lists them. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0  ok',
  '  1  other error',
  '  2  usage: bad options or arguments, a command Tocsin refuses as malformed (HTTP 400), --yes missing off a terminal',
  '  3  not found (HTTP 404): no such incident, market, group, node or poll',
  '  4  conflict (HTTP 409): the current state does not allow the command',
  '  5  unreachable or not authorised: network error or timeout, HTTP 401/403, no or refused AWS credentials',
].join('\n');

/**
 * Errors the `tocsin` CLI reports on purpose: each becomes one line on stderr and its
 * {@link exitCode} (1 unless a subclass says otherwise). Anything else that escapes a command is
 * a bug, reported the same way with its class name, exit code 1.
 */
export class CliError extends TocsinError {
  public readonly exitCode: ExitCode;

  public constructor(message: string, options?: ErrorOptions & { exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? EXIT_CODES.failure;
  }
}

/** An option's value (or a combination of options) the command cannot use; the message names the option. Exit code 2. */
export class OptionError extends CliError {
  public constructor(
    /** The option as typed, e.g. `--types`. */
    public readonly option: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`option ${option}: ${problem}`, { ...options, exitCode: EXIT_CODES.usage });
    this.name = 'OptionError';
  }
}

/** A command that changes trading (halt, resumption, failover, drill) was not confirmed: `--yes` missing off a terminal. Exit code 2. */
export class ConfirmationNeededError extends CliError {
  public constructor(message: string) {
    super(message, { exitCode: EXIT_CODES.usage });
    this.name = 'ConfirmationNeededError';
  }
}

/** The operator answered no at the confirmation prompt: nothing was sent. Exit code 1. */
export class DeclinedError extends CliError {
  public constructor(message: string) {
    super(message);
    this.name = 'DeclinedError';
  }
}

/** The target (local serve-mode JSON, stack, stack output) cannot be found or read. */
export class TargetError extends CliError {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TargetError';
  }
}

/** A call to AWS (or to the local emulators) failed; the message says what to do about it. */
export class AwsCallError extends CliError {
  public constructor(message: string, options?: ErrorOptions & { exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'AwsCallError';
  }
}

/** Where a failed call went, for the message. */
export interface CallSite {
  /** The service in the user's words: `SNS`, `CloudFormation`. */
  readonly service: string;
  /** The endpoint URL when the CLI chose it (local serve mode), else a description such as `eu-west-1`. */
  readonly where: string | undefined;
  /** True for the local emulators: the fix for an unreachable endpoint is to start serve mode. */
  readonly local: boolean;
}

/** Node's codes for "nothing answered at that address". */
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET']);

/**
 * Turns an SDK failure into an {@link AwsCallError} with a message that says what to do:
 * start serve mode, log in, pass a region. Service errors keep AWS's own words.
 */
export function explainAwsError(error: unknown, site: CallSite): CliError {
  if (error instanceof CliError) return error;
  const at = site.where ? ` at ${site.where}` : '';
  const code = networkCode(error);
  if (code) {
    const hint = site.local ? '; is `npm start -- --serve` running?' : '; check the network and the region';
    return new AwsCallError(`cannot reach ${site.service}${at} (${code})${hint}`, { cause: error, exitCode: EXIT_CODES.unreachable });
  }
  const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
  if (name === 'TimeoutError') {
    return new AwsCallError(`no answer from ${site.service}${at}: ${message}`, { cause: error, exitCode: EXIT_CODES.unreachable });
  }
  if (name === 'CredentialsProviderError') {
    return new AwsCallError(
      'no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or run `aws sso login`; ' +
        'for the local emulators pass --local',
      { cause: error, exitCode: EXIT_CODES.unreachable },
    );
  }
  if (/region is missing/i.test(message)) {
    return new AwsCallError('no AWS region: pass --region or set AWS_REGION', { cause: error, exitCode: EXIT_CODES.usage });
  }
  if (/^(ExpiredToken(Exception)?|InvalidClientTokenId|UnrecognizedClientException|SignatureDoesNotMatch)$/.test(name)) {
    return new AwsCallError(`AWS refused the credentials (${name}): ${message}; log in again (e.g. \`aws sso login\`)`, { cause: error, exitCode: EXIT_CODES.unreachable });
  }
  if (isServiceError(error)) {
    return new AwsCallError(`${site.service} refused the request (${name}): ${message}`, { cause: error });
  }
  return new AwsCallError(`${site.service} call failed${at}: ${name}: ${message}`, { cause: error });
}

/** The network error code anywhere in the error, its cause or (for a multi-address connect) its parts. */
function networkCode(error: unknown, depth = 0): string | undefined {
  if (depth > 4 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors, message } = error as { code?: unknown; cause?: unknown; errors?: unknown; message?: unknown };
  if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return code;
  // The SDK wraps an error from another realm (a vm context, jest) in a plain Error that keeps
  // only the text, e.g. "AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:9".
  const named = typeof message === 'string' ? /\b(?:connect|getaddrinfo|read) (E[A-Z]+)\b/.exec(message)?.[1] : undefined;
  if (named && UNREACHABLE_CODES.has(named)) return named;
  if (Array.isArray(errors)) {
    for (const part of errors) {
      const found = networkCode(part, depth + 1);
      if (found) return found;
    }
  }
  return networkCode(cause, depth + 1);
}

/** An error the service sent back (it has an HTTP status), as opposed to one raised on this side. */
function isServiceError(error: unknown): boolean {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return typeof metadata?.httpStatusCode === 'number';
}
