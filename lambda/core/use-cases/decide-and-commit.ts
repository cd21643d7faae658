import type { DecisionContext } from '../context';
import { ConcurrentUpdateError, ContentionError } from '../errors';
import { isNoChange, noChange, type IncidentCounts, type Transition } from '../model';
import { withNoticeText } from '../notice-text';
import type { IncidentStore } from '../ports';
import { replayAnswer, requestRecord, type RequestAnswer, type RequestIdentity } from '../requests';

/**
 * Read, decide (pure), commit (one conditional transaction), and on a lost race read again and
 * decide again, a bounded number of times: the loop every use case runs. A committed
 * transition's counter changes are applied after it (atomic increments).
 *
 * With a {@link RequestGuard} (an operator command that carries a `requestId`), every attempt
 * first reads the request's record: found, the first answer is given again (or 409 when the
 * body or caller differs) and nothing is decided; not found, the record — with the answer —
 * is committed with the transition, even one that changes nothing else. A repeat racing the
 * first loses on the record's condition, re-reads, and finds it.
 */

export interface UseCaseOptions {
  /** A fresh context per attempt: the clock moves on between attempts. */
  readonly context: () => DecisionContext;
  /** @default 12 */
  readonly maxAttempts?: number;
  /** Waits between attempts. @default exponential backoff with full jitter: up to min(1 s, 5 ms × 2^attempt) */
  readonly pause?: (attempt: number) => Promise<void>;
  /**
   * Applies the decision at most once under a requestId. Only the use case's one decisive commit
   * takes it (follow-up commits of the same command run without it). @default every call applies
   */
  readonly request?: RequestGuard;
}

/** An operator request to apply at most once, and how its answer is made. */
export interface RequestGuard {
  readonly identity: RequestIdentity;
  /** The answer the caller is given: recorded with the transition, given again to a repeat. */
  readonly answer: (outcome: Outcome, ctx: DecisionContext) => RequestAnswer;
}

/** What a use case adds to its outcome from its decision (the silence or poll it made). */
export type OutcomeDetails = Pick<Outcome, 'silenceId' | 'pollId'>;

export interface Outcome {
  readonly action: string;
  readonly incidentId?: string;
  readonly transition: Transition;
  /** How many attempts it took (1 unless a race was lost). */
  readonly attempts: number;
  /** The incident's counters after this transition's changes, when it had any. */
  readonly counts?: IncidentCounts;
  /** The silence a silence command created or ended. */
  readonly silenceId?: string;
  /** The readiness poll a `poll-readiness` opened. */
  readonly pollId?: string;
  /** With a {@link RequestGuard}: the answer recorded, or the first one given again. */
  readonly answer?: RequestAnswer;
  /** True when the request had been applied before: nothing was decided or written now. */
  readonly replayed?: boolean;
}

// Full jitter (the AWS Architecture Blog's "Exponential Backoff And Jitter"): writers that lost
// a race spread out instead of colliding again in step.
const defaultPause = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(1000, 5 * 2 ** attempt)));

export async function decideAndCommit(
  store: IncidentStore,
  what: string,
  options: UseCaseOptions,
  decide: (ctx: DecisionContext) => Promise<Transition>,
  details: (transition: Transition) => OutcomeDetails = () => ({}),
): Promise<Outcome> {
  const maxAttempts = options.maxAttempts ?? 12;
  const pause = options.pause ?? defaultPause;
  const guard = options.request;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const ctx = options.context();
    const earlier = guard ? await store.readRequest(guard.identity.requestId) : undefined;
    if (guard && earlier) return replayed(replayAnswer(earlier, guard.identity), attempt);
    const transition = withNoticeText(await decide(ctx), ctx.config);
    const incidentId = transition.incident?.id ?? transition.incidentId;
    const decided: Outcome = { action: transition.action, ...(incidentId ? { incidentId } : {}), ...details(transition), transition, attempts: attempt };
    const request = guard ? requestRecord(guard.identity, guard.answer(decided, ctx), ctx.now) : undefined;
    const outcome = request ? { ...decided, answer: request.answer } : decided;
    // A request that changes nothing is still recorded: its repeat must get the same answer.
    if (isNoChange(transition) && !request) return outcome;
    try {
      await store.commit(request ? { ...transition, request } : transition);
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      lastError = error;
      if (attempt < maxAttempts) await pause(attempt);
      continue;
    }
    const change = transition.counts;
    if (!change || (change.alarms === 0 && change.firing === 0)) return outcome;
    return { ...outcome, counts: await store.addCounts(change.incidentId, { alarms: change.alarms, firing: change.firing }) };
  }
  throw new ContentionError(what, maxAttempts, { cause: lastError });
}

/** A repeat's outcome: the first answer, nothing decided or written. */
function replayed(answer: RequestAnswer, attempts: number): Outcome {
  const { action: said, incidentId: about } = answer as { action?: unknown; incidentId?: unknown };
  const action = typeof said === 'string' ? said : 'replayed';
  const incidentId = typeof about === 'string' ? about : undefined;
  return { action, ...(incidentId ? { incidentId } : {}), transition: noChange(action, incidentId), attempts, answer, replayed: true };
}
