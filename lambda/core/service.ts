import { commandMarket, decideCommand, type OperatorCommand } from './commands';
import type { DecisionContext } from './context';
import { ConcurrentUpdateError, ContentionError, NotFoundError } from './errors';
import { decideSignal, decideSweep, groupKeyOf } from './incidents';
import { marketOfSignal } from './market';
import { isNoChange, type Transition } from './model';
import type { IncidentStore } from './ports';
import type { AlarmSignal } from './signal';

/**
 * The use cases: read, decide (pure), commit (one conditional transaction), and on a lost
 * race read again and decide again, a bounded number of times.
 */

export interface UseCaseOptions {
  /** A fresh context per attempt: the clock moves on between attempts. */
  readonly context: () => DecisionContext;
  /** @default 8 */
  readonly maxAttempts?: number;
  /** Waits between attempts. @default a jittered setTimeout of up to 10 × attempt ms */
  readonly pause?: (attempt: number) => Promise<void>;
}

export interface Outcome {
  readonly action: string;
  readonly incidentId?: string;
  readonly transition: Transition;
  /** How many attempts it took (1 unless a race was lost). */
  readonly attempts: number;
}

const defaultPause = (attempt: number) => new Promise<void>((r) => setTimeout(r, Math.random() * 10 * attempt));

export async function decideAndCommit(
  store: IncidentStore,
  what: string,
  options: UseCaseOptions,
  decide: (ctx: DecisionContext) => Promise<Transition>,
): Promise<Outcome> {
  const maxAttempts = options.maxAttempts ?? 8;
  const pause = options.pause ?? defaultPause;
  let lastError: unknown;
  for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
    const transition = await decide(options.context());
    const incidentId = transition.incident?.id ?? transition.incidentId;
    if (isNoChange(transition)) return { action: transition.action, ...(incidentId ? { incidentId } : {}), transition, attempts: attempt };
    try {
      await store.commit(transition);
      return { action: transition.action, ...(incidentId ? { incidentId } : {}), transition, attempts: attempt };
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
      lastError = error;
      if (attempt < maxAttempts) await pause(attempt);
    }
  }
  throw new ContentionError(what, maxAttempts, { cause: lastError });
}

/** Ingests one alarm signal: dedup, grouping, inhibition, lifecycle, policy halt. */
export async function ingestSignal(store: IncidentStore, signal: AlarmSignal, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `alarm ${signal.dedupKey}`, options, async (ctx) => {
    const snapshot = await store.readForSignal(groupKeyOf(signal, ctx), marketOfSignal(signal, ctx.config));
    return decideSignal(snapshot, signal, ctx);
  });
}

/** Runs one operator command on behalf of `actor`. */
export async function runCommand(store: IncidentStore, command: OperatorCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
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
