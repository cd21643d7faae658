import type { Language } from '../core/config';
import { marketTime, type NoticeText } from '../core/notice-text';
import type { PublicIncident, PublicMarket, PublicNotice, PublicStatus } from '../core/public-status';

/**
 * The public status site as static files (shared/DESIGN.md, "Participants' view"): `index.html`,
 * `status.json`, `feed.atom` and `incidents/<id>.html`, rendered from the participants' view.
 * Static on purpose: during an outage everyone refreshes, and CloudFront serves files from its
 * edge caches without touching Tocsin. Every string from the store is escaped; the pages load
 * nothing else (no script, no font, no image), refresh themselves, and read from 390 px up.
 */

export interface SiteFile {
  /** The object key / URL path, without a leading slash. */
  readonly path: string;
  readonly body: string;
  readonly contentType: string;
  readonly cacheControl: string;
}

/** Browsers and CloudFront keep a page this long: short, so a halt shows within seconds. */
export const SITE_MAX_AGE_SECONDS = 10;
/** The page reloads itself this often. */
export const SITE_REFRESH_SECONDS = 30;

const CACHE = `public, max-age=${SITE_MAX_AGE_SECONDS}`;

const LABELS: Record<Language, Record<string, string>> = {
  en: {
    title: 'Market status',
    incidents: 'Incidents announced to participants',
    none: 'No incidents announced.',
    notices: 'Notices, newest first',
    resumes: 'Trading resumes at',
    orders: 'Orders accepted from',
    trading: 'Trading',
    halted: 'Halted',
    'resume-scheduled': 'Halted — resumption scheduled',
    open: 'ongoing',
    resolved: 'resolved',
    updated: 'Updated',
    refresh: `This page refreshes itself every ${SITE_REFRESH_SECONDS} s.`,
    feed: 'Atom feed',
    json: 'JSON',
    back: 'All markets',
  },
  ja: {
    title: '市場の状況',
    incidents: '障害情報',
    none: 'お知らせしている障害はありません。',
    notices: 'お知らせ（新しい順）',
    resumes: '売買再開',
    orders: '注文受付開始',
    trading: '売買中',
    halted: '売買停止中',
    'resume-scheduled': '売買停止中（再開予定）',
    open: '対応中',
    resolved: '復旧',
    updated: '更新',
    refresh: `このページは${SITE_REFRESH_SECONDS}秒ごとに更新されます。`,
    feed: 'Atomフィード',
    json: 'JSON',
    back: '市場の状況へ',
  },
};

export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Every file of the site: the index, the JSON, the feed, and the pages of the incidents named. */
export function renderSite(status: PublicStatus, incidentPages: readonly string[] = status.incidents.map((i) => i.incidentId)): SiteFile[] {
  const files: SiteFile[] = [
    { path: 'index.html', body: indexHtml(status), contentType: 'text/html; charset=utf-8', cacheControl: CACHE },
    { path: 'status.json', body: `${JSON.stringify(status, null, 2)}\n`, contentType: 'application/json; charset=utf-8', cacheControl: CACHE },
    { path: 'feed.atom', body: feedAtom(status), contentType: 'application/atom+xml; charset=utf-8', cacheControl: CACHE },
  ];
  for (const incident of status.incidents) {
    if (incidentPages.includes(incident.incidentId)) {
      files.push({ path: incidentPath(incident.incidentId), body: incidentHtml(status, incident), contentType: 'text/html; charset=utf-8', cacheControl: CACHE });
    }
  }
  return files;
}

export function incidentPath(incidentId: string): string {
  return `incidents/${encodeURIComponent(incidentId)}.html`;
}

