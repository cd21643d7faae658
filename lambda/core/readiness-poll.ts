import * as z from 'zod';
import type { PollCommand } from './commands';
import { marketConfig, marketTimeZoneOf, marketView } from './market';
import type { ParticipantConfig, ResumeQuorum, TocsinConfig } from './config';
import type { DecisionContext } from './context';
import { IncidentDraft } from './draft';
import { ConflictError, ForbiddenError, NotFoundError, TocsinError, ValidationError } from './errors';
import { formatLocal } from './market-time';
import { noChange, type Incident, type MarketState, type PollAnswer, type PollClosedReason, type ReadinessPoll, type Transition } from './model';
import { describeQuorum, describeTally, tallyOf, type Tally } from './quorum';
import { parseWith, text } from './validation';

/**
 * Readiness polls (contract: shared/DESIGN.md, "Resumption"), as pure decisions.
 *
 * `poll-readiness` asks every configured participant whether it can take part in the resumption
 * of a halted market: a `readiness-poll` notice, numbered in the halting incident's sequence.
 * Participants answer (`ready: true | false`) and may change their answer while the poll is open;
 * repeating an answer changes nothing. Every answer is on the incident's timeline.
 *
 * A poll is open from its opening until the first of:
 * - `respondBy` (default {@link DEFAULT_POLL_MINUTES} after it opened): later answers are refused;
 * - the resumption being scheduled: the tally the decision rested on is final;
 * - a newer poll of the same halt (`poll-readiness` again): only the latest one counts.
 * A closed poll's answers still stand: `schedule-resume` reads the latest poll's tally, open or closed.
 *
 *   poll-readiness ─► open ─┬─ respondBy ─────────────► closed (respond-by)
 *                           ├─ schedule-resume ───────► closed (resume-scheduled)
 *                           └─ poll-readiness again ──► closed (replaced), the new poll open
 */

/** How long a poll takes answers when `respondBy` is not given. */
export const DEFAULT_POLL_MINUTES = 30;
/** The latest `respondBy` a poll may have. */
export const MAX_POLL_HOURS = 24;

/** A poll and its answers, as the store reads them. */
export interface PollRecord {
  readonly poll: ReadinessPoll;
  /** One per participant that answered, its latest answer. */
  readonly answers: readonly PollAnswer[];
}

/** Why a poll takes no more answers, or undefined while it is open. */
export function closedReason(poll: ReadinessPoll, now: number): PollClosedReason | 'respond-by' | undefined {
  if (poll.closedReason !== undefined) return poll.closedReason;
  return now >= poll.respondBy ? 'respond-by' : undefined;
}

export function tallyOfPoll(record: PollRecord | undefined, config: TocsinConfig): Tally {
  return tallyOf(record?.answers ?? [], config.participants, config.policy.resumeQuorum);
}

/**
 * A readiness poll and its tally as operators see it (`GET /` `markets[].poll`, `GET /polls/<id>`
 * `poll`, a closed poll's 409 `state`); re-exported by `lambda/views/operator-views.ts`. A type, so
 * that it is a record (`ConflictError`'s `state`).
 */
export type PollView = {
  readonly pollId: string;
  readonly market: string;
  readonly incidentId: string;
  /** `closed` once a decision closed it or `respondBy` passed. */
  readonly status: 'open' | 'closed';
  readonly closedReason?: PollClosedReason | 'respond-by';
  readonly closedAt?: string;
  readonly openedAt: string;
  readonly openedBy: string;
  /** Answers are taken until then. */
  readonly respondBy: string;
  readonly note?: string;
  /** The answers so far, weighed against the quorum. */
  readonly tally: Tally;
  /** `policy.resumeQuorum`; absent: no gate. */
  readonly quorum?: ResumeQuorum;
  /** Its market's zone. */
  readonly timeZone: string;
};

