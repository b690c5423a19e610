// Preloaded (`NODE_OPTIONS=--require …`) by test/cli/lazy-loading.test.ts: when the CLI exits,
// writes to KEYSTASH_TEST_LOAD_REPORT what the process loaded — the native shared objects, and
// every file Node's require loaded (the dist/bundle/ bundles among them).
'use strict';
const { writeFileSync } = require('node:fs');

const out = process.env.KEYSTASH_TEST_LOAD_REPORT;
if (out) {
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({ sharedObjects: process.report.getReport().sharedObjects, required: Object.keys(require.cache) }));
  });
}
