import * as z from 'zod';
import { ConfigError, type FieldProblem } from './errors';
import { SEVERITIES } from './signal';
import { describe, id as idSchema, text as boundedText, toFieldProblems } from './validation';

/**
 * Tocsin's configuration: the same JSON for the deployed stack (a CDK prop, checked at synth
 * time) and for `tocsin local --config FILE` (checked at start). Every field has a default, so
 * `{}` is a valid configuration. Unknown fields are refused: a typo such as `leaseDuration`
 * must not silently fall back to a default (that is how TSE's "switch after 15 s" became
 * "never switch").
 */

const id = idSchema;

const seconds = (fallback: number) => z.number().int('must be a whole number of seconds').positive('must be > 0').default(fallback);

/** The languages participant notices and the public status page are written in. */
export const LANGUAGES = ['en', 'ja'] as const;
export type Language = (typeof LANGUAGES)[number];
/** An operator's free text per language, beside its `note`. */
export type Notes = Readonly<Partial<Record<Language, string>>>;

/** An IANA time zone name that this runtime's Intl knows, e.g. `Asia/Tokyo` ({@link isTimeZone}). */
const timeZone = z
  .string()
  .min(1)
  .max(64)
  .refine(isTimeZone, { error: (issue) => `must be an IANA time zone such as "Asia/Tokyo" or "UTC", got ${describe(issue.input)}` });

/** The most participants a configuration may list (a readiness poll reads all their answers at once). */
export const MAX_PARTICIPANTS = 300;

/** Shares are counted in millionths: 0.1 + 0.2 is 0.3, and a threshold met exactly is met. */
export const SHARE_UNITS = 1_000_000;

/**
 * How far over 100 % the configured shares may add up: published shares are rounded (90 shares
 * rounded to 0.01 % can be 0.45 % off), so 100.1 % is rounding, 101 % is a mistake.
 */
export const SHARE_SUM_TOLERANCE = 0.001;

/** `HH:MM`, 00:00 to 23:59. */
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

const market = z.strictObject({
  id,
  /** Market segments (e.g. TSE's prime / standard / growth); a halt may name some of them. */
  segments: z.array(id).default([]),
  /** The market's time zone: every time participants read is in it, the zone named. */
  timeZone: timeZone.default('UTC'),
  /** The market's name per language in participant texts (e.g. `{"en": "TSE equities", "ja": "株式"}`); default: its id. */
  names: z.strictObject({ en: z.string().min(1).max(100).optional(), ja: z.string().min(1).max(100).optional() }).optional(),
  /**
   * No resumption later than this market-local time (`HH:MM`) on the day of the halt: a later one
   * is for the next day (TSE's 14:30 rule). Absent: no cut-off.
   */
  sameDayResumeCutoff: z
    .string()
    .regex(HH_MM, { error: (issue) => `must be a 24-hour market-local time "HH:MM" such as "14:30", got ${describe(issue.input)}` })
    .optional(),
});

/** A share of trading value, 0 to 1 (0.125 = 12.5 %). */
const share = () => {
  const message = 'must be a share from 0 to 1 (0.125 is 12.5 %)';
  return z.number().min(0, message).max(1, message);
};

const participant = z.strictObject({
  id,
  /** The participant's name, for people: the status page, the operator's tally. */
  name: boundedText(200),
  /**
   * The AWS account the participant answers readiness polls from: the respond URL's resource policy
   * grants exactly these accounts, and an answer signed by any other is refused (403). Absent: the
   * participant cannot answer through the deployed URL (serve mode has no auth).
   */
  accountId: z
    .string()
    .regex(/^\d{12}$/, { error: (issue) => `must be a 12-digit AWS account id, got ${describe(issue.input)}` })
    .optional(),
  /** The participant's share of the market's trading value, 0 to 1. */
  tradingValueShare: share(),
  /** Whether it is a retail broker (counted for `policy.resumeQuorum.retailParticipants`). */
  retail: z.boolean().default(false),
  /** Its share of the market's retail (individual investors') trading value, 0 to 1. */
  retailValueShare: share().default(0),
});

