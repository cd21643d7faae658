import { clockText, marketClock } from '../../lambda/core/notice-text';
import type { LeaseView, MarketView } from '../../lambda/views/operator-views';

/**
 * The CLI's text for the operators' typed views: every time in the market's time zone with the
 * zone named (`2020-10-01 07:04:12 Japan Standard Time`), built from the views' fields. `--json`
 * prints the views themselves, ISO instants and all.
 */

/**
 * The zone a view's instants are read in. Each view names it (`timeZone`); a reply from a Tocsin
 * older than that field names none, and its instants are shown in UTC, still with the zone named.
 */
export function zoneOf(view: { readonly timeZone?: string }): string {
  return view.timeZone ?? 'UTC';
}

/** `2020-10-01 07:04:12 Japan Standard Time`; `-` for no instant. */
export function at(instant: string | undefined, timeZone: string): string {
  return instant === undefined ? '-' : clockText(instant, timeZone);
}

/**
 * A table column of instants: when every row's time falls in the same zone (by name, so a summer
 * time change counts as two), the heading names it once — `OPENED (Japan Standard Time)` — and
 * the cells keep `2020-10-01 07:04:12`; otherwise each cell names its own zone.
 */
export function timeColumn(title: string, rows: ReadonlyArray<{ readonly instant?: string; readonly timeZone: string }>): { heading: string; cells: string[] } {
  const clocks = rows.map((row) => (row.instant === undefined ? undefined : marketClock(row.instant, row.timeZone)));
  const zones = new Set(clocks.flatMap((clock) => (clock ? [clock.zone] : [])));
  if (zones.size === 1) {
    const [zone] = zones;
    return { heading: `${title} (${zone})`, cells: clocks.map((clock) => clock?.local ?? '-') };
  }
  return { heading: title, cells: clocks.map((clock) => (clock ? `${clock.local} ${clock.zone}` : '-')) };
}

/** What a market's state says beyond its status: `since …`, then `resumes at …`, `orders from …`. */
export function marketFacts(market: MarketView): { readonly since?: string; readonly then: readonly string[] } {
  const zone = zoneOf(market);
  return {
    ...(market.haltedAt !== undefined && market.status !== 'trading' ? { since: `since ${at(market.haltedAt, zone)}` } : {}),
    then: [
      ...(market.resumeAt !== undefined ? [`resumes at ${at(market.resumeAt, zone)}`] : []),
      ...(market.ordersAcceptedFrom !== undefined ? [`orders from ${at(market.ordersAcceptedFrom, zone)}`] : []),
    ],
  };
}

/** `market equities halted (prime, growth) since …, resumes at …, orders from …` */
export function describeMarket(market: MarketView): string {
  const segments = market.segments.length ? ` (${market.segments.join(', ')})` : '';
  const { since, then } = marketFacts(market);
  return `market ${market.market} ${market.status}${segments}${since ? ` ${since}` : ''}${then.map((fact) => `, ${fact}`).join('')}`;
}

/** `group shared-disk: holder unit-2, epoch 4, drill until …` */
export function describeLease(lease: LeaseView): string {
  const drill = lease.drillUntil !== undefined ? `, drill until ${at(lease.drillUntil, zoneOf(lease))}` : '';
  return `group ${lease.group}: holder ${lease.holder}, epoch ${lease.epoch}${drill}`;
}

/** Whether a 409's `state` is a market's (`MarketView`): then it reads as {@link describeMarket}. */
export function isMarketView(state: Readonly<Record<string, unknown>>): state is Readonly<Record<string, unknown>> & MarketView {
  return typeof state.market === 'string' && typeof state.status === 'string' && typeof state.timeZone === 'string';
}
