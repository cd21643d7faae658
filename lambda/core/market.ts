import type { DecisionContext } from './context';
import { announce } from './audiences';
import type { IncidentDraft } from './draft';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import type { MarketConfig, Notes, TocsinConfig } from './config';
import type { MarketState } from './model';
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

export function marketView(market: MarketState): Record<string, unknown> {
  return {
    market: market.id,
    status: market.status,
    segments: market.segments,
    ...(market.incidentId ? { incidentId: market.incidentId } : {}),
    ...(market.haltedAt !== undefined ? { haltedAt: iso(market.haltedAt) } : {}),
    ...(market.resumeAt !== undefined ? { resumeAt: iso(market.resumeAt) } : {}),
    ...(market.ordersAcceptedFrom !== undefined ? { ordersAcceptedFrom: iso(market.ordersAcceptedFrom) } : {}),
  };
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
  if (market.status !== 'trading') throw new ConflictError(`cannot halt: ${describe(market)}`, marketView(market));
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
      detail: { reason: request.reason, declaredBy: request.actor, ...(request.notes ? { notes: request.notes } : {}) },
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
 * least that much time.
 */
export function scheduleResume(
  market: MarketState,
  draft: IncidentDraft,
  request: { effectiveAt: number; actor: string; note?: string; notes?: Notes },
  ctx: DecisionContext,
): MarketState {
  if (market.status === 'trading') throw new ConflictError(`cannot schedule a resumption: ${describe(market)}`, marketView(market));
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
  const ordersAcceptedFrom = request.effectiveAt - leadMs;
  const scope = market.segments.length ? `segments ${market.segments.join(', ')} of ${market.id}` : `market ${market.id}`;
  const text = `Trading on ${scope} resumes at ${iso(request.effectiveAt)}; orders accepted from ${iso(ordersAcceptedFrom)}.`;
  draft
    .log('resume-scheduled', request.actor, `${text} ${request.note ?? ''}`.trim(), { effectiveAt: iso(request.effectiveAt) })
    .notify('resume-scheduled', {
      market: market.id,
      segments: market.segments,
      effectiveAt: request.effectiveAt,
      summary: `${text} ${request.note ?? ''}`.trim(),
      detail: {
        ordersAcceptedFrom: iso(ordersAcceptedFrom),
        rescheduled: market.status === 'resume-scheduled',
        ...(request.note ? { note: request.note } : {}),
        ...(request.notes ? { notes: request.notes } : {}),
      },
    });
  return { ...market, status: 'resume-scheduled', resumeAt: request.effectiveAt, ordersAcceptedFrom, updatedAt: ctx.now, version: market.version + 1 };
}

/** Resumes trading. Only a scheduled resumption can happen, and not before its time. */
export function resume(market: MarketState, draft: IncidentDraft, request: { actor: string; note?: string; notes?: Notes }, ctx: DecisionContext): MarketState {
  if (market.status === 'trading') throw new ConflictError(`cannot resume: ${describe(market)}`, marketView(market));
  if (market.status === 'halted') {
    throw new ConflictError(
      `cannot resume: ${describe(market)} with no resumption scheduled; schedule-resume first (orders are accepted ${ctx.config.policy.resumeLeadMinutes} minutes before trading resumes)`,
      marketView(market),
    );
  }
  if (market.resumeAt !== undefined && ctx.now < market.resumeAt) {
    throw new ConflictError(`cannot resume yet: ${describe(market)}`, marketView(market));
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
