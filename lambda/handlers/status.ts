import { errorResponse, functionUrlRequest, json, type HttpResponse } from '../adapters/http';
import { flushMetrics, logger } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import { NotFoundError, TocsinError } from '../core/errors';
import { pageLimit } from '../core/incident-list';
import type { IncidentStore } from '../core/ports';
import { CONTENT_SECURITY_POLICY, escapeHtml, incidentListPage, incidentPage, notFoundPage, overviewPage, pollPage } from '../views/operator-html';
import { incidentListView, incidentPageKey, incidentView, pollPageView, statusOverview, type StatusOverview } from '../views/operator-views';

/**
 * `status` (Function URL, AWS_IAM auth in AWS): read-only market status and incident timelines.
 *
 * - `GET /` → `StatusOverview` `{markets, incidents, groups, silences, generatedAt}`: every
 *   configured market, the open incidents oldest first, the lease of every configured group that
 *   has one, the silences in force or scheduled. A market being resumed shows its latest
 *   readiness poll (with the tally) as `markets[].poll`.
 * - `GET /incidents?limit=N&next=TOKEN` → `IncidentListView` `{incidents, next?, generatedAt}`:
 *   every incident, open or resolved, newest first, `limit` (1 … 200, default 50) a page; `next`
 *   is the token for the following page, absent on the last. 400 `{error}` for a bad `limit` or a
 *   `next` no page gave. Other query parameters (`all=true`) are ignored.
 * - `GET /incidents/<id>` → `IncidentView` `{incident, timeline, notices}`; 404 `{error}` for an
 *   unknown incident.
 * - `GET /polls/<id>` → `PollPageView` `{poll, answers}`: a readiness poll, its tally, and each
 *   configured participant's answer; 404 `{error}` for an unknown poll.
 * - JSON (the typed views of `lambda/views/operator-views.ts`), unless the `accept` header prefers
 *   `text/html` (a browser): then the same resource as the page `lambda/views/operator-html.ts`
 *   renders, in market time, every stored string escaped.
 * - Any other path → 404 `{error}`; a method other than GET or HEAD → 405 with `allow: GET`.
 */

export interface StatusDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
}

const INCIDENT_LIST_PATH = /^\/incidents\/?$/;
const INCIDENT_PATH = /^\/incidents\/([^/]+)\/?$/;
const POLL_PATH = /^\/polls\/([^/]+)\/?$/;

export function createStatusHandler(deps: StatusDependencies) {
  return async function handler(event: unknown): Promise<HttpResponse> {
    try {
      const request = functionUrlRequest(event);
      if (!request) return json(400, { error: 'expected a Function URL request (payload format 2.0)' });
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return json(405, { error: `method ${request.method.slice(0, 16)} is not allowed; use GET` }, { allow: 'GET' });
      }
      const html = prefersHtml(request.headers.accept);
      const response = await route(deps, request.path, request.query, html);
      return request.method === 'HEAD' ? { ...response, body: '' } : response;
    } catch (error) {
      if (error instanceof TocsinError) logger.warn('status request refused', { error: error.message, kind: error.name });
      else logger.error('status request failed', { error: error as Error });
      return errorResponse(error);
    } finally {
      flushMetrics();
    }
  };
}

async function route(deps: StatusDependencies, path: string, query: Readonly<Record<string, string>>, html: boolean): Promise<HttpResponse> {
  if (path === '/' || path === '') {
    const overview = await readOverview(deps);
    return html ? page(200, overviewPage(overview)) : json(200, overview, READ_HEADERS);
  }
  if (INCIDENT_LIST_PATH.test(path)) {
    const limit = pageLimit(query.limit);
    const after = query.next === undefined || query.next === '' ? undefined : incidentPageKey(query.next);
    const { config, now } = deps.context();
    const view = incidentListView(await deps.store.listIncidents({ limit, ...(after !== undefined ? { after } : {}) }), config, now);
    return html ? page(200, incidentListPage(view, limit)) : json(200, view, READ_HEADERS);
  }
  const match = INCIDENT_PATH.exec(path);
  if (match) {
    const incidentId = safeDecode(match[1]!);
    const record = await deps.store.incidentRecord(incidentId);
    if (!record) return notFound(new NotFoundError('incident', incidentId).message, 'Tocsin — unknown incident', html);
    const view = incidentView(record, deps.context().config);
    return html ? page(200, incidentPage(view)) : json(200, view, READ_HEADERS);
  }
  const poll = POLL_PATH.exec(path);
  if (poll) {
    const pollId = safeDecode(poll[1]!);
    const record = await deps.store.readPoll(pollId);
    if (!record) return notFound(new NotFoundError('poll', pollId).message, 'Tocsin — unknown poll', html);
    const { config, now } = deps.context();
    const view = pollPageView(record, config, now);
    return html ? page(200, pollPage(view)) : json(200, view, READ_HEADERS);
  }
  return notFound(`no such resource ${JSON.stringify(path.slice(0, 200))}; try /, /incidents, /incidents/<incidentId> or /polls/<pollId>`, 'Tocsin — not found', html);
}

async function readOverview(deps: StatusDependencies): Promise<StatusOverview> {
  const { config, now } = deps.context();
  const [markets, incidents, leases, silences] = await Promise.all([
    Promise.all(config.markets.map((m) => deps.store.readMarket(m.id))),
    deps.store.openIncidents(),
    Promise.all(config.groups.map(async (g) => (await deps.store.readLeaseGroup(g.id)).lease)),
    deps.store.readSilences(),
  ]);
  // A market being resumed shows the poll its resumption is decided on.
  const polls = await Promise.all(markets.map((market) => (market.status !== 'trading' && market.pollId ? deps.store.readPoll(market.pollId) : undefined)));
  return statusOverview({ markets, incidents, leases, silences, polls }, config, now);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---- content negotiation and responses ----

/**
 * Whether `accept` prefers `text/html` over `application/json` (RFC 9110 §12.5.1: the most
 * specific matching range gives each type its quality). A tie, `*∕*` or no header means JSON.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = accept.split(',').flatMap((part) => {
    const [range = '', ...parameters] = part.split(';').map((p) => p.trim().toLowerCase());
    if (!range) return [];
    const qParameter = parameters.find((p) => p.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
    return [{ range, q: Number.isFinite(q) ? q : 0 }];
  });
  const quality = (type: string): number => {
    const [major] = type.split('/');
    for (const candidate of [type, `${major}/*`, '*/*']) {
      const found = ranges.filter((r) => r.range === candidate);
      if (found.length) return Math.max(...found.map((r) => r.q));
    }
    return 0;
  };
  const html = quality('text/html');
  return html > 0 && html > quality('application/json');
}

/** The escaping every page uses (re-exported for the handler's tests). */
export { escapeHtml };

const READ_HEADERS = { 'cache-control': 'no-store', vary: 'accept' };

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  ...READ_HEADERS,
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function page(statusCode: number, document: string): HttpResponse {
  return { statusCode, headers: HTML_HEADERS, body: document };
}

function notFound(message: string, title: string, html: boolean): HttpResponse {
  return html ? page(404, notFoundPage(title, message)) : json(404, { error: message }, READ_HEADERS);
}

let deployed: ReturnType<typeof createStatusHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: unknown) => {
  deployed ??= createStatusHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed(event);
};
