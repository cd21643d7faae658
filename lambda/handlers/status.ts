import { errorResponse, functionUrlRequest, json, type HttpResponse } from '../adapters/http';
import { flushMetrics, logger } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import { escalationOf, type TocsinConfig } from '../core/config';
import type { DecisionContext } from '../core/context';
import { NotFoundError, TocsinError } from '../core/errors';
import { leaseView } from '../core/lease';
import { marketView } from '../core/market';
import type { Incident, TimelineEntry } from '../core/model';
import type { IncidentStore, StoredNotice } from '../core/ports';
import { percent } from '../core/quorum';
import { answersView, pollView } from '../core/readiness-poll';
import { currentSilences, inForce, silenceEnd, type Silence } from '../core/silences';

/**
 * `status` (Function URL, AWS_IAM auth in AWS): read-only market status and incident timelines.
 *
 * - `GET /` → `{markets, incidents, groups, generatedAt}`: every configured market
 *   (`marketView`), the open incidents oldest first, and the lease of every configured group
 *   that has one (`leaseView`).
 * - `GET /incidents/<id>` → `{incident, timeline, notices}`; 404 `{error}` for an unknown incident.
 * - `GET /polls/<id>` → `{poll, answers}`: a readiness poll, its tally, and each configured
 *   participant's answer; 404 `{error}` for an unknown poll. A market being resumed shows its
 *   latest poll (with the tally) in `GET /` as `markets[].poll`.
 * - JSON, unless the `accept` header prefers `text/html` (a browser): then the same resource as a
 *   small self-contained HTML page, every stored string escaped.
 * - Any other path → 404 `{error}`; a method other than GET or HEAD → 405 with `allow: GET`.
 */

export interface StatusDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
}

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
      const response = await route(deps, request.path, html);
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

async function route(deps: StatusDependencies, path: string, html: boolean): Promise<HttpResponse> {
  if (path === '/' || path === '') {
    const overview = await readOverview(deps);
    return html ? page(200, 'Tocsin — market status', overviewHtml(overview)) : json(200, overview, READ_HEADERS);
  }
  const match = INCIDENT_PATH.exec(path);
  if (match) {
    const incidentId = safeDecode(match[1]!);
    const record = await deps.store.incidentRecord(incidentId);
    if (!record) {
      const message = new NotFoundError('incident', incidentId).message;
      return html ? page(404, 'Tocsin — unknown incident', `<h1>${escapeHtml(message)}</h1><p><a href="/">All markets</a></p>`) : json(404, { error: message }, READ_HEADERS);
    }
    const view = {
      incident: { ...incidentDetail(record.incident, deps.context().config), alarms: record.counts.alarms, alarmsFiring: record.counts.firing },
      timeline: record.timeline.map(timelineView),
      notices: record.notices.map(noticeView),
    };
    return html ? page(200, `Tocsin — incident ${incidentId}`, incidentHtml(view)) : json(200, view, READ_HEADERS);
  }
  const poll = POLL_PATH.exec(path);
  if (poll) {
    const pollId = safeDecode(poll[1]!);
    const record = await deps.store.readPoll(pollId);
    if (!record) {
      const message = new NotFoundError('poll', pollId).message;
      return html ? page(404, 'Tocsin — unknown poll', `<h1>${escapeHtml(message)}</h1><p><a href="/">All markets</a></p>`) : json(404, { error: message }, READ_HEADERS);
    }
    const { config, now } = deps.context();
    const view = { poll: pollView(record, config, now), answers: answersView(record, config) };
    return html ? page(200, `Tocsin — readiness poll ${pollId}`, pollHtml(view)) : json(200, view, READ_HEADERS);
  }
  const message = `no such resource ${JSON.stringify(path.slice(0, 200))}; try /, /incidents/<incidentId> or /polls/<pollId>`;
  return html ? page(404, 'Tocsin — not found', `<h1>${escapeHtml(message)}</h1><p><a href="/">All markets</a></p>`) : json(404, { error: message }, READ_HEADERS);
}

// ---- JSON views (the contract) ----

type View = Record<string, unknown>;

