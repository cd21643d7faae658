import type { Command } from 'commander';
import { callTocsin } from '../http';
import type { CommandContext } from '../io';
import type { CliCommandModule } from '../program';
import { cell, table } from '../table';
import { addTargetOptions, resolveTarget, type TargetOptions } from '../target';
import { describeMarket, type MarketView } from './operate';

/**
 * The read commands: `status`, `incidents`, `timeline`. Each GETs the target's `statusUrl` with
 * `accept: application/json` (signed for a stack, unsigned locally) and prints a table, or the
 * reply as JSON with `--json`.
 */

/** `GET /` on the status URL. */
export interface StatusReply {
  readonly markets: readonly MarketView[];
  readonly incidents: ReadonlyArray<IncidentSummary>;
  readonly groups: ReadonlyArray<{ readonly group: string; readonly holder?: string; readonly epoch?: number; readonly drillUntil?: string }>;
  readonly silences?: ReadonlyArray<SilenceView>;
  readonly generatedAt?: string;
}

/** A silence in force or scheduled, as the status view lists it. */
export interface SilenceView {
  readonly silenceId: string;
  readonly matchers: Readonly<Record<string, string>>;
  readonly from: string;
  readonly until: string;
  readonly inForce: boolean;
  readonly note: string;
  readonly createdBy: string;
}

export interface IncidentSummary {
  readonly incidentId: string;
  readonly status: string;
  readonly severity?: string;
  readonly market?: string;
  readonly summary?: string;
  readonly openedAt?: string;
}

/** `GET /incidents/<id>` on the status URL. */
export interface TimelineReply {
  readonly incident: IncidentSummary & Record<string, unknown>;
  readonly timeline: ReadonlyArray<{ readonly sequence: number; readonly at: string; readonly kind: string; readonly actor?: string; readonly text?: string }>;
  readonly notices: ReadonlyArray<{
    readonly noticeId: string;
    readonly sequence: number;
    readonly type: string;
    readonly status?: string;
    readonly issuedAt?: string;
    readonly summary?: string;
  }>;
}

interface ReadOptions extends TargetOptions {
  readonly json?: boolean;
  readonly all?: boolean;
}

function readCommand(parent: Command, name: string, summary: string, description: string, examples: readonly string[]): Command {
  const command = parent.command(name).summary(summary).description(description).option('--json', 'print the reply as JSON');
  return addTargetOptions(command, 'StatusUrl').addHelpText('after', ['', 'Examples:', ...examples.map((e) => `  $ ${e}`)].join('\n'));
}

async function getStatus(options: ReadOptions, ctx: CommandContext): Promise<StatusReply> {
  const target = await resolveTarget(options, ctx);
  const { body } = await callTocsin<StatusReply>(target, { output: 'statusUrl', method: 'GET', path: '/' }, ctx);
  return { ...body, markets: body.markets ?? [], incidents: body.incidents ?? [], groups: body.groups ?? [] };
}

const status: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'status', 'show market states and failover groups', "Show each market's trading state and each failover group's lease holder.", [
      'tocsin status',
      'tocsin status --local serve.json --json',
    ]).action(async (options: ReadOptions) => {
      const reply = await getStatus(options, ctx);
      if (options.json) {
        ctx.out(JSON.stringify({ markets: reply.markets, groups: reply.groups, generatedAt: reply.generatedAt }));
        return;
      }
      const lines = reply.markets.length
        ? table(
            ['MARKET', 'STATUS', 'SEGMENTS', 'INCIDENT', 'DETAIL'],
            reply.markets.map((m) => [m.market, m.status, m.segments?.length ? m.segments.join(',') : 'all', cell(m.incidentId), marketDetail(m)]),
          )
        : ['no markets'];
      lines.push('');
      lines.push(
        ...(reply.groups.length
          ? table(
              ['GROUP', 'HOLDER', 'EPOCH', 'DRILL UNTIL'],
              reply.groups.map((g) => [g.group, cell(g.holder), cell(g.epoch), cell(g.drillUntil)]),
            )
          : ['no failover groups']),
      );
      if (reply.generatedAt) lines.push('', `as of ${reply.generatedAt}`);
      for (const line of lines) ctx.out(line);
    }),
};