export function pollView(record: PollRecord, config: TocsinConfig, now: number): PollView {
  const { poll } = record;
  const reason = closedReason(poll, now);
  return {
    pollId: poll.pollId,
    market: poll.market,
    incidentId: poll.incidentId,
    status: reason === undefined ? 'open' : 'closed',
    ...(reason !== undefined ? { closedReason: reason, closedAt: iso(poll.closedAt ?? poll.respondBy) } : {}),
    openedAt: iso(poll.openedAt),
    openedBy: poll.openedBy,
    respondBy: iso(poll.respondBy),
    ...(poll.note !== undefined ? { note: poll.note } : {}),
    tally: tallyOfPoll(record, config),
    ...(config.policy.resumeQuorum ? { quorum: config.policy.resumeQuorum } : {}),
    timeZone: marketTimeZoneOf(config, poll.market),
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The state a `poll-readiness` is decided on: the market, its halting incident, its latest poll. */
export interface PollSnapshot {
  readonly market: MarketState;
  readonly incident?: Incident;
  readonly latest?: PollRecord;
}

/**
 * Opens a readiness poll on a halted market, closing the one it replaces. `respondUrl` (where
 * participants answer) goes into the notice when the deployment knows it.
 * @throws ValidationError (400) for a `respondBy` not in the next 24 hours; ConflictError (409)
 *   unless the market is halted, or with no participants configured
 */
export function decidePoll(command: PollCommand, snapshot: PollSnapshot, actor: string, ctx: DecisionContext, respondUrl?: string): Transition {
  const { market, incident } = snapshot;
  if (market.status !== 'halted') {
    const why = market.status === 'trading' ? 'it is trading' : 'its resumption is already scheduled';
    throw new ConflictError(`cannot poll readiness: market ${market.id} is not halted (${why}); a readiness poll asks about resuming a halted market`, marketView(market, ctx.config));
  }
  if (ctx.config.participants.length === 0) {
    throw new ConflictError('cannot poll readiness: no participants are configured (configuration "participants")', marketView(market, ctx.config));
  }
  if (!incident || incident.id !== market.incidentId) {
    throw new TocsinError(`market ${market.id} is halted for incident ${market.incidentId}, which could not be read`);
  }
  const respondBy = command.respondBy === undefined ? ctx.now + DEFAULT_POLL_MINUTES * 60_000 : Date.parse(command.respondBy);
  if (respondBy <= ctx.now || respondBy > ctx.now + MAX_POLL_HOURS * 3_600_000) {
    throw new ValidationError('command', [{ field: 'respondBy', problem: `must be within the next ${MAX_POLL_HOURS} hours, got ${iso(respondBy)} (now ${iso(ctx.now)})` }]);
  }
  const zone = marketConfig(ctx.config, market.id).timeZone;
  const poll: ReadinessPoll = {
    pollId: `poll-${ctx.newIncidentId().replace(/^inc-/, '')}`,
    market: market.id,
    incidentId: incident.id,
    segments: [...market.segments],
    openedAt: ctx.now,
    openedBy: actor,
    respondBy,
    ...(command.note !== undefined ? { note: command.note } : {}),
    version: 1,
  };
  const draft = new IncidentDraft(incident, ctx.now);
  const polls: ReadinessPoll[] = [poll];
  const previous = snapshot.latest?.poll;
  if (previous && closedReason(previous, ctx.now) === undefined) {
    polls.push({ ...previous, closedAt: ctx.now, closedReason: 'replaced', version: previous.version + 1 });
    draft.log('readiness-poll-closed', actor, `Readiness poll ${previous.pollId} closed: replaced by ${poll.pollId}.`, { pollId: previous.pollId, reason: 'replaced' });
  }
  const quorum = ctx.config.policy.resumeQuorum;
  const scope = market.segments.length ? `segments ${market.segments.join(', ')} of ${market.id}` : `market ${market.id}`;
  const ask = `Readiness poll ${poll.pollId}: can you take part if trading on ${scope} resumes? Answer by ${formatLocal(respondBy, zone)}.`;
  const summary = `${ask}${quorum ? ` Trading resumes only with participants ready holding ${describeQuorum(quorum)}.` : ''}${command.note ? ` ${command.note}` : ''}`;
  draft
    .log('readiness-poll', actor, `${ask} ${ctx.config.participants.length} participants asked.${command.note ? ` ${command.note}` : ''}`, { pollId: poll.pollId, respondBy: iso(respondBy) })
    .notify('readiness-poll', {
      market: market.id,
      segments: market.segments,
      summary,
      detail: {
        pollId: poll.pollId,
        respondBy: iso(respondBy),
        ...(respondUrl !== undefined ? { respondUrl } : {}),
        answer: 'POST {"pollId","participantId","ready":true|false,"note"?} to respondUrl, signed (SigV4, service lambda) by your participant AWS account; or `tocsin respond`. You may change your answer until the poll closes.',
        ...(quorum ? { quorum } : {}),
        participants: ctx.config.participants.length,
        ...(command.note ? { note: command.note } : {}),
      },
    });
  return draft.with({ market: { ...market, pollId: poll.pollId, updatedAt: ctx.now, version: market.version + 1 }, polls }).finish('poll-opened');
}

/** A participant's answer (the respond URL's body). */
export const pollAnswerSchema = z.strictObject({
  pollId: text(100),
  participantId: text(64),
  ready: z.boolean(),
  note: text(280).optional(),
});

export type PollAnswerRequest = z.output<typeof pollAnswerSchema>;

/** Validates an answer; the error names the field, what arrived and what was expected. */
export function parsePollAnswer(input: unknown): PollAnswerRequest {
  return parseWith(pollAnswerSchema, input, 'answer');
}

/** Who sent an answer: the IAM caller in AWS; nobody known where there is no auth (serve mode). */
export interface AnswerCaller {
  /** The caller's AWS account, from the Function URL's IAM authorizer. */
  readonly accountId?: string;
  readonly arn?: string;
}

/** The participant an answer speaks for, if the caller may speak for it. @throws NotFoundError (404), ForbiddenError (403) */
export function answeringParticipant(request: PollAnswerRequest, caller: AnswerCaller, config: TocsinConfig): ParticipantConfig {
  const participant = config.participants.find((p) => p.id === request.participantId);
  if (!participant) throw new NotFoundError('participant', request.participantId, 'not a configured participant');
  if (caller.accountId !== undefined && caller.accountId !== participant.accountId) {
    throw new ForbiddenError(
      participant.accountId === undefined
        ? `participant "${participant.id}" has no AWS account configured, so no signed request may answer for it`
        : `account ${caller.accountId} may not answer for participant "${participant.id}": sign with the participant's own account`,
    );
  }
  return participant;
}

/**
 * Records a participant's answer on the poll and the halting incident's timeline. The same answer
 * again changes nothing; a different one replaces it, until the poll closes.
 * @throws NotFoundError (404 unknown poll or participant), ForbiddenError (403 another account),
 *   ConflictError (409 closed poll)
 */
export function decideAnswer(request: PollAnswerRequest, record: PollRecord | undefined, incident: Incident | undefined, caller: AnswerCaller, ctx: DecisionContext): Transition {
  const participant = answeringParticipant(request, caller, ctx.config);
  if (!record) throw new NotFoundError('poll', request.pollId);
  const { poll } = record;
  const reason = closedReason(poll, ctx.now);
  if (reason !== undefined) {
    const why = reason === 'respond-by' ? `answers were due by ${iso(poll.respondBy)}` : reason === 'resume-scheduled' ? 'the resumption has been scheduled' : 'a newer poll replaced it';
    throw new ConflictError(`poll ${poll.pollId} is closed: ${why}`, pollView(record, ctx.config, ctx.now));
  }
  if (!incident) throw new TocsinError(`poll ${poll.pollId} belongs to incident ${poll.incidentId}, which could not be read`);
  const previous = record.answers.find((a) => a.participantId === participant.id);
  if (previous && previous.ready === request.ready && previous.note === request.note) return noChange('unchanged', incident.id);

  const answer: PollAnswer = {
    pollId: poll.pollId,
    participantId: participant.id,
    ready: request.ready,
    ...(request.note !== undefined ? { note: request.note } : {}),
    answeredAt: ctx.now,
    answeredBy: caller.arn ?? `participant:${participant.id}`,
    version: (previous?.version ?? 0) + 1,
  };
  const answers = [...record.answers.filter((a) => a.participantId !== participant.id), answer];
  const tally = tallyOf(answers, ctx.config.participants, ctx.config.policy.resumeQuorum);
  const word = (ready: boolean) => (ready ? 'ready' : 'not ready');
  const said = previous ? `changed its answer to ${word(request.ready)} (was ${word(previous.ready)})` : `answered ${word(request.ready)}`;
  const text = `${participant.name} (${participant.id}) ${said}${request.note ? `: "${request.note}"` : ''}. Poll ${poll.pollId}, ${describeTally(tally, ctx.config.policy.resumeQuorum)}.`;
  return new IncidentDraft(incident, ctx.now)
    .log('readiness-answer', answer.answeredBy, text, { pollId: poll.pollId, participantId: participant.id, ready: request.ready, tally })
    // The poll's version moves with every answer: a decision on the tally and an answer never both commit.
    .with({ polls: [{ ...poll, version: poll.version + 1 }], answer })
    .finish(previous ? 'answer-changed' : 'answered');
}
