import type { MarketCommand } from './commands';
import type { TocsinConfig } from './config';
import type { DecisionContext } from './context';
import { wake } from './audiences';
import { IncidentDraft } from './draft';
import { ConflictError, NotFoundError, TocsinError, ValidationError } from './errors';
import { openManualIncident } from './incident-lifecycle';
import { halt, marketConfig, marketView, resume, scheduleResume } from './market';
import type { Incident, MarketState, Transition } from './model';
import type { PollRecord } from './readiness-poll';
import { readinessGate } from './resumption';

/**
 * The market commands — `declare-halt`, `schedule-resume`, `resume` — decided as pure functions
 * of the market and the incident it is (or is to be) halted for. Every market transition is
 * recorded on, and its notice numbered by, that incident.
 */

/** The market a market (or poll) command concerns: the one it names, the incident's, or the only one configured. */
export function commandMarket(command: { readonly market?: string }, config: TocsinConfig, incident?: Incident): string {
  const id = command.market ?? incident?.market ?? (config.markets.length === 1 ? config.markets[0]!.id : undefined);
  if (!id) {
    throw new ValidationError('command', [{ field: 'market', problem: `required when more than one market is configured (${config.markets.map((m) => m.id).join(', ')})` }]);
  }
  marketConfig(config, id); // 404 for a market that does not exist
  return id;
}

/** The state a market command is decided on: the market, and the incident named or halted for. */
export interface MarketCommandSnapshot {
  readonly market: MarketState;
  readonly incident?: Incident;
  /** The market's latest readiness poll of this halt (`market.pollId`), for the resumption's quorum gate. */
  readonly poll?: PollRecord;
}

/**
 * Decides a market command. `actor` is the operator (the IAM caller in AWS, `as` locally).
 * @throws ValidationError (400), NotFoundError (404), ConflictError (409)
 */
export function decideMarketCommand(command: MarketCommand, snapshot: MarketCommandSnapshot, actor: string, ctx: DecisionContext): Transition {
  const { market } = snapshot;
  switch (command.command) {
    case 'declare-halt': {
      let draft: IncidentDraft;
      if (command.incidentId) {
        const incident = snapshot.incident;
        if (!incident) throw new NotFoundError('incident', command.incidentId);
        if (incident.status === 'resolved') {
          throw new ValidationError('command', [{ field: 'incidentId', problem: `incident ${incident.id} is resolved; declare the halt for an open incident, or name none to open one` }]);
        }
        draft = new IncidentDraft(incident, ctx.now);
      } else {
        draft = openManualIncident({ actor, market: market.id, summary: command.note ?? `Trading halt declared by ${actor}` }, ctx);
      }
      const next = halt(market, draft, { segments: command.segments ?? [], actor, reason: command.note ?? '', ...(command.notes ? { notes: command.notes } : {}) }, ctx);
      // A silence never mutes an operator's halt: an incident nobody was paged about is paged now.
      wake(draft, `${actor} halted the market for it.`, ctx);
      return draft.with({ market: next }).finish('halted');
    }
    case 'schedule-resume': {
      const draft = haltingDraft(market, snapshot.incident, 'schedule a resumption', command.incidentId, ctx);
      const admit = () => readinessGate(market, snapshot.poll, command.override, ctx);
      const next = scheduleResume(
        market,
        draft,
        { effectiveAt: Date.parse(command.effectiveAt), actor, admit, ...(command.note ? { note: command.note } : {}), ...(command.notes ? { notes: command.notes } : {}) },
        ctx,
      );
      return draft.with({ market: next }).finish('resume-scheduled');
    }
    case 'resume': {
      const draft = haltingDraft(market, snapshot.incident, 'resume', command.incidentId, ctx);
      const next = resume(market, draft, { actor, ...(command.note ? { note: command.note } : {}), ...(command.notes ? { notes: command.notes } : {}) }, ctx);
      return draft.with({ market: next }).finish('resumed');
    }
  }
}

/**
 * Resumption notices continue the numbering of the incident the market was halted for; a command
 * naming an incident (`named`) is refused unless it is that one.
 */
function haltingDraft(market: MarketState, incident: Incident | undefined, verb: string, named: string | undefined, ctx: DecisionContext): IncidentDraft {
  if (market.status === 'trading') throw new ConflictError(`cannot ${verb}: market ${market.id} is trading`, marketView(market, ctx.config));
  if (named !== undefined && named !== market.incidentId) {
    throw new ConflictError(`cannot ${verb} for incident ${named}: market ${market.id} is ${market.status} for incident ${market.incidentId}`, marketView(market, ctx.config));
  }
  if (!incident || incident.id !== market.incidentId) {
    throw new TocsinError(`market ${market.id} is ${market.status} for incident ${market.incidentId}, which could not be read`);
  }
  return new IncidentDraft(incident, ctx.now);
}
