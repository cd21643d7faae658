import { displayWidth } from '../../bin/cli/display-width';
import { startLocalRuntime, type LocalRuntime } from '../../local/runtime';
import { suiteEmulators, uniquePrefix } from '../helpers/aws';
import { scratch, tocsin } from './helpers';

/**
 * The CLI against the real local runtime (on the suite's emulators): what an operator does on
 * the morning of a fault, command by command, through `--local FILE`.
 */
describe('tocsin CLI against the local runtime', () => {
  let runtime: LocalRuntime;
  let files: ReturnType<typeof scratch>;
  let local: string;

  beforeAll(async () => {
    files = scratch('cli-local');
    // One market, on Tokyo's clock: what the CLI prints for people is Tokyo time, its --json ISO UTC.
    const config = files.file('config.json', JSON.stringify({ markets: [{ id: 'equities', timeZone: 'Asia/Tokyo' }], policy: { resumeLeadMinutes: 0 } }));
    runtime = await startLocalRuntime({
      prefix: uniquePrefix('cli'),
      configFile: config,
      emulators: suiteEmulators(),
    });
    local = files.file('tocsin.json', JSON.stringify(runtime.endpoints));
  });
  afterAll(async () => {
    await runtime?.stop();
    files?.cleanup();
  });

  it('lists the incident, acknowledges it, halts, resumes, and shows the timeline and the status', async () => {
    // Prepare: a monitor reports the fault.
    const { incidentId } = (await fetch(runtime.endpoints.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dedupKey: 'cli/unit-1', status: 'firing', severity: 'critical', component: 'shared-disk', summary: 'Memory error on unit 1', occurredAt: '2020-10-01T07:04:00+09:00' }),
    }).then((r) => r.json())) as { incidentId: string };

    // Act and Assess, step by step.
    const incidents = await tocsin(['incidents', '--local', local, '--json']);
    expect(incidents.code).toBe(0);
    expect(JSON.parse(incidents.stdout).incidents.map((i: { incidentId: string }) => i.incidentId)).toContain(incidentId);

    expect((await tocsin(['ack', incidentId, '--as', 'tanaka', '--local', local])).code).toBe(0);
    const halt = await tocsin(['declare-halt', '--incident', incidentId, '--as', 'tanaka', '--note', 'shared disk failure', '--local', local, '--json', '--yes']);
    expect(halt.code).toBe(0);
    expect(JSON.parse(halt.stdout)).toMatchObject({ ok: true, action: 'halted', market: { status: 'halted' } });

    const again = await tocsin(['declare-halt', '--as', 'tanaka', '--local', local, '--yes']);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/cannot halt: market equities is halted/);

    expect((await tocsin(['schedule-resume', '--at', new Date(Date.now() + 1000).toISOString(), '--as', 'tanaka', '--local', local])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await tocsin(['resume', '--as', 'tanaka', '--local', local, '--yes'])).code).toBe(0);

    const timeline = await tocsin(['timeline', incidentId, '--local', local, '--json']);
    expect(timeline.code).toBe(0);
    const record = JSON.parse(timeline.stdout);
    expect(record.timeline.map((e: { kind: string }) => e.kind)).toEqual(['incident-opened', 'incident-acknowledged', 'halt', 'resume-scheduled', 'resume']);
    expect(record.timeline.find((e: { kind: string }) => e.kind === 'halt').actor).toBe('tanaka');

    const status = await tocsin(['status', '--local', local, '--json']);
    expect(JSON.parse(status.stdout).markets).toEqual([expect.objectContaining({ market: 'equities', status: 'trading', timeZone: 'Asia/Tokyo' })]);
  });

  it("prints the incident, its timeline and the market in Tokyo time, and keeps ISO instants in --json", async () => {
    // Prepare: a fault at 07:04:00 Tokyo time, a halt and a resumption scheduled for a fixed time next year.
    const { incidentId } = (await fetch(runtime.endpoints.ingestUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ dedupKey: 'cli/unit-2', status: 'firing', severity: 'critical', component: 'matching', summary: '売買システムの障害', occurredAt: '2020-10-01T07:04:00+09:00' }),
    }).then((r) => r.json())) as { incidentId: string };
    const halt = await tocsin(['declare-halt', '--incident', incidentId, '--as', '田中', '--local', local, '--yes']);
    const at = `${new Date().getUTCFullYear() + 1}-10-02T09:00:00+09:00`;
    const scheduled = await tocsin(['schedule-resume', '--at', at, '--as', '田中', '--local', local]);

    // Act
    const incidents = await tocsin(['incidents', '--local', local]);
    const timeline = await tocsin(['timeline', incidentId, '--local', local]);
    const timelineJson = JSON.parse((await tocsin(['timeline', incidentId, '--local', local, '--json'])).stdout);
    const status = await tocsin(['status', '--local', local]);

    // Assess
    const tokyo = / \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Japan Standard Time/;
    expect(halt.stdout).toMatch(new RegExp(`^declare-halt: halted; incident ${incidentId}; market equities halted since${tokyo.source}; notices `));
    expect(scheduled.stdout).toContain(`resumes at ${at.slice(0, 10)} 09:00:00 Japan Standard Time, orders from ${at.slice(0, 10)} 09:00:00 Japan Standard Time;`);
    expect(incidents.stdout.split('\n')[0]).toMatch(/^INCIDENT +STATUS +SEVERITY +MARKET +OPENED \(Japan Standard Time\) +SUMMARY$/);
    expect(incidents.stdout).toMatch(new RegExp(`${incidentId} +open +critical +equities +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +売買システムの障害`));
    expect(timeline.stdout).toContain(`Trading on market equities resumes at ${at.slice(0, 10)} 09:00:00 Japan Standard Time; orders accepted from ${at.slice(0, 10)} 09:00:00 Japan Standard Time.`);
    expect(timeline.stdout).toMatch(/^SEQ +AT \(Japan Standard Time\) +KIND +ACTOR +TEXT$/m);
    // After an ASCII actor (the alarm) and a Japanese one (田中), TEXT starts at the same terminal column.
    const lines = timeline.stdout.split('\n\n')[1]!.split('\n');
    const textColumns = timelineJson.timeline.map((e: { text: string }) => {
      const line = lines.find((l) => l.endsWith(e.text))!;
      return displayWidth(line.slice(0, line.length - e.text.length));
    });
    expect(timelineJson.timeline.map((e: { actor: string }) => e.actor)).toEqual(['alarm:ingest:cli/unit-2', '田中', '田中']);
    expect(new Set(textColumns).size).toBe(1);
    expect(status.stdout).toMatch(new RegExp(`^equities +resume-scheduled +all +${incidentId} +since${tokyo.source}, resumes at `, 'm'));
    expect(timelineJson.incident).toMatchObject({ incidentId, timeZone: 'Asia/Tokyo', openedAt: expect.stringMatching(/Z$/) });
    expect(timelineJson.timeline.every((e: { at: string }) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/.test(e.at))).toBe(true);
  });

  it('silences a component, lists the silence, and ends it', async () => {
    // Act
    const silence = await tocsin(['silence', '--component', 'batch', '--for', '2h', '--note', 'nightly patching', '--as', 'tanaka', '--local', local, '--json']);
    const { silenceId } = JSON.parse(silence.stdout) as { silenceId: string };
    const listed = await tocsin(['silences', '--local', local]);
    const ended = await tocsin(['unsilence', silenceId, '--as', 'tanaka', '--local', local]);
    const after = await tocsin(['silences', '--local', local, '--json']);

    // Assess
    expect(silence.code).toBe(0);
    expect(silenceId).toMatch(/^sil-/);
    expect(listed.stdout).toMatch(new RegExp(`${silenceId}\\s+in force\\s+component=batch`));
    expect(listed.stdout).toContain('nightly patching');
    expect(ended).toMatchObject({ code: 0 });
    expect(ended.stdout).toContain(`unsilence: unsilenced; silence ${silenceId}`);
    expect(JSON.parse(after.stdout).silences).toEqual([]);
  });

  it('says so when the incident does not exist', async () => {
    const outcome = await tocsin(['timeline', 'inc-nope', '--local', local]);
    expect(outcome.code).toBe(3);
    expect(outcome.stderr).toMatch(/unknown incident "inc-nope"/);
  });
});

