// Preloaded (`NODE_OPTIONS=--require …`) by test/cli/lazy-loading.test.ts: when the CLI exits,
// writes to KEYSTASH_TEST_LOAD_REPORT what the process loaded — the dist/bundle/ bundles (and
// how their code caches were met), the native shared objects, and every file Node's require
// loaded.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

const out = process.env.KEYSTASH_TEST_LOAD_REPORT;
if (out) {
  process.on('exit', () => {
    const loaderPath = join(__dirname, '..', '..', 'bin', 'bundle-loader.cjs');
    const loader = require.cache[loaderPath]?.exports;
    writeFileSync(
      out,
      JSON.stringify({
        bundles: loader ? loader.cacheStatus() : {},
        sharedObjects: process.report.getReport().sharedObjects,
        required: Object.keys(require.cache),
      }),
    );
  });
}
