/**
 * The per-monitor rate limit's arithmetic: fixed one-minute windows on Tocsin's clock. Pure; the
 * count itself is kept by the store (a conditional atomic increment, `RateLimiter`).
 */

export const RATE_WINDOW_MS = 60_000;

export interface RateWindow {
  /** Start of the window `now` falls in, epoch ms (a whole minute). */
  readonly start: number;
  /** Seconds until the next window opens, at least 1: what a refused caller is told in `Retry-After`. */
  readonly retryAfterSeconds: number;
  /** When the window's count may be forgotten, epoch ms: one window after it closes. */
  readonly expiresAt: number;
}

/**
 * The window `now` falls in.
 *
 * @example
 * rateWindow(Date.parse('2020-10-01T07:04:13.250Z'));
 * // { start: Date.parse('2020-10-01T07:04:00Z'), retryAfterSeconds: 47, expiresAt: Date.parse('2020-10-01T07:06:00Z') }
 */
export function rateWindow(now: number): RateWindow {
  const start = now - (((now % RATE_WINDOW_MS) + RATE_WINDOW_MS) % RATE_WINDOW_MS);
  return {
    start,
    retryAfterSeconds: Math.max(1, Math.ceil((start + RATE_WINDOW_MS - now) / 1000)),
    expiresAt: start + 2 * RATE_WINDOW_MS,
  };
}