interface Overview {
  readonly markets: View[];
  readonly incidents: View[];
  readonly groups: View[];
  /** Silences in force or scheduled, soonest end first. */
  readonly silences: View[];
  readonly generatedAt: string;
}

async function readOverview(deps: StatusDependencies): Promise<Overview> {
  const { config, now } = deps.context();
  const [markets, incidents, leases, silences] = await Promise.all([
    Promise.all(
      config.markets.map(async (m) => {
        const market = await deps.store.readMarket(m.id);
        // A market being resumed shows the poll its resumption is decided on.
        const poll = market.status !== 'trading' && market.pollId ? await deps.store.readPoll(market.pollId) : undefined;
        return { ...marketView(market), ...(poll ? { poll: pollView(poll, config, now) } : {}) };
      }),
    ),
    deps.store.openIncidents(),
    Promise.all(config.groups.map((g) => deps.store.readLeaseGroup(g.id))),
    deps.store.readSilences(),
  ]);
  return {
    markets,
    incidents: [...incidents].sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id)).map((i) => incidentSummary(i, config)),
    groups: leases.flatMap(({ lease }) => (lease ? [leaseView(lease)] : [])),
    silences: currentSilences(silences, now).map((silence) => silenceView(silence, now)),
    generatedAt: iso(now),
  };
}

function incidentSummary(incident: Incident, config: TocsinConfig): View {
  const { stages } = escalationOf(config.policy);
  const stage = (step: number) => stages[Math.min(step, stages.length - 1)]!.name;
  return {
    incidentId: incident.id,
    status: incident.status,
    severity: incident.severity,
    ...(incident.market !== undefined ? { market: incident.market } : {}),
    summary: incident.summary,
    openedAt: iso(incident.openedAt),
    startedAt: iso(incident.startedAt),
    announced: incident.announced ?? false,
    // Who has been paged, and who is next while nobody acknowledges.
    ...(incident.pagedStage !== undefined
      ? { escalation: { stage: stage(incident.pagedStage), ...(incident.nextEscalation ? { next: { stage: stage(incident.nextEscalation.step), at: iso(incident.nextEscalation.at) } } : {}) } }
      : {}),
    // Opened under a silence: nobody paged until it ends.
    ...(incident.silencedBy !== undefined && incident.silencedUntil !== undefined ? { silenced: { silenceId: incident.silencedBy, until: iso(incident.silencedUntil) } } : {}),
  };
}

function silenceView(silence: Silence, now: number): View {
  return {
    silenceId: silence.id,
    matchers: silence.matchers,
    from: iso(silence.from),
    until: iso(silenceEnd(silence)),
    inForce: inForce(silence, now),
    note: silence.note,
    createdBy: silence.createdBy,
  };
}

function incidentDetail(incident: Incident, config: TocsinConfig): View {
  return {
    ...incidentSummary(incident, config),
    ...(incident.acknowledgedAt !== undefined ? { acknowledgedAt: iso(incident.acknowledgedAt) } : {}),
    ...(incident.acknowledgedBy !== undefined ? { acknowledgedBy: incident.acknowledgedBy } : {}),
    ...(incident.resolvedAt !== undefined ? { resolvedAt: iso(incident.resolvedAt) } : {}),
    ...(incident.resolvedBy !== undefined ? { resolvedBy: incident.resolvedBy } : {}),
  };
}

/** `sequence` is the entry's place in the incident's time-ordered timeline (1, 2, 3 …). */
function timelineView(entry: TimelineEntry, index: number): View {
  return { sequence: index + 1, entryId: entry.entryId, at: iso(entry.at), kind: entry.kind, actor: entry.actor, text: entry.text };
}

function noticeView({ notice, status }: StoredNotice): View {
  return { noticeId: notice.noticeId, sequence: notice.sequence, type: notice.type, status, issuedAt: notice.issuedAt, summary: notice.summary };
}

const iso = (ms: number) => new Date(ms).toISOString();

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

// ---- content negotiation ----

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

// ---- HTML (every stored string goes through escapeHtml) ----

const READ_HEADERS = { 'cache-control': 'no-store', vary: 'accept' };

