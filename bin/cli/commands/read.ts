import type { Command } from 'commander';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../../lambda/core/incident-list';
import type { IncidentListView, IncidentSummaryView, IncidentView, StatusOverview } from '../../../lambda/views/operator-views';
import { OptionError } from '../errors';
import { callTocsin } from '../http';
import type { CommandContext } from '../io';
import { at, marketFacts, timeColumn, zoneOf } from '../market-time';
import type { CliCommandModule } from '../program';
import { cell, table } from '../table';
import { addTargetOptions, DEFAULT_STACK, resolveTarget, type TargetOptions } from '../target';

/**
 * The read commands: `status`, `incidents`, `timeline`, `silences`. Each GETs the target's
 * `statusUrl` (`/`, `/incidents` for `incidents --all`, `/incidents/<id>`) with
 * `accept: application/json` (signed for a stack, unsigned locally) and prints a
 * table — times in each market's time zone, the zone named — or the reply (the typed views of
 * lambda/views/operator-views.ts, ISO instants) as JSON with `--json`.
 */

interface ReadOptions extends TargetOptions {
  readonly json?: boolean;
  readonly all?: boolean;
  readonly limit?: string;
  readonly next?: string;
}

function readCommand(parent: Command, name: string, summary: string, description: string, examples: readonly string[]): Command {
  const command = parent.command(name).summary(summary).description(description).option('--json', 'print the reply as JSON');
  return addTargetOptions(command, 'StatusUrl').addHelpText('after', ['', 'Examples:', ...examples.map((e) => `  $ ${e}`)].join('\n'));
}

/** `GET /`, every list present (a Tocsin older than silences sends none). */
async function getStatus(options: ReadOptions, ctx: CommandContext): Promise<Partial<StatusOverview> & Omit<StatusOverview, 'generatedAt'>> {
  const target = await resolveTarget(options, ctx);
  const { body } = await callTocsin<Partial<StatusOverview>>(target, { output: 'statusUrl', method: 'GET', path: '/' }, ctx);
  return { ...body, markets: body.markets ?? [], incidents: body.incidents ?? [], groups: body.groups ?? [], silences: body.silences ?? [] };
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
            reply.markets.map((m) => [m.market, m.status, m.segments.length ? m.segments.join(',') : 'all', cell(m.incidentId), marketDetail(m)]),
          )
        : ['no markets'];
      lines.push('');
      const drills = timeColumn('DRILL UNTIL', reply.groups.map((g) => ({ instant: g.drillUntil, timeZone: zoneOf(g) })));
      lines.push(
        ...(reply.groups.length
          ? table(
              ['GROUP', 'HOLDER', 'EPOCH', drills.heading],
              reply.groups.map((g, row) => [g.group, cell(g.holder), cell(g.epoch), drills.cells[row]!]),
            )
          : ['no failover groups']),
      );
      // The reply's own time on the first market's clock, the zone the others fall back to.
      if (reply.generatedAt) lines.push('', `as of ${at(reply.generatedAt, zoneOf(reply.markets[0] ?? {}))}`);
      for (const line of lines) ctx.out(line);
    }),
};

/** What the status table's last column says about a market: `since …, resumes at …, orders from …`. */
function marketDetail(market: StatusOverview['markets'][number]): string {
  const { since, then } = marketFacts(market);
  return [...(since ? [since] : []), ...then].join(', ') || '-';
}

const incidents: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(
      parent,
      'incidents',
      'list open incidents (--all: every incident, newest first, paged)',
      'List the open (and acknowledged) incidents, oldest first; with --all, every incident the table holds, resolved ones too, newest first, a page at a time.',
      ['tocsin incidents', 'tocsin incidents --json', 'tocsin incidents --all --limit 20', 'tocsin incidents --all --next <token printed by the previous page>'],
    )
      .option('--all', 'every incident, resolved ones too, newest first, a page at a time')
      .option('--limit <n>', `with --all: incidents a page, 1 to ${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})`)
      .option('--next <token>', 'with --all: the page after the one that printed this token')
      .action(async (options: ReadOptions) => {
        if (!options.all) {
          for (const option of ['limit', 'next'] as const) if (options[option] !== undefined) throw new OptionError(`--${option}`, 'pages only the list of every incident: add --all');
          const reply = await getStatus(options, ctx);
          const shown = reply.incidents.filter((i) => i.status !== 'resolved');
          if (options.json) ctx.out(JSON.stringify({ incidents: shown, generatedAt: reply.generatedAt }));
          else printIncidents(shown, 'no open incidents', ctx);
          return;
        }
        const limit = pageSize(options.limit);
        const query = new URLSearchParams({ limit: String(limit), ...(options.next !== undefined ? { next: options.next } : {}) });
        const target = await resolveTarget(options, ctx);
        const { body } = await callTocsin<IncidentListView>(target, { output: 'statusUrl', method: 'GET', path: `/incidents?${query}` }, ctx);
        if (options.json) {
          ctx.out(JSON.stringify(body));
          return;
        }
        printIncidents(body.incidents ?? [], options.next === undefined ? 'no incidents' : 'no more incidents', ctx, true);
        if (body.next !== undefined) ctx.out(`\nmore: tocsin incidents --all --limit ${limit} --next ${body.next}${targetArguments(options)}`);
      }),
};

/** `--limit`: a whole number 1 … MAX_PAGE_SIZE (the server's bounds), else a usage error before any request. */
function pageSize(limit: string | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  const n = /^\d{1,4}$/.test(limit) ? Number(limit) : NaN;
  if (!(n >= 1 && n <= MAX_PAGE_SIZE)) throw new OptionError('--limit', `expected a whole number from 1 to ${MAX_PAGE_SIZE}, got "${limit}"`);
  return n;
}

