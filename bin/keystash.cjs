#!/usr/bin/env node
'use strict';
// The keystash command. CommonJS and tiny: it starts the bundled CLI through the code-cache
// loader (bundle-loader.cjs), and answers `--version` alone without loading the CLI at all
// (start-up cost, issue: performance).
if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
  process.stdout.write(require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'dist', 'bundle', 'version.txt')));
} else {
  require('./bundle-loader.cjs').load('cli.cjs').main();
}
