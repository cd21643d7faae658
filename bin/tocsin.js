#!/usr/bin/env node
// The `tocsin` bin (package.json "bin"). It runs bin/tocsin.ts through ts-node's transpile-only
// hook, a devDependency: the CLI is for this repository's checkout (`npx tocsin …`), not a
// published package. Type checking is `npm run typecheck`'s job, so start-up stays fast.
// Run by another Node than the pinned one (`node bin/tocsin.js` with the system's Node), it runs
// itself again on the pinned Node (bin/pinned-node.js) and passes the exit status on.
'use strict';
if (require.main === module && require('./pinned-node').runOnPinnedNode(__filename)) {
  // The pinned Node runs the CLI; this process only waits for it.
} else {
  require('ts-node/register/transpile-only');
  const cli = require('./tocsin.ts');
  // Required rather than run (a test, or jest resolving `bin/tocsin` to this file): export only.
  if (require.main === module) cli.main();
  module.exports = cli;
}
