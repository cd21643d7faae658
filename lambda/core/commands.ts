import * as z from 'zod';
import { id, parseWith, text as boundedText } from './validation';

/**
 * Operator commands (contract: shared/DESIGN.md, "Operator command"). The HTTP body of the
 * `operate` function and of the `tocsin` CLI's requests.
 */

const text = boundedText;
const isoDateTime = z.iso.datetime({ offset: true, message: 'must be an ISO-8601 date-time with Z or an offset, e.g. 2020-10-01T09:00:00+09:00' });

export const OPERATOR_COMMANDS = ['ack', 'declare-halt', 'schedule-resume', 'resume', 'resolve', 'annotate', 'announce', 'failover', 'drill', 'silence', 'unsilence', 'poll-readiness'] as const;

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
  /** The free text per language, beside `note` (which stays the English, or only, text). */
  notes: z.strictObject({ en: text(2000).optional(), ja: text(2000).optional() }),
  group: id,
  node: id,
  /** Makes the command idempotent: a repeat with the same body answers as the first and changes nothing. */
  requestId: text(64),
};

const incidentCommands = [
  z.strictObject({ command: z.literal('ack'), incidentId: field.incidentId, note: field.note.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
  z.strictObject({ command: z.literal('resolve'), incidentId: field.incidentId, note: field.note.optional(), notes: field.notes.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
  z.strictObject({ command: z.literal('annotate'), incidentId: field.incidentId, note: field.note, as: field.as.optional(), requestId: field.requestId.optional() }),
  z.strictObject({ command: z.literal('announce'), incidentId: field.incidentId, note: field.note, notes: field.notes.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
] as const;

const marketCommands = [
  z.strictObject({
    command: z.literal('declare-halt'),
    incidentId: field.incidentId.optional(),
    market: field.market.optional(),
    segments: field.segments.optional(),
    note: field.note.optional(),
    notes: field.notes.optional(),
    as: field.as.optional(),
    requestId: field.requestId.optional(),
  }),
  z.strictObject({
    command: z.literal('schedule-resume'),
    /** The incident the market is halted for (409 when it is another). */
    incidentId: field.incidentId.optional(),
    market: field.market.optional(),
    effectiveAt: field.effectiveAt,
    note: field.note.optional(),
    notes: field.notes.optional(),
    /** Schedules without the readiness quorum; the reason is recorded and announced. */
    override: text(500).optional(),
    as: field.as.optional(),
    requestId: field.requestId.optional(),
  }),
  z.strictObject({ command: z.literal('resume'), incidentId: field.incidentId.optional(), market: field.market.optional(), note: field.note.optional(), notes: field.notes.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
] as const;

const failoverCommands = [
  z.strictObject({ command: z.literal('failover'), group: field.group, to: field.node.optional(), note: field.note.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
  z.strictObject({ command: z.literal('drill'), group: field.group, as: field.as.optional(), requestId: field.requestId.optional() }),
] as const;

const pollCommands = [
  z.strictObject({ command: z.literal('poll-readiness'), market: field.market.optional(), respondBy: isoDateTime.optional(), note: field.note.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
] as const;

const silenceCommands = [
  z.strictObject({
    command: z.literal('silence'),
    matchers: z.strictObject({ component: text(128).optional(), market: field.market.optional(), dedupKeyPrefix: text(1024).optional() }),
    from: isoDateTime.optional(),
    until: isoDateTime,
    note: field.note,
    as: field.as.optional(),
    requestId: field.requestId.optional(),
  }),
  z.strictObject({ command: z.literal('unsilence'), silenceId: text(100), note: field.note.optional(), as: field.as.optional(), requestId: field.requestId.optional() }),
] as const;

/**
 * One strict schema per command: a field the command does not use is refused, not ignored, so
 * `{"command":"resume","segments":["prime"]}` cannot silently resume the whole market.
 */
export const operatorCommandSchema = z.discriminatedUnion('command', [...incidentCommands, ...marketCommands, ...failoverCommands, ...silenceCommands, ...pollCommands], {
  error: (issue) => (issue.code === 'invalid_union' ? `must be one of ${OPERATOR_COMMANDS.join(', ')}` : undefined),
});

/** A valid command. */
export type OperatorCommand = z.output<typeof operatorCommandSchema>;
/** Commands on one incident's lifecycle. */
export type IncidentCommand = z.output<(typeof incidentCommands)[number]>;
/** Commands on a market's state (halt, resumption). */
export type MarketCommand = z.output<(typeof marketCommands)[number]>;
/** Commands on a failover group (forced failover, drill). */
export type FailoverCommand = z.output<(typeof failoverCommands)[number]>;
/** Silences and maintenance windows. */
export type SilenceCommand = z.output<(typeof silenceCommands)[number]>;
/** Readiness polls of participants before a resumption. */
export type PollCommand = z.output<(typeof pollCommands)[number]>;

export function isIncidentCommand(command: OperatorCommand): command is IncidentCommand {
  return command.command === 'ack' || command.command === 'resolve' || command.command === 'annotate' || command.command === 'announce';
}

export function isFailoverCommand(command: OperatorCommand): command is FailoverCommand {
  return command.command === 'failover' || command.command === 'drill';
}

export function isSilenceCommand(command: OperatorCommand): command is SilenceCommand {
  return command.command === 'silence' || command.command === 'unsilence';
}

export function isPollCommand(command: OperatorCommand): command is PollCommand {
  return command.command === 'poll-readiness';
}

/** Validates an operator command; the error names the field, what arrived and what was expected. */
export function parseOperatorCommand(input: unknown): OperatorCommand {
  return parseWith(operatorCommandSchema, input, 'command');
}
