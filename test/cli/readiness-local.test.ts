import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, uniquePrefix } from '../helpers/aws';
import { scratch, tocsin } from './helpers';

/**
 * The resumption through the CLI against the real local runtime (serve mode on the suite's
 * emulators): the operator halts and polls, participants answer with `tocsin respond --local`,
 * the gate refuses, more answers come, the resumption is scheduled — and the notices of the
 * halting incident are numbered without a gap.
 */
describe('tocsin readiness commands against the local runtime', () => {
  let runtime: LocalRuntime;
  let files: ReturnType<typeof scratch>;
  let local: string;

  beforeAll(async () => {
    files = scratch('cli-readiness-local');
    const config = files.file(
      'config.json',
      JSON.stringify({
        markets: [{ id: 'equities', timeZone: 'Asia/Tokyo' }],
        participants: [
          { id: 'broker-a', name: 'Broker A', tradingValueShare: 0.4 },
          { id: 'broker-b', name: 'Broker B', tradingValueShare: 0.1, retail: true, retailValueShare: 0.4 },
          { id: 'broker-c', name: 'Broker C', tradingValueShare: 0.1, retail: true, retailValueShare: 0.2 },
        ],
        policy: { resumeLeadMinutes: 0, resumeQuorum: { valueShare: 0.5, retailValueShare: 0.5, retailParticipants: 2 } },
      }),
    );
    runtime = await startLocalRuntime({ prefix: uniquePrefix('cli-ready'), configFile: config, emulators: suiteEmulators() });
    local = files.file('tocsin.json', JSON.stringify(runtime.endpoints));
  });
  afterAll(async () => {
    await runtime?.stop();
    files?.cleanup();
  });

  const json = async (args: string[]) => {
    const outcome = await tocsin([...args, '--local', local, '--json']);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(outcome.stdout) as Record<string, any>;
  };

  it('poll → answers → refused → more answers → scheduled, notices 1 … n without a gap', async () => {
    // Act
    const halt = await json(['declare-halt', '--as', 'tanaka', '--note', 'shared disk failure', '--yes']);
    const poll = await json(['poll-readiness', '--as', 'tanaka']);
    const a = await json(['respond', '--poll', poll.pollId, '--participant', 'broker-a', '--ready']);
    const b = await json(['respond', '--poll', poll.pollId, '--participant', 'broker-b', '--ready', '--note', 'ready from 12:30']);
    const refused = await tocsin(['schedule-resume', '--at', new Date(Date.now() + 60_000).toISOString(), '--as', 'tanaka', '--local', local]);
    const tallies = await tocsin(['poll', '--local', local]);
    const c = await json(['respond', '--poll', poll.pollId, '--participant', 'broker-c', '--ready']);
    const scheduled = await json(['schedule-resume', '--at', new Date(Date.now() + 60_000).toISOString(), '--as', 'tanaka']);
    const answers = await json(['poll', poll.pollId]);
    const timeline = await json(['timeline', halt.incidentId]);

    // Assess
    expect(poll).toMatchObject({ ok: true, action: 'poll-opened', pollId: expect.stringMatching(/^poll-/) });
    expect(a.tally).toMatchObject({ valueShare: 0.4, met: false });
    expect(b.tally).toMatchObject({ valueShare: 0.5, retailValueShare: 0.4, retailParticipants: 1, met: false, missing: ['broker-c'] });
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/^error: cannot schedule the resumption of market equities: the latest readiness poll .* does not meet the quorum/);
    expect(tallies.stdout).toMatch(new RegExp(`${poll.pollId}\\s+equities\\s+open\\s+.+? Japan Standard Time\\s+quorum not met: 50 % of value, 40 % of retail value, 1 retail broker ready; not answered: broker-c`));
    expect(c.tally).toMatchObject({ valueShare: 0.6, retailValueShare: 0.6, retailParticipants: 2, met: true, missing: [] });
    expect(scheduled).toMatchObject({ action: 'resume-scheduled', quorum: { met: true, pollId: poll.pollId } });
    expect(answers.poll).toMatchObject({ status: 'closed', closedReason: 'resume-scheduled' });
    expect(answers.answers.map((x: { participantId: string; answer: string }) => `${x.participantId}:${x.answer}`)).toEqual(['broker-a:ready', 'broker-b:ready', 'broker-c:ready']);
    expect(timeline.notices.map((n: { sequence: number; type: string }) => `${n.sequence}:${n.type}`)).toEqual(['1:incident-opened', '2:halt', '3:readiness-poll', '4:resume-scheduled']);
    expect(timeline.timeline.filter((e: { kind: string }) => e.kind === 'readiness-answer')).toHaveLength(3);
  });
});
