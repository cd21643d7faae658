/**
 * One jest run for the whole suite. The emulators are started once for all workers by
 * test/globalSetup.mjs (an .mjs file because fauxqs is ESM-only) and stopped by
 * test/globalTeardown.mjs; each test file creates its own uniquely named table and topics.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    // ES-module-only dependencies the code require()s (test/helpers/esm-to-cjs.js says why).
    '/node_modules/commander/.+\\.js$': '<rootDir>/test/helpers/esm-to-cjs.js',
  },
  transformIgnorePatterns: ['/node_modules/(?!commander/)'],
  globalSetup: '<rootDir>/test/globalSetup.mjs',
  globalTeardown: '<rootDir>/test/globalTeardown.mjs',
  // CDK apps synthesize into a folder per test file, removed after it (no cdk.out* left in /tmp).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/cdk-outdir.ts'],
  // CDK synthesis and the emulators are the slow parts; 2 cores on CI.
  maxWorkers: process.env.CI ? 2 : '50%',
  testTimeout: 60_000,
  reporters: ['default', '<rootDir>/test/json-results-reporter.js'],
};
