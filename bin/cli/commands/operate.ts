import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { percent } from '../../../lambda/core/quorum';
import type { OperateReply, QuorumDetailView } from '../../../lambda/views/operator-views';
import { confirm, confirmationFacts, type ConfirmationFacts } from '../confirm';
import { callTocsin, TocsinTimeoutError } from '../http';
import type { CommandContext } from '../io';
import { OptionError } from '../errors';
import { commaList } from '../options';
import { describeLease, describeMarket } from '../market-time';
import type { CliCommandModule } from '../program';
import { addTargetOptions, resolveTarget, type TargetOptions } from '../target';

/**
 * The operator commands (shared/DESIGN.md, "Operator command"): each POSTs one JSON command to the
 * target's `operateUrl` — signed with the caller's AWS credentials for a stack, unsigned for local
 * serve mode — and prints a one-line summary of the reply (its times in the market's time zone,
 * the zone named), or the reply itself with `--json`.
 *
 * `declare-halt`, `resume`, `failover` and `drill` change trading: at a terminal they say exactly
 * what would happen and ask y/N; off a terminal they need `--yes` (`confirm.ts`).
 *
 * @example
 *   tocsin declare-halt --market equities --note "shared disk failure" --as ops-1
 *   tocsin schedule-resume --at 2020-10-02T09:00:00+09:00 --market equities
 *   tocsin failover --group shared-disk --to unit-2 --local serve.json
 */

interface CommonOptions extends TargetOptions {
  readonly as?: string;
  readonly json?: boolean;
  readonly note?: string;
  readonly notesJa?: string;
  readonly market?: string;
  readonly segments?: string[];
  readonly incident?: string;
  readonly at?: string;
  readonly group?: string;
  readonly to?: string;
  readonly component?: string;
  readonly prefix?: string;
  readonly from?: string;
  readonly until?: string;
  readonly for?: string;
  readonly respondBy?: string;
  readonly override?: string;
  readonly yes?: boolean;
  readonly requestId?: string;
}

/** The JSON body, without the fields left out (the server refuses fields a command does not take). */
type Body = Record<string, unknown>;

interface OperatorCommandSpec {
  readonly name: string;
  readonly summary: string;
  /** Positional `<incidentId>`. */
  readonly incidentArgument?: boolean;
  /** Another positional argument, sent as this field. */
  readonly argument?: { readonly name: string; readonly field: string; readonly description: string };
  readonly options: (command: Command) => Command;
  readonly body: (options: CommonOptions) => Body;
  readonly examples: readonly string[];
  /**
   * For a command that changes trading: what it would do, as a verb phrase (`halt trading on ALL
   * of market equities (segments: all)`). The command then takes `--yes` and asks without it.
   */
  readonly consequence?: (options: CommonOptions, facts: ConfirmationFacts) => Promise<string>;
}

const note = (command: Command) => command.option('--note <text>', 'a note for the timeline (and the notice)');
const market = (command: Command) => command.option('--market <id>', 'the market (needed when more than one is configured)');
/** `--notes-ja`: the participants' Japanese text beside the (English) note. */
const notesJa = (command: Command) => command.option('--notes-ja <text>', 'the same note in Japanese, for participants reading Japanese (policy.languages)');
const notes = (o: CommonOptions) => (o.notesJa === undefined ? undefined : { ja: o.notesJa });

