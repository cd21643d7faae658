import type { DecisionContext } from './context';
import { announce, announcesAutomatically, holdUnderSilence, isParticipantFacing, pageOpened, pagePaged, wake } from './audiences';
import { IncidentDraft } from './draft';
import { startResolveWait } from './incident-lifecycle';
import { halt, marketOfSignal, policyHalts } from './market';
import type { AlarmState, GroupState, Incident, IncidentAlarm, MarketState, NoticeType, Transition } from './model';
import { noChange } from './model';
import { SEVERITY_RANK, type AlarmSignal, type SignalStatus } from './signal';
import { silenceEnd, silenceFor, type Silence, type SilenceSet } from './silences';

/**
 * The alarm rules, as pure functions of (state read, alarm, context) → transition.
 *
 * Deliveries are at-least-once and unordered (EventBridge, SNS), so the rules give the same
 * result whatever the order of one batch of deliveries:
 * - each alarm (dedup key) keeps its newest state by the SOURCE's timestamp in its own item
 *   ({@link AlarmState}); an older or equal delivery of something an incident accounts for is a
 *   replay and changes nothing, whichever incident is open now;
 * - an OK of an alarm that no open incident lists is remembered on the alarm's item, so a late,
 *   older firing still opens (or joins) the incident and finds its alarm already OK;
 * - what an earlier, resolved incident accounted for stays its own (`AlarmState.closedThrough`);
 * - the incident's start is the earliest firing's source time seen, however late it arrives;
 * - auto-resolve waits a quiet time after the last alarm went OK (`incident-lifecycle.ts`), so
 *   an alarm that fires again in between (flapping, or an OK delivered before its own firing)
 *   keeps the same incident.
 *
 *   source time  ──F(a)──F(b)──OK(a)──OK(b)────────────────►
 *   delivered     OK(b)  F(a)  OK(a)  F(b)            sweep
 *   incident      (kept)  open        pending (b OK)  resolved
 *
 * No hot item: attaching an alarm to an open incident writes that alarm's items and its
 * timeline entry, and changes the incident item only when the incident itself changes
 * (severity raised, start moved earlier, resolve wait cancelled, halt).
 */

/** What the store read for one alarm. */
export interface SignalSnapshot {
  readonly groupKey: string;
  readonly group?: GroupState;
  /** The incident the group points to, open or resolved. */
  readonly incident?: Incident;
  /** The alarm's newest state, if any delivery of it was ever recorded. */
  readonly alarm?: AlarmState;
  readonly market: MarketState;
  /** The incident the market is halted for, when it is not resolved (inhibition). */
  readonly haltingIncident?: Incident;
  /** The silences (maintenance windows); none when absent. */
  readonly silences?: SilenceSet;
}

/** How the incident a signal opens announces itself, when not as `incident-opened` (a failover). */
export interface OpeningNotice {
  readonly type: NoticeType;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
}

