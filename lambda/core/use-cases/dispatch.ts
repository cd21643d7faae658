import { isFailoverCommand, isIncidentCommand, isPollCommand, isSilenceCommand, type OperatorCommand } from '../commands';
import type { IncidentStore } from '../ports';
import type { Outcome } from './decide-and-commit';
import { runFailoverCommand } from './failover-commands';
import { runIncidentCommand } from './incident-commands';
import { runMarketCommand } from './market-commands';
import { runPollCommand, type PollUseCaseOptions } from './readiness-poll';
import { runSilenceCommand } from './silence-commands';

/** The one place that routes an operator command to its use case (the `operate` function's). */
export function runCommand(store: IncidentStore, command: OperatorCommand, actor: string, options: PollUseCaseOptions): Promise<Outcome> {
  if (isIncidentCommand(command)) return runIncidentCommand(store, command, actor, options);
  if (isFailoverCommand(command)) return runFailoverCommand(store, command, actor, options);
  if (isSilenceCommand(command)) return runSilenceCommand(store, command, actor, options);
  if (isPollCommand(command)) return runPollCommand(store, command, actor, options);
  return runMarketCommand(store, command, actor, options);
}