const STYLE = `*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Hiragino Sans","Noto Sans CJK JP","IPAGothic",sans-serif;margin:0;color:#111;background:#fafafa;line-height:1.5;overflow-wrap:anywhere}
main{max-width:60rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0 1rem}h2{font-size:1.2rem;margin:1.5rem 0 .5rem}
.market{background:#fff;border:1px solid #ddd;border-left:.5rem solid #075e07;border-radius:.4rem;padding:.8rem 1rem;margin:0 0 1rem}
.market.halted,.market.resume-scheduled{border-left-color:#b00000}
.state{font-size:1.4rem;font-weight:700;margin:0}.trading .state{color:#075e07}.halted .state,.resume-scheduled .state{color:#b00000}
.resume{background:#fff4d6;border:2px solid #a55a00;border-radius:.4rem;padding:.6rem .8rem;margin:.6rem 0 0;font-size:1.15rem}
.resume strong{display:block}
.incident{background:#fff;border:1px solid #ddd;border-radius:.4rem;padding:.8rem 1rem;margin:0 0 1rem}
.incident h3{font-size:1.05rem;margin:0 0 .4rem}
.badge{display:inline-block;font-size:.8rem;border-radius:1rem;padding:0 .6rem;background:#eee;margin-left:.4rem}
ol.notices{list-style:none;padding:0;margin:.4rem 0 0}ol.notices li{border-top:1px solid #eee;padding:.4rem 0}
p{margin:.2rem 0}.muted{color:#555;font-size:.9rem}
footer{margin:2rem 0 1rem;color:#555;font-size:.9rem}a{color:#0645ad}`;

function page(status: PublicStatus, title: string, body: string, root: string): string {
  const lang = status.languages[0] ?? 'en';
  return (
    `<!doctype html>\n<html lang="${lang}"><head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width,initial-scale=1">` +
    `<meta http-equiv="refresh" content="${SITE_REFRESH_SECONDS}">` +
    `<title>${escapeHtml(title)}</title>` +
    `<link rel="alternate" type="application/atom+xml" href="${root}feed.atom" title="Atom">` +
    `<style>${STYLE}</style></head><body><main>${body}${footer(status, root)}</main></body></html>\n`
  );
}

/** The same words in every language of the site, each tagged with its language. */
function inLanguages(status: PublicStatus, text: NoticeText | ((language: Language) => string), tag = 'p', attributes = ''): string {
  return status.languages
    .map((language) => {
      const value = typeof text === 'function' ? text(language) : text[language];
      return value === undefined ? '' : `<${tag} lang="${language}"${attributes}>${escapeHtml(value)}</${tag}>`;
    })
    .join('');
}

const label = (key: string) => (language: Language) => LABELS[language][key] ?? key;
const joinedLabel = (status: PublicStatus, key: string) => status.languages.map((l) => LABELS[l][key]).join(' / ');

function marketBlock(status: PublicStatus, market: PublicMarket): string {
  const name = (language: Language) => market.name[language] ?? market.market;
  const state = (language: Language) => `${name(language)}: ${LABELS[language][market.status]}`;
  let resume = '';
  if (market.status === 'resume-scheduled' && market.resumeAt && market.ordersAcceptedFrom) {
    resume =
      `<div class="resume">` +
      status.languages
        .map(
          (l) =>
            `<p lang="${l}"><strong>${escapeHtml(LABELS[l].resumes)}: ${escapeHtml(marketTime(market.resumeAt!, market.timeZone, l))}</strong>` +
            `${escapeHtml(LABELS[l].orders)}: ${escapeHtml(marketTime(market.ordersAcceptedFrom!, market.timeZone, l))}</p>`,
        )
        .join('') +
      `</div>`;
  }
  return (
    `<section class="market ${escapeHtml(market.status)}" id="market-${escapeHtml(market.market)}">` +
    inLanguages(status, state, 'p', ' class="state"') +
    inLanguages(status, market.text) +
    resume +
    `</section>`
  );
}

function noticeItem(status: PublicStatus, notice: PublicNotice): string {
  return `<li id="${escapeHtml(notice.noticeId)}">${inLanguages(status, Object.keys(notice.text).length ? notice.text : { en: notice.summary })}</li>`;
}

