import { EXIT_CODES } from '../../bin/cli/errors';
import { scratch, tocsin } from './helpers';

/**
 * The program as a whole: its help (with the exit codes), its version, and the exit codes of
 * commander's own usage errors and of a failure nobody planned for. The exit codes of Tocsin's
 * refusals (HTTP 400, 404, 409, 401/403, unreachable) are in operate.test.ts and read.test.ts.
 */
describe('tocsin program', () => {
  it('lists every exit code in --help, exit 0', async () => {
    // Act
    const outcome = await tocsin(['--help']);

    // Assess
    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/Exit codes:\n {2}0 {2}ok\n {2}1 {2}other error\n {2}2 {2}usage: .*--yes.*\n {2}3 {2}not found \(HTTP 404\).*\n {2}4 {2}conflict \(HTTP 409\).*\n {2}5 {2}unreachable or not authorised: .*HTTP 401\/403.*\n/);
  });

  it('writes no colour or other escape codes (the CLI emits none, so there is nothing to gate on a TTY or NO_COLOR)', async () => {
    const help = await tocsin(['--help']);
    const error = await tocsin(['status', '--colour']);

    expect(help.stdout + error.stderr).not.toMatch(/\x1b/);
  });

  it('numbers the exit codes as documented', () => {
    expect(EXIT_CODES).toEqual({ ok: 0, failure: 1, usage: 2, notFound: 3, conflict: 4, unreachable: 5 });
  });

  it('prints its version, exit 0', async () => {
    const outcome = await tocsin(['--version']);

    expect(outcome.code).toBe(0);
    expect(outcome.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    ['an unknown command', ['halt-everything'], /unknown command 'halt-everything'/],
    ['an unknown option', ['status', '--colour'], /unknown option '--colour'/],
    ['a missing argument', ['timeline'], /missing required argument 'incidentId'/],
    ['no command at all', [], /Usage: tocsin/],
  ])('rejects %s: exit 2 (usage)', async (_, args, message) => {
    // Act
    const outcome = await tocsin(args);

    // Assess
    expect(outcome.code).toBe(2);
    expect(outcome.stdout + outcome.stderr).toMatch(message);
  });

  it('reports an unexpected failure as exit 1, naming its class', async () => {
    // Prepare: a terminal whose prompt fails in a way no command expects.
    const files = scratch('cli-program');
    const serveJson = files.file('serve.json', JSON.stringify({ operateUrl: 'http://127.0.0.1:9/', region: 'us-east-1' }));
    const prompt = () => Promise.reject(new TypeError('terminal went away'));

    // Act
    const outcome = await tocsin(['declare-halt', '--market', 'equities', '--local', serveJson], { interactive: true, prompt });
    files.cleanup();

    // Assess
    expect(outcome).toEqual({ code: 1, stdout: '', stderr: 'error: unexpected TypeError: terminal went away (TOCSIN_DEBUG=1 shows the stack)\n' });
  });
});
