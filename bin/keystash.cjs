#!/usr/bin/env node
'use strict';
// The keystash command. CommonJS and tiny: it starts the bundled CLI through the code-cache
// loader (bundle-loader.cjs), and answers `--version` alone without loading the CLI at all
// (start-up cost, issue: performance).
const { join } = require('node:path');

try {
  if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
    process.stdout.write(require('node:fs').readFileSync(join(__dirname, '..', 'dist', 'bundle', 'version.txt')));
  } else {
    require('./bundle-loader.cjs').load('cli.cjs').main();
  }
} catch (error) {
  // A checkout or install whose build did not run (or was removed): say what to do, not a stack.
  if (error && error.code === 'ENOENT' && String(error.path).startsWith(join(__dirname, '..', 'dist'))) {
    process.stderr.write(`keystash: error: keystash is not built (${error.path} is missing); run \`npm install\` or \`npm run build\` in ${join(__dirname, '..')}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}
