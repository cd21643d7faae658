/**
 * Writes jest's JSON results (the same document as `jest --json`) to reports/jest-results.json
 * on every run, so `.ci/run` can run the README's `npm test` unchanged and still count the
 * tests from jest's own JSON.
 */
const { mkdirSync, writeFileSync } = require('node:fs');
const { dirname, join } = require('node:path');
const { formatTestResults } = require('@jest/test-result');

class JsonResultsReporter {
  /** @param {import('@jest/types').Config.GlobalConfig} globalConfig */
  constructor(globalConfig) {
    this.file = join(globalConfig.rootDir, 'reports', 'jest-results.json');
  }

  /**
   * @param {unknown} _contexts
   * @param {import('@jest/test-result').AggregatedResult} results
   */
  onRunComplete(_contexts, results) {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(formatTestResults(results)));
  }
}

module.exports = JsonResultsReporter;
