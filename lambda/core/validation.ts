import * as z from 'zod';
import { ValidationError, type FieldProblem } from './errors';

/**
 * Tocsin's validation vocabulary, shared by configuration, alarm events, monitor events and
 * operator commands: every problem says which field, what arrived and what was expected.
 */

/**
 * What no single-line text may hold: C0 controls (U+0000–U+001F), DEL and the C1 controls
 * (U+007F–U+009F), and Unicode's Bidi_Control characters (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069), which reorder what a reader sees: an operator name or a summary could otherwise
 * be made to read as something else on the timeline.
 */
export const CONTROL_CHARACTER = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const CONTROL_CHARACTERS = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]+/g;

/** How {@link CONTROL_CHARACTER} reads in a message. */
export const CONTROL_CHARACTER_RULE =
  'control characters (U+0000–U+001F, U+007F–U+009F) or bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)';

/** Ids: lower-case letters, digits and dashes, e.g. `shared-disk`. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]*$/;
export const ID_MAX_LENGTH = 64;

/**
 * Turns zod issues into {@link FieldProblem}s with a readable path (`groups[0].nodes`).
 */
export function toFieldProblems(error: z.ZodError, root = ''): FieldProblem[] {
  return error.issues.map((issue) => ({ field: formatPath(root, issue.path), problem: issue.message }));
}

function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

/** A short, log-safe rendering of a value that arrived. */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  // Integers beyond ±(2^53 − 1), as Tocsin's JSON reader keeps them (lambda/adapters/safe-json.ts).
  if (typeof value === 'bigint') return `integer ${String(value).length > 40 ? `${String(value).slice(0, 40)}…` : String(value)}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0) return 'an empty object';
    const shown = keys.slice(0, 6).map((k) => JSON.stringify(k)).join(', ');
    return `an object with keys ${shown}${keys.length > 6 ? ', …' : ''}`;
  }
  return typeof value;
}

function expectedType(expected: string): string {
  switch (expected) {
    case 'record':
    case 'object':
      return 'an object';
    case 'array':
      return 'an array';
    case 'int':
      return 'an integer';
    default:
      return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
  }
}

function lengthOf(input: unknown): number | undefined {
  if (typeof input === 'string' || Array.isArray(input)) return input.length;
  return undefined;
}

/**
 * Error map used for every parse in this module: zod's defaults say what was expected but not
 * what arrived ("Invalid option: expected one of …"); an operator reading a 400 needs both.
 */
export const issueMessage: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `missing; expected ${expectedType(issue.expected)}`;
      return `expected ${expectedType(issue.expected)}, got ${describe(issue.input)}`;
    case 'invalid_value': {
      const allowed = issue.values.map((v) => JSON.stringify(v));
      if (issue.input === undefined) return `missing; expected ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}`;
      if (allowed.length === 1) return `expected ${allowed[0]}, got ${describe(issue.input)}`;
      return `expected one of ${allowed.join(', ')}; got ${describe(issue.input)}`;
    }
    case 'too_small': {
      const got = lengthOf(issue.input);
      if (issue.origin === 'string') return issue.minimum === 1 ? 'must not be empty' : `must be at least ${issue.minimum} characters, got ${got}`;
      if (issue.origin === 'array') return `must have at least ${issue.minimum} item${issue.minimum === 1 ? '' : 's'}, got ${got}`;
      return undefined;
    }
    case 'too_big': {
      const got = lengthOf(issue.input);
      if (issue.origin === 'string') return `must be at most ${issue.maximum} characters, got ${got}`;
      if (issue.origin === 'array') return `must have at most ${issue.maximum} items, got ${got}`;
      return undefined;
    }
    case 'invalid_key':
      // A record's key broke its rule: say which rule (the nested issues), not just "Invalid key".
      return `key ${describe(issue.input)} refused: ${issue.issues.map((inner) => inner.message).join('; ')}`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
};

/** Runs a schema with Tocsin's messages; throws a {@link ValidationError} about `what`. */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, what: string, root = ''): z.output<S> {
  const result = schema.safeParse(input, { error: issueMessage });
  if (!result.success) throw new ValidationError(what, toFieldProblems(result.error, root), { cause: result.error });
  return result.data;
}

const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Parses an ISO-8601 / RFC 3339 date-time that carries seconds and an offset (`Z`, `+09:00`) to
 * epoch milliseconds; `undefined` when it is not one, or names a day that does not exist.
 *
 * Also takes the `+0000` offset (no colon) that CloudWatch writes in `StateChangeTime` and
 * `detail.state.timestamp`, e.g. `2021-05-25T11:23:25.569+0000`: `Date.parse` reads that form
 * differently across engines and rolls `2021-02-30` over to March, so the fields are checked and
 * combined here instead.
 *
 * @example
 * parseIsoInstant('2021-05-25T11:23:25.569+0000'); // Date.UTC(2021, 4, 25, 11, 23, 25, 569)
 * parseIsoInstant('2020-10-01T07:04:00+09:00');    // Date.UTC(2020, 8, 30, 22, 4, 0)
 */
export function parseIsoInstant(text: string): number | undefined {
  const m = ISO_DATE_TIME.exec(text);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const offsetHours = Number(m[10]);
    const offsetMins = Number(m[11]);
    if (offsetHours > 23 || offsetMins > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** An ISO-8601 date-time string, parsed to epoch milliseconds. */
export const instant = z
  .string({
    error: (issue) =>
      issue.input === undefined ? 'missing; expected an ISO-8601 date-time string' : `expected an ISO-8601 date-time string, got ${describe(issue.input)}`,
  })
  .transform((text, ctx) => {
    const ms = parseIsoInstant(text);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be an ISO-8601 date-time with seconds and an offset or Z (e.g. "2020-10-01T07:04:13+09:00"), got ${describe(text)}`,
      });
      return z.NEVER;
    }
    return ms;
  });

