#!/usr/bin/env node
'use strict';
// The keystash command: answers `--version` without loading the CLI, otherwise turns on Node's
// compile cache (compile-cache.cjs) and starts the CLI: `get`, `put` and `getall` through the
// quick path first (dist/bundle/quick.cjs, no commander), which hands any command line it does not
// take plainly to the full CLI (dist/bundle/cli.cjs).
const { join } = require('node:path');

const DIST = join(__dirname, '..', 'dist');
const CLI = join(DIST, 'bundle', 'cli.cjs');
const QUICK = join(DIST, 'bundle', 'quick.cjs');
// The commands of the quick path's grammar (src/cli/grammar.ts QUICK_GRAMMAR; a unit test keeps
// them the same): a line naming none of them never loads quick.cjs.
const QUICK_COMMANDS = new Set(['get', 'put', 'getall']);

// SIGUSR1's default in Node opens the inspector on 127.0.0.1:9229, unauthenticated, in a process
// that holds plaintext (every command; `kms serve` and `exec` run for long). A listener replaces
// that default; `exec` adds its own, which passes the signal on to the child.
process.on('SIGUSR1', () => {});

try {
  if (process.argv.length === 3 && (process.argv[2] === '--version' || process.argv[2] === '-V')) {
    printVersion(require('node:fs'), join(DIST, 'bundle', 'version.txt'));
  } else {
    const cache = require('./compile-cache.cjs').enableCompileCache(process.env);
    // A cache keystash did not check (NODE_COMPILE_CACHE) is said, never passed off as checked.
    if (cache.warning) process.stderr.write(`keystash: warning: ${cache.warning}\n`);
    // A line naming get, put or getall anywhere is offered to the quick path, which takes it only
    // when that word is the command (`keystash -t prod get db.pw`).
    if (process.argv.slice(2).some((arg) => QUICK_COMMANDS.has(arg))) {
      require(QUICK)
        .quickMain()
        .then((taken) => taken || startCli())
        .catch(failed);
    } else {
      startCli();
    }
  }
} catch (error) {
  failed(error);
}

function startCli() {
  return require(CLI).main();
}

function failed(error) {
  // A checkout or install whose build did not run (or was removed): say what to do, not a stack.
  const missing =
    error && ((error.code === 'ENOENT' && String(error.path).startsWith(DIST)) || (error.code === 'MODULE_NOT_FOUND' && [CLI, QUICK].some((file) => error.message.includes(`'${file}'`))));
  if (missing) {
    process.stderr.write(`keystash: error: keystash is not built (${DIST} is incomplete); run \`npm install\` or \`npm run build\` in ${join(__dirname, '..')}\n`);
    process.exitCode = 1;
  } else {
    throw error;
  }
}

/**
 * `keystash --version`: a few bytes written straight to fd 1, without building process.stdout (a
 * pipe's stream costs more than the rest of this answer). A non-blocking stdout that is full
 * (EAGAIN) falls back to the stream; a closed one (EPIPE) exits 141 quietly, as the CLI does.
 */
function printVersion(fs, file) {
  const text = fs.readFileSync(file);
  let done = 0;
  try {
    while (done < text.length) done += fs.writeSync(1, text, done);
  } catch (error) {
    if (error.code === 'EAGAIN') process.stdout.write(text.subarray(done));
    else if (error.code === 'EPIPE') process.exitCode = 141;
    else throw error;
  }
}
