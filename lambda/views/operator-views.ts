import { escalationOf, type ResumeQuorum, type TocsinConfig } from '../core/config';
import type { OperatorCommand } from '../core/commands';
import { ValidationError } from '../core/errors';
import { isIncidentListKey, type IncidentPage } from '../core/incident-list';
import type { LeaseState } from '../core/lease';
import { marketTimeZoneOf, marketView, type MarketView } from '../core/market';
import type { Incident, IncidentStatus, MarketState, Notice, NoticeType, TimelineEntry, TimelineKind } from '../core/model';
import type { IncidentRecord, StoredNotice } from '../core/ports';
import type { Tally } from '../core/quorum';
import { pollView, type PollRecord, type PollView } from '../core/readiness-poll';
import { currentSilences, inForce, silenceEnd, type Silence, type SilenceMatchers, type SilenceSet } from '../core/silences';
import type { Severity } from '../core/signal';
import type { Outcome } from '../core/use-cases/decide-and-commit';

/**
 * The operators' view (the IAM `status` URL, the `operate` reply, the `tocsin` CLI): typed JSON
 * built from the store's records. Pure — the status handler reads, these build, the renderers
 * (`lambda/views/operator-html.ts`, the CLI's tables) render — and the one definition of these
 * shapes: the CLI imports the interfaces instead of re-declaring them.
 *
 * Every instant is ISO-8601 UTC, the machine-readable truth. Each view that carries instants also
 * names the IANA `timeZone` they belong to (its market's), so a renderer can show market time
 * with the zone named. Unlike the participants' view (`public-status.ts`), this one shows what
 * only operators may see: internal incidents, who acted, leases, silences.
 *
 * Contract: fields may be added, none renamed or removed.
 */

// The market's view is built beside the market rules (`core/market.ts`), whose conflicts carry
// it as their 409 `state`, and the core imports nothing from here; it is exported with the rest.
export { marketTimeZoneOf, marketView, type MarketView };
// So is a poll's, whose 409 (a closed poll) carries it.
export { pollView, type PollView };

/** A failover group's lease (`GET /` `groups[]`, the operate reply's `lease`). */
export interface LeaseView {
  readonly group: string;
  readonly holder: string;
  /** The fencing token: only ever increases. */
  readonly epoch: number;
  /** While a drill runs: its deadline. */
  readonly drillUntil?: string;
  /** The zone of the market whose failover incidents the group's are ({@link groupTimeZone}). */
  readonly timeZone: string;
}

/** An incident in a list (`GET /` `incidents[]`, `GET /incidents` `incidents[]`). */
export interface IncidentSummaryView {
  readonly incidentId: string;
  readonly status: IncidentStatus;
  readonly severity: Severity;
  readonly market?: string;
  readonly summary: string;
  /** When Tocsin opened it. */
  readonly openedAt: string;
  /** When the fault started: the earliest firing's source time. */
  readonly startedAt: string;
  /** Whether participants were told of it. */
  readonly announced: boolean;
  /** Who has been paged, and who is next while nobody acknowledges. */
  readonly escalation?: { readonly stage: string; readonly next?: { readonly stage: string; readonly at: string } };
  /** Opened under a silence: nobody is paged until it ends. */
  readonly silenced?: { readonly silenceId: string; readonly until: string };
  /** When it was resolved (resolved incidents, which only `GET /incidents` lists). */
  readonly resolvedAt?: string;
  /** Its market's zone (the first market's when it names none). */
  readonly timeZone: string;
}

/** One incident (`GET /incidents/<id>` `incident`). */
export interface IncidentDetailView extends IncidentSummaryView {
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  readonly resolvedAt?: string;
  readonly resolvedBy?: string;
  /** Alarms gathered, and how many of them are firing now. */
  readonly alarms: number;
  readonly alarmsFiring: number;
}

/** A timeline entry; its instants are on the incident's `timeZone`. */
export interface TimelineEntryView {
  /** The entry's place in the incident's time-ordered timeline (1, 2, 3 …). */
  readonly sequence: number;
  readonly entryId: string;
  readonly at: string;
  readonly kind: TimelineKind;
  readonly actor: string;
  readonly text: string;
}

