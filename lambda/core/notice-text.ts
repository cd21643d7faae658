import type { Language, MarketConfig, TocsinConfig } from './config';
import { wallClock } from './market-time';
import type { Notice, Transition } from './model';

/**
 * What participants read: one sentence per configured language (`policy.languages`) for each
 * notice, every time in the market's time zone with the zone named (JPX publishes market notices
 * in Japanese and English, in Tokyo time). The notice's ISO instants stay the machine-readable
 * truth; the text is for people (the public status page, an e-mail, a chat message).
 *
 * Operators may give the free text of a command per language (`notes: {"ja": "…"}` beside
 * `note`); it travels in the notice's `detail.notes`. A language without its own note uses `note`.
 */

export type NoticeText = Partial<Record<Language, string>>;

/** `2020-10-01 07:04 Japan Standard Time` / `2020年10月01日 07:04（日本標準時）` */
export function marketTime(instant: string | number, timeZone: string, language: Language): string {
  const parts = wallClock(instant, timeZone);
  const zone = zoneName(new Date(instant), timeZone, language);
  return language === 'ja'
    ? `${parts.year}年${parts.month}月${parts.day}日 ${parts.hour}:${parts.minute}（${zone}）`
    : `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${zone}`;
}

/** An instant on a market's clock as operators read it, to the second, with the zone's name apart. */
export interface MarketClock {
  /** `2020-10-01 07:04:12` */
  readonly local: string;
  /** `Japan Standard Time` (a zone with summer time names the one in force then) */
  readonly zone: string;
}

/**
 * `{local: "2020-10-01 07:04:12", zone: "Japan Standard Time"}`: the operators' reading (English,
 * seconds kept, because escalations and promotions are seconds apart), the zone apart so a table
 * can name it once in its heading. {@link clockText} joins the two.
 */
export function marketClock(instant: string | number, timeZone: string): MarketClock {
  const p = wallClock(instant, timeZone);
  return { local: `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`, zone: zoneName(new Date(instant), timeZone, 'en') };
}

/** `2020-10-01 07:04:12 Japan Standard Time` */
export function clockText(instant: string | number, timeZone: string): string {
  const { local, zone } = marketClock(instant, timeZone);
  return `${local} ${zone}`;
}

