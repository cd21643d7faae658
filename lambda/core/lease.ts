import type { GroupConfig, TocsinConfig } from './config';
import { ConflictError, NotFoundError } from './errors';
import type { AlarmSignal } from './signal';

/**
 * The failover lease of a group (shared/DESIGN.md, "Failover"): one node holds it; `epoch` is
 * the fencing token and only ever increases; `version` changes with every heartbeat of the
 * holder, and is all a promoter looks at — on its own clock, as the DynamoDB lock client does,
 * never trusting the clocks of other machines.
 *
 *   holder heartbeats   v1 ─ v2 ─ v3 ─ v4 ✗(crash)
 *   promoter sees       v1   v2   v3   v4 ······ v4 ····· v4  → unchanged for leaseDuration
 *                                          └─ since ─┘          → lease to the freshest ready
 *                                                                 standby, epoch + 1
 *   old holder's next heartbeat (epoch e) < lease epoch e+1      → "fenced": stop serving
 */

export interface LeaseState {
  readonly group: string;
  readonly holder: string;
  readonly epoch: number;
  /** Record version: every write changes it (holder heartbeats, promotions). */
  readonly version: number;
  /** Tocsin's clock at the last write (for people; promoters do not rely on it). */
  readonly updatedAt: number;
  /** While a drill runs, the holder's heartbeats are not accepted, until this time (its deadline). */
  readonly drillUntil?: number;
  /** When the running drill started, and who started it. */
  readonly drillStartedAt?: number;
  readonly drillBy?: string;
  /** When the last drill started; kept across promotions, for scheduled drills. */
  readonly lastDrillAt?: number;
}

export interface NodeState {
  readonly group: string;
  readonly nodeId: string;
  readonly ready: boolean;
  /** When the heartbeat function last heard from the node (its own clock). */
  readonly lastHeartbeatAt: number;
  readonly version: number;
}

export type Role = 'primary' | 'standby' | 'fenced';

export interface Heartbeat {
  readonly group: string;
  readonly nodeId: string;
  readonly ready: boolean;
  /** The epoch the node believes it holds the lease in (primaries send it). */
  readonly epoch?: number;
}

export interface HeartbeatReply {
  readonly role: Role;
  readonly epoch: number;
  readonly holder: string;
  /**
   * When to heartbeat again, in milliseconds: `heartbeatSeconds`, except for a standby while the
   * holder's lease has gone unrenewed for more than 1.5 heartbeats — then {@link FAST_POLL_MS}, so
   * it learns of its promotion within a fraction of a second of the lease moving.
   */
  readonly nextHeartbeatMs: number;
}

/**
 * How soon a standby asks again while the primary looks silent. Only a polling hint: whether
 * and when to promote is decided by the promoter alone, on its own clock, so a skewed clock here
 * changes how often a standby asks, never who holds the lease.
 */
export const FAST_POLL_MS = 250;

export interface HeartbeatDecision {
  readonly reply: HeartbeatReply;
  /** The lease to write (holder renewals, the first lease of a group). */
  readonly lease?: LeaseState;
  /** The node's readiness record to write. */
  readonly node?: NodeState;
}

/** The configured group, or a 404 naming the known ones. */
export function groupConfig(config: TocsinConfig, group: string): GroupConfig {
  const found = config.groups.find((g) => g.id === group);
  if (!found) throw new NotFoundError('group', group, `configured groups: ${config.groups.map((g) => g.id).join(', ') || 'none'}`);
  return found;
}

/**
 * Decides a heartbeat. The holder's renews the lease (a new version); a standby's records its
 * readiness; a node presenting an epoch older than the lease's is fenced, and writes nothing.
 */
