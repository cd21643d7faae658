// @ts-check
/**
 * Starts the real local emulators once for the whole jest run and hands their endpoints to
 * the test workers through the AWS SDK's standard environment variables. An .mjs file because
 * fauxqs is ESM-only.
 */
import { startEmulators } from '../local/emulators.mjs';

export default async function globalSetup() {
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