/** The incidents as a table in their markets' time (with when each was resolved, for the list of every incident). */
function printIncidents(shown: readonly IncidentSummaryView[], none: string, ctx: CommandContext, withResolved = false): void {
  if (shown.length === 0) {
    ctx.out(none);
    return;
  }
  const opened = timeColumn('OPENED', shown.map((i) => ({ instant: i.openedAt, timeZone: zoneOf(i) })));
  const resolved = timeColumn('RESOLVED', shown.map((i) => ({ instant: i.resolvedAt, timeZone: zoneOf(i) })));
  const rows = shown.map((i, row) => [
    i.incidentId,
    i.status,
    cell(i.severity),
    cell(i.market),
    opened.cells[row]!,
    ...(withResolved ? [resolved.cells[row]!] : []),
    cell(i.summary),
  ]);
  const headings = ['INCIDENT', 'STATUS', 'SEVERITY', 'MARKET', opened.heading, ...(withResolved ? [resolved.heading] : []), 'SUMMARY'];
  for (const line of table(headings, rows)) ctx.out(line);
}

const timeline: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'timeline', "show an incident's timeline and notices", "Show an incident, its timeline entries and the notices it issued, in order.", [
      'tocsin timeline INC-1',
      'tocsin timeline INC-1 --json',
    ])
      .argument('<incidentId>', 'the incident')
      .action(async (incidentId: string, options: ReadOptions) => {
        const target = await resolveTarget(options, ctx);
        const { body } = await callTocsin<IncidentView>(
          target,
          { output: 'statusUrl', method: 'GET', path: `/incidents/${encodeURIComponent(incidentId)}` },
          ctx,
        );
        if (options.json) {
          ctx.out(JSON.stringify(body));
          return;
        }
        const i = body.incident;
        // Every time of the incident (its entries, its notices) on its market's clock.
        const zone = zoneOf(i);
        ctx.out(`${i.incidentId} ${i.status} ${cell(i.severity)} ${cell(i.market)}, opened ${at(i.openedAt, zone)}: ${cell(i.summary)}`);
        ctx.out('');
        const entries = [...(body.timeline ?? [])].sort((a, b) => a.sequence - b.sequence);
        const entryTimes = timeColumn('AT', entries.map((e) => ({ instant: e.at, timeZone: zone })));
        const lines = entries.length
          ? table(['SEQ', entryTimes.heading, 'KIND', 'ACTOR', 'TEXT'], entries.map((e, row) => [String(e.sequence), entryTimes.cells[row]!, e.kind, cell(e.actor), cell(e.text)]))
          : ['no timeline entries'];
        lines.push('');
        const notices = [...(body.notices ?? [])].sort((a, b) => a.sequence - b.sequence);
        const issued = timeColumn('ISSUED', notices.map((n) => ({ instant: n.issuedAt, timeZone: zone })));
        lines.push(
          ...(notices.length
            ? table(
                ['SEQ', 'NOTICE', 'TYPE', 'STATUS', issued.heading, 'SUMMARY'],
                notices.map((n, row) => [String(n.sequence), n.noticeId, n.type, cell(n.status), issued.cells[row]!, cell(n.summary)]),
              )
            : ['no notices']),
        );
        for (const line of lines) ctx.out(line);
      }),
};

const silences: CliCommandModule = {
  register: (parent, ctx) =>
    readCommand(parent, 'silences', 'list silences in force or scheduled', 'List the silences (maintenance windows) in force or scheduled, soonest end first.', [
      'tocsin silences',
      'tocsin silences --json',
    ]).action(async (options: ReadOptions) => {
      const reply = await getStatus(options, ctx);
      const list = reply.silences;
      if (options.json) {
        ctx.out(JSON.stringify({ silences: list, generatedAt: reply.generatedAt }));
        return;
      }
      if (list.length === 0) {
        ctx.out('no silences');
        return;
      }
      const from = timeColumn('FROM', list.map((x) => ({ instant: x.from, timeZone: zoneOf(x) })));
      const until = timeColumn('UNTIL', list.map((x) => ({ instant: x.until, timeZone: zoneOf(x) })));
      const rows = list.map((x, row) => [
        x.silenceId,
        x.inForce ? 'in force' : 'scheduled',
        Object.entries(x.matchers).map(([k, v]) => `${k}=${v}`).join(' '),
        from.cells[row]!,
        until.cells[row]!,
        cell(x.createdBy),
        cell(x.note),
      ]);
      for (const line of table(['SILENCE', 'STATE', 'MATCHES', from.heading, until.heading, 'BY', 'NOTE'], rows)) ctx.out(line);
    }),
};

/** In the order `tocsin --help` lists them. */
export const READ_COMMANDS: readonly CliCommandModule[] = [status, incidents, timeline, silences];

/** The target options as given, for a command to type again: ` --local serve.json`, ` --stack Tocsin --region ap-northeast-1`. */
function targetArguments(options: TargetOptions): string {
  const quoted = (value: string) => (/^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`);
  return [
    options.local === true ? ' --local' : options.local !== undefined ? ` --local ${quoted(options.local)}` : '',
    // --stack is the default's unless named (--local wins over it).
    options.local === undefined && options.stack !== undefined && options.stack !== DEFAULT_STACK ? ` --stack ${quoted(options.stack)}` : '',
    options.local === undefined && options.region !== undefined ? ` --region ${quoted(options.region)}` : '',
  ].join('');
}