const SPECS: readonly OperatorCommandSpec[] = [
  {
    name: 'ack',
    summary: 'acknowledge an incident',
    incidentArgument: true,
    options: note,
    body: (o) => ({ note: o.note }),
    examples: ['tocsin ack INC-1 --note "looking at the shared disk"'],
  },
  {
    name: 'resolve',
    summary: 'resolve an incident',
    incidentArgument: true,
    options: (c) => notesJa(note(c)),
    body: (o) => ({ note: o.note, notes: notes(o) }),
    examples: ['tocsin resolve INC-1 --note "disk replaced"'],
  },
  {
    name: 'annotate',
    summary: "add a note to an incident's timeline",
    incidentArgument: true,
    options: (c) => c.requiredOption('--note <text>', 'the note'),
    body: (o) => ({ note: o.note }),
    examples: ['tocsin annotate INC-1 --note "vendor engineer on site"'],
  },
  {
    name: 'announce',
    summary: 'tell participants of an incident (the first time), or send them a numbered update',
    incidentArgument: true,
    options: (c) => notesJa(c.requiredOption('--note <text>', 'what participants read')),
    body: (o) => ({ note: o.note, notes: notes(o) }),
    examples: [
      'tocsin announce INC-1 --note "A hardware failure affects equities trading. Next update by 07:30."',
      'tocsin announce INC-1 --note "Cause found." --notes-ja "原因を特定しました。"',
    ],
  },
  {
    name: 'declare-halt',
    summary: 'halt trading (the whole market, or some segments)',
    options: (c) =>
      notesJa(note(market(c)))
        .option('--segments <list>', 'halt only these segments (comma-separated); default: the whole market', commaList)
        .option('--incident <id>', 'the open incident the halt is for; default: open a new one'),
    body: (o) => ({ incidentId: o.incident, market: o.market, segments: o.segments, note: o.note, notes: notes(o) }),
    examples: [
      'tocsin declare-halt --market equities --note "shared disk failure"',
      'tocsin declare-halt --segments prime,growth --incident INC-1',
      'tocsin declare-halt --market equities --yes --json   # from a script: no prompt',
    ],
    consequence: async (o, facts) => {
      const market = await marketLabel(o, facts);
      const scope = o.segments?.length ? `segments ${o.segments.join(', ')} of ${market}` : `ALL of ${market} (segments: all)`;
      return `halt trading on ${scope}${o.incident ? ` for incident ${o.incident}` : ''}`;
    },
  },
  {
    name: 'poll-readiness',
    summary: 'ask every participant whether it can take part in the resumption of a halted market',
    options: (c) => note(market(c)).option('--respond-by <iso>', 'answers are taken until then, ISO-8601 with Z or an offset; default: 30 minutes from now'),
    body: (o) => ({ market: o.market, respondBy: o.respondBy, note: o.note }),
    examples: ['tocsin poll-readiness --market equities --respond-by 2020-10-01T12:20:00+09:00 --note "Afternoon session planned at 12:30."'],
  },
  {
    name: 'schedule-resume',
    summary: 'schedule the resumption of a halted market (with a quorum configured, the latest readiness poll must meet it)',
    options: (c) =>
      notesJa(note(market(c)))
        .requiredOption('--at <iso>', 'when trading resumes, ISO-8601 with Z or an offset (e.g. 2020-10-02T09:00:00+09:00)')
        .option('--override <reason>', 'schedule without the readiness quorum; the reason is recorded and announced to participants'),
    body: (o) => ({ market: o.market, effectiveAt: o.at, note: o.note, notes: notes(o), override: o.override }),
    examples: ['tocsin schedule-resume --at 2020-10-02T09:00:00+09:00 --market equities', 'tocsin schedule-resume --at 2020-10-02T09:00:00+09:00 --override "next trading day, normal opening"'],
  },
  {
    name: 'resume',
    summary: 'resume trading now',
    options: (c) => notesJa(note(market(c))),
    body: (o) => ({ market: o.market, note: o.note, notes: notes(o) }),
    examples: ['tocsin resume --market equities', 'tocsin resume --market equities --yes'],
    consequence: async (o, facts) => {
      const market = await marketLabel(o, facts);
      const id = o.market ?? (await facts.overview())?.markets[0]?.market;
      const state = id === undefined ? undefined : (await facts.overview())?.markets.find((m) => m.market === id);
      const now = state ? ` (now ${state.status}, ${state.segments.length ? `segments ${state.segments.join(', ')}` : 'all segments'})` : '';
      return `resume trading now on ${market}${now}`;
    },
  },
  {
    name: 'failover',
    summary: 'move a group to a standby node now',
    options: (c) => note(c.requiredOption('--group <group>', 'the failover group').option('--to <node>', 'the node to promote; default: the freshest ready standby')),
    body: (o) => ({ group: o.group, to: o.to, note: o.note }),
    examples: ['tocsin failover --group shared-disk --to unit-2 --note "vendor swaps unit 1"'],
    consequence: async (o, facts) => {
      const lease = (await facts.overview())?.groups.find((g) => g.group === o.group);
      const from = lease ? ` from ${lease.holder} (epoch ${lease.epoch}, which is fenced)` : '';
      return `fail over group ${o.group}${from} to ${o.to ? `node ${o.to}` : 'the freshest ready standby'} now`;
    },
  },
  {
    name: 'silence',
    summary: 'silence matching alarms for a maintenance window: recorded, nobody paged, nothing announced',
    options: (c) =>
      c
        .option('--component <id>', 'alarms of this component')
        .option('--market <id>', 'alarms concerning this market')
        .option('--prefix <dedupKeyPrefix>', 'alarms whose dedup key starts with this (e.g. a CloudWatch alarm ARN up to a name prefix)')
        .option('--from <iso>', 'when the window starts, ISO-8601 with Z or an offset; default: now')
        .option('--until <iso>', 'when it ends, ISO-8601 with Z or an offset')
        .option('--for <duration>', 'or how long it lasts from its start, e.g. 90m, 2h, 1h30m')
        .requiredOption('--note <text>', 'why (shown in the status view and on the timeline)'),
    body: (o) => ({ matchers: { component: o.component, market: o.market, dedupKeyPrefix: o.prefix }, from: o.from, until: windowEnd(o), note: o.note }),
    examples: ['tocsin silence --component batch --for 2h --note "nightly batch patching"', 'tocsin silence --market equities --from 2020-10-03T22:00:00+09:00 --until 2020-10-04T02:00:00+09:00 --note "weekend maintenance"'],
  },
  {
    name: 'unsilence',
    summary: 'end a silence now: incidents it held page on-call if still firing',
    argument: { name: '<silenceId>', field: 'silenceId', description: 'the silence (tocsin silences lists them)' },
    options: note,
    body: (o) => ({ note: o.note }),
    examples: ['tocsin unsilence sil-20201001-070412-3fa9c1 --note "maintenance finished"'],
  },
  {
    name: 'drill',
    summary: "run a failover drill on a group",
    options: (c) => c.requiredOption('--group <group>', 'the failover group'),
    body: (o) => ({ group: o.group }),
    examples: ['tocsin drill --group shared-disk'],
    consequence: async (o, facts) => {
      const lease = (await facts.overview())?.groups.find((g) => g.group === o.group);
      const holder = lease ? `the holder ${lease.holder}'s` : "the holder's";
      return `run a failover drill on group ${o.group} now: ${holder} heartbeats stop counting and the promoter moves the lease to a ready standby`;
    },
  },
];