export function decideHeartbeat(lease: LeaseState | undefined, node: NodeState | undefined, beat: Heartbeat, now: number, config: TocsinConfig): HeartbeatDecision {
  const group = groupConfig(config, beat.group);
  if (!group.nodes.includes(beat.nodeId)) throw new NotFoundError('node', beat.nodeId, `nodes of group ${group.id}: ${group.nodes.join(', ')}`);

  const every = group.heartbeatSeconds * 1000;
  if (lease && beat.epoch !== undefined && beat.epoch < lease.epoch) {
    return { reply: { role: 'fenced', epoch: lease.epoch, holder: lease.holder, nextHeartbeatMs: every } };
  }
  if (!lease) {
    // The first heartbeat of a group: the first configured node starts as primary, epoch 1.
    if (beat.nodeId === group.nodes[0]) {
      const first: LeaseState = { group: group.id, holder: beat.nodeId, epoch: 1, version: 1, updatedAt: now };
      return { reply: { role: 'primary', epoch: 1, holder: beat.nodeId, nextHeartbeatMs: every }, lease: first, node: nodeRecord(node, beat, now) };
    }
    return { reply: { role: 'standby', epoch: 0, holder: group.nodes[0]!, nextHeartbeatMs: every }, node: nodeRecord(node, beat, now) };
  }
  if (lease.holder === beat.nodeId) {
    const reply: HeartbeatReply = { role: 'primary', epoch: lease.epoch, holder: lease.holder, nextHeartbeatMs: every };
    // A drill stops accepting the holder's heartbeats: the lease then expires as if it had died.
    if (lease.drillUntil !== undefined && now < lease.drillUntil) return { reply };
    return { reply, lease: { ...lease, version: lease.version + 1, updatedAt: now } };
  }
  // The holder looks silent: the standby asks again soon, to hear of its promotion at once.
  const silent = now - lease.updatedAt > every * 1.5;
  return { reply: { role: 'standby', epoch: lease.epoch, holder: lease.holder, nextHeartbeatMs: silent ? FAST_POLL_MS : every }, node: nodeRecord(node, beat, now) };
}

function nodeRecord(node: NodeState | undefined, beat: Heartbeat, now: number): NodeState {
  return { group: beat.group, nodeId: beat.nodeId, ready: beat.ready, lastHeartbeatAt: now, version: (node?.version ?? 0) + 1 };
}

/** What one promoter has seen of a lease, on its own clock. */
export interface Observation {
  /** The lease version seen (0: no lease yet). */
  readonly version: number;
  /** When this promoter first saw that version. */
  readonly since: number;
}

export type PromotionDecision =
  | { readonly kind: 'watching'; readonly observation: Observation }
  | {
      readonly kind: 'promote';
      readonly observation: Observation;
      readonly from?: string;
      readonly to: string;
      readonly lease: LeaseState;
      /**
       * The chosen standby's record as read, rewritten at version + 1 in the promotion's
       * transaction: if the node reports "not ready" between the read and the commit, the
       * promotion fails its condition instead of handing the lease to a node that cannot serve.
       */
      readonly candidate: NodeState;
      /** Set when the promotion completes a drill: when the drill started. */
      readonly drillStartedAt?: number;
    }
  | { readonly kind: 'no-ready-standby'; readonly observation: Observation; readonly holder?: string; readonly silentForMs: number };

/** The ready standbys, freshest first: ready, and heard from within the lease duration. */
export function readyStandbys(lease: LeaseState | undefined, nodes: readonly NodeState[], now: number, group: GroupConfig): NodeState[] {
  const window = group.leaseDurationSeconds * 1000;
  return nodes
    .filter((n) => n.nodeId !== lease?.holder && n.ready && now - n.lastHeartbeatAt <= window && group.nodes.includes(n.nodeId))
    .sort((a, b) => b.lastHeartbeatAt - a.lastHeartbeatAt);
}

/**
 * One check of a promoter: keep watching while the lease version moves; once it has not moved
 * for `leaseDurationSeconds` on this promoter's clock, move the lease to the freshest ready
 * standby with `epoch + 1` — or report that no standby is ready (never promote one that is not).
 */
