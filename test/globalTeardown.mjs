// @ts-check
/** Stops the emulators started by globalSetup.mjs and waits for java to exit. */
export default async function globalTeardown() {
  const emulators = /** @type {any} */ (globalThis).__TOCSIN_EMULATORS__;
  if (emulators) await emulators.stop();
}
