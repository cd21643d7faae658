// @ts-check
/**
 * Starts the real local emulators once for the whole jest run and hands their endpoints to
 * the test workers through the AWS SDK's standard environment variables. An .mjs file because
 * fauxqs is ESM-only.
 */
import { startEmulators } from '../local/emulators.mjs';
import pinnedNode from '../bin/pinned-node.js';

export default async function globalSetup() {
  refuseAnOlderNode();
  const log = process.env.TOCSIN_TEST_VERBOSE ? (/** @type {string} */ line) => process.stderr.write(`${line}\n`) : undefined;
  const emulators = await startEmulators({ log });
  // Workers are forked after globalSetup and inherit this environment.
  Object.assign(process.env, emulators.environment, {
    TOCSIN_TEST_DYNAMODB_PID: String(emulators.dynamodb.pid),
    // Handlers log and emit EMF metrics on stdout; tests assert on metrics through a spy, and
    // TOCSIN_TEST_VERBOSE=1 brings the logs back when a failure needs them.
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: process.env.TOCSIN_TEST_VERBOSE ? 'DEBUG' : 'SILENT',
  });
  /** @type {any} */ (globalThis).__TOCSIN_EMULATORS__ = emulators;
}

/**
 * Fails the run with a message that says what to do when jest runs on a Node older than
 * engines.node (`npm ci --ignore-scripts` leaves the pinned one out, and npm scripts then find
 * the system's), instead of the emulators' own failure (fauxqs: "No such built-in module:
 * node:sqlite"). A Node within engines runs, and test/toolchain.test.ts names the difference.
 */
function refuseAnOlderNode() {
  const { version, enginesNode } = pinnedNode.pinnedNode();
  if (pinnedNode.decide({ current: process.version, pinned: version, enginesNode, binary: undefined, relaunched: true }) === 'refuse') {
    throw new Error(
      `the suite runs on the pinned Node.js ${version} (package.json devDependencies.node; engines.node ${enginesNode}), ` +
        `and this is Node.js ${process.version}: run \`npm ci\` with install scripts (the node package's install script puts the pinned Node into node_modules), then \`npm test\``,
    );
  }
}
