import * as z from 'zod';
import type { TocsinConfig } from './config';
import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import { ConflictError, NotFoundError, TocsinError, ValidationError } from './errors';
import { acknowledge, annotate, openManualIncident, resolveByOperator } from './incidents';
import { halt, marketConfig, marketView, resume, scheduleResume } from './market';
import type { Incident, MarketState, Transition } from './model';
import { id, parseWith, text as boundedText } from './validation';

/**
 * Operator commands (contract: shared/DESIGN.md, "Operator command"). The HTTP body of the
 * `operate` function and of the `tocsin` CLI's requests.
 */

const text = boundedText;
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with Z or an offset, e.g. 2020-10-01T09:00:00+09:00' });

export const OPERATOR_COMMANDS = ['ack', 'declare-halt', 'schedule-resume', 'resume', 'resolve', 'annotate', 'failover', 'drill'] as const;

const field = {
  incidentId: text(100),
  market: text(64),
  segments: z
    .array(text(64))
    .max(20)
    .refine((segments) => new Set(segments).size === segments.length, 'must not name a segment twice'),
  effectiveAt: isoDateTime,
  note: text(2000),
  as: text(128),
  group: id,
  node: id,
};

/**
 * One strict schema per command: a field the command does not use is refused, not ignored, so
 * `{"command":"resume","segments":["prime"]}` cannot silently resume the whole market.
 */
export const operatorCommandSchema = z.discriminatedUnion(
  'command',
  [
    z.strictObject({ command: z.literal('ack'), incidentId: field.incidentId, note: field.note.optional(), as: field.as.optional() }),
    z.strictObject({ command: z.literal('resolve'), incidentId: field.incidentId, note: field.note.optional(), as: field.as.optional() }),
    z.strictObject({ command: z.literal('annotate'), incidentId: field.incidentId, note: field.note, as: field.as.optional() }),
    z.strictObject({
      command: z.literal('declare-halt'),
      incidentId: field.incidentId.optional(),
      market: field.market.optional(),
      segments: field.segments.optional(),
      note: field.note.optional(),
      as: field.as.optional(),
    }),
    z.strictObject({ command: z.literal('schedule-resume'), market: field.market.optional(), effectiveAt: field.effectiveAt, note: field.note.optional(), as: field.as.optional() }),
    z.strictObject({ command: z.literal('resume'), market: field.market.optional(), note: field.note.optional(), as: field.as.optional() }),
    z.strictObject({ command: z.literal('failover'), group: field.group, to: field.node.optional(), note: field.note.optional(), as: field.as.optional() }),
    z.strictObject({ command: z.literal('drill'), group: field.group, as: field.as.optional() }),
  ],
  { error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${OPERATOR_COMMANDS.join(', ')}` : undefined) },
);

/** A valid command; fields a command does not take read as undefined. */
export type OperatorCommand = z.output<typeof operatorCommandSchema> &
  Partial<Record<'incidentId' | 'market' | 'effectiveAt' | 'note' | 'as' | 'group' | 'to', string>> & { readonly segments?: string[] };

/** Validates an operator command; the error names the field, what arrived and what was expected. */
export function parseOperatorCommand(input: unknown): OperatorCommand {
  return parseWith(operatorCommandSchema, input, 'command') as OperatorCommand;
}

/** What a command needs read before it can be decided. */
export interface CommandTargets {
  readonly incidentId?: string;
  readonly marketId?: string;
}

/** The market a market command concerns: the one it names, or the only one configured. */
export function commandMarket(command: OperatorCommand, config: TocsinConfig, incident?: Incident): string {
  const id = command.market ?? incident?.market ?? (config.markets.length === 1 ? config.markets[0]!.id : undefined);
  if (!id) {
    throw new ValidationError('command', [{ field: 'market', problem: `required when more than one market is configured (${config.markets.map((m) => m.id).join(', ')})` }]);
  }
  marketConfig(config, id); // 404 for a market that does not exist
  return id;
}

/** The state a command is decided on. */
export interface CommandSnapshot {
  readonly incident?: Incident;
  readonly market?: MarketState;
}

/**
 * Decides an operator command. `actor` is the operator (the IAM caller in AWS, `as` locally).
 * @throws ValidationError (400), NotFoundError (404), ConflictError (409)
 */
export function decideCommand(command: OperatorCommand, snapshot: CommandSnapshot, actor: string, ctx: DecisionContext): Transition {
  const needIncident = (): Incident => {
    if (!snapshot.incident) throw new NotFoundError('incident', command.incidentId ?? '(none)');
    return snapshot.incident;
  };
  const needMarket = (): MarketState => {
    if (!snapshot.market) throw new NotFoundError('market', command.market ?? '(none)');
    return snapshot.market;
  };
  switch (command.command) {
    case 'ack':
      return acknowledge(needIncident(), { actor, ...(command.note ? { note: command.note } : {}) }, ctx);
    case 'resolve':
      return resolveByOperator(needIncident(), { actor, ...(command.note ? { note: command.note } : {}) }, ctx);
    case 'annotate':
      return annotate(needIncident(), { actor, note: command.note }, ctx);
    case 'declare-halt': {
      const market = needMarket();
      let draft: IncidentDraft;
      if (command.incidentId) {
        const incident = needIncident();
        if (incident.status === 'resolved') {
          throw new ValidationError('command', [{ field: 'incidentId', problem: `incident ${incident.id} is resolved; declare the halt for an open incident, or name none to open one` }]);
        }
        draft = new IncidentDraft(incident, ctx.now, incident.version);
      } else {
        draft = openManualIncident({ actor, market: market.id, summary: command.note ?? `Trading halt declared by ${actor}` }, ctx);
      }
      const next = halt(market, draft, { segments: command.segments ?? [], actor, reason: command.note ?? '' }, ctx);
      return draft.finish('halted', { market: next });
    }
    case 'schedule-resume': {
      const market = needMarket();
      const draft = haltingDraft(market, snapshot.incident, 'schedule a resumption', ctx);
      const next = scheduleResume(market, draft, { effectiveAt: Date.parse(command.effectiveAt), actor, ...(command.note ? { note: command.note } : {}) }, ctx);
      return draft.finish('resume-scheduled', { market: next });
    }
    case 'failover':
    case 'drill':
      throw new TocsinError(`${command.command} is decided by the failover rules (lambda/core/failover-service.ts), not here`);
    case 'resume': {
      const market = needMarket();
      const draft = haltingDraft(market, snapshot.incident, 'resume', ctx);
      const next = resume(market, draft, { actor, ...(command.note ? { note: command.note } : {}) }, ctx);
      return draft.finish('resumed', { market: next });
    }
  }
}

/** Resumption notices continue the numbering of the incident the market was halted for. */
function haltingDraft(market: MarketState, incident: Incident | undefined, verb: string, ctx: DecisionContext): IncidentDraft {
  if (market.status === 'trading') throw new ConflictError(`cannot ${verb}: market ${market.id} is trading`, marketView(market));
  if (!incident || incident.id !== market.incidentId) {
    throw new TocsinError(`market ${market.id} is ${market.status} for incident ${market.incidentId}, which could not be read`);
  }
  return new IncidentDraft(incident, ctx.now, incident.version);
}