/** The zone's long name in the language (`Japan Standard Time`, `日本標準時`, `Coordinated Universal Time`). */
export function zoneName(date: Date, timeZone: string, language: Language): string {
  const part = new Intl.DateTimeFormat(language, { timeZone, timeZoneName: 'long' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part?.value ?? timeZone;
}

/** The market's name in a language: its configured name, else its id. */
export function marketName(market: Pick<MarketConfig, 'id' | 'names'>, language: Language): string {
  return market.names?.[language] ?? market.id;
}

function scopeOf(notice: Notice, market: Pick<MarketConfig, 'id' | 'names'>, language: Language): string {
  const name = marketName(market, language);
  if (!notice.segments.length) return name;
  return language === 'ja' ? `${name}（${notice.segments.join('・')}）` : `${name} (segments ${notice.segments.join(', ')})`;
}

/** The operator's free text in a language: `detail.notes[language]`, else the English note. */
function noteIn(notice: Notice, language: Language, english: unknown): string {
  const notes = notice.detail.notes as Partial<Record<Language, string>> | undefined;
  const text = notes?.[language] ?? (typeof english === 'string' ? english : '');
  return text.trim();
}

const sentence = (...parts: string[]) => parts.filter(Boolean).join(' ');
const jaSentence = (...parts: string[]) => parts.filter(Boolean).join('');

/** One notice's text in one language. */
export function noticeSentence(notice: Notice, market: Pick<MarketConfig, 'id' | 'names' | 'timeZone'>, language: Language): string {
  const zone = market.timeZone;
  const at = (instant: string | number) => marketTime(instant, zone, language);
  const scope = scopeOf(notice, market, language);
  const ja = language === 'ja';
  const detail = notice.detail;
  switch (notice.type) {
    case 'halt': {
      const reason = noteIn(notice, language, detail.reason);
      return ja ? jaSentence(`${scope}の売買を${at(notice.effectiveAt)}に停止しました。`, reason) : sentence(`Trading halted on ${scope} at ${at(notice.effectiveAt)}.`, reason);
    }
    case 'resume-scheduled': {
      const orders = typeof detail.ordersAcceptedFrom === 'string' ? detail.ordersAcceptedFrom : notice.effectiveAt;
      const note = noteIn(notice, language, detail.note);
      // Scheduled by override: participants are told the readiness quorum was not met, and why.
      const override = (detail.quorum as { override?: unknown } | undefined)?.override;
      const overridden = typeof override === 'string' ? (ja ? `参加者の準備状況は再開の基準に達していませんが、取引所の判断で再開します（${override}）。` : `Scheduled without the readiness quorum, by the exchange's decision: ${override}.`) : '';
      return ja
        ? jaSentence(`${scope}の売買を${at(notice.effectiveAt)}に再開します。注文受付は${at(orders)}に開始します。`, overridden, note)
        : sentence(`Trading on ${scope} resumes at ${at(notice.effectiveAt)}; orders are accepted from ${at(orders)}.`, overridden, note);
    }
    case 'readiness-poll': {
      const note = noteIn(notice, language, detail.note);
      const respondBy = typeof detail.respondBy === 'string' ? detail.respondBy : notice.issuedAt;
      return ja
        ? jaSentence(`【再開可否の確認】${scope}の売買を再開する場合に参加できるか、${at(respondBy)}までにご回答ください（確認番号 ${String(detail.pollId)}）。`, note)
        : sentence(`Readiness poll ${String(detail.pollId)}: can you take part if trading on ${scope} resumes? Answer by ${at(respondBy)}.`, note);
    }
    case 'resume': {
      const note = noteIn(notice, language, detail.note);
      return ja ? jaSentence(`${scope}の売買を${at(notice.effectiveAt)}に再開しました。`, note) : sentence(`Trading resumed on ${scope} at ${at(notice.effectiveAt)}.`, note);
    }
    case 'incident-opened': {
      const what = noteIn(notice, language, notice.summary);
      return ja ? `【障害発生】${at(notice.effectiveAt)}：${what}` : `Incident at ${at(notice.effectiveAt)}: ${what}`;
    }
    case 'update': {
      const what = noteIn(notice, language, notice.summary);
      return ja ? `【第${notice.sequence}報】${at(notice.issuedAt)}：${what}` : `Update ${notice.sequence} at ${at(notice.issuedAt)}: ${what}`;
    }
    case 'incident-resolved': {
      const note = noteIn(notice, language, detail.note);
      return ja ? jaSentence(`【復旧】${at(notice.issuedAt)}に障害は解消しました。`, note) : sentence(`Resolved at ${at(notice.issuedAt)}.`, note || notice.summary);
    }
    case 'failover':
      return ja ? `【切替】${at(notice.effectiveAt)}に待機系へ切り替えました：${notice.summary}` : `Failover at ${at(notice.effectiveAt)}: ${notice.summary}`;
    case 'drill':
      return ja ? `【切替訓練】${at(notice.effectiveAt)}：${notice.summary}` : `Failover drill at ${at(notice.effectiveAt)}: ${notice.summary}`;
    default:
      return ja ? `${at(notice.issuedAt)}：${noteIn(notice, language, notice.summary)}` : `${at(notice.issuedAt)}: ${noteIn(notice, language, notice.summary)}`;
  }
}

/** The notice's text in every configured language. */
export function noticeText(notice: Notice, config: Pick<TocsinConfig, 'markets' | 'policy'>): NoticeText {
  const market = config.markets.find((m) => m.id === notice.market) ?? { id: notice.market, timeZone: 'UTC' };
  const text: NoticeText = {};
  for (const language of config.policy.languages) text[language] = noticeSentence(notice, market, language);
  return text;
}

/** A transition with every notice's `text` rendered (the one place notices are finished before they are written). */
export function withNoticeText(transition: Transition, config: Pick<TocsinConfig, 'markets' | 'policy'>): Transition {
  if (!transition.notices.length) return transition;
  return { ...transition, notices: transition.notices.map((notice) => ({ ...notice, text: noticeText(notice, config) })) };
}
