import type { DecisionContext } from './context';
import { announce, participantActor } from './audiences';
import type { IncidentDraft } from './draft';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import type { MarketConfig, Notes, TocsinConfig } from './config';
import { formatLocal, localTime, msOfDay, nextDay } from './market-time';
import type { MarketState } from './model';
import { clockText } from './notice-text';
import { describeQuorum, describeTally } from './quorum';
import type { Readiness } from './resumption';
import type { AlarmSignal } from './signal';

/**
 * Market state: `trading → halted → resume-scheduled → trading`, market-wide or for some
 * segments. Every market transition is recorded on, and numbered by, the incident it belongs to.
 */

export function marketConfig(config: TocsinConfig, marketId: string): MarketConfig {
  const market = config.markets.find((m) => m.id === marketId);
  if (!market) throw new NotFoundError('market', marketId, `configured markets: ${config.markets.map((m) => m.id).join(', ')}`);
  return market;
}

/** The market an alarm concerns: its own word, else its component's configured market, else the first market. */
export function marketOfSignal(signal: AlarmSignal, config: TocsinConfig): string {
  return signal.market ?? config.components.find((c) => c.id === signal.component)?.market ?? config.markets[0]!.id;
}

function describe(market: MarketState): string {
  const scope = market.segments.length ? ` (segments ${market.segments.join(', ')})` : '';
  switch (market.status) {
    case 'trading':
      return `market ${market.id} is trading`;
    case 'halted':
      return `market ${market.id} is halted${scope} since ${iso(market.haltedAt)} for incident ${market.incidentId}`;
    case 'resume-scheduled':
      return `market ${market.id} is halted${scope}; trading resumes at ${iso(market.resumeAt)} (orders accepted from ${iso(market.ordersAcceptedFrom)})`;
  }
}

/**
 * A market's state as operators see it (`GET /` `markets[]`, the operate reply's `market`, a
 * market conflict's 409 `state`): here, beside the rules whose conflicts carry it, and exported
 * with the other operators' views by `lambda/views/operator-views.ts`. A type rather than an
 * interface, so that it is a record (`ConflictError`'s `state`).
 */
export type MarketView = {
  readonly market: string;
  readonly status: MarketState['status'];
  /** Segments halted; empty: the whole market. */
  readonly segments: readonly string[];
  /** The incident the market is halted for. */
  readonly incidentId?: string;
  readonly haltedAt?: string;
  readonly resumeAt?: string;
  readonly ordersAcceptedFrom?: string;
  /** The market's IANA time zone (`markets[].timeZone`): its times are read on this clock. */
  readonly timeZone: string;
  /** The latest readiness poll of the halt (`poll-readiness`). */
  readonly pollId?: string;
};

export function marketView(market: MarketState, config: Pick<TocsinConfig, 'markets'>): MarketView {
  return {
    market: market.id,
    status: market.status,
    segments: market.segments,
    ...(market.incidentId ? { incidentId: market.incidentId } : {}),
    ...(market.haltedAt !== undefined ? { haltedAt: iso(market.haltedAt) } : {}),
    ...(market.resumeAt !== undefined ? { resumeAt: iso(market.resumeAt) } : {}),
    ...(market.ordersAcceptedFrom !== undefined ? { ordersAcceptedFrom: iso(market.ordersAcceptedFrom) } : {}),
    timeZone: marketTimeZoneOf(config, market.id),
    ...(market.pollId !== undefined ? { pollId: market.pollId } : {}),
  };
}

/** A market's time zone; the first market's for none (an incident of no market) or one no longer configured. */
export function marketTimeZoneOf(config: Pick<TocsinConfig, 'markets'>, marketId: string | undefined): string {
  return (config.markets.find((m) => m.id === marketId) ?? config.markets[0])?.timeZone ?? 'UTC';
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '?' : new Date(ms).toISOString();
}

/**
 * Halts a market (or some of its segments) for the incident in `draft`. Refused unless the
 * market is trading.
 */
