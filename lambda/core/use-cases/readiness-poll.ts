import type { PollCommand } from '../commands';
import { commandMarket } from '../market-commands';
import type { IncidentStore } from '../ports';
import { answeringParticipant, decideAnswer, decidePoll, tallyOfPoll, type AnswerCaller, type PollAnswerRequest } from '../readiness-poll';
import type { Tally } from '../quorum';
import { decideAndCommit, type Outcome, type UseCaseOptions } from './decide-and-commit';

/**
 * Readiness polls: `poll-readiness` (an operator opens one on a halted market) and a
 * participant's answer. Each is one conditional transaction: the poll is written over the version
 * read, so answers and the decisions that close a poll (a newer poll, `schedule-resume`) are
 * serialized, and the loser re-reads and decides again.
 */

export interface PollUseCaseOptions extends UseCaseOptions {
  /** Where participants answer (the respond URL), for the poll's notice. @default not named */
  readonly respondUrl?: string;
}

/** `poll-readiness`: opens a poll on the market's halt, replacing an open one. */
export async function runPollCommand(store: IncidentStore, command: PollCommand, actor: string, options: PollUseCaseOptions): Promise<Outcome> {
  return decideAndCommit(
    store,
    `command ${command.command}`,
    options,
    async (ctx) => {
      const market = await store.readMarket(commandMarket(command, ctx.config));
      const [incident, latest] = await Promise.all([
        market.incidentId ? store.readIncident(market.incidentId) : undefined,
        market.pollId ? store.readPoll(market.pollId) : undefined,
      ]);
      return decidePoll(command, { market, ...(incident ? { incident } : {}), ...(latest ? { latest } : {}) }, actor, ctx, options.respondUrl);
    },
    // The poll this command opened: the first written (a replaced one is written after it).
    (transition) => {
      const pollId = transition.polls?.[0]?.pollId;
      return pollId ? { pollId } : {};
    },
  );
}

/** What an answer did, and the poll's tally after it. */
export interface AnswerOutcome extends Outcome {
  readonly pollId: string;
  readonly tally: Tally;
}

/**
 * A participant's answer: recorded on the poll and the halting incident's timeline; the same
 * answer again changes nothing.
 * @throws ValidationError, NotFoundError, ForbiddenError, ConflictError (see `decideAnswer`)
 */
export async function answerPoll(store: IncidentStore, request: PollAnswerRequest, caller: AnswerCaller, options: UseCaseOptions): Promise<AnswerOutcome> {
  let tally: Tally | undefined;
  const outcome = await decideAndCommit(store, `answer of ${request.participantId} to ${request.pollId}`, options, async (ctx) => {
    // Who may answer is decided on the configuration alone: a caller speaking for another participant reads nothing.
    answeringParticipant(request, caller, ctx.config);
    const record = await store.readPoll(request.pollId);
    const incident = record ? await store.readIncident(record.poll.incidentId) : undefined;
    const transition = decideAnswer(request, record, incident, caller, ctx);
    const answers = transition.answer ? [...(record?.answers ?? []).filter((a) => a.participantId !== request.participantId), transition.answer] : (record?.answers ?? []);
    tally = tallyOfPoll(record ? { poll: record.poll, answers } : undefined, ctx.config);
    return transition;
  });
  return { ...outcome, pollId: request.pollId, tally: tally! };
}
