import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { compiledCli } = require('../../bin/compiled-cli') as { compiledCli: (options?: { root?: string; env?: NodeJS.ProcessEnv }) => { path: string } | { reason: string } };

const ROOT = join(__dirname, '..', '..');

/**
 * The compiled CLI (issue #14: a call starts in well under a second): `npm run build:cli` (npm ci's
 * prepare step) bundles the CLI into dist/cli/tocsin.cjs, and bin/tocsin.js runs the bundle only
 * while it is at least as new as every TypeScript source under bin/ and lambda/. How fast it starts
 * is measured by `npm run bench -- cli`, not here.
 */
describe('the compiled CLI', () => {
  describe('which one runs (compiledCli)', () => {
    let root: string;
    const at = (seconds: number) => new Date(Date.parse('2026-11-30T00:00:00Z') + seconds * 1000);
    const file = (path: string, seconds: number) => {
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), '');
      utimesSync(join(root, path), at(seconds), at(seconds));
    };

    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'tocsin-compiled-cli-'));
      file('bin/cli/program.ts', 10);
      file('lambda/core/model.ts', 20);
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it.each<[string, number | undefined, NodeJS.ProcessEnv, RegExp | 'bundle']>([
      ['no bundle: the sources', undefined, {}, /^not built/],
      ['a bundle older than a source under lambda/: the sources', 15, {}, /^older than the sources/],
      ['a bundle as new as the newest source: the bundle', 20, {}, 'bundle'],
      ['a bundle newer than every source: the bundle', 30, {}, 'bundle'],
      ['TOCSIN_CLI_FROM_SOURCE=1: the sources, whatever the bundle', 30, { TOCSIN_CLI_FROM_SOURCE: '1' }, /^TOCSIN_CLI_FROM_SOURCE=1$/],
    ])('%s', (_, built, env, expected) => {
      // Prepare
      if (built !== undefined) file('dist/cli/tocsin.cjs', built);

      // Act
      const choice = compiledCli({ root, env });

      // Assess
      if (expected === 'bundle') expect(choice).toEqual({ path: join(root, 'dist', 'cli', 'tocsin.cjs') });
      else expect('reason' in choice && choice.reason).toMatch(expected);
    });

    it('counts only TypeScript sources: a newer README or JSON file does not make the bundle stale', () => {
      // Prepare
      file('dist/cli/tocsin.cjs', 30);
      file('bin/cli/notes.md', 40);
      file('lambda/core/data.json', 40);

      // Act
      const choice = compiledCli({ root, env: {} });

      // Assess
      expect(choice).toEqual({ path: join(root, 'dist', 'cli', 'tocsin.cjs') });
    });
  });

  describe('built and run', () => {
    beforeAll(() => {
      execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: ROOT, stdio: 'pipe' });
    }, 60_000);

    const run = (args: readonly string[], env: NodeJS.ProcessEnv = {}) =>
      execFileSync(process.execPath, [join(ROOT, 'bin', 'tocsin.js'), ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TOCSIN_DEBUG: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });

    it('runs the bundle, which answers as the sources do', () => {
      // Act
      const compiled = run(['--help']);
      const fromSource = run(['--help'], { TOCSIN_CLI_FROM_SOURCE: '1' });

      // Assess
      expect(compiled).toBe(fromSource);
      expect(compiled).toMatch(/^Usage: tocsin /m);
      expect(compiled).toContain('declare-halt');
    }, 60_000);

    it('says which one it ran with TOCSIN_DEBUG=1', () => {
      // Prepare
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      const child = (env: NodeJS.ProcessEnv) =>
        spawnSync(process.execPath, [join(ROOT, 'bin', 'tocsin.js'), '--version'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, TOCSIN_DEBUG: '1', ...env } });

      // Act
      const compiled = child({});
      const fromSource = child({ TOCSIN_CLI_FROM_SOURCE: '1' });

      // Assess
      expect(compiled).toMatchObject({ status: 0, stdout: `${version}\n` });
      expect(compiled.stderr).toContain(`tocsin: compiled ${join(ROOT, 'dist', 'cli', 'tocsin.cjs')}`);
      expect(fromSource).toMatchObject({ status: 0, stdout: `${version}\n` });
      expect(fromSource.stderr).toContain('tocsin: from source: TOCSIN_CLI_FROM_SOURCE=1');
    }, 60_000);
  });
});
