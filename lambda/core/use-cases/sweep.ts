import type { IncidentStore } from '../ports';
import type { Outcome, UseCaseOptions } from './decide-and-commit';
import { settleIncident } from './settle-incident';

/**
 * The schedule's side of auto-resolve: every open incident is settled on a recount of its alarm
 * items — resolved once every alarm has been OK for the quiet time, its resolve wait started or
 * cancelled when a crash left the counters wrong — and its counters repaired. Returns what it
 * resolved.
 */
export async function sweepIncidents(store: IncidentStore, options: UseCaseOptions): Promise<Outcome[]> {
  const resolved: Outcome[] = [];
  for (const incident of await store.openIncidents()) {
    const outcome = await settleIncident(store, incident.id, 'sweep', options);
    if (outcome.action === 'resolved') resolved.push(outcome);
  }
  return resolved;
}
