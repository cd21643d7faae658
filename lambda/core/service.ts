import { commandMarket, decideCommand, type OperatorCommand } from './commands';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './commit';
import { NotFoundError } from './errors';
import { forceFailover, requestDrill } from './failover-service';
import { decideSignal, decideSweep, groupKeyOf } from './incidents';
import { marketOfSignal } from './market';
import type { IncidentStore } from './ports';
import type { AlarmSignal } from './signal';

/**
 * The use cases: read, decide (pure), commit (one conditional transaction), and on a lost
 * race read again and decide again, a bounded number of times.
 */

/** Ingests one alarm signal: dedup, grouping, inhibition, lifecycle, policy halt. */
export async function ingestSignal(store: IncidentStore, signal: AlarmSignal, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `alarm ${signal.dedupKey}`, options, async (ctx) => {
    const snapshot = await store.readForSignal(groupKeyOf(signal, ctx), marketOfSignal(signal, ctx.config));
    return decideSignal(snapshot, signal, ctx);
  });
}

/** Runs one operator command on behalf of `actor`. */
export async function runCommand(store: IncidentStore, command: OperatorCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  if (command.command === 'failover') return forceFailover(store, command.group!, command.to, actor, options);
  if (command.command === 'drill') return requestDrill(store, command.group!, actor, options);
  return decideAndCommit(store, `command ${command.command}`, options, async (ctx) => {
    let incident = command.incidentId ? await store.readIncident(command.incidentId) : undefined;
    if (command.incidentId && !incident) throw new NotFoundError('incident', command.incidentId);
    if (command.command === 'ack' || command.command === 'resolve' || command.command === 'annotate') {
      return decideCommand(command, { ...(incident ? { incident } : {}) }, actor, ctx);
    }
    const market = await store.readMarket(commandMarket(command, ctx.config, incident));
    if (command.command !== 'declare-halt' && market.incidentId) incident = await store.readIncident(market.incidentId);
    return decideCommand(command, { ...(incident ? { incident } : {}), market }, actor, ctx);
  });
}

/** Resolves the incidents whose auto-resolve quiet time is over. Returns what it resolved. */
export async function sweepIncidents(store: IncidentStore, options: UseCaseOptions): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const candidate of await store.openIncidents()) {
    if (candidate.resolvePendingSince === undefined) continue;
    const outcome = await decideAndCommit(store, `auto-resolve of ${candidate.id}`, options, async (ctx) => {
      const incident = await store.readIncident(candidate.id);
      return incident ? decideSweep(incident, ctx) : { action: 'gone', timeline: [], notices: [] };
    });
    if (outcome.action === 'resolved') outcomes.push(outcome);
  }
  return outcomes;
}

export type { Outcome, UseCaseOptions } from './commit';
export { decideAndCommit } from './commit';