/** A participant notice of the incident, and whether it has been published yet. */
export interface NoticeView {
  readonly noticeId: string;
  readonly sequence: number;
  readonly type: NoticeType;
  readonly status: StoredNotice['status'];
  readonly issuedAt: string;
  readonly summary: string;
}

/** A silence in force or scheduled (`GET /` `silences[]`). */
export interface SilenceView {
  readonly silenceId: string;
  readonly matchers: SilenceMatchers;
  readonly from: string;
  /** When it ends: `until`, or earlier when an operator ended it. */
  readonly until: string;
  readonly inForce: boolean;
  readonly note: string;
  readonly createdBy: string;
  /** The zone of the market its alarms concern ({@link silenceTimeZone}). */
  readonly timeZone: string;
}

/** One configured participant and its latest answer (`GET /polls/<id>` `answers[]`). */
export interface PollAnswerView {
  readonly participantId: string;
  readonly name: string;
  readonly tradingValueShare: number;
  readonly retail: boolean;
  readonly retailValueShare: number;
  readonly answer: 'ready' | 'not ready' | 'none';
  readonly answeredAt?: string;
  /** The IAM caller in AWS; `participant:<id>` in serve mode. */
  readonly answeredBy?: string;
  readonly note?: string;
}

/** `GET /polls/<id>` on the status URL: the poll and every configured participant's answer. */
export interface PollPageView {
  readonly poll: PollView;
  /** In configuration order. */
  readonly answers: readonly PollAnswerView[];
}

/** A market in the overview: with the poll its resumption is decided on, while it is not trading. */
export type MarketStatusView = MarketView & { readonly poll?: PollView };

/** `GET /` on the status URL. */
export interface StatusOverview {
  /** Every configured market, in configuration order. */
  readonly markets: readonly MarketStatusView[];
  /** The open (and acknowledged) incidents, oldest first. */
  readonly incidents: readonly IncidentSummaryView[];
  /** The lease of every configured group that has one. */
  readonly groups: readonly LeaseView[];
  /** Silences in force or scheduled, soonest end first. */
  readonly silences: readonly SilenceView[];
  readonly generatedAt: string;
}

/** `GET /incidents?limit=N&next=TOKEN` on the status URL: one page of every incident, open or resolved. */
export interface IncidentListView {
  /** Newest first (by when Tocsin opened them). */
  readonly incidents: readonly IncidentSummaryView[];
  /** Pass back as `next` for the following page; absent on the last page. */
  readonly next?: string;
  readonly generatedAt: string;
}

/** `GET /incidents/<id>` on the status URL. */
export interface IncidentView {
  readonly incident: IncidentDetailView;
  /** In time order. */
  readonly timeline: readonly TimelineEntryView[];
  /** In sequence order. */
  readonly notices: readonly NoticeView[];
}

/** What a scheduled resumption rested on: the readiness poll's tally, what it was held against, an override. */
export type QuorumDetailView = Tally & { readonly pollId?: string; readonly required?: ResumeQuorum; readonly override?: string };

/** The `operate` function's 200 answer. */
export interface OperateReply {
  readonly ok: true;
  readonly command: OperatorCommand['command'];
  /** What happened, in a word: `halted`, `unchanged`, `promoted` … */
  readonly action: string;
  readonly incidentId?: string;
  readonly silenceId?: string;
  /** The readiness poll `poll-readiness` opened. */
  readonly pollId?: string;
  /** The market, when the command changed it. */
  readonly market?: MarketView;
  /** The group's lease, when the command changed it. */
  readonly lease?: LeaseView;
  /** The readiness tally a scheduled resumption was admitted on (the `resume-scheduled` notice's `detail.quorum`). */
  readonly quorum?: QuorumDetailView;
  /** The notices the command issued, each numbered in its incident. */
  readonly notices: ReadonlyArray<{ readonly noticeId: string; readonly type: NoticeType; readonly sequence: number }>;
  /** The command's `requestId`, when it carried one: a repeat of it is given this same reply. */
  readonly requestId?: string;
}

/**
 * A group's zone: the market of the component of the group's id — where the group's failover
 * and drill incidents are recorded (`marketOfSignal`) — else the first market's.
 */
