import { decideSettle } from '../incident-lifecycle';
import { noChange } from '../model';
import type { IncidentStore } from '../ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * Settles an incident on a recount of its alarm items — the counters are hints, a recount is the
 * truth (`decideSettle`). Why it runs:
 * - `went-ok`: an alarm went OK and the firing counter reached 0: start the resolve wait if
 *   nothing fires;
 * - `fired`: an alarm fired with the counter at ≤ 1, so the incident may have started its
 *   resolve wait after this alarm read it: cancel it;
 * - `sweep`: the schedule — cancel, start, or resolve once the quiet time is over; it also repairs
 *   counters that a crash between the transaction and the increment left wrong.
 */
export type SettleTrigger = 'went-ok' | 'fired' | 'sweep';

export async function settleIncident(store: IncidentStore, incidentId: string, trigger: SettleTrigger, options: UseCaseOptions): Promise<Outcome> {
  let stored: Awaited<ReturnType<IncidentStore['readCounts']>> | undefined;
  let tally: Awaited<ReturnType<IncidentStore['countAlarms']>> | undefined;
  const outcome = await decideAndCommit(store, `settling ${incidentId}`, options, async (ctx) => {
    const incident = await store.readIncident(incidentId);
    if (!incident || incident.status === 'resolved') return noChange('nothing-due', incidentId);
    const pending = incident.resolvePendingSince !== undefined;
    if ((trigger === 'went-ok' && pending) || (trigger === 'fired' && !pending)) return noChange('nothing-due', incidentId);
    if (trigger === 'sweep') stored = await store.readCounts(incidentId);
    tally = await store.countAlarms(incidentId);
    return decideSettle(incident, tally, ctx, { mayResolve: trigger === 'sweep' });
  });
  if (stored && tally && (stored.alarms !== tally.alarms || stored.firing !== tally.firing)) {
    // Only if no increment came in between: a concurrent alarm's count is then left for the next sweep.
    await store.repairCounts(incidentId, stored, tally);
  }
  return outcome;
}