export function halt(
  market: MarketState,
  draft: IncidentDraft,
  request: { segments: readonly string[]; actor: string; reason: string; notes?: Notes },
  ctx: DecisionContext,
): MarketState {
  if (market.status !== 'trading') throw new ConflictError(`cannot halt: ${describe(market)}`, marketView(market, ctx.config));
  const known = marketConfig(ctx.config, market.id).segments;
  const unknown = request.segments.filter((s) => !known.includes(s));
  if (unknown.length) {
    throw new ValidationError('command', [
      { field: 'segments', problem: `unknown segment(s) ${unknown.join(', ')} of market ${market.id} (known: ${known.join(', ') || 'none'})` },
    ]);
  }
  const scope = request.segments.length ? `segments ${request.segments.join(', ')} of ${market.id}` : `market ${market.id}`;
  // A halt and its incident always reach participants: the incident is announced first if it was not.
  announce(draft, { market: market.id, summary: draft.incident.summary, detail: { component: draft.incident.component } });
  draft
    .log('halt', request.actor, `Trading halted: ${scope}. ${request.reason}`.trim(), { market: market.id, segments: request.segments })
    .notify('halt', {
      market: market.id,
      segments: request.segments,
      summary: `Trading halted on ${scope}. ${request.reason}`.trim(),
      detail: { reason: request.reason, declaredBy: participantActor(request.actor), ...(request.notes ? { notes: request.notes } : {}) },
    });
  return {
    id: market.id,
    status: 'halted',
    segments: [...request.segments],
    incidentId: draft.incident.id,
    haltedAt: ctx.now,
    updatedAt: ctx.now,
    version: market.version + 1,
  };
}

/**
 * Schedules (or re-schedules) the resumption of a halted market. Order acceptance opens
 * `resumeLeadMinutes` before trading resumes (TSE's 2021 rule), so `effectiveAt` must leave at
 * least that much time; with `sameDayResumeCutoff`, a resumption on the market-local day of the
 * halt may be no later than the cut-off (the next day is allowed). Then `admit` decides the
 * readiness gate (`resumption.ts`): the notice carries what it rested on in `detail.quorum`, and
 * a poll still open closes.
 *
 * @throws ValidationError (400) naming `effectiveAt`; whatever `admit` throws (409 without quorum)
 */
export function scheduleResume(
  market: MarketState,
  draft: IncidentDraft,
  request: { effectiveAt: number; actor: string; note?: string; notes?: Notes; admit?: () => Readiness },
  ctx: DecisionContext,
): MarketState {
  if (market.status === 'trading') throw new ConflictError(`cannot schedule a resumption: ${describe(market)}`, marketView(market, ctx.config));
  const leadMs = ctx.config.policy.resumeLeadMinutes * 60_000;
  const earliest = ctx.now + leadMs;
  if (request.effectiveAt < earliest) {
    throw new ValidationError('command', [
      {
        field: 'effectiveAt',
        problem: `must be at least ${ctx.config.policy.resumeLeadMinutes} minutes from now, because order acceptance opens ${ctx.config.policy.resumeLeadMinutes} minutes before trading resumes: got ${iso(request.effectiveAt)}, earliest ${iso(earliest)}`,
      },
    ]);
  }
  checkSameDayCutoff(market, request.effectiveAt, ctx.config);
  const readiness = request.admit?.();
  const ordersAcceptedFrom = request.effectiveAt - leadMs;
  const scope = market.segments.length ? `segments ${market.segments.join(', ')} of ${market.id}` : `market ${market.id}`;
  // People read this (the timeline, the notice's summary): market time, the zone named; the ISO instants are in the notice.
  const zone = marketTimeZoneOf(ctx.config, market.id);
  const text = `Trading on ${scope} resumes at ${clockText(request.effectiveAt, zone)}; orders accepted from ${clockText(ordersAcceptedFrom, zone)}.`;
  const quorumText = readinessText(readiness);
  draft
    .log('resume-scheduled', request.actor, `${text} ${quorumText} ${request.note ?? ''}`.replace(/ +/g, ' ').trim(), {
      effectiveAt: iso(request.effectiveAt),
      ...(readiness?.override !== undefined ? { override: readiness.override } : {}),
    })
    .notify('resume-scheduled', {
      market: market.id,
      segments: market.segments,
      effectiveAt: request.effectiveAt,
      summary: `${text} ${quorumText} ${request.note ?? ''}`.replace(/ +/g, ' ').trim(),
      detail: {
        ordersAcceptedFrom: iso(ordersAcceptedFrom),
        rescheduled: market.status === 'resume-scheduled',
        ...(request.note ? { note: request.note } : {}),
        ...(request.notes ? { notes: request.notes } : {}),
        ...(readiness?.tally ? { quorum: quorumDetail(readiness) } : {}),
      },
    });
  if (readiness?.closes) {
    draft
      .log('readiness-poll-closed', request.actor, `Readiness poll ${readiness.closes.pollId} closed: the resumption is scheduled.`, { pollId: readiness.closes.pollId, reason: 'resume-scheduled' })
      .with({ polls: [readiness.closes] });
  }
  return { ...market, status: 'resume-scheduled', resumeAt: request.effectiveAt, ordersAcceptedFrom, updatedAt: ctx.now, version: market.version + 1 };
}

