import { decideHeartbeat, type Heartbeat, type HeartbeatReply } from '../lease';
import { noChange } from '../model';
import type { IncidentStore } from '../ports';
import { decideAndCommit, type UseCaseOptions } from './decide-and-commit';

/** A heartbeat: renew (holder), record readiness (standby), or tell the node it is fenced. */
export async function recordHeartbeat(store: IncidentStore, beat: Heartbeat, options: UseCaseOptions): Promise<HeartbeatReply> {
  let reply: HeartbeatReply | undefined;
  await decideAndCommit(store, `heartbeat of ${beat.nodeId}`, options, async (ctx) => {
    const { lease, nodes } = await store.readLeaseGroup(beat.group);
    const decision = decideHeartbeat(lease, nodes.find((n) => n.nodeId === beat.nodeId), beat, ctx.now, ctx.config);
    reply = decision.reply;
    if (!decision.lease && !decision.node) return noChange(decision.reply.role);
    return { action: 'heartbeat', ...(decision.lease ? { lease: decision.lease } : {}), ...(decision.node ? { node: decision.node } : {}), timeline: [], notices: [] };
  });
  return reply!;
}
