import { planSignal, groupKeyOf } from '../alarm-rules';
import type { FailoverCommand } from '../commands';
import type { GroupConfig } from '../config';
import type { DecisionContext } from '../context';
import { failedDrillTransition, promotionOpening, promotionTransition } from '../failover';
import { decideForcedFailover, failedDrillSignal, failoverSignal, groupConfig, startDrill, type PromotionDecision } from '../lease';
import { marketOfSignal } from '../market';
import { noChange, type Transition } from '../model';
import type { IncidentStore } from '../ports';
import type { AlarmSignal } from '../signal';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/** `failover` and `drill` by an operator, on behalf of `actor`. 404 for an unknown group or node; 409 when refused. */
export async function runFailoverCommand(store: IncidentStore, command: FailoverCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  switch (command.command) {
    case 'failover':
      return forceFailover(store, command.group, command.to, actor, options, command.note);
    case 'drill':
      return requestDrill(store, command.group, actor, options);
  }
}

/** Reads what the alarm rules need for a failover group's own signal. */
async function snapshotFor(store: IncidentStore, signal: AlarmSignal, ctx: DecisionContext) {
  return store.readForSignal(groupKeyOf(signal, ctx), signal.dedupKey, marketOfSignal(signal, ctx.config));
}

/**
 * One promotion, decided on a fresh read: lease, standby record, incident, timeline and notice in
 * one transaction. An operator's `note` goes into the timeline entry and the notice.
 */
export async function promotionOf(
  store: IncidentStore,
  group: GroupConfig,
  decide: (view: Awaited<ReturnType<IncidentStore['readLeaseGroup']>>, ctx: DecisionContext) => PromotionDecision,
  actor: string,
  ctx: DecisionContext,
  note?: string,
): Promise<Transition> {
  const decision = decide(await store.readLeaseGroup(group.id), ctx);
  if (decision.kind !== 'promote') return noChange('lost-race');
  const signal = failoverSignal(group, decision, ctx.now);
  const plan = planSignal(await snapshotFor(store, signal, ctx), signal, ctx, promotionOpening(decision, note));
  return promotionTransition(plan, decision, ctx, actor, note);
}

/** `failover --group G [--to NODE] [--note TEXT]` by an operator: now, fenced, recorded, announced (the note with it). */
export async function forceFailover(
  store: IncidentStore,
  groupId: string,
  to: string | undefined,
  actor: string,
  options: UseCaseOptions,
  note?: string,
): Promise<Outcome> {
  return decideAndCommit(store, `failover of ${groupId}`, options, async (ctx) => {
    const group = groupConfig(ctx.config, groupId);
    return promotionOf(store, group, ({ lease, nodes }) => decideForcedFailover(lease, nodes, group, to, ctx.now), actor, ctx, note);
  });
}

/** `drill --group G`: the holder's heartbeats stop counting; the promoter does the rest. */
export async function requestDrill(store: IncidentStore, groupId: string, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `drill of ${groupId}`, options, async (ctx) => {
    const group = groupConfig(ctx.config, groupId);
    const { lease } = await store.readLeaseGroup(groupId);
    return { action: 'drill-started', lease: startDrill(lease, group, actor, ctx.now), timeline: [], notices: [] };
  });
}

/** A drill that did not promote: lease back to normal, a critical incident, a `drill` notice — one transaction. */
export async function failDrill(store: IncidentStore, group: GroupConfig, why: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `failed drill of ${group.id}`, options, async (ctx) => {
    const { lease } = await store.readLeaseGroup(group.id);
    if (!lease || lease.drillStartedAt === undefined) return noChange('no-drill');
    const signal = failedDrillSignal(group, lease, why, ctx.now);
    return failedDrillTransition(planSignal(await snapshotFor(store, signal, ctx), signal, ctx), lease, why, ctx);
  });
}
