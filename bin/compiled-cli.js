// @ts-check
/**
 * The compiled CLI: `npm run build:cli` (run by `npm ci` as the `prepare` script) bundles
 * bin/tocsin.ts and what it imports from bin/ and lambda/ into dist/cli/tocsin.cjs with esbuild,
 * so a call starts without compiling TypeScript (ts-node). The bin uses the bundle only while it
 * is at least as new as every TypeScript source under bin/ and lambda/, so an edited checkout
 * never runs stale code: it falls back to ts-node until the next `npm run build:cli`.
 * `TOCSIN_CLI_FROM_SOURCE=1` always runs the sources. Plain CommonJS: it runs before ts-node.
 */
'use strict';
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'cli', 'tocsin.cjs');
/** What the bundle is built from. */
const SOURCES = ['bin', 'lambda'];

/**
 * The newest modification time of a `.ts` file under `dir` (0 for none).
 * @param {string} dir
 * @returns {number}
 */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The bundle to run, or why not.
 * @param {{ root?: string, env?: NodeJS.ProcessEnv }} [options]
 * @returns {{ path: string } | { reason: string }}
 */
function compiledCli(options = {}) {
  const root = options.root ?? ROOT;
  const env = options.env ?? process.env;
  if (env.TOCSIN_CLI_FROM_SOURCE === '1') return { reason: 'TOCSIN_CLI_FROM_SOURCE=1' };
  const bundle = join(root, 'dist', 'cli', 'tocsin.cjs');
  let built;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    return { reason: 'not built (npm run build:cli)' };
  }
  const newest = Math.max(...SOURCES.map((dir) => newestSource(join(root, dir))));
  return built >= newest ? { path: bundle } : { reason: 'older than the sources (npm run build:cli)' };
}

module.exports = { compiledCli, BUNDLE };
