import type { MarketCommand } from '../commands';
import { NotFoundError } from '../errors';
import { commandMarket, decideMarketCommand } from '../market-commands';
import type { IncidentStore } from '../ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * `declare-halt`, `schedule-resume`, `resume`: a market's state, on behalf of `actor`. Each may
 * name an incident (404 when unknown; the market defaults to the incident's): the one a halt is
 * for, or — for a resumption — the one the market must be halted for (409 otherwise). A
 * resumption continues the numbering of the incident the market is halted for, and is decided on
 * the market's latest readiness poll (read here, written back closed in the same transaction: an
 * answer committed meanwhile moved the poll's version, so the schedule is decided again on the
 * new tally).
 */
export async function runMarketCommand(store: IncidentStore, command: MarketCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `command ${command.command}`, options, async (ctx) => {
    const named = command.incidentId ? await store.readIncident(command.incidentId) : undefined;
    if (command.incidentId && !named) throw new NotFoundError('incident', command.incidentId);
    const market = await store.readMarket(commandMarket(command, ctx.config, named));
    // A resumption is decided on the halting incident, whichever the command named (a mismatch is 409).
    const halting = () => (named && named.id === market.incidentId ? named : market.incidentId ? store.readIncident(market.incidentId) : undefined);
    const incident = command.command === 'declare-halt' ? named : await halting();
    const poll = command.command === 'schedule-resume' && market.pollId ? await store.readPoll(market.pollId) : undefined;
    return decideMarketCommand(command, { market, ...(incident ? { incident } : {}), ...(poll ? { poll } : {}) }, actor, ctx);
  });
}