/** A non-empty, bounded, single-line string. */
export function text(max: number) {
  return z
    .string()
    .min(1)
    .max(max)
    .superRefine((value, ctx) => {
      const at = value.search(CONTROL_CHARACTER);
      if (at >= 0) {
        const code = value.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0');
        ctx.addIssue({
          code: 'custom',
          message: `must not contain ${CONTROL_CHARACTER_RULE}; found U+${code} at position ${at}`,
        });
      }
    });
}

/** A Tocsin id (market, segment, component, group, node): the one rule for configuration and events alike. */
export const id = z
  .string()
  .min(1)
  .max(ID_MAX_LENGTH)
  .regex(ID_PATTERN, { error: (issue) => `must be lower-case letters, digits and dashes (e.g. "shared-disk"), got ${describe(issue.input)}` });

export function oneLine(value: string): string {
  return value.replace(CONTROL_CHARACTERS, ' ').trim();
}

export function truncate(value: string, max: number): string {
  return value.length <= max ? value : `${value.slice(0, max - 1)}…`;
}

/** How deep `details` may nest below themselves (the body's own nesting limit is 16). */
export const DETAILS_MAX_DEPTH = 12;

/**
 * A free-form object kept on the timeline (`details`), checked for what DynamoDB can store and
 * made storable: integers beyond ±(2^53 − 1) (which Tocsin's JSON reader keeps as `bigint`)
 * become strings of their digits; a non-finite number, a number DynamoDB cannot hold (beyond
 * ±(2^53 − 1), or below 1e-130 in magnitude), an empty key, a `__proto__` key or nesting deeper
 * than {@link DETAILS_MAX_DEPTH} is refused, naming where.
 */
export function storableObject() {
  return z.record(z.string(), z.unknown()).transform((value, ctx) => makeStorable(value, ctx) as Record<string, unknown>);
}

/** Any JSON value kept on the timeline, checked and made storable as {@link storableObject} says. */
export function storableValue() {
  return z.unknown().transform((value, ctx) => makeStorable(value, ctx));
}

function makeStorable(value: unknown, ctx: z.RefinementCtx): unknown {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const out = storable(value, [], 0, problems);
  for (const problem of problems.slice(0, 5)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  return problems.length ? z.NEVER : out;
}

/**
 * An id made from a free-form name (a Prometheus `job`, a PagerDuty `source`): lower-cased, every
 * character outside [a-z0-9-] replaced by '-', leading dashes dropped, at most 64 characters;
 * `fallback` when nothing is left.
 *
 * @example
 * toId('node_exporter', 'alertmanager'); // 'node-exporter'
 */
export function toId(name: string, fallback: string): string {
  const out = name
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^-+/, '')
    .slice(0, ID_MAX_LENGTH);
  return out === '' ? fallback : out;
}

function storable(value: unknown, path: (string | number)[], depth: number, problems: Array<{ path: (string | number)[]; message: string }>): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER || (value !== 0 && Math.abs(value) < 1e-130)) {
      problems.push({ path, message: `number ${String(value)} cannot be stored: numbers must be finite, at most ±9007199254740991 and, unless 0, at least 1e-130 in magnitude` });
    }
    return value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= DETAILS_MAX_DEPTH) {
    problems.push({ path, message: `nests deeper than ${DETAILS_MAX_DEPTH} levels` });
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => storable(item, [...path, i], depth + 1, problems));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '' || key === '__proto__') {
      problems.push({ path: [...path, key], message: key === '' ? 'an empty key cannot be stored' : 'the key "__proto__" is not accepted' });
      continue;
    }
    out[key] = storable(item, [...path, key], depth + 1, problems);
  }
  return out;
}
