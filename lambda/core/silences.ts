import type { DecisionContext } from './context';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { marketConfig } from './market';

/**
 * Silences and maintenance windows (shared/DESIGN.md, "Two audiences"): while a silence is in
 * force, the alarms it matches are still recorded — their incident and its timeline say
 * "silenced" — but they page nobody, announce nothing and halt nothing by policy. A silence
 * ends by itself at `until`, never lasts longer than `policy.maxSilenceHours`, and an operator
 * may end it early (`unsilence`). It never mutes what an operator does: a halt declared on a
 * silenced incident pages and announces as any halt does.
 *
 *   from ───────────── in force ───────────── until (or unsilence)
 *   alarm ─ incident opened, timeline "silenced", nobody paged │ still firing: on-call paged now,
 *                                                             │ escalation counts from here
 *
 * All silences live in one small item (`SilenceSet`), written only by the silence commands and
 * read with every alarm in the same batch as its group and market: no extra round trip.
 */

export interface SilenceMatchers {
  readonly component?: string;
  readonly market?: string;
  readonly dedupKeyPrefix?: string;
}

export interface Silence {
  readonly id: string;
  /** Every matcher given must match (and at least one is given). */
  readonly matchers: SilenceMatchers;
  readonly from: number;
  readonly until: number;
  readonly note: string;
  readonly createdBy: string;
  readonly createdAt: number;
  /** Ended early by an operator. */
  readonly endedAt?: number;
  readonly endedBy?: string;
}

/** Every silence not long over, in one versioned item. */
export interface SilenceSet {
  readonly silences: readonly Silence[];
  readonly version: number;
}

export const NO_SILENCES: SilenceSet = { silences: [], version: 0 };

/** How many silences may be in force or scheduled at once (the set stays one small item). */
export const MAX_SILENCES = 100;
/** How far ahead a maintenance window may be scheduled. */
export const MAX_SILENCE_LEAD_DAYS = 30;
/** How long an ended silence stays in the set, so a retried `unsilence` still finds it. */
export const ENDED_SILENCE_KEPT_MS = 24 * 3600_000;

/** What a silence is matched against. */
export interface SilenceSubject {
  readonly dedupKey: string;
  readonly component: string;
  readonly market: string;
}

/** When a silence stops being in force: its end, or when an operator ended it. */
export function silenceEnd(silence: Silence): number {
  return silence.endedAt !== undefined ? Math.min(silence.endedAt, silence.until) : silence.until;
}

export function inForce(silence: Silence, now: number): boolean {
  return silence.from <= now && now < silenceEnd(silence);
}

function matches(silence: Silence, subject: SilenceSubject): boolean {
  const m = silence.matchers;
  return (
    (m.component === undefined || m.component === subject.component) &&
    (m.market === undefined || m.market === subject.market) &&
    (m.dedupKeyPrefix === undefined || subject.dedupKey.startsWith(m.dedupKeyPrefix))
  );
}

/** The silence in force that matches, if any: the one that ends last, when several do. */
export function silenceFor(subject: SilenceSubject, set: SilenceSet | undefined, now: number): Silence | undefined {
  let found: Silence | undefined;
  for (const silence of set?.silences ?? []) {
    if (inForce(silence, now) && matches(silence, subject) && (!found || silenceEnd(silence) > silenceEnd(found))) found = silence;
  }
  return found;
}

/** Silences in force or scheduled, soonest end first (the status views). */
export function currentSilences(set: SilenceSet | undefined, now: number): Silence[] {
  return (set?.silences ?? []).filter((s) => silenceEnd(s) > now).sort((a, b) => silenceEnd(a) - silenceEnd(b));
}

function pruned(set: SilenceSet, now: number): Silence[] {
  return set.silences.filter((s) => silenceEnd(s) + ENDED_SILENCE_KEPT_MS > now);
}

export interface SilenceRequest {
  readonly matchers: SilenceMatchers;
  readonly from?: number;
  readonly until: number;
  readonly note: string;
}

/** A new silence in the set, or a validation error naming the field. */
export function addSilence(set: SilenceSet, request: SilenceRequest, actor: string, ctx: DecisionContext): { set: SilenceSet; silence: Silence } {
  const problems: Array<{ field: string; problem: string }> = [];
  const { component, market, dedupKeyPrefix } = request.matchers;
  if (component === undefined && market === undefined && dedupKeyPrefix === undefined) {
    problems.push({ field: 'matchers', problem: 'must name at least one of component, market, dedupKeyPrefix (a silence of everything is refused)' });
  }
  if (market !== undefined && !ctx.config.markets.some((m) => m.id === market)) {
    problems.push({ field: 'matchers.market', problem: `unknown market "${market}" (configured: ${ctx.config.markets.map((m) => m.id).join(', ')})` });
  }
  const from = request.from ?? ctx.now;
  const maxHours = ctx.config.policy.maxSilenceHours;
  if (request.until <= ctx.now) problems.push({ field: 'until', problem: `must be in the future, got ${iso(request.until)} (now ${iso(ctx.now)})` });
  else if (request.until <= from) problems.push({ field: 'until', problem: `must be after from (${iso(from)}), got ${iso(request.until)}` });
  else if (request.until - from > maxHours * 3600_000) {
    problems.push({ field: 'until', problem: `a silence lasts at most policy.maxSilenceHours = ${maxHours} h; ${iso(from)} to ${iso(request.until)} is ${((request.until - from) / 3600_000).toFixed(1)} h` });
  }
  if (from > ctx.now + MAX_SILENCE_LEAD_DAYS * 86_400_000) problems.push({ field: 'from', problem: `may be at most ${MAX_SILENCE_LEAD_DAYS} days ahead, got ${iso(from)}` });
  if (problems.length) throw new ValidationError('command', problems);

  const kept = pruned(set, ctx.now);
  const current = kept.filter((s) => silenceEnd(s) > ctx.now);
  if (current.length >= MAX_SILENCES) {
    throw new ConflictError(`at most ${MAX_SILENCES} silences may be in force or scheduled at once; end one with unsilence first`, { silences: current.length });
  }
  const silence: Silence = {
    id: `sil-${ctx.newIncidentId().replace(/^inc-/, '')}`,
    matchers: { ...(component !== undefined ? { component } : {}), ...(market !== undefined ? { market: marketConfig(ctx.config, market).id } : {}), ...(dedupKeyPrefix !== undefined ? { dedupKeyPrefix } : {}) },
    from,
    until: request.until,
    note: request.note,
    createdBy: actor,
    createdAt: ctx.now,
  };
  return { set: { silences: [...kept, silence], version: set.version + 1 }, silence };
}

/**
 * Ends a silence now. Ending one that has already ended (a retry, or its time ran out) changes
 * nothing and says so; an id never issued, or long forgotten, is not found.
 */
export function endSilence(set: SilenceSet, silenceId: string, actor: string, now: number): { set?: SilenceSet; silence: Silence } {
  const silence = set.silences.find((s) => s.id === silenceId);
  if (!silence) throw new NotFoundError('silence', silenceId, 'tocsin silences lists the silences in force');
  if (silenceEnd(silence) <= now) return { silence };
  const ended: Silence = { ...silence, endedAt: now, endedBy: actor };
  return { set: { silences: pruned(set, now).map((s) => (s.id === silenceId ? ended : s)), version: set.version + 1 }, silence: ended };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
