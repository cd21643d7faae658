#!/usr/bin/env node
// The `tocsin` bin (package.json "bin"): the CLI is for this repository's checkout (`npx tocsin …`),
// not a published package.
// - Run by another Node than the pinned one (`node bin/tocsin.js` with the system's Node), it runs
//   itself again on the pinned Node (bin/pinned-node.js) and passes the exit status on.
// - It runs the compiled bundle dist/cli/tocsin.cjs (built by `npm ci`'s prepare step) while that
//   is up to date with the sources, else bin/tocsin.ts through ts-node's transpile-only hook
//   (bin/compiled-cli.js). TOCSIN_DEBUG=1 says which on stderr.
'use strict';
if (require.main === module && require('./pinned-node').runOnPinnedNode(__filename)) {
  // The pinned Node runs the CLI; this process only waits for it.
} else {
  const compiled = require('./compiled-cli').compiledCli();
  if (process.env.TOCSIN_DEBUG === '1') process.stderr.write(`tocsin: ${'path' in compiled ? `compiled ${compiled.path}` : `from source: ${compiled.reason}`}\n`);
  let cli;
  if ('path' in compiled) {
    cli = require(compiled.path);
  } else {
    require('ts-node/register/transpile-only');
    cli = require('./tocsin.ts');
  }
  // Required rather than run (a test, or jest resolving `bin/tocsin` to this file): export only.
  if (require.main === module) cli.main();
  module.exports = cli;
}
