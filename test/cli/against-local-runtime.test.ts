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
    const config = files.file('config.json', JSON.stringify({ policy: { resumeLeadMinutes: 0 } }));
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
    const halt = await tocsin(['declare-halt', '--incident', incidentId, '--as', 'tanaka', '--note', 'shared disk failure', '--local', local, '--json']);
    expect(halt.code).toBe(0);
    expect(JSON.parse(halt.stdout)).toMatchObject({ ok: true, action: 'halted', market: { status: 'halted' } });

    const again = await tocsin(['declare-halt', '--as', 'tanaka', '--local', local]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/cannot halt: market equities is halted/);

    expect((await tocsin(['schedule-resume', '--at', new Date(Date.now() + 1000).toISOString(), '--as', 'tanaka', '--local', local])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await tocsin(['resume', '--as', 'tanaka', '--local', local])).code).toBe(0);

    const timeline = await tocsin(['timeline', incidentId, '--local', local, '--json']);
    expect(timeline.code).toBe(0);
    const record = JSON.parse(timeline.stdout);
    expect(record.timeline.map((e: { kind: string }) => e.kind)).toEqual(['incident-opened', 'incident-acknowledged', 'halt', 'resume-scheduled', 'resume']);
    expect(record.timeline.find((e: { kind: string }) => e.kind === 'halt').actor).toBe('tanaka');

    const status = await tocsin(['status', '--local', local, '--json']);
    expect(JSON.parse(status.stdout).markets).toEqual([expect.objectContaining({ market: 'equities', status: 'trading' })]);
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
    expect(outcome.code).toBe(1);
    expect(outcome.stderr).toMatch(/unknown incident "inc-nope"/);
  });
});
