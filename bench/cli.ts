import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');

/**
 * How long a `tocsin` call takes to start: `tocsin --version` in a fresh process of this Node,
 * from the compiled bundle (dist/cli/tocsin.cjs, rebuilt first) and from the TypeScript sources
 * through ts-node (`TOCSIN_CLI_FROM_SOURCE=1`), alternately, `runs` times each; medians and their
 * ratio (measured in the same run, so the machine's load weighs on both alike).
 */
export function benchCli(runs = 7): Record<string, unknown> {
  execFileSync('npm', ['run', '--silent', 'build:cli'], { cwd: ROOT, stdio: 'pipe' });
  const time = (env: NodeJS.ProcessEnv) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'tocsin.js'), '--version'], { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`tocsin --version failed: ${result.stderr}`);
    return Number(process.hrtime.bigint() - start) / 1e6;
  };
  const compiled: number[] = [];
  const fromSource: number[] = [];
  for (let i = 0; i < runs; i++) {
    compiled.push(time({ TOCSIN_CLI_FROM_SOURCE: '' }));
    fromSource.push(time({ TOCSIN_CLI_FROM_SOURCE: '1' }));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return {
    measuredAgainst: `tocsin --version in a fresh Node ${process.version} process, ${runs} runs each, alternating`,
    target: 'a call starts in well under a second (issue #14)',
    startMs: { compiled: { median: Math.round(median(compiled)), max: Math.round(Math.max(...compiled)) }, fromSource: { median: Math.round(median(fromSource)), max: Math.round(Math.max(...fromSource)) } },
    speedup: Math.round((median(fromSource) / median(compiled)) * 10) / 10,
  };
}
