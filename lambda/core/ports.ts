import type { SignalSnapshot } from './incidents';
import type { LeaseState, NodeState } from './lease';
import type { Incident, MarketState, Notice, TimelineEntry, Transition } from './model';

/**
 * The incident store, as the domain needs it. The DynamoDB adapter implements it
 * (`lambda/adapters/dynamodb-store.ts`).
 *
 * `commit` writes a whole transition or nothing. Each state in it carries `version` = the
 * version read + 1, and is written only if the stored version is still the one read (or, for
 * version 1, only if nothing is stored); timeline entries and notices only if new. A lost race
 * throws `ConcurrentUpdateError`.
 */
export interface IncidentStore {
  readForSignal(groupKey: string, marketId: string): Promise<SignalSnapshot>;
  readIncident(incidentId: string): Promise<Incident | undefined>;
  /** A market nobody has written yet reads as trading (version 0). */
  readMarket(marketId: string): Promise<MarketState>;
  commit(transition: Transition): Promise<void>;
  /** Incidents not yet resolved, oldest first. */
  openIncidents(): Promise<Incident[]>;
  incidentRecord(incidentId: string): Promise<IncidentRecord | undefined>;
  /** A failover group's lease and its nodes' readiness records. */
  readLeaseGroup(group: string): Promise<{ lease?: LeaseState; nodes: NodeState[] }>;
}

export interface IncidentRecord {
  readonly incident: Incident;
  readonly timeline: readonly TimelineEntry[];
  readonly notices: readonly StoredNotice[];
}

export interface StoredNotice {
  readonly notice: Notice;
  readonly status: 'pending' | 'sent';
}