/** One command module per operator command, in the order `tocsin --help` lists them. */
export const OPERATOR_COMMANDS: readonly CliCommandModule[] = SPECS.map((spec) => ({
  register: (parent: Command, ctx: CommandContext) => registerSpec(parent, ctx, spec),
}));

function registerSpec(parent: Command, ctx: CommandContext, spec: OperatorCommandSpec): Command {
  let command = parent.command(spec.name).summary(spec.summary).description(`${capitalize(spec.summary)}: POSTs the operator command to Tocsin's operate URL.`);
  if (spec.incidentArgument) command = command.argument('<incidentId>', 'the incident');
  if (spec.argument) command = command.argument(spec.argument.name, spec.argument.description);
  command = spec
    .options(command)
    .option('--as <name>', 'the operator to record (locally the operator; in AWS shown after the IAM caller)')
    .option('--request-id <id>', 'apply the command at most once under this id (up to 64 characters): run again with the same id, it answers as the first time; default: a new id per run')
    .option('--json', 'print the reply as JSON');
  if (spec.consequence) command = command.option('--yes', 'do it without asking (needed when stdin or stdout is not a terminal)');
  addTargetOptions(command, 'OperateUrl').addHelpText('after', ['', 'Examples:', ...spec.examples.map((e) => `  $ ${e}`)].join('\n'));
  return command.action(async (...args: unknown[]) => {
    const positional = spec.incidentArgument || spec.argument ? (args[0] as string) : undefined;
    const options = (positional !== undefined ? args[1] : args[0]) as CommonOptions;
    const argument = positional === undefined ? {} : { [spec.argument?.field ?? 'incidentId']: positional };
    await operate(spec, { ...argument, ...spec.body(options), as: options.as }, options, ctx);
  });
}

