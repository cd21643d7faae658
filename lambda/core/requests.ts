import { createHash } from 'node:crypto';
import { ConflictError } from './errors';

/**
 * Idempotent operator commands (shared/DESIGN.md, "Operator commands (contract additions)"): a
 * command that carries a `requestId` is applied at most once. The first time, a request record —
 * who asked, a hash of what was asked, and the answer given — is written in the same transaction
 * as the command's transition (only if no live record of that requestId exists). A repeat is
 * answered from the record and changes nothing; the same requestId with another body, or from
 * another caller, is refused (409).
 *
 *   first:   read REQUEST#r (none) ─ decide ─ commit transition + REQUEST#r ─────────┐ one commits; the
 *   retry:   read REQUEST#r (none) ─ decide ─ commit transition + REQUEST#r ─ lost ──┘ other re-reads
 *            read REQUEST#r (found, same body and caller) ─ answer from the record
 *
 * Refusals (400, 404, 409) are not recorded: nothing was applied, so a repeat is decided afresh.
 */

/** What the caller was answered: the `operate` reply, a JSON object kept and given again to a repeat. */
export type RequestAnswer = object;

/** Who asked what, under which requestId: what a repeat must match. */
export interface RequestIdentity {
  readonly requestId: string;
  /** The command's name (`schedule-resume`), for messages. */
  readonly command: string;
  /** SHA-256 (hex) of the command's canonical JSON without `requestId`: sorted keys, defaults applied. */
  readonly bodySha256: string;
  /** The operator as recorded on the timeline: the IAM caller in AWS (with `as`), `as` locally. */
  readonly actor: string;
}

/** A request that was applied, and its answer. */
export interface RequestRecord extends RequestIdentity {
  /** When it was applied (epoch ms). */
  readonly at: number;
  readonly answer: RequestAnswer;
}

/**
 * How long a request is remembered: a retry (the CLI's own, or an operator re-running a shell
 * command with `--request-id`) comes within minutes; a day is ample and keeps the table small.
 */
export const REQUEST_RETENTION_HOURS = 24;

/** The identity of a command that carries a `requestId`; undefined for one that does not. */
export function requestIdentity(command: { readonly command: string; readonly requestId?: string }, actor: string): RequestIdentity | undefined {
  const { requestId, ...body } = command;
  if (requestId === undefined) return undefined;
  return { requestId, command: command.command, bodySha256: sha256Hex(canonicalJson(body)), actor };
}

/** The record to write with the transition that applies the request. */
export function requestRecord(identity: RequestIdentity, answer: RequestAnswer, now: number): RequestRecord {
  return { ...identity, at: now, answer };
}

/**
 * The answer to a repeat of `record`'s request: the first answer, when the repeat is the same
 * command from the same caller.
 * @throws ConflictError (409) naming the requestId, when the body or the caller differs
 */
export function replayAnswer(record: RequestRecord, repeat: RequestIdentity): RequestAnswer {
  const state = { requestId: record.requestId, command: record.command, requestedAt: new Date(record.at).toISOString() };
  if (record.actor !== repeat.actor) {
    throw new ConflictError(`requestId "${repeat.requestId}" was already used by another caller; send a new requestId`, state);
  }
  if (record.bodySha256 !== repeat.bodySha256) {
    throw new ConflictError(`requestId "${repeat.requestId}" was already used for a different ${record.command} command; send a new requestId for a new command`, state);
  }
  return record.answer;
}

/** JSON with every object's keys sorted (and undefined members left out, as JSON.stringify does): equal commands, equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sorted(value));
}

function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sorted((value as Record<string, unknown>)[key]);
  return out;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}
