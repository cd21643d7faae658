import type { MarketCommand } from '../commands';
import { NotFoundError } from '../errors';
import { commandMarket, decideMarketCommand } from '../market-commands';
import type { IncidentStore } from '../ports';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * `declare-halt`, `schedule-resume`, `resume`: a market's state, on behalf of `actor`. A halt may
 * name the incident it is for (404 when unknown); a resumption continues the numbering of the
 * incident the market is halted for, and is decided on the market's latest readiness poll (read
 * here, written back closed in the same transaction: an answer committed meanwhile moved the
 * poll's version, so the schedule is decided again on the new tally).
 */
export async function runMarketCommand(store: IncidentStore, command: MarketCommand, actor: string, options: UseCaseOptions): Promise<Outcome> {
  return decideAndCommit(store, `command ${command.command}`, options, async (ctx) => {
    const named = command.command === 'declare-halt' && command.incidentId ? await store.readIncident(command.incidentId) : undefined;
    if (command.command === 'declare-halt' && command.incidentId && !named) throw new NotFoundError('incident', command.incidentId);
    const market = await store.readMarket(commandMarket(command, ctx.config, named));
    const incident = command.command === 'declare-halt' ? named : market.incidentId ? await store.readIncident(market.incidentId) : undefined;
    const poll = command.command === 'schedule-resume' && market.pollId ? await store.readPoll(market.pollId) : undefined;
    return decideMarketCommand(command, { market, ...(incident ? { incident } : {}), ...(poll ? { poll } : {}) }, actor, ctx);
  });
}
