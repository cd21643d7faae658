import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import { ConflictError } from './errors';
import { halt, marketOfSignal, policyHalts } from './market';
import type { GroupState, Incident, KeyState, MarketState, Transition } from './model';
import { noChange } from './model';
import { SEVERITY_RANK, type AlarmSignal } from './signal';

/**
 * The incident rules, as pure functions of (state read, input, context) → transition.
 *
 * Deliveries are at-least-once and unordered (EventBridge, SNS), so the rules are built to give
 * the same result whatever the order of one batch of deliveries:
 * - each dedup key keeps the newest state by the SOURCE's timestamp; older or equal is a replay;
 * - an OK that arrives while no incident is open is remembered on the group, so a late, older
 *   firing still opens the incident and finds its alarm already OK;
 * - auto-resolve waits a quiet time after the last alarm went OK ({@link decideSweep}), so an
 *   alarm that fires again in between (flapping, or an OK delivered before its own firing)
 *   keeps the same incident.
 *
 *   source time  ──F(a)──F(b)──OK(a)──OK(b)────────────────►
 *   delivered     OK(b)  F(a)  OK(a)  F(b)            sweep
 *   incident      (kept)  open        pending (b OK)  resolved
 */

/** What the store read for one alarm: the group's pointer and incident, the market, the halting incident. */
export interface SignalSnapshot {
  readonly groupKey: string;
  readonly group?: GroupState;
  /** The incident the group points to, open or resolved. */
  readonly incident?: Incident;
  readonly market: MarketState;
  /** The incident the market is halted for, when it is not resolved (inhibition). */
  readonly haltingIncident?: Incident;
}

/** Which key's alarms share one incident, by `policy.groupBy`. */
export function groupKeyOf(signal: AlarmSignal, ctx: Pick<DecisionContext, 'config'>): string {
  switch (ctx.config.policy.groupBy) {
    case 'dedupKey':
      return `key:${signal.dedupKey}`;
    case 'component':
      return `component:${signal.component}`;
    case 'market':
      return `market:${marketOfSignal(signal, ctx.config)}`;
  }
}

function anyFiring(keys: Readonly<Record<string, KeyState>>): boolean {
  return Object.values(keys).some((k) => k.status === 'firing');
}

function newestAt(keys: Readonly<Record<string, KeyState>>): number {
  return Math.max(0, ...Object.values(keys).map((k) => k.at));
}

function actorOf(signal: AlarmSignal): string {
  return `alarm:${signal.dedupKey}`;
}

/** Decides what one alarm signal changes. */
export function decideSignal(snapshot: SignalSnapshot, signal: AlarmSignal, ctx: DecisionContext): Transition {
  const current = snapshot.incident;
  const group: GroupState = snapshot.group ?? { groupKey: snapshot.groupKey, keys: {}, version: 0 };
  // What the group's earlier, resolved incidents accounted for (the resolved current one included).
  const handled = current?.status === 'resolved' ? mergeKeys(group.handled ?? {}, current.keys) : group.handled;
  const replayed = handled?.[signal.dedupKey];
  const isReplay = replayed !== undefined && signal.occurredAt <= replayed.at;

  if (current && current.status !== 'resolved') {
    // A re-delivery of what an earlier incident of this group handled must not leak into this one.
    if (isReplay) return noChange('duplicate', current.id);
    return attach(current, signal, snapshot.market, ctx);
  }

  // A replay of something a resolved incident already accounts for changes nothing. An alarm it
  // never saw is news, however old its timestamp: a firing delivered late may still be firing.
  if (isReplay) return noChange('stale', current?.id);

  const halting = snapshot.haltingIncident;
  if (halting && halting.status !== 'resolved' && halting.component === signal.component) {
    // Inhibition: while the market is halted for an incident, its component's new alarms join
    // it quietly instead of opening (and announcing) incidents of their own.
    const joined = attach(halting, signal, snapshot.market, ctx, 'inhibited', group.keys);
    return { ...joined, group: { groupKey: group.groupKey, incidentId: halting.id, keys: {}, ...(handled ? { handled } : {}), version: group.version + 1 } };
  }

  const known = group.keys[signal.dedupKey];
  if (signal.status === 'resolved') {
    if (known && known.at >= signal.occurredAt) return noChange('duplicate');
    // Nothing open to resolve: remember the OK in case its (older) firing is still on its way.
    return {
      action: 'recorded',
      group: { ...group, keys: { ...group.keys, [signal.dedupKey]: { status: 'resolved', at: signal.occurredAt } }, version: group.version + 1 },
      timeline: [],
      notices: [],
    };
  }
  return open({ ...group, ...(handled ? { handled } : {}) }, signal, snapshot.market, ctx);
}

