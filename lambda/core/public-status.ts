import type { Language, TocsinConfig } from './config';
import type { MarketState, Notice, NoticeType } from './model';
import { marketName, marketTime, type NoticeText } from './notice-text';
import type { Severity } from './signal';

/**
 * The participants' view of the market (shared/DESIGN.md, "Participants' view"): what the public
 * status site shows, built only from market states and the notices participants were sent —
 * never dedup keys, operator identities, internal incidents or lease internals. Pure: the site
 * renderer (`lambda/views/public-site.ts`) turns it into files.
 */

export const PUBLIC_STATUS_SCHEMA = 'tocsin.public-status/v1';

export interface PublicMarket {
  readonly market: string;
  readonly name: Readonly<Partial<Record<Language, string>>>;
  readonly timeZone: string;
  readonly status: MarketState['status'];
  /** Segments halted; empty: the whole market. */
  readonly segments: readonly string[];
  readonly haltedAt?: string;
  readonly resumeAt?: string;
  readonly ordersAcceptedFrom?: string;
  /** The market's state in a sentence per language, times in its zone with the zone named. */
  readonly text: NoticeText;
}

export interface PublicNotice {
  readonly noticeId: string;
  readonly type: NoticeType;
  readonly sequence: number;
  readonly issuedAt: string;
  readonly effectiveAt: string;
  readonly summary: string;
  readonly text: NoticeText;
}

export interface PublicIncident {
  readonly incidentId: string;
  readonly market: string;
  /** `resolved` once participants were told so. */
  readonly status: 'open' | 'resolved';
  readonly severity: Severity;
  /** What participants were first told of it. */
  readonly summary: string;
  readonly announcedAt: string;
  readonly updatedAt: string;
  /** Newest first. */
  readonly notices: readonly PublicNotice[];
}

export interface PublicStatus {
  readonly schema: typeof PUBLIC_STATUS_SCHEMA;
  readonly generatedAt: string;
  readonly languages: readonly Language[];
  readonly markets: readonly PublicMarket[];
  /** Most recently updated first. */
  readonly incidents: readonly PublicIncident[];
}

/** The incidents the site lists, most recently updated first (the site keeps the last {@link SITE_INCIDENTS}). */
export interface SiteIndex {
  readonly incidents: ReadonlyArray<{ readonly incidentId: string; readonly updatedAt: string }>;
  readonly version: number;
}

export const SITE_INCIDENTS = 50;
export const EMPTY_SITE_INDEX: SiteIndex = { incidents: [], version: 0 };

/** The index after notices were published: their incidents move to the top. */
export function indexWith(index: SiteIndex, notices: readonly Notice[]): SiteIndex {
  const latest = new Map(index.incidents.map((i) => [i.incidentId, i.updatedAt]));
  for (const notice of notices) {
    const before = latest.get(notice.incidentId);
    if (!before || before < notice.issuedAt) latest.set(notice.incidentId, notice.issuedAt);
  }
  const incidents = [...latest]
    .map(([incidentId, updatedAt]) => ({ incidentId, updatedAt }))
    .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : a.incidentId.localeCompare(b.incidentId)))
    .slice(0, SITE_INCIDENTS);
  return { incidents, version: index.version + 1 };
}

/** One incident as participants know it, from the notices they were sent; undefined when there are none. */
export function publicIncident(notices: readonly Notice[]): PublicIncident | undefined {
  if (!notices.length) return undefined;
  const ordered = [...notices].sort((a, b) => a.sequence - b.sequence);
  const first = ordered[0]!;
  const last = ordered.at(-1)!;
  const resolved = ordered.some((n) => n.type === 'incident-resolved');
  return {
    incidentId: first.incidentId,
    market: first.market,
    status: resolved ? 'resolved' : 'open',
    severity: last.severity,
    summary: first.summary,
    announcedAt: first.issuedAt,
    updatedAt: last.issuedAt,
    notices: [...ordered].reverse().map((n) => ({
      noticeId: n.noticeId,
      type: n.type,
      sequence: n.sequence,
      issuedAt: n.issuedAt,
      effectiveAt: n.effectiveAt,
      summary: n.summary,
      text: n.text ?? {},
    })),
  };
}

/** The market's state in a sentence per configured language. */
export function marketSentence(market: MarketState, config: Pick<TocsinConfig, 'markets' | 'policy'>): NoticeText {
  const configured = config.markets.find((m) => m.id === market.id) ?? { id: market.id, timeZone: 'UTC' };
  const text: NoticeText = {};
  for (const language of config.policy.languages) {
    const ja = language === 'ja';
    const name = marketName(configured, language);
    const scope = market.segments.length ? (ja ? `${name}（${market.segments.join('・')}）` : `${name} (segments ${market.segments.join(', ')})`) : name;
    const at = (ms: number) => marketTime(ms, configured.timeZone, language);
    switch (market.status) {
      case 'trading':
        text[language] = ja ? `${name}：通常どおり売買を行っています。` : `${name}: trading normally.`;
        break;
      case 'halted':
        text[language] = ja ? `${scope}：${at(market.haltedAt!)}から売買を停止しています。` : `${scope}: trading halted since ${at(market.haltedAt!)}.`;
        break;
      case 'resume-scheduled':
        text[language] = ja
          ? `${scope}：売買停止中。${at(market.resumeAt!)}に再開します（注文受付は${at(market.ordersAcceptedFrom!)}から）。`
          : `${scope}: trading halted; resumes at ${at(market.resumeAt!)} (orders accepted from ${at(market.ordersAcceptedFrom!)}).`;
        break;
    }
  }
  return text;
}

/** The whole participants' view. `incidents` come from the site index's notices, most recently updated first. */
export function publicStatus(
  markets: readonly MarketState[],
  incidents: ReadonlyArray<readonly Notice[]>,
  config: Pick<TocsinConfig, 'markets' | 'policy'>,
  now: number,
): PublicStatus {
  const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
  return {
    schema: PUBLIC_STATUS_SCHEMA,
    generatedAt: new Date(now).toISOString(),
    languages: config.policy.languages,
    markets: markets.map((m) => {
      const configured = config.markets.find((c) => c.id === m.id);
      const haltedAt = m.status !== 'trading' ? iso(m.haltedAt) : undefined;
      const resumeAt = m.status === 'resume-scheduled' ? iso(m.resumeAt) : undefined;
      const ordersAcceptedFrom = m.status === 'resume-scheduled' ? iso(m.ordersAcceptedFrom) : undefined;
      return {
        market: m.id,
        name: configured?.names ?? {},
        timeZone: configured?.timeZone ?? 'UTC',
        status: m.status,
        segments: m.status === 'trading' ? [] : m.segments,
        ...(haltedAt ? { haltedAt } : {}),
        ...(resumeAt ? { resumeAt } : {}),
        ...(ordersAcceptedFrom ? { ordersAcceptedFrom } : {}),
        text: marketSentence(m, config),
      };
    }),
    incidents: incidents
      .map(publicIncident)
      .filter((i): i is PublicIncident => i !== undefined)
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0)),
  };
}
