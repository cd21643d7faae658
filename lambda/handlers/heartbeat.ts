import * as z from 'zod';
import { errorResponse, json, parseJsonRequest, rejection, type HttpResponse } from '../adapters/http';
import { count, flushMetrics, logger, METRIC } from '../adapters/observability';
import { environmentConfig, environmentStore, systemContext } from '../adapters/wiring';
import type { DecisionContext } from '../core/context';
import { TocsinError } from '../core/errors';
import { recordHeartbeat } from '../core/use-cases/heartbeat';
import type { IncidentStore } from '../core/ports';
import { id, parseWith } from '../core/validation';

/**
 * `heartbeat` (Function URL, AWS_IAM auth in AWS): `{group, nodeId, ready, epoch?}` from a
 * primary or standby node → `{role: primary|standby|fenced, epoch, holder}`. A node told
 * `fenced` must stop serving at once: another node holds a newer epoch.
 */

export const heartbeatSchema = z.strictObject({
  group: id,
  nodeId: id,
  ready: z.boolean(),
  epoch: z.number().int().min(1).optional(),
});

export interface HeartbeatDependencies {
  readonly store: IncidentStore;
  readonly context: () => DecisionContext;
}

export function createHeartbeatHandler(deps: HeartbeatDependencies) {
  return async function handler(event: unknown): Promise<HttpResponse> {
    try {
      const body = parseJsonRequest(event, 4 * 1024, 'heartbeat');
      if (!body.ok) {
        count(METRIC.heartbeatsRejected);
        return rejection(body);
      }
      const beat = parseWith(heartbeatSchema, body.value, 'heartbeat');
      const reply = await recordHeartbeat(deps.store, beat, { context: deps.context });
      if (reply.role === 'fenced') logger.warn('fenced node heartbeat', { group: beat.group, nodeId: beat.nodeId, epoch: beat.epoch, leaseEpoch: reply.epoch });
      return json(200, reply);
    } catch (error) {
      if (error instanceof TocsinError) count(METRIC.heartbeatsRejected);
      else logger.error('heartbeat failed', { error: error as Error });
      return errorResponse(error);
    } finally {
      flushMetrics();
    }
  };
}

let deployed: ReturnType<typeof createHeartbeatHandler> | undefined;

/** The Lambda entry point. */
export const handler = (event: unknown) => {
  deployed ??= createHeartbeatHandler({ store: environmentStore(), context: systemContext(environmentConfig()) });
  return deployed(event);
};
