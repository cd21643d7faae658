import { ValidationError } from './errors';
import type { Incident } from './model';

/**
 * Every incident, open or resolved, newest first, a page at a time (`GET /incidents` on the
 * status URL, `tocsin incidents --all`). Incidents are ordered by when Tocsin opened them, then
 * by id, newest first; a page ends with the key of its last incident, and the next page starts
 * after it. The stores order by the same key ({@link incidentListKey}), so the in-memory and
 * DynamoDB stores page alike; to callers the key travels as an opaque token (base64url, made
 * and read by the operators' views, `incidentPageToken` / `incidentPageKey`).
 */

/** How many incidents a page holds unless the caller asks: what a terminal shows at once. */
export const DEFAULT_PAGE_SIZE = 50;
/** The most a page may hold: one DynamoDB Query page of small incident items, well inside 1 MB. */
export const MAX_PAGE_SIZE = 200;

/** A request for one page. */
export interface IncidentPageRequest {
  /** 1 … {@link MAX_PAGE_SIZE}. */
  readonly limit: number;
  /** The key the previous page ended with ({@link IncidentPage.next}); absent for the first page. */
  readonly after?: string;
}

/** One page of incidents, newest first. */
export interface IncidentPage {
  readonly incidents: readonly Incident[];
  /** The key to ask the next page after; absent on the last page. */
  readonly next?: string;
}

/** `2020-10-01T07:04:00.000Z#inc-1`: when it opened (ISO, so it sorts as text), then its id. */
export function incidentListKey(incident: Pick<Incident, 'openedAt' | 'id'>): string {
  return `${new Date(incident.openedAt).toISOString()}#${incident.id}`;
}

const LIST_KEY = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z#[^\s#][^\s]*$/;

/** The incident id in a list key ({@link incidentListKey}). */
export function incidentIdOfListKey(key: string): string {
  return key.slice(key.indexOf('#') + 1);
}

/** Whether `key` is a list key ({@link incidentListKey}); a caller's `next` must be one. */
export function isIncidentListKey(key: string): boolean {
  return LIST_KEY.test(key);
}

/** The page size a caller asked for (`limit`, text from a query string): {@link DEFAULT_PAGE_SIZE} when absent; else a whole number 1 … {@link MAX_PAGE_SIZE}, or 400. */
export function pageLimit(limit: string | undefined): number {
  if (limit === undefined || limit === '') return DEFAULT_PAGE_SIZE;
  const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) {
    throw new ValidationError('incident list request', [{ field: 'limit', problem: `expected a whole number from 1 to ${MAX_PAGE_SIZE}, got ${JSON.stringify(limit.slice(0, 40))}` }]);
  }
  return n;
}