async function operate(spec: OperatorCommandSpec, fields: Body, options: CommonOptions, ctx: CommandContext): Promise<void> {
  // One requestId per run, kept across the retries of this run: Tocsin applies the command once.
  const requestId = options.requestId ?? randomUUID();
  const body = withoutUndefined({ command: spec.name, ...fields, requestId });
  const target = await resolveTarget(options, ctx);
  if (spec.consequence && !options.yes) await confirm(spec.name, await spec.consequence(options, confirmationFacts(target, ctx)), ctx);
  const reply = await callTocsin<OperateReply>(target, { output: 'operateUrl', method: 'POST', path: '/', body, retry: true }, ctx).catch((error: unknown) => {
    // No answer in time: it may have been applied. The same id makes a second try safe.
    if (error instanceof TocsinTimeoutError) ctx.note(`requestId ${requestId}: to try again without applying it twice, add --request-id ${requestId}`);
    throw error;
  });
  ctx.out(options.json ? JSON.stringify(reply.body) : describeReply(reply.body));
}

/**
 * The market a market command would act on, in words: the one named, the incident's, or the only
 * one configured (as Tocsin picks it). Several configured and none named: the usage error Tocsin
 * would answer, before anything is asked or sent.
 */
async function marketLabel(o: CommonOptions, facts: ConfirmationFacts): Promise<string> {
  if (o.market) return `market ${o.market}`;
  const incidentMarket = o.incident ? (await facts.incident(o.incident))?.incident.market : undefined;
  if (incidentMarket) return `market ${incidentMarket}`;
  const markets = (await facts.overview())?.markets.map((m) => m.market);
  if (!markets) return "the only configured market (Tocsin's status could not be read to name it)";
  if (markets.length > 1) throw new OptionError('--market', `required when more than one market is configured (${markets.join(', ')})`);
  return markets.length ? `market ${markets[0]}` : 'the configured market';
}

/** `declare-halt: halted; incident INC-1; market equities halted (prime) since …; notices n-1 (halt #2)` */
export function describeReply(reply: OperateReply): string {
  const parts = [`${reply.command}: ${reply.action}`];
  if (reply.incidentId) parts.push(`incident ${reply.incidentId}`);
  if (reply.silenceId) parts.push(`silence ${reply.silenceId}`);
  if (reply.pollId) parts.push(`poll ${reply.pollId}`);
  if (reply.quorum) parts.push(describeQuorumView(reply.quorum));
  if (reply.market) parts.push(describeMarket(reply.market));
  if (reply.lease) parts.push(describeLease(reply.lease));
  const notices = reply.notices ?? [];
  parts.push(notices.length ? `notices ${notices.map((n) => `${n.noticeId} (${n.type} #${n.sequence})`).join(', ')}` : 'no notices');
  return parts.join('; ');
}

/** `quorum met: 55 % of value, 35 % of retail value, 2 retail brokers ready; not answered: broker-d` */
export function describeQuorumView(q: QuorumDetailView): string {
  const verdict = q.override !== undefined ? `quorum not met, overridden (${q.override})` : q.met ? 'quorum met' : 'quorum not met';
  const missing = q.missing.length ? `; not answered: ${q.missing.join(', ')}` : '';
  const notReady = q.notReady.length ? `; not ready: ${q.notReady.join(', ')}` : '';
  return `${verdict}: ${percent(q.valueShare)} of value, ${percent(q.retailValueShare)} of retail value, ${q.retailParticipants} retail broker${q.retailParticipants === 1 ? '' : 's'} ready${missing}${notReady}`;
}

/** The fields given, nested objects included (the server refuses a field it does not take, even when empty). */
function withoutUndefined(fields: Body): Body {
  const out: Body = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) ? withoutUndefined(value as Body) : value;
  }
  return out;
}

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?$/;

/** `--until`, or `--from` (default now) plus `--for`; exactly one of the two. */
export function windowEnd(options: Pick<CommonOptions, 'from' | 'until' | 'for'>, now = Date.now()): string {
  if ((options.until === undefined) === (options.for === undefined)) throw new OptionError('--until', 'give either --until <iso> or --for <duration> (e.g. 2h), not both or neither');
  if (options.until !== undefined) return options.until;
  const match = DURATION.exec(options.for!);
  if (!match || (!match[1] && !match[2])) throw new OptionError('--for', `expected a duration like 90m, 2h or 1h30m, got "${options.for}"`);
  const start = options.from === undefined ? now : Date.parse(options.from);
  if (Number.isNaN(start)) throw new OptionError('--from', `expected an ISO-8601 date-time with Z or an offset, got "${options.from}"`);
  return new Date(start + (Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0)) * 60_000).toISOString();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
