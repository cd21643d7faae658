import type { DecisionContext } from './context';
import { ConcurrentUpdateError, ContentionError } from './errors';
import { isNoChange, type Transition } from './model';
import type { IncidentStore } from './ports';

/**
 * Read, decide (pure), commit (one conditional transaction), and on a lost race read again and
 * decide again, a bounded number of times: the loop every use case runs.
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
}

// Full jitter (the AWS Architecture Blog's "Exponential Backoff And Jitter"): an alarm storm's
// concurrent writers to one incident spread out instead of colliding again in step.
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
    const transition = await decide(options.context());
    const incidentId = transition.incident?.id ?? transition.incidentId;
    if (isNoChange(transition)) return { action: transition.action, ...(incidentId ? { incidentId } : {}), transition, attempts: attempt };
    try {
      await store.commit(transition);
      return { action: transition.action, ...(incidentId ? { incidentId } : {}), transition, attempts: attempt };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      lastError = error;
      if (attempt < maxAttempts) await pause(attempt);
    }
  }
  throw new ContentionError(what, maxAttempts, { cause: lastError });
}