function mergeKeys(a: Readonly<Record<string, KeyState>>, b: Readonly<Record<string, KeyState>>): Record<string, KeyState> {
  const out: Record<string, KeyState> = { ...a };
  for (const [key, state] of Object.entries(b)) {
    const mine = out[key];
    if (!mine || state.at > mine.at) out[key] = state;
  }
  return out;
}

function open(group: GroupState, signal: AlarmSignal, market: MarketState, ctx: DecisionContext): Transition {
  const keys = mergeKeys(group.keys, { [signal.dedupKey]: { status: 'firing', at: signal.occurredAt } });
  const marketId = market.id;
  const incident: Incident = {
    id: ctx.newIncidentId(),
    groupKey: group.groupKey,
    status: 'open',
    severity: signal.severity,
    component: signal.component,
    market: marketId,
    summary: signal.summary,
    openedAt: ctx.now,
    keys,
    noticeSequence: 0,
    timelineSequence: 0,
    version: 0,
  };
  const draft = new IncidentDraft(incident, ctx.now, 0)
    .log('incident-opened', actorOf(signal), signal.summary, { dedupKey: signal.dedupKey, severity: signal.severity, source: signal.source, ...signal.details })
    .notify('incident-opened', {
      market: marketId,
      effectiveAt: signal.occurredAt,
      summary: signal.summary,
      detail: { component: signal.component, source: signal.source },
    });
  let newMarket: MarketState | undefined;
  if (policyHalts(signal, market, ctx)) {
    newMarket = halt(market, draft, { segments: [], actor: 'policy', reason: `Critical alarm on market-critical component ${signal.component}.` }, ctx);
  }
  if (!anyFiring(keys)) startResolveWait(draft, ctx, 'every alarm of this incident was already OK when its firing arrived');
  const nextGroup: GroupState = { groupKey: group.groupKey, incidentId: incident.id, keys: {}, ...(group.handled ? { handled: group.handled } : {}), version: group.version + 1 };
  return draft.finish('opened', { group: nextGroup, ...(newMarket ? { market: newMarket } : {}) });
}

/**
 * Attaches a signal to an open incident. `remembered` are OKs the group kept while it had no
 * incident open (inhibition brings them along); newest state per key wins.
 */
function attach(
  incident: Incident,
  signal: AlarmSignal,
  market: MarketState,
  ctx: DecisionContext,
  how?: 'inhibited',
  remembered: Readonly<Record<string, KeyState>> = {},
): Transition {
  const known = incident.keys[signal.dedupKey];
  const actor = actorOf(signal);
  if (known && signal.occurredAt <= known.at) {
    // Older than what the key already says, so its state is a replay; its severity is still a
    // fact about the incident, and must not depend on the order of delivery.
    if (signal.status === 'firing' && SEVERITY_RANK[signal.severity] > SEVERITY_RANK[incident.severity]) {
      return new IncidentDraft(incident, ctx.now, incident.version)
        .update({ severity: signal.severity })
        .log('severity-raised', actor, `Severity raised from ${incident.severity} to ${signal.severity}.`)
        .finish('severity-raised');
    }
    return noChange('duplicate', incident.id);
  }
  const keys = mergeKeys(mergeKeys(incident.keys, remembered), { [signal.dedupKey]: { status: signal.status, at: signal.occurredAt } });
  const draft = new IncidentDraft({ ...incident, keys }, ctx.now, incident.version);
  let action = how ?? 'refreshed';

  if (signal.status === 'firing') {
    if (!known) {
      draft.log('alarm-attached', actor, `${how === 'inhibited' ? '(inhibited: market halted) ' : ''}${signal.summary}`, { dedupKey: signal.dedupKey, severity: signal.severity });
      action = how ?? 'attached';
    } else if (known.status === 'resolved') {
      draft.log('alarm-fired-again', actor, signal.summary, { dedupKey: signal.dedupKey });
      action = how ?? 'attached';
    }
    if (SEVERITY_RANK[signal.severity] > SEVERITY_RANK[incident.severity]) {
      draft.update({ severity: signal.severity }).log('severity-raised', actor, `Severity raised from ${incident.severity} to ${signal.severity}.`);
    }
    if (incident.resolvePendingSince !== undefined) {
      draft.update({ resolvePendingSince: undefined }).log('resolve-cancelled', actor, 'An alarm fired again; the incident stays open.');
    }
    if (policyHalts(signal, market, ctx)) {
      const newMarket = halt(market, draft, { segments: [], actor: 'policy', reason: `Critical alarm on market-critical component ${signal.component}.` }, ctx);
      return draft.finish('halted', { market: newMarket });
    }
  } else {
    if (!known || known.status === 'firing') {
      draft.log('alarm-resolved', actor, `OK: ${signal.summary}`, { dedupKey: signal.dedupKey });
      action = how ?? 'alarm-resolved';
    }
  }
  // Also after a firing: an OK the group remembered may be newer than the firing itself.
  if (!anyFiring(keys) && draft.incident.resolvePendingSince === undefined) {
    if (startResolveWait(draft, ctx, 'every alarm of this incident is OK')) action = 'resolve-pending';
  }
  return draft.finish(action);
}