export function groupTimeZone(config: Pick<TocsinConfig, 'markets' | 'components'>, group: string): string {
  return marketTimeZoneOf(config, config.components.find((c) => c.id === group)?.market);
}

/** A silence's zone: its `market` matcher's, else its `component` matcher's market's, else the first market's. */
export function silenceTimeZone(config: Pick<TocsinConfig, 'markets' | 'components'>, matchers: SilenceMatchers): string {
  return marketTimeZoneOf(config, matchers.market ?? config.components.find((c) => c.id === matchers.component)?.market);
}

export function leaseView(lease: LeaseState, config: Pick<TocsinConfig, 'markets' | 'components'>): LeaseView {
  return {
    group: lease.group,
    holder: lease.holder,
    epoch: lease.epoch,
    ...(lease.drillUntil !== undefined ? { drillUntil: iso(lease.drillUntil) } : {}),
    timeZone: groupTimeZone(config, lease.group),
  };
}

export function incidentSummaryView(incident: Incident, config: TocsinConfig): IncidentSummaryView {
  const { stages } = escalationOf(config.policy);
  const stage = (step: number) => stages[Math.min(step, stages.length - 1)]!.name;
  return {
    incidentId: incident.id,
    status: incident.status,
    severity: incident.severity,
    ...(incident.market !== undefined ? { market: incident.market } : {}),
    summary: incident.summary,
    openedAt: iso(incident.openedAt),
    startedAt: iso(incident.startedAt),
    announced: incident.announced ?? false,
    ...(incident.pagedStage !== undefined
      ? { escalation: { stage: stage(incident.pagedStage), ...(incident.nextEscalation ? { next: { stage: stage(incident.nextEscalation.step), at: iso(incident.nextEscalation.at) } } : {}) } }
      : {}),
    ...(incident.silencedBy !== undefined && incident.silencedUntil !== undefined ? { silenced: { silenceId: incident.silencedBy, until: iso(incident.silencedUntil) } } : {}),
    ...(incident.resolvedAt !== undefined ? { resolvedAt: iso(incident.resolvedAt) } : {}),
    timeZone: marketTimeZoneOf(config, incident.market),
  };
}

export function incidentDetailView(record: Pick<IncidentRecord, 'incident' | 'counts'>, config: TocsinConfig): IncidentDetailView {
  const { incident, counts } = record;
  return {
    ...incidentSummaryView(incident, config),
    ...(incident.acknowledgedAt !== undefined ? { acknowledgedAt: iso(incident.acknowledgedAt) } : {}),
    ...(incident.acknowledgedBy !== undefined ? { acknowledgedBy: incident.acknowledgedBy } : {}),
    ...(incident.resolvedBy !== undefined ? { resolvedBy: incident.resolvedBy } : {}),
    alarms: counts.alarms,
    alarmsFiring: counts.firing,
  };
}

/** `index` is the entry's place in the incident's time-ordered timeline, from 0. */
export function timelineEntryView(entry: TimelineEntry, index: number): TimelineEntryView {
  return { sequence: index + 1, entryId: entry.entryId, at: iso(entry.at), kind: entry.kind, actor: entry.actor, text: entry.text };
}

export function noticeView({ notice, status }: StoredNotice): NoticeView {
  return { noticeId: notice.noticeId, sequence: notice.sequence, type: notice.type, status, issuedAt: notice.issuedAt, summary: notice.summary };
}

export function silenceView(silence: Silence, config: Pick<TocsinConfig, 'markets' | 'components'>, now: number): SilenceView {
  return {
    silenceId: silence.id,
    matchers: silence.matchers,
    from: iso(silence.from),
    until: iso(silenceEnd(silence)),
    inForce: inForce(silence, now),
    note: silence.note,
    createdBy: silence.createdBy,
    timeZone: silenceTimeZone(config, silence.matchers),
  };
}

export function incidentView(record: IncidentRecord, config: TocsinConfig): IncidentView {
  return { incident: incidentDetailView(record, config), timeline: record.timeline.map(timelineEntryView), notices: record.notices.map(noticeView) };
}