/** A decision on one signal, not yet finished: other rules may extend its draft first. */
export interface SignalPlan {
  readonly action: string;
  readonly incidentId?: string;
  /** The incident's draft, when the signal changes something on an incident. */
  readonly draft?: IncidentDraft;
  /** Whether the signal opens the incident. */
  readonly opened?: boolean;
  /** An OK remembered while no incident is open: only the alarm's item is written. */
  readonly remembered?: AlarmState;
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

function actorOf(signal: AlarmSignal): string {
  return `alarm:${signal.dedupKey}`;
}

/** Where the alarm came from, for its timeline entries: the source, and the monitor that sent it. */
function sourceOf(signal: AlarmSignal): { source: AlarmSignal['source']; monitor?: string } {
  return { source: signal.source, ...(signal.monitorId === undefined ? {} : { monitor: signal.monitorId }) };
}

/** The monitor that sent the alarm, for timeline entries that do not name the source. */
function monitorOf(signal: AlarmSignal): { monitor?: string } {
  return signal.monitorId === undefined ? {} : { monitor: signal.monitorId };
}

/** Decides what one alarm signal changes. */
export function decideSignal(snapshot: SignalSnapshot, signal: AlarmSignal, ctx: DecisionContext): Transition {
  return finishPlan(planSignal(snapshot, signal, ctx));
}

/** Finishes a plan into the transition the store writes. */
export function finishPlan(plan: SignalPlan): Transition {
  if (plan.draft) return plan.draft.finish(plan.action);
  if (plan.remembered) return { action: plan.action, alarm: plan.remembered, timeline: [], notices: [] };
  return noChange(plan.action, plan.incidentId);
}

/** Plans what one alarm signal changes; {@link finishPlan} (or a composing rule) finishes it. */
export function planSignal(snapshot: SignalSnapshot, signal: AlarmSignal, ctx: DecisionContext, opening?: OpeningNotice): SignalPlan {
  const known = snapshot.alarm;
  const current = snapshot.incident && snapshot.incident.status !== 'resolved' ? snapshot.incident : undefined;
  const halting = snapshot.haltingIncident && snapshot.haltingIncident.status !== 'resolved' ? snapshot.haltingIncident : undefined;
  const newer = !known || signal.occurredAt > known.at;
  // Silences mute alarms, not what Tocsin itself does (a promotion's own incident).
  const silence = opening ? undefined : silenceFor({ dedupKey: signal.dedupKey, component: signal.component, market: snapshot.market.id }, snapshot.silences, ctx.now);

  if (known?.closedThrough !== undefined && signal.occurredAt <= known.closedThrough) {
    // A replay of what an earlier, resolved incident accounted for, delivered after the alarm
    // moved on: its firing must neither open an incident nor reach the one open now.
    const named = current?.id ?? known.incidentId;
    return { action: 'duplicate', ...(named ? { incidentId: named } : {}) };
  }
  if (known && !newer && known.incidentId !== undefined) {
    // A replay of what an incident accounts for. Its state is old news; its severity and its
    // time are still facts about that incident, and must not depend on the order of delivery.
    const accounting = [current, halting].find((i) => i?.id === known.incidentId);
    if (accounting) return silence ? { action: 'duplicate', incidentId: accounting.id } : replayFacts(accounting, signal, ctx);
    // What an earlier, resolved incident accounted for must not leak into the open one.
    return { action: 'duplicate', incidentId: current?.id ?? known.incidentId };
  }
  if (known && !newer && signal.status === 'resolved') return { action: 'duplicate', ...(current ? { incidentId: current.id } : {}) };

  // The alarm's state after this delivery: the signal's, unless an OK remembered on the alarm
  // is newer than this (late, older) firing.
  const next: { status: SignalStatus; at: number } = newer ? { status: signal.status, at: signal.occurredAt } : { status: known!.status, at: known!.at };

  // Inhibition: while the market is halted for an incident, new alarms of any component of that
  // market join it quietly instead of opening (paging, announcing) incidents of their own — the
  // halt is already the operators' business. Tocsin's own bookkeeping still pages on its own.
  const joins = current ?? (halting && !signal.bookkeeping ? halting : undefined);
  if (signal.status === 'resolved' && (!joins || known?.incidentId !== joins.id)) {
    // An OK of an alarm the incident does not list (or with nothing open) is remembered on the
    // alarm's own item, not listed: its (older) firing may still be on its way, and would find
    // it; an incident opened by another alarm could not, so listing it would depend on the order.
    const closedThrough = closedThroughAfter(known, undefined);
    return {
      action: 'recorded',
      remembered: { dedupKey: signal.dedupKey, status: 'resolved', at: signal.occurredAt, ...(closedThrough !== undefined ? { closedThrough } : {}), version: (known?.version ?? 0) + 1 },
    };
  }
  if (current) return attach(current, signal, known, next, snapshot.market, ctx, silence ? { silence } : {});
  if (joins) {
    const plan = attach(joins, signal, known, next, snapshot.market, ctx, { inhibited: true, ...(silence ? { silence } : {}) });
    plan.draft!.with({ group: { groupKey: snapshot.groupKey, incidentId: joins.id, version: (snapshot.group?.version ?? 0) + 1 } });
    return plan;
  }
  return open(snapshot, signal, known, next, ctx, opening, silence);
}

/**
 * What an alarm's item keeps of earlier incidents once it is written for `incidentId` (none: an
 * OK remembered): when it leaves the incident that accounted for its state, everything up to
 * that state's time stays that incident's.
 */
function closedThroughAfter(known: AlarmState | undefined, incidentId: string | undefined): number | undefined {
  if (known?.incidentId === undefined || known.incidentId === incidentId) return known?.closedThrough;
  return Math.max(known.closedThrough ?? known.at, known.at);
}

function alarmItems(incidentId: string, signal: AlarmSignal, known: AlarmState | undefined, next: { status: SignalStatus; at: number }) {
  const closedThrough = closedThroughAfter(known, incidentId);
  const alarm: AlarmState = {
    dedupKey: signal.dedupKey,
    status: next.status,
    at: next.at,
    incidentId,
    ...(closedThrough !== undefined ? { closedThrough } : {}),
    version: (known?.version ?? 0) + 1,
  };
  const incidentAlarm: IncidentAlarm = {
    incidentId,
    dedupKey: signal.dedupKey,
    status: next.status,
    at: next.at,
    severity: signal.severity,
    component: signal.component,
    summary: signal.summary,
  };
  return { alarm, incidentAlarm };
}

function open(
  snapshot: SignalSnapshot,
  signal: AlarmSignal,
  known: AlarmState | undefined,
  next: { status: SignalStatus; at: number },
  ctx: DecisionContext,
  opening?: OpeningNotice,
  silence?: Silence,
): SignalPlan {
  const market = snapshot.market;
  const incident: Incident = {
    id: ctx.newIncidentId(),
    groupKey: snapshot.groupKey,
    status: 'open',
    severity: signal.severity,
    component: signal.component,
    market: market.id,
    summary: signal.summary,
    openedAt: ctx.now,
    startedAt: signal.occurredAt,
    noticeSequence: 0,
    ...(signal.bookkeeping ? { internal: true } : {}),
    version: 0,
  };
  const draft = new IncidentDraft(incident, ctx.now).log('incident-opened', actorOf(signal), `${silencedTag(silence)}${signal.summary}`, {
    dedupKey: signal.dedupKey,
    severity: signal.severity,
    ...signal.details,
    ...(silence ? { silenceId: silence.id } : {}),
    // After the details, which a monitor writes: they cannot pass for another source.
    ...sourceOf(signal),
  });
  // Participants hear of it only as the audiences' rules say; operators always (pageOpened),
  // unless a silence holds it: then nobody, until the silence ends.
  const announced = silence
    ? false
    : opening
      ? isParticipantFacing(signal.component, ctx.config)
      : !signal.bookkeeping && announcesAutomatically(signal.component, signal.severity, ctx.config);
  if (announced) {
    announce(draft, {
      market: market.id,
      effectiveAt: signal.occurredAt,
      summary: opening?.summary ?? signal.summary,
      detail: opening?.detail ?? { component: signal.component, source: signal.source },
      ...(opening ? { type: opening.type } : {}),
    });
  }
  draft.with({
      ...alarmItems(incident.id, signal, known, next),
      group: { groupKey: snapshot.groupKey, incidentId: incident.id, version: (snapshot.group?.version ?? 0) + 1 },
      counts: { incidentId: incident.id, alarms: 1, firing: next.status === 'firing' ? 1 : 0 },
    });
  if (!silence && policyHalts(signal, market, ctx)) {
    draft.with({ market: halt(market, draft, { segments: [], actor: 'policy', reason: `Critical alarm on market-critical component ${signal.component}.` }, ctx) });
  }
  // Paged once the halt (which announces) is decided, so the page says whether participants were told.
  if (silence) holdUnderSilence(draft, { id: silence.id, until: silenceEnd(silence) });
  else pageOpened(draft, ctx);
  if (next.status === 'resolved') startResolveWait(draft, ctx, 'every alarm of this incident was already OK when its firing arrived');
  return { action: 'opened', incidentId: incident.id, draft, opened: true };
}

/** An older delivery of an alarm the incident accounts for: only its severity and time can matter. */
function replayFacts(incident: Incident, signal: AlarmSignal, ctx: DecisionContext): SignalPlan {
  if (signal.status !== 'firing') return { action: 'duplicate', incidentId: incident.id };
  const draft = new IncidentDraft(incident, ctx.now);
  const raised = raiseFacts(draft, signal, ctx);
  if (!draft.incidentChanged) return { action: 'duplicate', incidentId: incident.id };
  return { action: raised ? 'severity-raised' : 'duplicate', incidentId: incident.id, draft };
}

/**
 * Severity raised and the start moved earlier, by a firing; returns whether the severity rose.
 * A raised severity pages the stages already paged, and announces the incident to participants
 * when it now reaches `policy.announceSeverity` on a participant-facing component.
 */
function raiseFacts(draft: IncidentDraft, signal: AlarmSignal, ctx: DecisionContext, quiet = false): boolean {
  const incident = draft.incident;
  if (signal.occurredAt < incident.startedAt) draft.update({ startedAt: signal.occurredAt });
  if (SEVERITY_RANK[signal.severity] <= SEVERITY_RANK[incident.severity]) return false;
  draft.update({ severity: signal.severity }).log('severity-raised', actorOf(signal), `Severity raised from ${incident.severity} to ${signal.severity}.`);
  // An incident spans components when alarms are grouped: a participant-facing component's alarm
  // at the announcing severity makes it a market fact, whichever alarm opened it. Announced
  // before the page, so the page says so.
  if (!incident.internal && !signal.bookkeeping && announcesAutomatically(signal.component, signal.severity, ctx.config)) {
    announce(draft, { market: incident.market ?? ctx.config.markets[0]!.id, summary: signal.summary, effectiveAt: signal.occurredAt, detail: { component: signal.component, source: signal.source } });
  }
  // An alarm held back by a halt joins quietly: the halt is already the operators' business.
  if (!quiet) pagePaged(draft, 'severity-raised', ctx);
  return true;
}

/**
 * Attaches a signal to an open incident. Writes the alarm's items (conditional on the alarm's
 * version) and, when its state changed, a timeline entry; the incident only when it changes.
 */
function attach(
  incident: Incident,
  signal: AlarmSignal,
  known: AlarmState | undefined,
  next: { status: SignalStatus; at: number },
  market: MarketState,
  ctx: DecisionContext,
  quiet: { inhibited?: boolean; silence?: Silence } = {},
): SignalPlan {
  // The alarm's state within this incident, if it is already one of its alarms.
  const before = known?.incidentId === incident.id ? known.status : undefined;
  const actor = actorOf(signal);
  const draft = new IncidentDraft(incident, ctx.now);
  const items = alarmItems(incident.id, signal, known, next);
  draft.with({ alarm: items.alarm });
  const how = quiet.inhibited ? 'inhibited' : undefined;
  const tag = `${how === 'inhibited' ? '(inhibited: market halted) ' : ''}${silencedTag(quiet.silence)}`;
  const silenceData = quiet.silence ? { silenceId: quiet.silence.id } : {};
  let action = how ?? 'refreshed';
  let alarms = 0;
  let firing = 0;
  let settle = false;

  if (before === undefined) {
    alarms = 1;
    firing = next.status === 'firing' ? 1 : 0;
    settle = next.status === 'resolved';
    if (signal.status === 'firing') {
      draft.log('alarm-attached', actor, `${tag}${signal.summary}`, { dedupKey: signal.dedupKey, severity: signal.severity, ...silenceData, ...monitorOf(signal) });
      action = how ?? 'attached';
    } else {
      draft.log('alarm-resolved', actor, `${tag}OK: ${signal.summary}`, { dedupKey: signal.dedupKey, ...silenceData, ...monitorOf(signal) });
      action = how ?? 'alarm-resolved';
    }
  } else if (before === 'resolved' && next.status === 'firing') {
    firing = 1;
    draft.log('alarm-fired-again', actor, `${tag}${signal.summary}`, { dedupKey: signal.dedupKey, ...silenceData, ...monitorOf(signal) });
    action = how ?? 'attached';
  } else if (before === 'firing' && next.status === 'resolved') {
    firing = -1;
    settle = true;
    draft.log('alarm-resolved', actor, `${tag}OK: ${signal.summary}`, { dedupKey: signal.dedupKey, ...silenceData, ...monitorOf(signal) });
    action = how ?? 'alarm-resolved';
  }
  // A change of state is listed on the incident; a newer report of the same state moves only the alarm's item.
  if (before !== next.status) draft.with({ incidentAlarm: items.incidentAlarm });
  if (alarms || firing || settle) draft.with({ counts: { incidentId: incident.id, alarms, firing, ...(settle ? { settle } : {}) } });

  if (signal.status === 'firing') {
    // A silenced alarm is recorded only: it raises, announces, halts and pages nothing.
    // A raise may announce; an alarm that raises nothing may still be the first market fact.
    if (!quiet.silence && !raiseFacts(draft, signal, ctx, how === 'inhibited') && !incident.internal && !signal.bookkeeping && announcesAutomatically(signal.component, signal.severity, ctx.config)) {
      announce(draft, { market: incident.market ?? ctx.config.markets[0]!.id, summary: signal.summary, effectiveAt: signal.occurredAt, detail: { component: signal.component, source: signal.source } });
    }
    if (next.status === 'firing' && incident.resolvePendingSince !== undefined) {
      draft.update({ resolvePendingSince: undefined }).log('resolve-cancelled', actor, 'An alarm fired again; the incident stays open.');
    }
    if (!quiet.silence && policyHalts(signal, market, ctx)) {
      draft.with({ market: halt(market, draft, { segments: [], actor: 'policy', reason: `Critical alarm on market-critical component ${signal.component}.` }, ctx) });
      action = 'halted';
    }
    // An incident nobody was paged about (opened under a silence, or its silence over while every
    // alarm was OK) is paged as soon as an alarm outside any silence fires in it.
    if (!quiet.silence && next.status === 'firing') wake(draft, 'An alarm outside its silence fired.', ctx);
  }
  return { action, incidentId: incident.id, draft };
}

function silencedTag(silence: Silence | undefined): string {
  return silence ? `(silenced by ${silence.id}) ` : '';
}
