import { clockText } from '../core/notice-text';
import { percent } from '../core/quorum';
import type { IncidentListView, IncidentView, LeaseView, MarketStatusView, PollPageView, PollView, SilenceView, StatusOverview } from './operator-views';

/**
 * The operators' status pages (the IAM `status` URL, for a browser): small self-contained HTML
 * documents rendered from the typed views. Every stored string goes through {@link escapeHtml};
 * the pages load nothing else (no script, no font, no image), so {@link CONTENT_SECURITY_POLICY}
 * allows only their inline style. Times are shown in the market's time zone with the zone named,
 * each in a `<time>` element whose `datetime` keeps the ISO instant.
 */

/** What the documents need, and no more. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** `GET /`: the markets, the open incidents, the failover groups and the silences. */
export function overviewPage(o: StatusOverview): string {
  // The page's own time on the first market's clock: the zone operators' lists fall back to.
  const home = o.markets[0]?.timeZone ?? 'UTC';
  return document('Tocsin — market status', [
    '<h1>Market status</h1>',
    o.markets.map(marketHtml).join('') || '<p>No markets configured.</p>',
    '<h2>Open incidents</h2>',
    table(
      ['Incident', 'Status', 'Severity', 'Market', 'Summary', 'Opened'],
      o.incidents.map((i) => [incidentLink(i.incidentId), escapeHtml(i.status), escapeHtml(i.severity), escapeHtml(i.market ?? ''), escapeHtml(i.summary), time(i.openedAt, i.timeZone)]),
      'No open incidents.',
    ),
    '<h2>Failover groups</h2>',
    table(
      ['Group', 'Holder', 'Epoch', 'Drill until'],
      o.groups.map((g: LeaseView) => [escapeHtml(g.group), escapeHtml(g.holder), escapeHtml(g.epoch), g.drillUntil === undefined ? '' : time(g.drillUntil, g.timeZone)]),
      'No leases held.',
    ),
    '<h2>Silences</h2>',
    table(
      ['Silence', 'Matches', 'From', 'Until', 'Note', 'By'],
      o.silences.map((x: SilenceView) => [
        escapeHtml(`${x.silenceId}${x.inForce ? '' : ' (scheduled)'}`),
        escapeHtml(Object.entries(x.matchers).map(([k, v]) => `${k}=${v}`).join(', ')),
        time(x.from, x.timeZone),
        time(x.until, x.timeZone),
        escapeHtml(x.note),
        escapeHtml(x.createdBy),
      ]),
      'No silences.',
    ),
    '<p><a href="/incidents">All incidents, resolved ones too</a></p>',
    `<p><small>Generated at ${time(o.generatedAt, home)}</small></p>`,
  ]);
}

/** `GET /incidents`: one page of every incident, newest first, and a link to the older ones. */
export function incidentListPage(v: IncidentListView, limit: number): string {
  return document('Tocsin — incidents', [
    '<h1>Incidents</h1>',
    table(
      ['Incident', 'Status', 'Severity', 'Market', 'Summary', 'Opened', 'Resolved'],
      v.incidents.map((i) => [
        incidentLink(i.incidentId),
        escapeHtml(i.status),
        escapeHtml(i.severity),
        escapeHtml(i.market ?? ''),
        escapeHtml(i.summary),
        time(i.openedAt, i.timeZone),
        i.resolvedAt === undefined ? '' : time(i.resolvedAt, i.timeZone),
      ]),
      'No incidents.',
    ),
    v.next === undefined ? '' : `<p><a href="/incidents?limit=${limit}&amp;next=${escapeHtml(encodeURIComponent(v.next))}">Older incidents</a></p>`,
    '<p><a href="/">All markets</a></p>',
  ]);
}

/** `GET /incidents/<id>`: the incident, its timeline and its notices, on its market's clock. */
export function incidentPage(v: IncidentView): string {
  const i = v.incident;
  const zone = i.timeZone;
  const by = (at: string, who: string | undefined) => `${time(at, zone)} by ${escapeHtml(who ?? '?')}`;
  const facts: Array<[string, string | undefined]> = [
    ['Status', escapeHtml(i.status)],
    ['Severity', escapeHtml(i.severity)],
    ['Market', i.market === undefined ? undefined : escapeHtml(i.market)],
    ['Opened', time(i.openedAt, zone)],
    ['Fault started', time(i.startedAt, zone)],
    ['Acknowledged', i.acknowledgedAt !== undefined ? by(i.acknowledgedAt, i.acknowledgedBy) : undefined],
    ['Resolved', i.resolvedAt !== undefined ? by(i.resolvedAt, i.resolvedBy) : undefined],
  ];
  return document(`Tocsin — incident ${i.incidentId}`, [
    '<p><a href="/">All markets</a></p>',
    `<h1>Incident ${escapeHtml(i.incidentId)}</h1>`,
    `<p class="market">${escapeHtml(i.summary)}</p>`,
    `<table><tbody>${facts.filter(([, value]) => value !== undefined).map(([k, value]) => `<tr><th>${escapeHtml(k)}</th><td>${value}</td></tr>`).join('')}</tbody></table>`,
    '<h2>Timeline</h2>',
    table(
      ['#', 'At', 'Kind', 'Actor', 'Text'],
      v.timeline.map((e) => [escapeHtml(e.sequence), time(e.at, zone), escapeHtml(e.kind), escapeHtml(e.actor), escapeHtml(e.text)]),
      'No timeline entries.',
    ),
    '<h2>Notices</h2>',
    table(
      ['#', 'Type', 'Status', 'Issued', 'Summary', 'Notice id'],
      v.notices.map((n) => [escapeHtml(n.sequence), escapeHtml(n.type), escapeHtml(n.status), time(n.issuedAt, zone), escapeHtml(n.summary), escapeHtml(n.noticeId)]),
      'No notices.',
    ),
  ]);
}