/** TSE's rule since April 2021: about half the trading value, 30 % of retail value, 5 retail brokers. */
const resumeQuorum = z.strictObject({
  /** The least share of trading value the participants ready to trade must hold. */
  valueShare: share().default(0.5),
  /** The least share of retail trading value they must hold. */
  retailValueShare: share().default(0.3),
  /** The least number of retail brokers among them. */
  retailParticipants: z.number().int('must be a whole number').min(0, 'must be >= 0').default(5),
});

const component = z.strictObject({
  id,
  /** The market whose trading depends on this component. */
  market: id.optional(),
  /** A critical alarm on a critical component may halt the market (see `policy.haltOnCritical`). */
  critical: z.boolean().default(false),
  /**
   * Whether participants hear of this component's incidents: an incident is announced to them
   * automatically only when its component is participant-facing and its severity is at least
   * `policy.announceSeverity` (operators may always `announce`). Failover and drill notices of a
   * group reach participants only when the component of the same id is participant-facing.
   */
  participantFacing: z.boolean().default(false),
});

const group = z.strictObject({
  id,
  /** Node ids; the first is the initial primary. */
  nodes: z.array(id).min(2, 'a failover group needs at least 2 nodes'),
  heartbeatSeconds: seconds(2),
  leaseDurationSeconds: seconds(10),
  checkIntervalSeconds: seconds(2),
  /** Whether drills may run on this group (a drill really promotes the standby). */
  drills: z.boolean().default(false),
  /**
   * Run a drill every this many hours (needs `drills`); 0: only on command. The first runs this
   * long after the promoter first sees the group.
   */
  drillEveryHours: z.number().min(0, 'must be >= 0').default(0),
  /**
   * A group that has never had a holder neither promotes nor raises "no ready standby" until this
   * long after Tocsin first saw it: a fresh deploy is not a failure.
   */
  startupGraceSeconds: z.number().int().min(0, 'must be >= 0').default(300),
});

/** How many requests a monitor may make per minute when its entry says nothing (PagerDuty's own limit per integration key). */
export const DEFAULT_MONITOR_RATE_PER_MINUTE = 120;

const monitor = z.strictObject({
  /** Who the monitor is: recorded on the timeline as the alarm's source, and the namespace of its dedup keys. */
  id,
  /**
   * The SHA-256 of the monitor's bearer token, as 64 hex digits (`printf %s "$TOKEN" | sha256sum`):
   * the configuration holds no secret.
   */
  tokenSha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, { error: (issue) => `must be the SHA-256 of the token as 64 hex digits, got ${describe(issue.input)}` })
    .transform((hex) => hex.toLowerCase()),
  /** Requests per minute (a fixed one-minute window) before the monitor is answered 429 with Retry-After. */
  ratePerMinute: z.number().int('must be a whole number').min(1, 'must be >= 1').max(100_000, 'must be <= 100000').default(DEFAULT_MONITOR_RATE_PER_MINUTE),
});

const stage = z.strictObject({
  /** Who is paged: the `stage` message attribute operators subscribe on, e.g. `on-call`. */
  name: idSchema,
  /** Seconds after the incident opened at which this stage is paged, while it is unacknowledged. */
  afterSeconds: z.number().int().min(0, 'must be >= 0'),
});

