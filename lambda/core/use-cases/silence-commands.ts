import { silenceOver } from '../audiences';
import type { SilenceCommand } from '../commands';
import { noChange } from '../model';
import type { IncidentStore } from '../ports';
import { addSilence, endSilence, type Silence } from '../silences';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * `silence` and `unsilence`. A silence is one conditional write of the silence set. Ending one
 * early also ends its hold on the incidents opened under it: those still firing page on-call now
 * (each its own conditional write; the escalation timer at the silence's old end is then stale).
 */
export async function runSilenceCommand(store: IncidentStore, command: SilenceCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  if (command.command === 'silence') {
    let created: Silence | undefined;
    return decideAndCommit(
      store,
      'silence',
      options,
      async (ctx) => {
        const request = { matchers: command.matchers, until: Date.parse(command.until), note: command.note, ...(command.from ? { from: Date.parse(command.from) } : {}) };
        const { set, silence } = addSilence(await store.readSilences(), request, actor, ctx);
        created = silence;
        return { action: 'silenced', silences: set, timeline: [], notices: [] };
      },
      () => ({ silenceId: created!.id }),
    );
  }
  const outcome = await decideAndCommit(
    store,
    `unsilence ${command.silenceId}`,
    options,
    async (ctx) => {
      const { set } = endSilence(await store.readSilences(), command.silenceId, actor, ctx.now);
      return set ? { action: 'unsilenced', silences: set, timeline: [], notices: [] } : noChange('already-ended');
    },
    () => ({ silenceId: command.silenceId }),
  );
  // Also after a retry that found the silence already ended (or a repeat of the request): the
  // first attempt may have stopped before its incidents were woken. Each wake is its own commit,
  // not the request's: the request was recorded with the silence set.
  const { request: _recorded, ...followUp } = options;
  for (const incident of await store.openIncidents()) {
    if (incident.silencedBy !== command.silenceId || incident.silencedUntil === undefined) continue;
    await decideAndCommit(store, `end of silence on ${incident.id}`, followUp, async (ctx) => {
      const fresh = await store.readIncident(incident.id);
      return fresh ? silenceOver(fresh, `${actor} ended silence ${command.silenceId}${command.note ? `: ${command.note}` : '.'}`, ctx) : noChange('gone', incident.id);
    });
  }
  return outcome;
}
