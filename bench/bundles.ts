import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { FUNCTION_DEFAULTS } from '../lib/defaults';

/**
 * Each Lambda bundle's minified size and module init time: bundled as the CDK function factory
 * bundles them (esbuild, minified, AWS SDK v3 left to the runtime), then each loaded by a fresh
 * Node process that times its `require` (the SDK resolved from this project's node_modules).
 */
export function benchBundles(): Record<string, unknown> {
  const root = join(__dirname, '..');
  const out = join(root, 'cdk.out', 'bench-bundles');
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const handlers = readdirSync(join(root, 'lambda', 'handlers')).filter((f) => f.endsWith('.ts'));
  const results: Record<string, { minifiedKB: number; initMs: { median: number; max: number } }> = {};
  for (const file of handlers) {
    const name = file.replace(/\.ts$/, '');
    const outfile = join(out, `${name}.js`);
    buildSync({ entryPoints: [join(root, 'lambda', 'handlers', file)], bundle: true, minify: true, platform: 'node', target: FUNCTION_DEFAULTS.bundlingTarget, format: 'cjs', external: ['@aws-sdk/*'], outfile, logLevel: 'silent' });
    const samples: number[] = [];
    for (let i = 0; i < 5; i += 1) {
      const script = `const t=process.hrtime.bigint();require(${JSON.stringify(outfile)});process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))`;
      samples.push(Number(execFileSync(process.execPath, ['-e', script], { cwd: root, env: { ...process.env, AWS_REGION: 'us-east-1' } }).toString()));
    }
    samples.sort((a, b) => a - b);
    results[name] = { minifiedKB: Math.round(statSync(outfile).size / 102.4) / 10, initMs: { median: Number(samples[2]!.toFixed(1)), max: Number(samples[4]!.toFixed(1)) } };
  }
  return {
    measuredAgainst: `esbuild minified bundles (AWS SDK external, as deployed), each required by a fresh Node ${process.version} process, 5 times`,
    target: 'each bundle under 250 KB, module init under 100 ms',
    handlers: results,
  };
}
