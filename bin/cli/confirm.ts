import type { IncidentView, StatusOverview } from '../../lambda/views/operator-views';
import { CliError, ConfirmationNeededError, DeclinedError } from './errors';
import { callTocsin } from './http';
import type { CommandContext } from './io';
import type { Target } from './target';

/**
 * Confirmation for the commands that change trading (`declare-halt`, `resume`, `failover`,
 * `drill`): at a terminal the operator reads exactly what would happen and answers y/N; off a
 * terminal (a script, a pipe) the command needs `--yes` and otherwise refuses, saying what it
 * would have done. The question goes to stderr, so stdout stays the command's output (`--json`).
 */

/** What a confirmation may look up to say what would happen: Tocsin's status, read once and only if asked for. */
export interface ConfirmationFacts {
  /** `GET /` on the status URL (the configured markets and groups), or undefined when it cannot be read. */
  overview(): Promise<StatusOverview | undefined>;
  /** `GET /incidents/<id>`, or undefined when it cannot be read. */
  incident(incidentId: string): Promise<IncidentView | undefined>;
}

/**
 * Facts read best-effort from the target's status URL: a confirmation must not fail because the
 * status URL is missing or slow — the command itself reports what is wrong with the target.
 */
export function confirmationFacts(target: Target, ctx: CommandContext): ConfirmationFacts {
  let overview: Promise<StatusOverview | undefined> | undefined;
  const read = async <T>(path: string): Promise<T | undefined> => {
    try {
      return (await callTocsin<T>(target, { output: 'statusUrl', method: 'GET', path }, ctx)).body;
    } catch (error) {
      if (error instanceof CliError) return undefined;
      throw error;
    }
  };
  return {
    overview: () => (overview ??= read<StatusOverview>('/')),
    incident: (incidentId) => read<IncidentView>(`/incidents/${encodeURIComponent(incidentId)}`),
  };
}

/**
 * Asks "<Consequence>? [y/N]" at a terminal, or refuses without `--yes` off one. Resolves when
 * the command may go ahead; throws {@link ConfirmationNeededError} (exit 2) or
 * {@link DeclinedError} (exit 1) when it may not.
 *
 * @param command the command's name, for the messages
 * @param consequence what would happen, as a verb phrase: `halt trading on ALL of market equities (segments: all)`
 */
export async function confirm(command: string, consequence: string, ctx: CommandContext): Promise<void> {
  if (!ctx.interactive) {
    throw new ConfirmationNeededError(`${command} would ${consequence}; stdin or stdout is not a terminal, so confirm with --yes (nothing was sent)`);
  }
  const answer = await ctx.ask(`${consequence.charAt(0).toUpperCase()}${consequence.slice(1)}? [y/N] `);
  if (!/^\s*y(es)?\s*$/i.test(answer)) throw new DeclinedError(`${command} not confirmed; nothing was sent`);
}
