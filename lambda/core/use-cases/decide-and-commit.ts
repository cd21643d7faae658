import type { DecisionContext } from '../context';
import { ConcurrentUpdateError, ContentionError } from '../errors';
import { isNoChange, type IncidentCounts, type Transition } from '../model';
import { withNoticeText } from '../notice-text';
import type { IncidentStore } from '../ports';

/**
 * Read, decide (pure), commit (one conditional transaction), and on a lost race read again and
 * decide again, a bounded number of times: the loop every use case runs. A committed
 * transition's counter changes are applied after it (atomic increments).
 */

export interface UseCaseOptions {
  /** A fresh context per attempt: the clock moves on between attempts. */
  readonly context: () => DecisionContext;
  /** @default 12 */
  readonly maxAttempts?: number;
  /** Waits between attempts. @default exponential backoff with full jitter: up to min(1 s, 5 ms × 2^attempt) */
  readonly pause?: (attempt: number) => Promise<void>;
}

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
}

// Full jitter (the AWS Architecture Blog's "Exponential Backoff And Jitter"): writers that lost
// a race spread out instead of colliding again in step.
const defaultPause = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.random() * Math.min(1000, 5 * 2 ** attempt)));

export async function decideAndCommit(
  store: IncidentStore,
  what: string,
  options: UseCaseOptions,
  decide: (ctx: DecisionContext) => Promise<Transition>,
): Promise<Outcome> {
  const maxAttempts = options.maxAttempts ?? 12;
  const pause = options.pause ?? defaultPause;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const ctx = options.context();
    const transition = withNoticeText(await decide(ctx), ctx.config);
    const incidentId = transition.incident?.id ?? transition.incidentId;
    const outcome = { action: transition.action, ...(incidentId ? { incidentId } : {}), transition, attempts: attempt };
    if (isNoChange(transition)) return outcome;
    try {
      await store.commit(transition);
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
