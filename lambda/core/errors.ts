/**
 * Every error Tocsin raises on purpose. Callers branch on the class (or `name`), never on the
 * message; the message is for the human reading a log line or an HTTP 4xx body.
 */
export class TocsinError extends Error {
  public constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TocsinError';
  }
}

/** One field of an input is wrong: says which, what arrived, and what was expected. */
export interface FieldProblem {
  /** Dotted path of the field, e.g. `groups[0].leaseDurationSeconds`; empty for the whole input. */
  readonly field: string;
  /** What was wrong with it, in words. */
  readonly problem: string;
}

/** An event, request or command that does not match its schema. Maps to HTTP 400. */
export class ValidationError extends TocsinError {
  public readonly problems: readonly FieldProblem[];

  public constructor(what: string, problems: readonly FieldProblem[], options?: ErrorOptions) {
    super(`invalid ${what}: ${formatProblems(problems)}`, options);
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

/** The Tocsin configuration is invalid; raised at start (or at synth time for the stack). */
export class ConfigError extends ValidationError {
  public constructor(problems: readonly FieldProblem[], options?: ErrorOptions) {
    super('configuration', problems, options);
    this.name = 'ConfigError';
  }
}

function formatProblems(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.problem}` : p.problem)).join('; ');
}

/** The command names an incident, market or group that does not exist. Maps to HTTP 404. */
export class NotFoundError extends TocsinError {
  public constructor(
    public readonly kind: 'incident' | 'market' | 'group' | 'node' | 'silence' | 'poll' | 'participant',
    public readonly id: string,
    detail = '',
  ) {
    super(`unknown ${kind} "${id}"${detail ? `: ${detail}` : ''}`);
    this.name = 'NotFoundError';
  }
}

/**
 * The caller is authenticated, but not as the one the request speaks for (a participant's
 * answer signed by another account). Maps to HTTP 403.
 */
export class ForbiddenError extends TocsinError {
  public constructor(message: string) {
    super(message);
    this.name = 'ForbiddenError';
  }
}

/**
 * The transition is not allowed from the current state (resume a market that is trading, ack a
 * resolved incident). Maps to HTTP 409 and carries the state so the caller sees why.
 */
export class ConflictError extends TocsinError {
  public constructor(
    message: string,
    public readonly state: Readonly<Record<string, unknown>>,
  ) {
    super(message);
    this.name = 'ConflictError';
  }
}

/**
 * Other writers kept winning the race for the same items, past the retry budget. Nothing was
 * written; the caller may retry later (HTTP 503, or the event source's own retry).
 */
export class ContentionError extends TocsinError {
  public constructor(what: string, attempts: number, options?: ErrorOptions) {
    super(`gave up on ${what} after ${attempts} attempts lost to concurrent writers; nothing was written`, options);
    this.name = 'ContentionError';
  }
}

/**
 * A conditional write found the state changed since it was read (another writer won the race).
 * The use case re-reads and decides again; it never surfaces past the retry budget as such.
 */
export class ConcurrentUpdateError extends TocsinError {
  public constructor(
    message: string,
    public readonly reasons: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ConcurrentUpdateError';
  }
}
