import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { minVersion, satisfies } from 'semver';
import { FUNCTION_DEFAULTS } from '../lib/defaults';
import { PROJECT_ROOT } from './helpers/processes';
import { decide, pinnedNode, pinnedNodeBinary } from '../bin/pinned-node';

/**
 * The toolchain as a specification: the suite, and everything npm scripts start, runs on the Node
 * pinned in package.json (devDependencies.node, installed by `npm ci` from the npm registry); the
 * deployed runtime and esbuild's target are the same major; engines.node is what is true.
 */
const pkg = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  engines: { node: string };
  devEngines: { runtime: { name: string; version: string } };
  devDependencies: Record<string, string>;
};
const pinned = pkg.devDependencies.node!;
const pinnedMajor = Number(pinned.split('.')[0]);

describe('the Node.js the tooling runs on', () => {
  it('is the pinned version: this suite runs on it', () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
    expect(process.version).toBe(`v${pinned}`);
    expect(pinnedNode().version).toBe(pinned);
  });

  it('is the one node_modules/.bin/node names, so npm scripts and npx start it', () => {
    const binary = pinnedNodeBinary();

    expect(binary).toBeDefined();
    expect(execFileSync(join(PROJECT_ROOT, 'node_modules', '.bin', 'node'), ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${pinned}`);
  });

  it('is the major of the Lambda runtime and of esbuild target', () => {
    expect(FUNCTION_DEFAULTS.runtime.name).toBe(`nodejs${pinnedMajor}.x`);
    expect(FUNCTION_DEFAULTS.bundlingTarget).toBe(`node${pinnedMajor}`);
  });
});

describe('package.json engines', () => {
  /** Every installed package's `engines.node`, from the lockfile. */
  const lock = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[] }>;
  };
  const enginesOfPackages = Object.entries(lock.packages)
    .filter(([path]) => path !== '')
    .flatMap(([path, entry]) => {
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      return node ? [[path.replace(/^.*node_modules\//, ''), node] as const] : [];
    });

  it('engines.node starts at the pinned major and admits the pinned version', () => {
    expect(pkg.engines.node).toBe(`>=${pinnedMajor}`);
    expect(satisfies(pinned, pkg.engines.node)).toBe(true);
  });

  it('every installed package admits the pinned version and the engines.node floor (npm on the pinned Node warns of no EBADENGINE)', () => {
    const floor = minVersion(pkg.engines.node)!.version;

    const refusing = enginesOfPackages.filter(([, range]) => !satisfies(pinned, range) || !satisfies(floor, range));

    expect(enginesOfPackages.length).toBeGreaterThan(0);
    expect(refusing).toEqual([]);
  });

  it('devEngines.runtime names the Node that runs npm itself (npm 11: ^20.17.0 || >=22.9.0), which the pinned one also is when npm scripts call npm', () => {
    // npm passes the path of the Node it runs on to the scripts it starts (npm test, npx jest).
    const npmNode = process.env.npm_node_execpath;
    const npmNodeVersion = npmNode ? execFileSync(npmNode, ['--version'], { encoding: 'utf8' }).trim() : undefined;

    expect(pkg.devEngines.runtime).toEqual({ name: 'node', version: '^20.17.0 || >=22.9.0', onFail: 'warn' });
    expect(satisfies(pinned, pkg.devEngines.runtime.version)).toBe(true);
    if (npmNodeVersion) expect(satisfies(npmNodeVersion, pkg.devEngines.runtime.version)).toBe(true);
  });
});

describe('bin/tocsin.js on another Node', () => {
  const facts = { pinned: '24.21.0', enginesNode: '>=24', binary: '/x/node_modules/node/bin/node', relaunched: false };

  it.each([
    ['the pinned version', 'here', { current: 'v24.21.0' }],
    ['an older Node, the pinned one installed', 'relaunch', { current: 'v20.20.2' }],
    ['a newer Node, the pinned one installed', 'relaunch', { current: 'v26.1.0' }],
    ['an older Node, the pinned one not installed', 'refuse', { current: 'v20.20.2', binary: undefined }],
    ['another Node within engines, the pinned one not installed', 'here', { current: 'v24.9.0', binary: undefined }],
    ['an older Node already relaunched once (a stale install)', 'refuse', { current: 'v20.20.2', relaunched: true }],
    ['a Node within engines already relaunched once (a stale install)', 'here', { current: 'v24.0.0', relaunched: true }],
  ] as const)('%s → %s', (_, expected, overrides) => {
    expect(decide({ ...facts, ...overrides })).toBe(expected);
  });

  describe('relaunch', () => {
    let dir: string;
    beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'tocsin-toolchain-'))));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** Runs a launcher that relaunches `child` on the pinned binary with `args`. */
    function launch(child: string, args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string }> {
      const childScript = join(dir, `${args.join('-') || 'child'}.js`);
      writeFileSync(childScript, child);
      // A file, not `node -e`: relaunch passes this process's execArgv on, and `-e` would be one.
      const launcher = join(dir, 'launcher.js');
      writeFileSync(launcher, `require(${JSON.stringify(join(PROJECT_ROOT, 'bin', 'pinned-node.js'))}).relaunch(${JSON.stringify(pinnedNodeBinary())}, ${JSON.stringify(childScript)}, ${JSON.stringify(args)})`);
      return new Promise((done) => {
        const proc = execFile(process.execPath, [launcher], { encoding: 'utf8', timeout: 30_000 }, (_error, stdout) =>
          done({ code: proc.exitCode, signal: proc.signalCode, stdout }),
        );
      });
    }

    it('passes the arguments, stdout and the exit code through', async () => {
      const outcome = await launch(
        `process.stdout.write(JSON.stringify({ version: process.version, args: process.argv.slice(2), relaunched: process.env.TOCSIN_PINNED_NODE_RELAUNCHED })); process.exitCode = 3;`,
        ['status', '--json'],
      );

      expect(outcome.code).toBe(3);
      expect(JSON.parse(outcome.stdout)).toEqual({ version: `v${pinned}`, args: ['status', '--json'], relaunched: '1' });
    });

    it('ends with the signal that ended the child', async () => {
      const outcome = await launch(`process.kill(process.pid, 'SIGTERM'); setTimeout(() => {}, 5000);`, ['signal']);

      expect(outcome.signal).toBe('SIGTERM');
    });
  });

  /** The first `node` on PATH outside this project's node_modules/.bin, if it is not the pinned one. */
  function otherNode(): string | undefined {
    for (const dir of (process.env.PATH ?? '').split(delimiter)) {
      if (!dir || dir.includes(`node_modules`)) continue;
      const candidate = join(dir, 'node');
      try {
        const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
        return version === `v${pinned}` ? undefined : candidate;
      } catch {
        continue;
      }
    }
    return undefined;
  }
  const system = otherNode();

  // CI's system Node is 20 (npm runs on it); a machine whose only Node is the pinned one skips this.
  (system ? it : it.skip)(`runs the CLI on the pinned Node when started by another (${system ?? 'none on PATH'})`, async () => {
    const recorder = join(tmpdir(), `tocsin-node-versions-${process.pid}.js`);
    const record = join(tmpdir(), `tocsin-node-versions-${process.pid}.txt`);
    writeFileSync(recorder, `require('node:fs').appendFileSync(${JSON.stringify(record)}, process.version + '\\n');`);
    try {
      const outcome = await new Promise<{ code: number | null; stdout: string }>((done) => {
        const proc = execFile(system!, [join(PROJECT_ROOT, 'bin', 'tocsin.js'), '--version'], { cwd: PROJECT_ROOT, env: { ...process.env, NODE_OPTIONS: `--require ${recorder}` }, encoding: 'utf8' }, (_error, stdout) =>
          done({ code: proc.exitCode, stdout }),
        );
      });

      expect(outcome).toEqual({ code: 0, stdout: `${JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')).version}\n` });
      const versions = readFileSync(record, 'utf8').trim().split('\n');
      expect(versions).toHaveLength(2);
      expect(versions[0]).not.toBe(`v${pinned}`);
      expect(versions[1]).toBe(`v${pinned}`);
    } finally {
      rmSync(recorder, { force: true });
      rmSync(record, { force: true });
    }
  });
});