const escalation = z
  .strictObject({
    stages: z.array(stage).min(1, 'at least one stage'),
    /** After the last stage, page it again every this many seconds while unacknowledged; 0: never. */
    repeatEverySeconds: z.number().int().min(0, 'must be >= 0').default(0),
  })
  .superRefine((value, ctx) => {
    // Refinements run even when `stages` broke its `min(1)`: an empty list must be refused, not crash here.
    if (value.stages.length > 0 && value.stages[0]!.afterSeconds !== 0) {
      ctx.addIssue({ code: 'custom', path: ['stages', 0, 'afterSeconds'], message: `the first stage is paged when the incident opens: must be 0, got ${value.stages[0]!.afterSeconds}` });
    }
    value.stages.forEach((s, i) => {
      if (i > 0 && s.afterSeconds <= value.stages[i - 1]!.afterSeconds) {
        ctx.addIssue({ code: 'custom', path: ['stages', i, 'afterSeconds'], message: `must be more than the previous stage's ${value.stages[i - 1]!.afterSeconds}, got ${s.afterSeconds}` });
      }
      if (value.stages.findIndex((t) => t.name === s.name) !== i) ctx.addIssue({ code: 'custom', path: ['stages', i, 'name'], message: `duplicate stage "${s.name}"` });
    });
  });

const policy = z.strictObject({
  /** An OK / resolved alarm resolves its incident without an operator. */
  autoResolve: z.boolean().default(true),
  /**
   * Once every alarm of an incident is OK, it resolves after this quiet time; an alarm that
   * fires again within it keeps the same incident open (flapping stays one incident).
   */
  autoResolveQuietSeconds: z.number().int().min(0, 'must be >= 0').default(60),
  /**
   * Which alarms share one incident: `dedupKey` (one incident per alarm), `component` (every
   * alarm of a component, e.g. all `shared-disk` alarms) or `market` (every alarm that concerns
   * a market: one fault, one incident, whatever the number of servers that see it).
   */
  groupBy: z.enum(['dedupKey', 'component', 'market']).default('dedupKey'),
  /** A critical alarm on a critical component declares a halt of its market. */
  haltOnCritical: z.boolean().default(false),
  /**
   * Without `escalation`: an incident not acknowledged within this time pages the second stage
   * (`duty-manager`); the first (`on-call`) is paged when it opens.
   */
  ackTimeoutSeconds: seconds(300),
  /** Who is paged, and when, while an incident is unacknowledged. @default on-call at 0 s, duty-manager at `ackTimeoutSeconds` */
  escalation: escalation.optional(),
  /** The least severity at which a participant-facing component's incident is announced to participants. */
  announceSeverity: z.enum(SEVERITIES).default('critical'),
  /** How long an incident's record (timeline, notices, alarms) is kept after it was written, sent or resolved: 400 days outlive an annual audit. */
  retentionDays: z.number().int('must be a whole number of days').min(1, 'must be >= 1').max(3650, 'must be at most 3650').default(400),
  /** How long a node's heartbeat record is kept after its last heartbeat. */
  heartbeatRetentionDays: z.number().int('must be a whole number of days').min(1, 'must be >= 1').max(3650, 'must be at most 3650').default(7),
  /** The languages of participant notice texts and of the public status page, in order. */
  languages: z
    .array(z.enum(LANGUAGES))
    .min(1, 'at least one language')
    .refine((list) => new Set(list).size === list.length, 'must not name a language twice')
    .default(['en']),
  /** The longest a silence (maintenance window) may last, from its start to its end. */
  maxSilenceHours: z.number().positive('must be > 0').max(24 * 14, 'must be at most 336 (two weeks)').default(24),
  /** Order acceptance opens at least this long before trading resumes (TSE's 2021 rule). */
  resumeLeadMinutes: z.number().int().min(0, 'must be >= 0').default(15),
  /**
   * The readiness quorum `schedule-resume` needs (the market's latest readiness poll must meet
   * every threshold, or the command carries an `override`). Absent: no gate.
   */
  resumeQuorum: resumeQuorum.optional(),
});

export const configSchema = z
  .strictObject({
    markets: z.array(market).min(1, 'at least one market').default([{ id: 'equities', segments: [], timeZone: 'UTC' }]),
    components: z.array(component).default([]),
    groups: z.array(group).default([]),
    /** Monitors that may post to the monitor URL with a bearer token (Alertmanager, PagerDuty-style tools, scripts). */
    monitors: z.array(monitor).default([]),
    /** Trading participants: who is asked in a readiness poll, and what each one's answer weighs. */
    participants: z.array(participant).max(MAX_PARTICIPANTS, `at most ${MAX_PARTICIPANTS} participants`).default([]),
    policy: policy.prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const problem of crossFieldProblems(config)) {
      ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    }
  });