/**
 * The CLI against a fresh local runtime (its own table, so the list holds only this file's
 * incidents): `incidents --all` paging through DynamoDB Local's gsi2, and `failover --note`.
 */
describe('tocsin CLI against a fresh local runtime: every incident, and a forced failover', () => {
  let runtime: LocalRuntime;
  let files: ReturnType<typeof scratch>;
  let local: string;

  beforeAll(async () => {
    files = scratch('cli-local-list');
    const config = files.file(
      'config.json',
      JSON.stringify({
        markets: [{ id: 'equities', timeZone: 'Asia/Tokyo' }],
        components: [{ id: 'shared-disk', market: 'equities', critical: true, participantFacing: true }],
        groups: [{ id: 'shared-disk', nodes: ['unit-1', 'unit-2'] }],
      }),
    );
    runtime = await startLocalRuntime({ prefix: uniquePrefix('cli-list'), configFile: config, emulators: suiteEmulators() });
    local = files.file('tocsin.json', JSON.stringify(runtime.endpoints));
  });
  afterAll(async () => {
    await runtime?.stop();
    files?.cleanup();
  });

  const post = async (url: string, body: object) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Record<string, any>>;
  const json = async (args: string[]) => {
    const outcome = await tocsin([...args, '--local', local, '--json']);
    expect(outcome).toMatchObject({ code: 0, stderr: '' });
    return JSON.parse(outcome.stdout) as Record<string, any>;
  };

  it('lists open and resolved incidents newest first, two a page, through --next', async () => {
    // Prepare: three incidents, a few milliseconds apart; the middle one resolved.
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const reply = await post(runtime.endpoints.ingestUrl, { dedupKey: `cli-list/${n}`, status: 'firing', severity: 'major', component: 'matching', summary: `fault ${n}`, occurredAt: new Date().toISOString() });
      ids.push(reply.incidentId as string);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await tocsin(['resolve', ids[1]!, '--note', 'fixed', '--local', local])).code).toBe(0);

    // Act
    const first = await json(['incidents', '--all', '--limit', '2']);
    const second = await json(['incidents', '--all', '--limit', '2', '--next', first.next]);
    const open = await json(['incidents']);
    const table = await tocsin(['incidents', '--all', '--limit', '2', '--local', local]);

    // Assess
    expect(first.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([ids[2], ids[1]]);
    expect(first.incidents.map((i: { status: string }) => i.status)).toEqual(['open', 'resolved']);
    expect(first.incidents[1].resolvedAt).toMatch(/Z$/);
    expect(second.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([ids[0]]);
    expect(second).not.toHaveProperty('next');
    expect(open.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([ids[0], ids[2]]);
    expect(table.stdout).toMatch(new RegExp(`^${ids[1]} +resolved +major +equities +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +fault 2$`, 'm'));
    expect(table.stdout).toContain(`more: tocsin incidents --all --limit 2 --next ${first.next}`);
  });

  it("puts failover --note on the failover's timeline entry and in its notice", async () => {
    // Prepare: unit-1 holds the lease, unit-2 is a ready standby.
    await post(runtime.endpoints.heartbeatUrl, { group: 'shared-disk', nodeId: 'unit-1', ready: true });
    await post(runtime.endpoints.heartbeatUrl, { group: 'shared-disk', nodeId: 'unit-2', ready: true });

    // Act
    const reply = await json(['failover', '--group', 'shared-disk', '--to', 'unit-2', '--note', 'vendor swaps unit 1', '--as', 'tanaka', '--yes']);
    const record = await json(['timeline', reply.incidentId]);

    // Assess
    expect(reply).toMatchObject({ ok: true, action: 'promoted', lease: { holder: 'unit-2', epoch: 2 } });
    const text = 'Failover: unit-2 now serves shared-disk (epoch 2); unit-1 is fenced. vendor swaps unit 1';
    expect(record.timeline.find((e: { kind: string }) => e.kind === 'failover')).toMatchObject({ actor: 'tanaka', text });
    expect(record.notices).toEqual([expect.objectContaining({ type: 'failover', summary: text })]);
  });
});