/** `detail.quorum` of the `resume-scheduled` notice: the tally, and what it was held against. */
function quorumDetail(readiness: Readiness): Record<string, unknown> {
  return {
    ...readiness.tally,
    ...(readiness.pollId !== undefined ? { pollId: readiness.pollId } : {}),
    ...(readiness.required ? { required: readiness.required } : {}),
    ...(readiness.override !== undefined ? { override: readiness.override } : {}),
  };
}

function readinessText(readiness: Readiness | undefined): string {
  if (!readiness?.tally) return '';
  const tally = describeTally(readiness.tally, readiness.required);
  if (readiness.override !== undefined && readiness.required) {
    return `Scheduled WITHOUT the readiness quorum (${describeQuorum(readiness.required)}), by override: ${readiness.override}. Readiness poll ${readiness.pollId ?? '(none)'}: ${tally}.`;
  }
  return `Readiness poll ${readiness.pollId ?? '(none)'}: ${tally}.`;
}

/**
 * No same-day resumption after `sameDayResumeCutoff`: `effectiveAt` on the market-local calendar
 * day of the halt must be no later than the cut-off; a later day is allowed. Read in the market's
 * time zone, so a Tokyo halt at 08:36 (23:36 UTC the day before) has its cut-off at 14:30 Tokyo.
 */
export function checkSameDayCutoff(market: MarketState, effectiveAt: number, config: TocsinConfig): void {
  const configured = marketConfig(config, market.id);
  const cutoff = configured.sameDayResumeCutoff;
  if (cutoff === undefined || market.haltedAt === undefined) return;
  const zone = configured.timeZone;
  const haltDay = localTime(market.haltedAt, zone).date;
  const resumes = localTime(effectiveAt, zone);
  if (resumes.date !== haltDay || resumes.msOfDay <= msOfDay(cutoff)) return;
  throw new ValidationError('command', [
    {
      field: 'effectiveAt',
      problem:
        `${formatLocal(effectiveAt, zone)} is after the same-day resumption cut-off ${cutoff} (${zone}) of ${haltDay}, the day of the halt ` +
        `(markets "${market.id}" sameDayResumeCutoff): resume by ${cutoff} today, or on ${nextDay(haltDay)} or later`,
    },
  ]);
}

/** Resumes trading. Only a scheduled resumption can happen, and not before its time. */
export function resume(market: MarketState, draft: IncidentDraft, request: { actor: string; note?: string; notes?: Notes }, ctx: DecisionContext): MarketState {
  if (market.status === 'trading') throw new ConflictError(`cannot resume: ${describe(market)}`, marketView(market, ctx.config));
  if (market.status === 'halted') {
    throw new ConflictError(
      `cannot resume: ${describe(market)} with no resumption scheduled; schedule-resume first (orders are accepted ${ctx.config.policy.resumeLeadMinutes} minutes before trading resumes)`,
      marketView(market, ctx.config),
    );
  }
  if (market.resumeAt !== undefined && ctx.now < market.resumeAt) {
    throw new ConflictError(`cannot resume yet: ${describe(market)}`, marketView(market, ctx.config));
  }
  const scope = market.segments.length ? `segments ${market.segments.join(', ')} of ${market.id}` : `market ${market.id}`;
  draft
    .log('resume', request.actor, `Trading resumed on ${scope}. ${request.note ?? ''}`.trim())
    .notify('resume', {
      market: market.id,
      segments: market.segments,
      summary: `Trading resumed on ${scope}. ${request.note ?? ''}`.trim(),
      ...(request.note || request.notes ? { detail: { ...(request.note ? { note: request.note } : {}), ...(request.notes ? { notes: request.notes } : {}) } } : {}),
    });
  return { id: market.id, status: 'trading', segments: [], updatedAt: ctx.now, version: market.version + 1 };
}

/**
 * The halt policy: a critical alarm on a component marked critical halts its market, when
 * `policy.haltOnCritical` says so and the market is trading.
 */
export function policyHalts(signal: AlarmSignal, market: MarketState, ctx: DecisionContext): boolean {
  if (!ctx.config.policy.haltOnCritical || signal.mayHalt === false || signal.status !== 'firing' || signal.severity !== 'critical') return false;
  // Tocsin's own bookkeeping halts only where it says so (a primary that held the lease went silent with no ready standby).
  if (signal.bookkeeping && signal.mayHalt !== true) return false;
  const component = ctx.config.components.find((c) => c.id === signal.component);
  return !!component?.critical && market.status === 'trading';
}