function startResolveWait(draft: IncidentDraft, ctx: DecisionContext, why: string): boolean {
  if (!ctx.config.policy.autoResolve) return false;
  const quiet = ctx.config.policy.autoResolveQuietSeconds;
  draft.update({ resolvePendingSince: ctx.now }).log('resolve-pending', 'system', `${why}; resolves in ${quiet} s unless an alarm fires again.`);
  return true;
}

/**
 * The timer side of auto-resolve: resolves an incident whose alarms have all been OK for the
 * quiet time. Run on a schedule (and by the local runtime's clock).
 */
export function decideSweep(incident: Incident, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved' || incident.resolvePendingSince === undefined || anyFiring(incident.keys)) return noChange('nothing-due', incident.id);
  if (ctx.now - incident.resolvePendingSince < ctx.config.policy.autoResolveQuietSeconds * 1000) return noChange('not-yet', incident.id);
  const draft = new IncidentDraft(incident, ctx.now, incident.version);
  closeIncident(draft, 'auto-resolve', `All alarms OK for ${ctx.config.policy.autoResolveQuietSeconds} s.`, ctx.now);
  return draft.finish('resolved');
}

function closeIncident(draft: IncidentDraft, actor: string, why: string, now: number): void {
  const incident = draft.incident;
  const marketId = incident.market ?? 'unknown';
  draft
    .update({ status: 'resolved', resolvedAt: now, resolvedBy: actor, resolvePendingSince: undefined, closedThrough: newestAt(incident.keys) })
    .log('incident-resolved', actor, `Incident resolved. ${why}`.trim())
    .notify('incident-resolved', { market: marketId, summary: `Resolved: ${incident.summary}. ${why}`.trim(), detail: { resolvedBy: actor } });
}

/** `ack`: open → acknowledged. Acknowledging again changes nothing; a resolved incident refuses. */
export function acknowledge(incident: Incident, request: { actor: string; note?: string }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') {
    throw new ConflictError(`cannot acknowledge incident ${incident.id}: it is resolved`, { incidentId: incident.id, status: incident.status });
  }
  if (incident.status === 'acknowledged') return noChange('unchanged', incident.id);
  const draft = new IncidentDraft(incident, ctx.now, incident.version)
    .update({ status: 'acknowledged', acknowledgedAt: ctx.now, acknowledgedBy: request.actor })
    .log('incident-acknowledged', request.actor, `Acknowledged. ${request.note ?? ''}`.trim());
  return draft.finish('acknowledged');
}

/** `resolve` by an operator: any open or acknowledged incident; resolving again changes nothing. */
export function resolveByOperator(incident: Incident, request: { actor: string; note?: string }, ctx: DecisionContext): Transition {
  if (incident.status === 'resolved') return noChange('unchanged', incident.id);
  const draft = new IncidentDraft(incident, ctx.now, incident.version);
  closeIncident(draft, request.actor, request.note ?? '', ctx.now);
  return draft.finish('resolved');
}

/** `annotate`: a note on the timeline, on any incident (resolved ones too: post-mortems). */
export function annotate(incident: Incident, request: { actor: string; note: string }, ctx: DecisionContext): Transition {
  return new IncidentDraft(incident, ctx.now, incident.version).log('annotation', request.actor, request.note).finish('annotated');
}

/** A new incident opened by an operator (a halt declared with no incident named). */
export function openManualIncident(request: { actor: string; market: string; summary: string }, ctx: DecisionContext): IncidentDraft {
  const id = ctx.newIncidentId();
  const incident: Incident = {
    id,
    groupKey: `manual:${id}`,
    status: 'open',
    severity: 'critical',
    component: `market:${request.market}`,
    market: request.market,
    summary: request.summary,
    openedAt: ctx.now,
    keys: {},
    noticeSequence: 0,
    timelineSequence: 0,
    version: 0,
  };
  return new IncidentDraft(incident, ctx.now, 0)
    .log('incident-opened', request.actor, request.summary, { manual: true })
    .notify('incident-opened', { market: request.market, summary: request.summary, detail: { declaredBy: request.actor } });
}
