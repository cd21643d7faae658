import { errorResponse, functionUrlRequest, json, parseJsonRequest, rejection, type HttpResponse } from '../adapters/http';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import { ContentionError, TocsinError } from '../core/errors';
import type { IncidentStore } from '../core/ports';
import { parsePollAnswer } from '../core/readiness-poll';
import { answerPoll } from '../core/use-cases/readiness-poll';

/**
 * `respond` (Function URL, AWS_IAM auth in AWS; contract: shared/DESIGN.md, "Resumption"): a
 * participant's answer to a readiness poll, `{pollId, participantId, ready, note?}` → 200
 * `{ok, pollId, participantId, action, tally}`. 400 naming the field, 403 when the signing
 * account is not the participant's `accountId`, 404 for an unknown poll or participant, 409 for
 * a closed poll (with the poll and its tally in `state`).
 *
 * The caller's account is `requestContext.authorizer.iam.accountId`, which Lambda fills in from
 * the verified SigV4 signature; the URL's resource policy admits only the configured
 * participants' accounts, and this handler checks that the account is the one of the
 * participant the answer speaks for.
 */

/** An answer is a few hundred bytes; anything near this is not one. */
export const ANSWER_MAX_BYTES = 4 * 1024;

export interface RespondDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
  /**
   * Refuse requests that carry no IAM caller (403). The deployed URL always has one; serve mode
   * has no auth and sets this to false.
   * @default true
   */
  readonly requireIamCaller?: boolean;
}

export function createRespondHandler(deps: RespondDependencies) {
  const requireIamCaller = deps.requireIamCaller ?? true;
  return async function handler(event: unknown): Promise<HttpResponse> {
    try {
      const body = parseJsonRequest(event, ANSWER_MAX_BYTES, 'answer');
      if (!body.ok) {
        count(METRIC.answersRejected);
        return rejection(body);
      }
      const request = functionUrlRequest(event);
      if (requireIamCaller && request?.callerAccountId === undefined) {
        count(METRIC.answersRejected);
        return json(403, { error: 'an answer must be signed (SigV4, AWS_IAM) by the participant’s AWS account; this request carries no IAM caller' });
      }
      const answer = parsePollAnswer(body.value);
      const caller = { ...(request?.callerAccountId ? { accountId: request.callerAccountId } : {}), ...(request?.callerArn ? { arn: request.callerArn } : {}) };
      const outcome = await answerPoll(deps.store, answer, caller, { context: deps.context });
      if (outcome.action !== 'unchanged') count(METRIC.answersRecorded);
      logger.info('readiness answer', { incidentId: outcome.incidentId, pollId: answer.pollId, participantId: answer.participantId, ready: answer.ready, action: outcome.action });
      return json(200, { ok: true, pollId: outcome.pollId, participantId: answer.participantId, action: outcome.action, tally: outcome.tally });
    } catch (error) {
      if (error instanceof ContentionError) count(METRIC.contention);
      if (error instanceof TocsinError && !(error instanceof ContentionError)) {
        count(METRIC.answersRejected);
        logger.warn('readiness answer refused', { error: error.message, kind: error.name });
      } else {
        logger.error('readiness answer failed', { error: error as Error });
      }
      return errorResponse(error);
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createRespondHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: unknown) => {
  deployed ??= createRespondHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed(event);
};
