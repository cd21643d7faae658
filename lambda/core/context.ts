import type { TocsinConfig } from './config';

/** What every decision is given instead of reaching for a clock, a random source or the environment. */
export interface DecisionContext {
  /** Tocsin's clock, epoch milliseconds. */
  readonly now: number;
  readonly config: TocsinConfig;
  /** A fresh incident id (the adapter makes it from the clock and randomness). */
  readonly newIncidentId: () => string;
}
