import type { IncidentCommand } from '../commands';
import { NotFoundError } from '../errors';
import { decideIncidentCommand } from '../incident-lifecycle';
import type { IncidentStore } from '../ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/** `ack`, `resolve`, `annotate`: one incident's lifecycle, on behalf of `actor`. 404 for an unknown incident. */
export async function runIncidentCommand(store: IncidentStore, command: IncidentCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `command ${command.command}`, options, async (ctx) => {
    const incident = await store.readIncident(command.incidentId);
    if (!incident) throw new NotFoundError('incident', command.incidentId);
    return decideIncidentCommand(command, incident, actor, ctx);
  });
}
