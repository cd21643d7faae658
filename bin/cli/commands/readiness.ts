import type { Command } from 'commander';
import { OptionError } from '../errors';
import { callTocsin } from '../http';
import type { CommandContext } from '../io';
import type { CliCommandModule } from '../program';
import { cell, table } from '../table';
import { addTargetOptions, resolveTarget, urlTarget, type TargetOptions } from '../target';
import { percent, type Tally } from '../../../lambda/core/quorum';
import type { MarketStatusView, PollPageView, PollView } from '../../../lambda/views/operator-views';
import { at, timeColumn, zoneOf } from '../market-time';
import { describeQuorumView } from './operate';

/**
 * The readiness poll from both sides (shared/DESIGN.md, "Resumption"):
 * - `tocsin poll [pollId]` (operators): the markets' latest polls with their tallies, or one poll
 *   with every participant's answer, from the status URL;
 * - `tocsin respond` (participants): an answer POSTed to the respond URL — signed with the
 *   participant's own AWS credentials (`--url` from the poll's notice, or `--stack`), unsigned to
 *   local serve mode (`--local`).
 */

interface PollOptions extends TargetOptions {
  readonly json?: boolean;
}

const poll: CliCommandModule = {
  register: (parent: Command, ctx: CommandContext) =>
    addTargetOptions(
      parent
        .command('poll')
        .summary("show readiness polls: each market's latest tally, or one poll's answers")
        .description(
          "Without a poll id: each market's latest readiness poll and its tally against the quorum. With one: every configured participant's answer. Reads the status URL.",
        )
        .argument('[pollId]', 'the poll (see the poll-readiness reply or the readiness-poll notice)')
        .option('--json', 'print the reply as JSON'),
      'StatusUrl',
    )
      .addHelpText('after', ['', 'Examples:', '  $ tocsin poll', '  $ tocsin poll poll-20201001-030000-4b1d2e --local serve.json'].join('\n'))
      .action(async (pollId: string | undefined, options: PollOptions) => {
        const target = await resolveTarget(options, ctx);
        if (pollId === undefined) {
          const { body } = await callTocsin<{ markets?: readonly MarketStatusView[] }>(target, { output: 'statusUrl', method: 'GET', path: '/' }, ctx);
          const polls = (body.markets ?? []).flatMap((m) => (m.poll ? [m.poll] : []));
          if (options.json) {
            ctx.out(JSON.stringify({ polls }));
            return;
          }
          if (polls.length === 0) {
            ctx.out('no readiness poll: no market is being resumed with one');
            return;
          }
          for (const line of pollTable(polls)) ctx.out(line);
          return;
        }
        const { body } = await callTocsin<PollPageView>(
          target,
          { output: 'statusUrl', method: 'GET', path: `/polls/${encodeURIComponent(pollId)}` },
          ctx,
        );
        if (options.json) {
          ctx.out(JSON.stringify(body));
          return;
        }
        const lines = pollTable([body.poll]);
        lines.push('');
        const zone = zoneOf(body.poll);
        const answered = timeColumn('AT', body.answers.map((a) => ({ instant: a.answeredAt, timeZone: zone })));
        lines.push(
          ...table(
            ['PARTICIPANT', 'NAME', 'VALUE', 'RETAIL', 'RETAIL VALUE', 'ANSWER', answered.heading, 'NOTE'],
            body.answers.map((a, i) => [a.participantId, cell(a.name), percent(a.tradingValueShare), a.retail ? 'yes' : 'no', percent(a.retailValueShare), a.answer, answered.cells[i]!, cell(a.note)]),
          ),
        );
        for (const line of lines) ctx.out(line);
      }),
};

function pollTable(polls: readonly PollView[]): string[] {
  return table(
    ['POLL', 'MARKET', 'STATUS', 'RESPOND BY', 'TALLY'],
    polls.map((p) => [p.pollId, p.market, p.closedReason ? `${p.status} (${p.closedReason})` : p.status, at(p.respondBy, zoneOf(p)), describeQuorumView(p.tally)]),
  );
}

interface RespondOptions extends TargetOptions {
  readonly poll: string;
  readonly participant: string;
  readonly ready?: boolean;
  readonly notReady?: boolean;
  readonly note?: string;
  readonly url?: string;
  readonly json?: boolean;
}

/** The respond URL's reply (lambda/handlers/respond.ts). */
interface RespondReply {
  readonly ok: true;
  readonly pollId: string;
  readonly participantId: string;
  readonly action: string;
  readonly tally: Tally;
}

const respond: CliCommandModule = {
  register: (parent: Command, ctx: CommandContext) =>
    addTargetOptions(
      parent
        .command('respond')
        .summary("answer a readiness poll for your firm (participants)")
        .description(
          "Answer a readiness poll: can your firm take part if trading resumes? POSTs {pollId, participantId, ready, note} to the respond URL, signed (SigV4) with your AWS credentials, which must be your participant account's. You may change your answer until the poll closes.",
        )
        .requiredOption('--poll <pollId>', 'the poll (detail.pollId of the readiness-poll notice)')
        .requiredOption('--participant <id>', 'your participant id')
        .option('--ready', 'your firm can take part')
        .option('--not-ready', 'your firm cannot take part (yet)')
        .option('--note <text>', 'a note for the exchange (at most 280 characters)')
        .option('--url <respondUrl>', "the respond URL (detail.respondUrl of the notice); signed with your own credentials")
        .option('--json', 'print the reply as JSON'),
      'RespondUrl',
    )
      .addHelpText(
        'after',
        [
          '',
          'Examples:',
          '  $ tocsin respond --url https://abc.lambda-url.ap-northeast-1.on.aws/ --poll poll-20201001-030000-4b1d2e --participant broker-a --ready',
          '  $ tocsin respond --local serve.json --poll poll-1 --participant broker-b --not-ready --note "gateway checks running"',
        ].join('\n'),
      )
      .action(async (options: RespondOptions) => {
        if (options.ready === options.notReady) throw new OptionError('--ready', 'give exactly one of --ready or --not-ready');
        if (options.url !== undefined && options.local !== undefined) throw new OptionError('--url', 'give either --url or --local, not both');
        const target = options.url !== undefined ? urlTarget('respondUrl', options.url, '--url', options.region) : await resolveTarget(options, ctx);
        const body = { pollId: options.poll, participantId: options.participant, ready: options.ready === true, ...(options.note !== undefined ? { note: options.note } : {}) };
        const { body: reply } = await callTocsin<RespondReply>(target, { output: 'respondUrl', method: 'POST', path: '/', body }, ctx);
        ctx.out(options.json ? JSON.stringify(reply) : `respond: ${reply.action}; poll ${reply.pollId}; ${reply.participantId} ${body.ready ? 'ready' : 'not ready'}; ${describeQuorumView(reply.tally)}`);
      }),
};

/** In the order `tocsin --help` lists them. */
export const READINESS_COMMANDS: readonly CliCommandModule[] = [poll, respond];