export function decidePromotion(
  lease: LeaseState | undefined,
  nodes: readonly NodeState[],
  previous: Observation | undefined,
  now: number,
  group: GroupConfig,
): PromotionDecision {
  const version = lease?.version ?? 0;
  const observation: Observation = previous && previous.version === version ? previous : { version, since: now };
  const silentForMs = now - observation.since;
  if (silentForMs < group.leaseDurationSeconds * 1000) return { kind: 'watching', observation };
  const candidate = readyStandbys(lease, nodes, now, group)[0];
  if (!candidate) return { kind: 'no-ready-standby', observation, ...(lease ? { holder: lease.holder } : {}), silentForMs };
  return {
    kind: 'promote',
    observation,
    ...(lease ? { from: lease.holder } : {}),
    to: candidate.nodeId,
    candidate: { ...candidate, version: candidate.version + 1 },
    lease: {
      group: group.id,
      holder: candidate.nodeId,
      epoch: (lease?.epoch ?? 0) + 1,
      version: version + 1,
      updatedAt: now,
      ...(lease?.lastDrillAt !== undefined ? { lastDrillAt: lease.lastDrillAt } : {}),
    },
    ...(lease?.drillStartedAt !== undefined ? { drillStartedAt: lease.drillStartedAt } : {}),
  };
}

/** The dedup keys of the incidents the promoter raises for a group. */
export const failoverKey = (group: string) => `tocsin:failover:${group}`;
export const readinessKey = (group: string) => `tocsin:readiness:${group}`;

/**
 * The readiness alarm TSE never had: "no failover capacity" while no standby is ready, raised
 * before any failure and resolved when one reports ready again.
 */
export function readinessSignal(group: GroupConfig, lease: LeaseState | undefined, nodes: readonly NodeState[], now: number): AlarmSignal {
  const ready = readyStandbys(lease, nodes, now, group);
  return {
    dedupKey: readinessKey(group.id),
    status: ready.length ? 'resolved' : 'firing',
    severity: 'critical',
    // A warning before any failure: it pages, but it does not halt trading, nor reach participants, by itself.
    mayHalt: false,
    bookkeeping: true,
    component: group.id,
    summary: ready.length
      ? `Failover capacity for ${group.id} restored: ${ready.map((n) => n.nodeId).join(', ')} ready`
      : `No failover capacity for ${group.id}: no standby has reported ready within ${group.leaseDurationSeconds} s`,
    occurredAt: now,
    source: 'monitor',
    details: { group: group.id, holder: lease?.holder, ready: ready.map((n) => n.nodeId) },
  };
}

/** The alarm a failover raises: an incident for the group that the failover notice belongs to. */
export function failoverSignal(group: GroupConfig, decision: Exclude<PromotionDecision, { kind: 'watching' }>, now: number): AlarmSignal {
  const silent = Math.round(decision.observation.since === now ? 0 : (now - decision.observation.since) / 1000);
  return {
    dedupKey: failoverKey(group.id),
    status: 'firing',
    severity: decision.kind === 'promote' ? 'major' : 'critical',
    component: group.id,
    summary:
      decision.kind === 'promote'
        ? `${decision.from ?? 'no holder'} of ${group.id} silent for ${silent} s; ${decision.to} promoted (epoch ${decision.lease.epoch})`
        : `${decision.holder ?? 'no holder'} of ${group.id} silent for ${silent} s and no standby is ready: not promoted`,
    occurredAt: now,
    source: 'monitor',
    // A refused promotion is bookkeeping; it may halt by policy only when a primary that held the
    // lease went silent (a group that never had a holder is a fresh deploy, not a failure).
    ...(decision.kind === 'promote' ? {} : { bookkeeping: true, mayHalt: decision.holder !== undefined }),
    details: { group: group.id, ...(decision.kind === 'promote' ? { from: decision.from, to: decision.to, epoch: decision.lease.epoch } : { holder: decision.holder }) },
  };
}

/** A lease without its drill: what every promotion and every drill's end writes. */
export function withoutDrill(lease: LeaseState): LeaseState {
  const { drillUntil: _until, drillStartedAt: _started, drillBy: _by, ...rest } = lease;
  return rest;
}

/**
 * `failover --group G [--to NODE]`: a forced switchover, now, to `to` or the freshest ready
 * standby. Still fenced (epoch + 1) and conditional on the lease read; refused (409) when there
 * is no lease, the target is the holder, or the target is not ready.
 */
