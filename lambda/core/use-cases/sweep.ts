import { decideEscalation, overdueEscalation } from '../audiences';
import { noChange } from '../model';
import type { IncidentStore } from '../ports';
import { decideAndCommit } from './decide-and-commit';
import type { Outcome, UseCaseOptions } from './decide-and-commit';
import { settleIncident } from './settle-incident';

/**
 * The schedule's side of auto-resolve: every open incident is settled on a recount of its alarm
 * items — resolved once every alarm has been OK for the quiet time, its resolve wait started or
 * cancelled when a crash left the counters wrong — and its counters repaired; an escalation whose
 * timer is more than a minute late is run. Returns what it resolved.
 */
export async function sweepIncidents(store: IncidentStore, options: UseCaseOptions): Promise<Outcome[]> {
  const resolved: Outcome[] = [];
  for (const incident of await store.openIncidents()) {
    // An escalation whose timer was lost on its way is run late rather than never.
    const overdue = overdueEscalation(incident, options.context().now, ESCALATION_SAFETY_NET_MS);
    if (overdue) {
      await decideAndCommit(store, `overdue escalation of ${incident.id}`, options, async (ctx) => {
        const fresh = await store.readIncident(incident.id);
        return fresh ? decideEscalation(fresh, overdue, ctx) : noChange('gone', incident.id);
      });
    }
    const outcome = await settleIncident(store, incident.id, 'sweep', options);
    if (outcome.action === 'resolved') resolved.push(outcome);
  }
  return resolved;
}

/** How late an escalation may be before the sweep runs it itself (timers normally fire within seconds). */
export const ESCALATION_SAFETY_NET_MS = 60_000;
