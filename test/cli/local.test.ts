import { tocsin } from './helpers';

/**
 * `tocsin local` passes on the local runtime's exit code: a runtime that cannot start (here an
 * invalid --config, refused before any emulator starts) is a failure a script can see.
 * The runtime's serve mode itself is tested in test/harness/local-lifecycle.test.ts.
 */
describe('tocsin local', () => {
  it('fails with the runtime\'s exit code (1) when the configuration is invalid', async () => {
    // Act: the runtime process prints the refusal on the inherited stderr and exits.
    const outcome = await tocsin(['local', '--config', 'test/fixtures/bad-config.json']);

    // Assess
    expect(outcome.code).toBe(1);
  }, 60_000);
});
