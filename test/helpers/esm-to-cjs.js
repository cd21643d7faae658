// @ts-check
/**
 * Jest transform for the ES-module-only packages the CommonJS code `require`s (commander 15).
 * Node 24 loads them itself (require(esm)); jest 30's module registry does so only when Node runs
 * with --experimental-vm-modules (it needs vm.SourceTextModule), so jest is given them as
 * CommonJS instead, converted by the esbuild the project already bundles with.
 */
'use strict';
const { transformSync } = require('esbuild');

/** @type {import('@jest/transform').SyncTransformer} */
module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, { format: 'cjs', loader: 'js', platform: 'node', target: 'node24', sourcefile: filename, sourcemap: 'external' });
    return { code, map };
  },
};