/** One page of the incident list; the store's key for the next page travels as an opaque token. */
export function incidentListView(page: IncidentPage, config: TocsinConfig, now: number): IncidentListView {
  return {
    incidents: page.incidents.map((incident) => incidentSummaryView(incident, config)),
    ...(page.next !== undefined ? { next: incidentPageToken(page.next) } : {}),
    generatedAt: iso(now),
  };
}

/** The `next` token for a list key: base64url, so it needs no escaping in a URL or a shell. */
export function incidentPageToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

/** The list key a `next` token stands for; a token no page gave is refused (400), naming the field. */
export function incidentPageKey(token: string): string {
  const key = /^[A-Za-z0-9_-]{1,400}$/.test(token) ? Buffer.from(token, 'base64url').toString('utf8') : '';
  if (!isIncidentListKey(key)) {
    throw new ValidationError('incident list request', [{ field: 'next', problem: `expected the "next" token of a previous page, got ${JSON.stringify(token.slice(0, 80))}` }]);
  }
  return key;
}

/** What the status handler read for `GET /`. */
export interface OverviewReads {
  /** In configuration order. */
  readonly markets: readonly MarketState[];
  readonly incidents: readonly Incident[];
  readonly leases: ReadonlyArray<LeaseState | undefined>;
  readonly silences: SilenceSet | undefined;
  /** Per market (configuration order), the poll its `pollId` names, when it is not trading. */
  readonly polls?: ReadonlyArray<PollRecord | undefined>;
}

export function statusOverview(reads: OverviewReads, config: TocsinConfig, now: number): StatusOverview {
  return {
    markets: reads.markets.map((market, index) => {
      const poll = reads.polls?.[index];
      return { ...marketView(market, config), ...(poll ? { poll: pollView(poll, config, now) } : {}) };
    }),
    incidents: [...reads.incidents].sort((a, b) => a.openedAt - b.openedAt || a.id.localeCompare(b.id)).map((incident) => incidentSummaryView(incident, config)),
    groups: reads.leases.flatMap((lease) => (lease ? [leaseView(lease, config)] : [])),
    silences: currentSilences(reads.silences, now).map((silence) => silenceView(silence, config, now)),
    generatedAt: iso(now),
  };
}

export function operateReply(command: OperatorCommand['command'], outcome: Outcome, config: TocsinConfig, requestId?: string): OperateReply {
  return {
    ok: true,
    command,
    action: outcome.action,
    ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}),
    ...(outcome.silenceId ? { silenceId: outcome.silenceId } : {}),
    ...(outcome.pollId ? { pollId: outcome.pollId } : {}),
    ...(outcome.transition.market ? { market: marketView(outcome.transition.market, config) } : {}),
    ...(outcome.transition.lease ? { lease: leaseView(outcome.transition.lease, config) } : {}),
    ...quorumOf(outcome.transition.notices),
    notices: outcome.transition.notices.map((n) => ({ noticeId: n.noticeId, type: n.type, sequence: n.sequence })),
    ...(requestId !== undefined ? { requestId } : {}),
  };
}

export function pollPageView(record: PollRecord, config: TocsinConfig, now: number): PollPageView {
  const answers = new Map(record.answers.map((a) => [a.participantId, a]));
  return {
    poll: pollView(record, config, now),
    answers: config.participants.map((p) => {
      const answer = answers.get(p.id);
      return {
        participantId: p.id,
        name: p.name,
        tradingValueShare: p.tradingValueShare,
        retail: p.retail,
        retailValueShare: p.retailValueShare,
        answer: answer === undefined ? 'none' : answer.ready ? 'ready' : 'not ready',
        ...(answer ? { answeredAt: iso(answer.answeredAt), answeredBy: answer.answeredBy, ...(answer.note !== undefined ? { note: answer.note } : {}) } : {}),
      };
    }),
  };
}

function quorumOf(notices: readonly Notice[]): { quorum?: QuorumDetailView } {
  const quorum = notices.find((n) => n.type === 'resume-scheduled')?.detail.quorum;
  return quorum === undefined ? {} : { quorum: quorum as QuorumDetailView };
}

const iso = (ms: number) => new Date(ms).toISOString();
