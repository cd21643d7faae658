import type { Command } from 'commander';
import type { IncidentView, StatusOverview } from '../../../lambda/views/operator-views';
import { callTocsin } from '../http';
import type { CommandContext } from '../io';
import { at, marketFacts, timeColumn, zoneOf } from '../market-time';
import type { CliCommandModule } from '../program';
import { cell, table } from '../table';
import { addTargetOptions, resolveTarget, type TargetOptions } from '../target';

/**
 * The read commands: `status`, `incidents`, `timeline`, `silences`. Each GETs the target's
 * `statusUrl` with `accept: application/json` (signed for a stack, unsigned locally) and prints a
 * table — times in each market's time zone, the zone named — or the reply (the typed views of
 * lambda/views/operator-views.ts, ISO instants) as JSON with `--json`.
 */

interface ReadOptions extends TargetOptions {
  readonly json?: boolean;
  readonly all?: boolean;
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
        const opened = timeColumn('OPENED', shown.map((i) => ({ instant: i.openedAt, timeZone: zoneOf(i) })));
        const rows = shown.map((i, row) => [i.incidentId, i.status, cell(i.severity), cell(i.market), opened.cells[row]!, cell(i.summary)]);
        for (const line of table(['INCIDENT', 'STATUS', 'SEVERITY', 'MARKET', opened.heading, 'SUMMARY'], rows)) ctx.out(line);
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
