import { errorResponse, functionUrlRequest, json, parseJsonRequest, rejection, type HttpResponse } from '../adapters/http';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { environmentConfig, environmentStore, optionalRespondUrl, systemContext } from '../adapters/wiring';
import { parseOperatorCommand, type OperatorCommand } from '../core/commands';
import type { DecisionContext } from '../core/context';
import { ContentionError, TocsinError, ValidationError } from '../core/errors';
import type { IncidentStore } from '../core/ports';
import type { Outcome } from '../core/use-cases/decide-and-commit';
import { runCommand } from '../core/use-cases/dispatch';
import { operateReply } from '../views/operator-views';

/**
 * `operate` (Function URL, AWS_IAM auth in AWS): operator commands — ack, declare-halt,
 * poll-readiness, schedule-resume, resume, resolve, annotate, announce, failover, drill, silence. The operator recorded on the timeline is the IAM
 * caller in AWS (with `as` appended as a display name), and `as` locally.
 *
 * A command with a `requestId` is applied once: a repeat from the same caller with the same body
 * (compared as parsed, so key order does not matter) gets the first reply again, byte for byte in
 * JSON terms, and changes nothing; another body or another caller under that requestId is 409.
 */

export const COMMAND_MAX_BYTES = 16 * 1024;

export interface OperateDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
  /** Where participants answer readiness polls, named in the poll's notice. @default not named */
  readonly respondUrl?: string;
}

export function createOperateHandler(deps: OperateDependencies) {
  return async function handler(event: unknown): Promise<HttpResponse> {
    try {
      const request = functionUrlRequest(event);
      const body = parseJsonRequest(event, COMMAND_MAX_BYTES, 'operator command');
      if (!body.ok) {
        count(METRIC.commandsRejected);
        return rejection(body);
      }
      const command = parseOperatorCommand(body.value);
      const actor = request?.callerArn ? `${request.callerArn}${command.as ? ` (as ${command.as})` : ''}` : (command.as ?? 'anonymous');
      // With a requestId, the reply is recorded with the command and a repeat gets it back as it was.
      const reply = (run: OperatorCommand, outcome: Outcome, ctx: DecisionContext) => operateReply(run.command, outcome, ctx.config, run.requestId);
      const outcome = await runCommand(deps.store, command, actor, { context: deps.context, answer: reply, ...(deps.respondUrl ? { respondUrl: deps.respondUrl } : {}) });
      count(METRIC.commandsRun);
      if (outcome.transition.notices.length) count(METRIC.noticesWritten, outcome.transition.notices.length);
      logger.info(outcome.replayed ? 'command repeated: answered as the first time' : 'command run', {
        incidentId: outcome.incidentId,
        silenceId: outcome.silenceId,
        pollId: outcome.pollId,
        requestId: command.requestId,
        command: command.command,
        actor,
        action: outcome.action,
      });
      return json(200, outcome.answer ?? reply(command, outcome, deps.context()));
    } catch (error) {
      if (error instanceof ContentionError) count(METRIC.contention);
      if (error instanceof TocsinError && !(error instanceof ContentionError)) {
        count(METRIC.commandsRejected);
        logger.warn('command refused', { error: error.message, kind: error.name });
      } else {
        logger.error('command failed', { error: error as Error });
      }
      if (!(error instanceof ValidationError) && error instanceof TocsinError && error.name === 'TocsinError') {
        return json(500, { error: error.message });
      }
      return errorResponse(error);
    } finally {
      flushMetrics();
    }
  };
}

/** What a scheduled resumption rested on (the readiness poll's tally), as its notice tells participants. */

let deployed: ReturnType<typeof createOperateHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: unknown) => {
  deployed ??= createOperateHandler({ store: environmentStore(), context: systemContext(environmentConfig()), ...optionalRespondUrl() });
  return deployed(event);
};