export function decideForcedFailover(lease: LeaseState | undefined, nodes: readonly NodeState[], group: GroupConfig, to: string | undefined, now: number): Extract<PromotionDecision, { kind: 'promote' }> {
  if (to !== undefined && !group.nodes.includes(to)) throw new NotFoundError('node', to, `nodes of group ${group.id}: ${group.nodes.join(', ')}`);
  if (!lease) throw new ConflictError(`cannot fail over ${group.id}: no node holds its lease yet`, { group: group.id });
  const state = { group: group.id, holder: lease.holder, epoch: lease.epoch };
  if (to === lease.holder) throw new ConflictError(`cannot fail over ${group.id} to ${to}: it already holds the lease (epoch ${lease.epoch})`, state);
  const ready = readyStandbys(lease, nodes, now, group);
  const target = to === undefined ? ready[0] : ready.find((n) => n.nodeId === to);
  if (!target) {
    throw new ConflictError(
      `cannot fail over ${group.id}${to ? ` to ${to}` : ''}: ${to ? 'it has not' : 'no standby has'} reported ready within ${group.leaseDurationSeconds} s`,
      { ...state, ready: ready.map((n) => n.nodeId) },
    );
  }
  return {
    kind: 'promote',
    observation: { version: lease.version, since: now },
    from: lease.holder,
    to: target.nodeId,
    candidate: { ...target, version: target.version + 1 },
    lease: { ...withoutDrill(lease), holder: target.nodeId, epoch: lease.epoch + 1, version: lease.version + 1, updatedAt: now },
  };
}

/** How long a drill may take before it counts as failed: the lease, two checks and 5 s. */
export function drillDeadlineMs(group: GroupConfig): number {
  return (group.leaseDurationSeconds + 2 * group.checkIntervalSeconds + 5) * 1000;
}

/**
 * `drill --group G`: stops accepting the holder's heartbeats, so the whole promotion path runs
 * for real; the promoter records the result. Only on a group whose `drills` is enabled.
 */
export function startDrill(lease: LeaseState | undefined, group: GroupConfig, by: string, now: number): LeaseState {
  if (!group.drills) throw new ConflictError(`drills are not enabled for group ${group.id}: set groups[].drills to true in the configuration`, { group: group.id, drills: false });
  if (!lease) throw new ConflictError(`cannot drill ${group.id}: no node holds its lease yet`, { group: group.id });
  if (lease.drillUntil !== undefined && now < lease.drillUntil) {
    throw new ConflictError(`a drill of ${group.id} is already running until ${new Date(lease.drillUntil).toISOString()}`, { group: group.id, drillUntil: new Date(lease.drillUntil).toISOString() });
  }
  return { ...lease, drillUntil: now + drillDeadlineMs(group), drillStartedAt: now, drillBy: by, lastDrillAt: now, version: lease.version + 1, updatedAt: now };
}

export const drillKey = (group: string) => `tocsin:drill:${group}`;

/** A drill that did not promote within its deadline: an incident of its own. */
export function failedDrillSignal(group: GroupConfig, lease: LeaseState, why: string, now: number): AlarmSignal {
  return {
    dedupKey: drillKey(group.id),
    status: 'firing',
    severity: 'critical',
    component: group.id,
    summary: `Failover drill of ${group.id} failed: ${why}`,
    occurredAt: now,
    source: 'monitor',
    bookkeeping: true,
    details: { group: group.id, holder: lease.holder, startedAt: lease.drillStartedAt, by: lease.drillBy },
  };
}

/**
 * Whether a scheduled drill is due: drills enabled, a schedule set, no drill running, and the
 * last one (or, before any, the promoter's first sight of the group) `drillEveryHours` ago.
 */
export function scheduledDrillDue(lease: LeaseState | undefined, group: GroupConfig, firstSeenAt: number, now: number): boolean {
  if (!group.drills || group.drillEveryHours <= 0 || !lease) return false;
  if (lease.drillUntil !== undefined) return false;
  return now - (lease.lastDrillAt ?? firstSeenAt) >= group.drillEveryHours * 3_600_000;
}