/** `GET /polls/<id>`: a readiness poll, its tally against the quorum, and every participant's answer. */
export function pollPage(v: PollPageView): string {
  const p = v.poll;
  return document(`Tocsin — readiness poll ${p.pollId}`, [
    '<p><a href="/">All markets</a></p>',
    `<h1>Readiness poll ${escapeHtml(p.pollId)}</h1>`,
    `<p>Market ${escapeHtml(p.market)}, incident ${incidentLink(p.incidentId)}; opened ${time(p.openedAt, p.timeZone)} by ${escapeHtml(p.openedBy)}.</p>`,
    pollSummaryHtml(p),
    '<h2>Answers</h2>',
    table(
      ['Participant', 'Name', 'Value share', 'Retail', 'Retail value share', 'Answer', 'At', 'By', 'Note'],
      v.answers.map((a) => [
        escapeHtml(a.participantId),
        escapeHtml(a.name),
        escapeHtml(percent(a.tradingValueShare)),
        escapeHtml(a.retail ? 'yes' : 'no'),
        escapeHtml(percent(a.retailValueShare)),
        escapeHtml(a.answer),
        a.answeredAt === undefined ? '' : time(a.answeredAt, p.timeZone),
        escapeHtml(a.answeredBy ?? ''),
        escapeHtml(a.note ?? ''),
      ]),
      'No participants configured.',
    ),
  ]);
}

/** A 404 page: what was not found, and the way back. */
export function notFoundPage(title: string, message: string): string {
  return document(title, [`<h1>${escapeHtml(message)}</h1>`, '<p><a href="/">All markets</a></p>']);
}

const STYLE = `body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;color:#111}
.market{font-size:2rem;font-weight:700;margin:.3rem 0}.trading{color:#075e07}.halted{color:#a00}.resume-scheduled{color:#a55a00}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
small{color:#555}`;

function document(title: string, body: readonly string[]): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body.join('\n')}</body></html>\n`;
}

/** Cells are HTML already escaped by the caller. */
function table(headings: readonly string[], rows: readonly (readonly string[])[], empty: string): string {
  if (!rows.length) return `<p>${escapeHtml(empty)}</p>`;
  const head = headings.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows.map((cells) => `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** `<time datetime="2020-09-30T22:04:00.000Z">2020-10-01 07:04:00 Japan Standard Time</time>` */
function time(instant: string, timeZone: string): string {
  return `<time datetime="${escapeHtml(instant)}">${escapeHtml(clockText(instant, timeZone))}</time>`;
}

const incidentLink = (id: string) => `<a href="/incidents/${escapeHtml(encodeURIComponent(id))}">${escapeHtml(id)}</a>`;

function marketHtml(m: MarketStatusView): string {
  const scope = m.segments.length ? ` <small>(segments ${escapeHtml(m.segments.join(', '))})</small>` : '';
  const facts = [
    m.incidentId !== undefined ? `incident ${incidentLink(m.incidentId)}` : '',
    m.haltedAt !== undefined ? `halted at ${time(m.haltedAt, m.timeZone)}` : '',
    m.resumeAt !== undefined ? `resumes at ${time(m.resumeAt, m.timeZone)}` : '',
    m.ordersAcceptedFrom !== undefined ? `orders accepted from ${time(m.ordersAcceptedFrom, m.timeZone)}` : '',
  ].filter(Boolean);
  return `<p class="market ${escapeHtml(m.status)}">${escapeHtml(m.market)}: ${escapeHtml(m.status.toUpperCase())}${scope}</p>` +
    (facts.length ? `<p>${facts.join(' · ')}</p>` : '') +
    (m.poll ? pollSummaryHtml(m.poll) : '');
}

const pollLink = (id: string) => `<a href="/polls/${escapeHtml(encodeURIComponent(id))}">${escapeHtml(id)}</a>`;

/** A market's latest readiness poll: the tally against the quorum, and who has not answered. */
function pollSummaryHtml(p: PollView): string {
  const { tally, quorum } = p;
  const against = (value: string, required: string | undefined) => (required === undefined ? escapeHtml(value) : `${escapeHtml(value)} <small>of ${escapeHtml(required)}</small>`);
  const verdict = quorum ? (tally.met ? 'quorum met' : 'quorum not met') : 'no quorum configured';
  return `<h2>Readiness poll ${pollLink(p.pollId)} <small>(${escapeHtml(p.status)}${p.closedReason ? `: ${escapeHtml(p.closedReason)}` : ''}, answers by ${time(p.respondBy, p.timeZone)})</small></h2>` +
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