/** The escalation stages in force: the configured ones, or on-call at 0 s and duty-manager at `ackTimeoutSeconds`. */
export function escalationOf(policy: PolicyConfig): { readonly stages: ReadonlyArray<{ readonly name: string; readonly afterSeconds: number }>; readonly repeatEverySeconds: number } {
  return (
    policy.escalation ?? {
      stages: [
        { name: 'on-call', afterSeconds: 0 },
        { name: 'duty-manager', afterSeconds: policy.ackTimeoutSeconds },
      ],
      repeatEverySeconds: 0,
    }
  );
}

/** The configuration as written (every field optional). */
export type TocsinConfigInput = z.input<typeof configSchema>;
/** The configuration with every default applied. */
export type TocsinConfig = z.output<typeof configSchema>;
export type MarketConfig = TocsinConfig['markets'][number];
export type ComponentConfig = TocsinConfig['components'][number];
export type GroupConfig = TocsinConfig['groups'][number];
export type PolicyConfig = TocsinConfig['policy'];
export type MonitorConfig = TocsinConfig['monitors'][number];
export type ParticipantConfig = TocsinConfig['participants'][number];
export type ResumeQuorum = NonNullable<PolicyConfig['resumeQuorum']>;

/** Whether `zone` is a time zone this runtime knows (IANA names, `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validates a configuration and applies its defaults.
 *
 * @throws ConfigError naming every wrong field, e.g.
 *   `invalid configuration: groups[0].leaseDurationSeconds: must be more than 3 × heartbeatSeconds (6), got 5`
 * @example
 * const config = parseConfig({ groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }] });
 * config.groups[0].leaseDurationSeconds; // 10
 */
export function parseConfig(input: unknown): TocsinConfig {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) throw new ConfigError(toFieldProblems(result.error));
  return result.data;
}

/** Parses configuration JSON text (an environment variable or a file). */
export function parseConfigJson(text: string | undefined): TocsinConfig {
  if (text === undefined || text.trim() === '') return parseConfig({});
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (cause) {
    const problem: FieldProblem = { field: '', problem: `not valid JSON (${(cause as Error).message})` };
    throw new ConfigError([problem], { cause });
  }
  return parseConfig(input);
}

interface Problem {
  path: (string | number)[];
  message: string;
}

