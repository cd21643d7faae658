import { decideSignal, groupKeyOf } from '../alarm-rules';
import { marketOfSignal } from '../market';
import { isNoChange } from '../model';
import type { IncidentStore } from '../ports';
import type { AlarmSignal } from '../signal';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';
import { settleIncident } from './settle-incident';

/**
 * Ingests one alarm signal: dedup, grouping, inhibition, lifecycle, policy halt. The alarm's own
 * items are the only items a plain attach writes, so a storm of distinct alarms does not contend;
 * when the firing counter says the incident may have changed between "something fires" and
 * "nothing fires", the incident is settled on a recount.
 */
export async function ingestSignal(store: IncidentStore, signal: AlarmSignal, options: UseCaseOptions): Promise<Outcome> {
  const outcome = await decideAndCommit(store, `alarm ${signal.dedupKey}`, options, async (ctx) => {
    const snapshot = await store.readForSignal(groupKeyOf(signal, ctx), signal.dedupKey, marketOfSignal(signal, ctx.config));
    return decideSignal(snapshot, signal, ctx);
  });
  const change = outcome.transition.counts;
  const after = outcome.counts;
  if (!change || !after) return outcome;
  const trigger = change.settle && after.firing <= 0 ? 'went-ok' : change.firing > 0 && after.firing <= 1 ? 'fired' : undefined;
  if (!trigger) return outcome;
  const settled = await settleIncident(store, change.incidentId, trigger, options);
  // What the caller sees is what the alarm did to its incident: "resolve-pending" when it was the last to go OK.
  return isNoChange(settled.transition) ? outcome : { ...outcome, action: settled.action };
}
