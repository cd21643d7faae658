import { isFailoverCommand, isIncidentCommand, isPollCommand, isSilenceCommand, type OperatorCommand } from '../commands';
import type { DecisionContext } from '../context';
import type { IncidentStore } from '../ports';
import { requestIdentity, type RequestAnswer } from '../requests';
import type { Outcome } from './decide-and-commit';
import { runFailoverCommand } from './failover-commands';
import { runIncidentCommand } from './incident-commands';
import { runMarketCommand } from './market-commands';
import { runPollCommand, type PollUseCaseOptions } from './readiness-poll';
import { runSilenceCommand } from './silence-commands';

export interface CommandOptions extends Omit<PollUseCaseOptions, 'request'> {
  /**
   * The answer the caller is given for a command that carries a `requestId`: recorded with the
   * command's transition and given again, unchanged, to every repeat. The `operate` function
   * passes its reply. @default {@link commandAnswer}
   */
  readonly answer?: (command: OperatorCommand, outcome: Outcome, ctx: DecisionContext) => RequestAnswer;
}

/**
 * The one place that routes an operator command to its use case (the `operate` function's). A
 * command with a `requestId` is applied at most once (lambda/core/requests.ts): its repeat gets
 * `outcome.answer` again and `outcome.replayed`, and changes nothing.
 */
export function runCommand(store: IncidentStore, command: OperatorCommand, actor: string, options: CommandOptions): Promise<Outcome> {
  const { answer = commandAnswer, ...rest } = options;
  const identity = requestIdentity(command, actor);
  const run = identity ? { ...rest, request: { identity, answer: (outcome: Outcome, ctx: DecisionContext) => answer(command, outcome, ctx) } } : rest;
  if (isIncidentCommand(command)) return runIncidentCommand(store, command, actor, run);
  if (isFailoverCommand(command)) return runFailoverCommand(store, command, actor, run);
  if (isSilenceCommand(command)) return runSilenceCommand(store, command, actor, run);
  if (isPollCommand(command)) return runPollCommand(store, command, actor, run);
  return runMarketCommand(store, command, actor, run);
}

/** What a command's outcome says without the operators' views: its action, the ids it made, its notices. */
export function commandAnswer(command: OperatorCommand, outcome: Outcome): RequestAnswer {
  return {
    ok: true,
    command: command.command,
    action: outcome.action,
    ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}),
    ...(outcome.silenceId ? { silenceId: outcome.silenceId } : {}),
    ...(outcome.pollId ? { pollId: outcome.pollId } : {}),
    notices: outcome.transition.notices.map((n) => ({ noticeId: n.noticeId, type: n.type, sequence: n.sequence })),
  };
}