function incidentBlock(status: PublicStatus, incident: PublicIncident, root: string, noticeLimit?: number): string {
  const notices = noticeLimit === undefined ? incident.notices : incident.notices.slice(0, noticeLimit);
  const zone = status.markets.find((m) => m.market === incident.market)?.timeZone ?? 'UTC';
  const badge = status.languages.map((l) => LABELS[l][incident.status]).join(' / ');
  return (
    `<article class="incident" id="incident-${escapeHtml(incident.incidentId)}">` +
    `<h3><a href="${root}${escapeHtml(incidentPath(incident.incidentId))}">${escapeHtml(incident.summary)}</a><span class="badge">${escapeHtml(badge)}</span></h3>` +
    inLanguages(status, (l) => `${LABELS[l].updated}${l === 'ja' ? '：' : ': '}${marketTime(incident.updatedAt, zone, l)}`, 'p', ' class="muted"') +
    `<ol class="notices">${notices.map((n) => noticeItem(status, n)).join('')}</ol>` +
    `</article>`
  );
}

function footer(status: PublicStatus, root: string): string {
  const zone = status.markets[0]?.timeZone ?? 'UTC';
  return (
    `<footer>` +
    inLanguages(status, (l) => (l === 'ja' ? `${LABELS[l].updated}：${marketTime(status.generatedAt, zone, l)}。${LABELS[l].refresh}` : `${LABELS[l].updated}: ${marketTime(status.generatedAt, zone, l)}. ${LABELS[l].refresh}`)) +
    `<p><a href="${root}feed.atom">${escapeHtml(joinedLabel(status, 'feed'))}</a> · <a href="${root}status.json">JSON</a></p>` +
    `</footer>`
  );
}

export function indexHtml(status: PublicStatus): string {
  const root = '';
  const body =
    `<h1>${escapeHtml(joinedLabel(status, 'title'))}</h1>` +
    status.markets.map((m) => marketBlock(status, m)).join('') +
    `<h2>${escapeHtml(joinedLabel(status, 'incidents'))}</h2>` +
    (status.incidents.length ? status.incidents.map((i) => incidentBlock(status, i, root, 5)).join('') : inLanguages(status, label('none')));
  return page(status, joinedLabel(status, 'title'), body, root);
}

export function incidentHtml(status: PublicStatus, incident: PublicIncident): string {
  const root = '../';
  const market = status.markets.find((m) => m.market === incident.market);
  const body =
    `<p><a href="${root}index.html">${escapeHtml(joinedLabel(status, 'back'))}</a></p>` +
    `<h1>${escapeHtml(incident.summary)}</h1>` +
    (market ? marketBlock(status, market) : '') +
    `<h2>${escapeHtml(joinedLabel(status, 'notices'))}</h2>` +
    incidentBlock(status, incident, root);
  return page(status, incident.summary, body, root);
}

function xml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** The last 50 notices of the listed incidents, newest first (RFC 4287). */
export function feedAtom(status: PublicStatus): string {
  const entries = status.incidents
    .flatMap((incident) => incident.notices.map((notice) => ({ incident, notice })))
    .sort((a, b) => (a.notice.issuedAt < b.notice.issuedAt ? 1 : a.notice.issuedAt > b.notice.issuedAt ? -1 : 0))
    .slice(0, 50);
  const updated = entries[0]?.notice.issuedAt ?? status.generatedAt;
  const first = status.languages[0] ?? 'en';
  const body = entries
    .map(({ incident, notice }) => {
      const text = status.languages.map((l) => notice.text[l]).filter((t): t is string => t !== undefined);
      return (
        `<entry><id>urn:tocsin:notice:${xml(notice.noticeId)}</id>` +
        `<title>${xml(notice.text[first] ?? notice.summary)}</title>` +
        `<updated>${xml(notice.issuedAt)}</updated>` +
        `<link rel="alternate" type="text/html" href="${xml(incidentPath(incident.incidentId))}#${xml(notice.noticeId)}"/>` +
        `<category term="${xml(notice.type)}"/>` +
        `<content type="text">${xml(text.length ? text.join('\n') : notice.summary)}</content></entry>`
      );
    })
    .join('\n');
  return (
    `<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">` +
    `<id>urn:tocsin:public-status</id><title>${xml(joinedLabel(status, 'title'))}</title>` +
    `<updated>${xml(updated)}</updated><author><name>Tocsin</name></author>` +
    `<link rel="self" href="feed.atom"/><link rel="alternate" type="text/html" href="index.html"/>\n${body}\n</feed>\n`
  );
}
