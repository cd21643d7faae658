import { decideEscalation } from '../audiences';
import type { EscalationTimer } from '../model';
import { noChange } from '../model';
import { MAX_TIMER_DELAY_SECONDS, type EscalationQueue, type IncidentStore } from '../ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * An escalation timer came back from the delayed queue. Not yet due (the delay is capped at 15
 * minutes): it goes back for the rest of its wait. Due: the incident's next step is paged, if it
 * is still unacknowledged and still waiting for this very timer (`decideEscalation`).
 */
export async function runEscalationTimer(store: IncidentStore, queue: EscalationQueue, timer: EscalationTimer, options: UseCaseOptions): Promise<Outcome | 'requeued'> {
  const now = options.context().now;
  const waitSeconds = Math.ceil((timer.at - now) / 1000);
  if (waitSeconds > 1) {
    await queue.schedule(timer, Math.min(waitSeconds, MAX_TIMER_DELAY_SECONDS));
    return 'requeued';
  }
  return decideAndCommit(store, `escalation of ${timer.incidentId}`, options, async (ctx) => {
    const incident = await store.readIncident(timer.incidentId);
    return incident ? decideEscalation(incident, timer, ctx) : noChange('gone', timer.incidentId);
  });
}
