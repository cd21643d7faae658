import { createHash, timingSafeEqual } from 'node:crypto';
import type { MonitorConfig } from '../core/config';

/**
 * Bearer-token authentication of monitors (`Authorization: Bearer <token>`, RFC 6750). The
 * configuration holds only each token's SHA-256; a presented token is hashed and its digest
 * compared with every configured digest in constant time (`crypto.timingSafeEqual`), all of them,
 * whatever matched, so neither the comparison nor the loop tells a caller how close it came.
 */

/** RFC 6750's `b64token`, at most this long: anything longer is no token Tocsin issued. */
const TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
export const MONITOR_TOKEN_MAX_LENGTH = 512;

/** The one message every refused request gets, whatever was wrong: a caller learns nothing from it. */
export const UNAUTHORIZED_MESSAGE = 'missing or invalid bearer token';

/** The token of an `Authorization: Bearer <token>` header, or undefined when the header is absent or malformed. */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const match = /^Bearer +(\S+) *$/i.exec(authorization);
  const token = match?.[1];
  return token !== undefined && token.length <= MONITOR_TOKEN_MAX_LENGTH && TOKEN.test(token) ? token : undefined;
}

/**
 * The monitor whose token this is, or undefined. Every configured digest is compared, in constant
 * time, whether or not an earlier one matched.
 *
 * @example
 * const monitor = monitorOfToken(bearerToken(headers.authorization), config.monitors);
 * if (!monitor) return json(401, { error: UNAUTHORIZED_MESSAGE });
 */
export function monitorOfToken<M extends Pick<MonitorConfig, 'tokenSha256'>>(token: string | undefined, monitors: readonly M[]): M | undefined {
  // A missing token is hashed too (as the empty string, which no monitor's digest can match since
  // tokens are never empty), so a request without one costs what a wrong one costs.
  const presented = createHash('sha256')
    .update(token ?? '')
    .digest();
  let found: M | undefined;
  for (const monitor of monitors) {
    const expected = Buffer.from(monitor.tokenSha256, 'hex');
    if (timingSafeEqual(presented, expected) && token !== undefined && found === undefined) found = monitor;
  }
  return found;
}

/** The SHA-256 of a token as 64 hex digits: what `monitors[].tokenSha256` holds. */
export function tokenSha256(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