function crossFieldProblems(config: TocsinConfig): Problem[] {
  const problems: Problem[] = [];
  const duplicates = (kind: 'markets' | 'components' | 'groups' | 'monitors' | 'participants', ids: string[]) => {
    ids.forEach((value, index) => {
      if (ids.indexOf(value) !== index) problems.push({ path: [kind, index, 'id'], message: `duplicate id "${value}"` });
    });
  };
  duplicates('markets', config.markets.map((m) => m.id));
  duplicates('components', config.components.map((c) => c.id));
  duplicates('groups', config.groups.map((g) => g.id));
  duplicates('monitors', config.monitors.map((m) => m.id));
  // One token, one monitor: otherwise which monitor a request came from would be a guess.
  const digests = config.monitors.map((m) => m.tokenSha256);
  digests.forEach((digest, index) => {
    const first = digests.indexOf(digest);
    if (first !== index) problems.push({ path: ['monitors', index, 'tokenSha256'], message: `the same token as monitors[${first}] ("${config.monitors[first]!.id}"); give each monitor a token of its own` });
  });
  duplicates('participants', config.participants.map((p) => p.id));

  const marketIds = new Set(config.markets.map((m) => m.id));
  config.components.forEach((c, index) => {
    if (c.market !== undefined && !marketIds.has(c.market)) {
      problems.push({
        path: ['components', index, 'market'],
        message: `unknown market "${c.market}" (known: ${[...marketIds].join(', ')})`,
      });
    }
  });

  config.groups.forEach((g, index) => {
    const seen = new Set<string>();
    g.nodes.forEach((node, n) => {
      if (seen.has(node)) problems.push({ path: ['groups', index, 'nodes', n], message: `duplicate node "${node}"` });
      seen.add(node);
    });
    // A lease must survive a couple of lost heartbeats and outlast one check interval, or a
    // healthy primary is deposed by jitter alone.
    if (g.leaseDurationSeconds <= 3 * g.heartbeatSeconds) {
      problems.push({
        path: ['groups', index, 'leaseDurationSeconds'],
        message: `must be more than 3 × heartbeatSeconds (${3 * g.heartbeatSeconds}), got ${g.leaseDurationSeconds}`,
      });
    }
    if (g.drillEveryHours > 0 && !g.drills) {
      problems.push({ path: ['groups', index, 'drillEveryHours'], message: `needs drills: true (a scheduled drill really promotes the standby), got drills: false` });
    }
    if (g.leaseDurationSeconds <= g.checkIntervalSeconds) {
      problems.push({
        path: ['groups', index, 'leaseDurationSeconds'],
        message: `must be more than checkIntervalSeconds (${g.checkIntervalSeconds}), got ${g.leaseDurationSeconds}`,
      });
    }
  });
  problems.push(...participantProblems(config));
  return problems;
}

const units = (share: number) => Math.round(share * SHARE_UNITS);
const percent = (u: number) => `${+(u / (SHARE_UNITS / 100)).toFixed(4)} %`;

/**
 * Shares that cannot add up (more than the whole market), accounts answering for two
 * participants, and a quorum the configured participants could never meet.
 */
function participantProblems(config: TocsinConfig): Problem[] {
  const problems: Problem[] = [];
  const { participants } = config;
  const accounts = new Map<string, string>();
  participants.forEach((p, index) => {
    if (p.accountId === undefined) return;
    const other = accounts.get(p.accountId);
    // One account per participant: an account's answer must say whose it is.
    if (other !== undefined) problems.push({ path: ['participants', index, 'accountId'], message: `account ${p.accountId} is already participant "${other}"'s; each participant answers from an account of its own` });
    else accounts.set(p.accountId, p.id);
  });
  const total = (of: (p: ParticipantConfig) => number) => participants.reduce((sum, p) => sum + units(of(p)), 0);
  const value = total((p) => p.tradingValueShare);
  const retailValue = total((p) => p.retailValueShare);
  const most = units(1 + SHARE_SUM_TOLERANCE);
  if (value > most) {
    problems.push({ path: ['participants'], message: `tradingValueShare adds up to ${percent(value)} of the market; shares must add up to at most 100 % (100.1 % with rounding)` });
  }
  if (retailValue > most) {
    problems.push({ path: ['participants'], message: `retailValueShare adds up to ${percent(retailValue)} of retail trading value; shares must add up to at most 100 % (100.1 % with rounding)` });
  }
  const quorum = config.policy.resumeQuorum;
  if (quorum) {
    const path = (field: string) => ['policy', 'resumeQuorum', field];
    if (units(quorum.valueShare) > value) {
      problems.push({ path: path('valueShare'), message: `${percent(units(quorum.valueShare))} can never be met: the configured participants hold ${percent(value)} of trading value in all` });
    }
    if (units(quorum.retailValueShare) > retailValue) {
      problems.push({ path: path('retailValueShare'), message: `${percent(units(quorum.retailValueShare))} can never be met: the configured participants hold ${percent(retailValue)} of retail trading value in all` });
    }
    const retailBrokers = participants.filter((p) => p.retail).length;
    if (quorum.retailParticipants > retailBrokers) {
      problems.push({ path: path('retailParticipants'), message: `${quorum.retailParticipants} can never be met: ${retailBrokers} configured participant(s) are retail brokers (retail: true)` });
    }
  }
  return problems;
}