/** What the status table's last column says about a market. */
function marketDetail(market: MarketView): string {
  return describeMarket(market)
    .replace(/^market \S+ \S+( \([^)]*\))?/, '')
    .replace(/^,?\s*/, '') || '-';
}

const incidents: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'incidents', 'list open incidents', 'List the open (and acknowledged) incidents.', ['tocsin incidents', 'tocsin incidents --json'])
      .option('--all', 'include resolved incidents the status page still lists')
      .action(async (options: ReadOptions) => {
        const reply = await getStatus(options, ctx);
        const shown = options.all ? reply.incidents : reply.incidents.filter((i) => i.status !== 'resolved');
        if (options.json) {
          ctx.out(JSON.stringify({ incidents: shown, generatedAt: reply.generatedAt }));
          return;
        }
        if (shown.length === 0) {
          ctx.out(options.all ? 'no incidents' : 'no open incidents');
          return;
        }
        const rows = shown.map((i) => [i.incidentId, i.status, cell(i.severity), cell(i.market), cell(i.openedAt), cell(i.summary)]);
        for (const line of table(['INCIDENT', 'STATUS', 'SEVERITY', 'MARKET', 'OPENED', 'SUMMARY'], rows)) ctx.out(line);
      }),
};

const timeline: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'timeline', "show an incident's timeline and notices", "Show an incident, its timeline entries and the notices it issued, in order.", [
      'tocsin timeline INC-1',
      'tocsin timeline INC-1 --json',
    ])
      .argument('<incidentId>', 'the incident')
      .action(async (incidentId: string, options: ReadOptions) => {
        const target = await resolveTarget(options, ctx);
        const { body } = await callTocsin<TimelineReply>(
          target,
          { output: 'statusUrl', method: 'GET', path: `/incidents/${encodeURIComponent(incidentId)}` },
          ctx,
        );
        if (options.json) {
          ctx.out(JSON.stringify(body));
          return;
        }
        const i = body.incident;
        ctx.out(`${i.incidentId} ${i.status} ${cell(i.severity)} ${cell(i.market)}, opened ${cell(i.openedAt)}: ${cell(i.summary)}`);
        ctx.out('');
        const entries = [...(body.timeline ?? [])].sort((a, b) => a.sequence - b.sequence);
        const lines = entries.length
          ? table(['SEQ', 'AT', 'KIND', 'ACTOR', 'TEXT'], entries.map((e) => [String(e.sequence), e.at, e.kind, cell(e.actor), cell(e.text)]))
          : ['no timeline entries'];
        lines.push('');
        const notices = [...(body.notices ?? [])].sort((a, b) => a.sequence - b.sequence);
        lines.push(
          ...(notices.length
            ? table(
                ['SEQ', 'NOTICE', 'TYPE', 'STATUS', 'ISSUED', 'SUMMARY'],
                notices.map((n) => [String(n.sequence), n.noticeId, n.type, cell(n.status), cell(n.issuedAt), cell(n.summary)]),
              )
            : ['no notices']),
        );
        for (const line of lines) ctx.out(line);
      }),
};

/** In the order `tocsin --help` lists them. */
const silences: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'silences', 'list silences in force or scheduled', 'List the silences (maintenance windows) in force or scheduled, soonest end first.', [
      'tocsin silences',
      'tocsin silences --json',
    ]).action(async (options: ReadOptions) => {
      const reply = await getStatus(options, ctx);
      const list = reply.silences ?? [];
      if (options.json) {
        ctx.out(JSON.stringify({ silences: list, generatedAt: reply.generatedAt }));
        return;
      }
      if (list.length === 0) {
        ctx.out('no silences');
        return;
      }
      const rows = list.map((x) => [
        x.silenceId,
        x.inForce ? 'in force' : 'scheduled',
        Object.entries(x.matchers).map(([k, v]) => `${k}=${v}`).join(' '),
        x.from,
        x.until,
        cell(x.createdBy),
        cell(x.note),
      ]);
      for (const line of table(['SILENCE', 'STATE', 'MATCHES', 'FROM', 'UNTIL', 'BY', 'NOTE'], rows)) ctx.out(line);
    }),
};

export const READ_COMMANDS: readonly CliCommandModule[] = [status, incidents, timeline, silences];