const HTML_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  ...READ_HEADERS,
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#111}
.market{font-size:2rem;font-weight:700;margin:.3rem 0}.trading{color:#075e07}.halted{color:#a00}.resume-scheduled{color:#a55a00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
small{color:#555}`;

function page(statusCode: number, title: string, body: string): HttpResponse {
  const document = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>\n`;
  return { statusCode, headers: HTML_HEADERS, body: document };
}

function table(headings: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (!rows.length) return `<p>${escapeHtml(empty)}</p>`;
  const head = headings.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

const incidentLink = (id: unknown) => `<a href="/incidents/${escapeHtml(encodeURIComponent(String(id)))}">${escapeHtml(id)}</a>`;

function marketHtml(m: View): string {
  const scope = Array.isArray(m.segments) && m.segments.length ? ` <small>(segments ${escapeHtml(m.segments.join(', '))})</small>` : '';
  const facts = [
    m.incidentId !== undefined ? `incident ${incidentLink(m.incidentId)}` : '',
    m.haltedAt !== undefined ? `halted at ${escapeHtml(m.haltedAt)}` : '',
    m.resumeAt !== undefined ? `resumes at ${escapeHtml(m.resumeAt)}` : '',
    m.ordersAcceptedFrom !== undefined ? `orders accepted from ${escapeHtml(m.ordersAcceptedFrom)}` : '',
  ].filter(Boolean);
  const statusClass = escapeHtml(m.status);
  return `<p class="market ${statusClass}">${escapeHtml(m.market)}: ${escapeHtml(String(m.status).toUpperCase())}${scope}</p>` +
    (facts.length ? `<p>${facts.join(' · ')}</p>` : '') +
    (m.poll ? pollSummaryHtml(m.poll as View) : '');
}

const pollLink = (id: unknown) => `<a href="/polls/${escapeHtml(encodeURIComponent(String(id)))}">${escapeHtml(id)}</a>`;

/** The open (or latest) readiness poll of a market: the tally against the quorum, and who has not answered. */
function pollSummaryHtml(p: View): string {
  const tally = p.tally as { valueShare: number; retailValueShare: number; retailParticipants: number; met: boolean; missing: string[]; notReady: string[] };
  const quorum = p.quorum as { valueShare: number; retailValueShare: number; retailParticipants: number } | undefined;
  const against = (value: string, required: string | undefined) => (required === undefined ? escapeHtml(value) : `${escapeHtml(value)} <small>of ${escapeHtml(required)}</small>`);
  const verdict = quorum ? (tally.met ? 'quorum met' : 'quorum not met') : 'no quorum configured';
  return `<h2>Readiness poll ${pollLink(p.pollId)} <small>(${escapeHtml(p.status)}${p.closedReason ? `: ${escapeHtml(p.closedReason)}` : ''}, answers by ${escapeHtml(p.respondBy)})</small></h2>` +
    table(
      ['Value share ready', 'Retail value share ready', 'Retail brokers ready', 'Verdict', 'Not answered', 'Not ready'],
      [[
        against(percent(tally.valueShare), quorum && percent(quorum.valueShare)),
        against(percent(tally.retailValueShare), quorum && percent(quorum.retailValueShare)),
        against(String(tally.retailParticipants), quorum && String(quorum.retailParticipants)),
        escapeHtml(verdict),
        escapeHtml(tally.missing.join(', ') || 'none'),
        escapeHtml(tally.notReady.join(', ') || 'none'),
      ]],
      '',
    );
}

function pollHtml(v: { poll: View; answers: View[] }): string {
  return [
    '<p><a href="/">All markets</a></p>',
    `<h1>Readiness poll ${escapeHtml(v.poll.pollId)}</h1>`,
    `<p>Market ${escapeHtml(v.poll.market)}, incident ${incidentLink(v.poll.incidentId)}; opened ${escapeHtml(v.poll.openedAt)} by ${escapeHtml(v.poll.openedBy)}.</p>`,
    pollSummaryHtml(v.poll),
    '<h2>Answers</h2>',
    table(
      ['Participant', 'Name', 'Value share', 'Retail', 'Retail value share', 'Answer', 'At', 'By', 'Note'],
      v.answers.map((a) => [
        escapeHtml(a.participantId),
        escapeHtml(a.name),
        escapeHtml(percent(Number(a.tradingValueShare))),
        escapeHtml(a.retail ? 'yes' : 'no'),
        escapeHtml(percent(Number(a.retailValueShare))),
        escapeHtml(a.answer),
        escapeHtml(a.answeredAt ?? ''),
        escapeHtml(a.answeredBy ?? ''),
        escapeHtml(a.note ?? ''),
      ]),
      'No participants configured.',
    ),
  ].join('\n');
}

function overviewHtml(o: Overview): string {
  return [
    '<h1>Market status</h1>',
    o.markets.map(marketHtml).join('') || '<p>No markets configured.</p>',
    '<h2>Open incidents</h2>',
    table(
      ['Incident', 'Status', 'Severity', 'Market', 'Summary', 'Opened'],
      o.incidents.map((i) => [incidentLink(i.incidentId), escapeHtml(i.status), escapeHtml(i.severity), escapeHtml(i.market ?? ''), escapeHtml(i.summary), escapeHtml(i.openedAt)]),
      'No open incidents.',
    ),
    '<h2>Failover groups</h2>',
    table(
      ['Group', 'Holder', 'Epoch', 'Drill until'],
      o.groups.map((g) => [escapeHtml(g.group), escapeHtml(g.holder), escapeHtml(g.epoch), escapeHtml(g.drillUntil ?? '')]),
      'No leases held.',
    ),
    '<h2>Silences</h2>',
    table(
      ['Silence', 'Matches', 'From', 'Until', 'Note', 'By'],
      o.silences.map((x) => [
        escapeHtml(`${String(x.silenceId)}${x.inForce ? '' : ' (scheduled)'}`),
        escapeHtml(Object.entries(x.matchers as Record<string, string>).map(([k, v]) => `${k}=${v}`).join(', ')),
        escapeHtml(x.from),
        escapeHtml(x.until),
        escapeHtml(x.note),
        escapeHtml(x.createdBy),
      ]),
      'No silences.',
    ),
    `<p><small>Generated at ${escapeHtml(o.generatedAt)}</small></p>`,
  ].join('\n');
}

function incidentHtml(v: { incident: View; timeline: View[]; notices: View[] }): string {
  const i = v.incident;
  const facts: Array<[string, unknown]> = [
    ['Status', i.status],
    ['Severity', i.severity],
    ['Market', i.market],
    ['Opened', i.openedAt],
    ['Acknowledged', i.acknowledgedAt !== undefined ? `${String(i.acknowledgedAt)} by ${String(i.acknowledgedBy ?? '?')}` : undefined],
    ['Resolved', i.resolvedAt !== undefined ? `${String(i.resolvedAt)} by ${String(i.resolvedBy ?? '?')}` : undefined],
  ];
  return [
    '<p><a href="/">All markets</a></p>',
    `<h1>Incident ${escapeHtml(i.incidentId)}</h1>`,
    `<p class="market">${escapeHtml(i.summary)}</p>`,
    `<table><tbody>${facts.filter(([, value]) => value !== undefined).map(([k, value]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(value)}</td></tr>`).join('')}</tbody></table>`,
    '<h2>Timeline</h2>',
    table(
      ['#', 'At', 'Kind', 'Actor', 'Text'],
      v.timeline.map((e) => [escapeHtml(e.sequence), escapeHtml(e.at), escapeHtml(e.kind), escapeHtml(e.actor), escapeHtml(e.text)]),
      'No timeline entries.',
    ),
    '<h2>Notices</h2>',
    table(
      ['#', 'Type', 'Status', 'Issued', 'Summary', 'Notice id'],
      v.notices.map((n) => [escapeHtml(n.sequence), escapeHtml(n.type), escapeHtml(n.status), escapeHtml(n.issuedAt), escapeHtml(n.summary), escapeHtml(n.noticeId)]),
      'No notices.',
    ),
  ].join('\n');
}

let deployed: ReturnType<typeof createStatusHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: unknown) => {
  deployed ??= createStatusHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed(event);
};
