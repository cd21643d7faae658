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
