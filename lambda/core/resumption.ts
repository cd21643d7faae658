import type { ResumeQuorum } from './config';
import type { DecisionContext } from './context';
import { ConflictError } from './errors';
import { marketView } from './market';
import type { MarketState, ReadinessPoll } from './model';
import { describeQuorum, describeTally, type Tally } from './quorum';
import { closedReason, tallyOfPoll, type PollRecord } from './readiness-poll';

/**
 * The readiness gate on `schedule-resume` (contract: shared/DESIGN.md, "Resumption"): with
 * `policy.resumeQuorum` configured, a resumption is scheduled only when the market's latest
 * readiness poll meets every threshold, or when the operator overrides the gate with a reason —
 * recorded on the timeline and announced in the `resume-scheduled` notice.
 */

/** What the resumption rests on: the poll's tally, the quorum, and an override when there was one. */
export interface Readiness {
  readonly pollId?: string;
  /** The latest poll's tally; absent when there was no poll and no quorum asks for one. */
  readonly tally?: Tally;
  readonly required?: ResumeQuorum;
  /** The operator's reason for scheduling without the quorum. */
  readonly override?: string;
  /** The poll that scheduling closes (it was still open). */
  readonly closes?: ReadinessPoll;
}

/**
 * Decides whether the resumption may be scheduled.
 * @throws ConflictError (409) with the tally in `state` when a quorum is configured, the latest
 *   poll does not meet it, and there is no override
 */
export function readinessGate(market: MarketState, latest: PollRecord | undefined, override: string | undefined, ctx: DecisionContext): Readiness {
  const quorum = ctx.config.policy.resumeQuorum;
  const poll = latest?.poll;
  const open = poll && closedReason(poll, ctx.now) === undefined ? poll : undefined;
  const closes = open ? { ...open, closedAt: ctx.now, closedReason: 'resume-scheduled' as const, version: open.version + 1 } : undefined;
  const base = { ...(poll ? { pollId: poll.pollId } : {}), ...(closes ? { closes } : {}) };
  if (!quorum) return { ...base, ...(latest ? { tally: tallyOfPoll(latest, ctx.config) } : {}) };
  const tally = tallyOfPoll(latest, ctx.config);
  if (tally.met) return { ...base, tally, required: quorum };
  if (override !== undefined) return { ...base, tally, required: quorum, override };
  const why = poll
    ? `the latest readiness poll (${poll.pollId}) does not meet the quorum of ${describeQuorum(quorum)}: ${describeTally(tally, quorum)}`
    : `no readiness poll for this halt; the quorum needs ${describeQuorum(quorum)}: run poll-readiness`;
  throw new ConflictError(`cannot schedule the resumption of market ${market.id}: ${why}. Schedule anyway only with "override": "<reason>"`, {
    ...marketView(market, ctx.config),
    ...(poll ? { pollId: poll.pollId } : {}),
    tally,
    quorum,
  });
}
