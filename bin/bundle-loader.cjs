'use strict';
/**
 * Loads the CLI bundles in dist/bundle/ (CommonJS, written by scripts/bundle.mjs) with V8's code
 * cache, so a cold `keystash get` does not re-parse and re-compile the same JavaScript on every
 * run (issue: performance; DESIGN.md "Start-up cost").
 *
 * Each `NAME.cjs` may have a `NAME.cjs.cache` beside it, written at build time by
 * scripts/code-cache.mjs after a warm-up run: the SHA-256 of the bundle source, the SHA-256 of
 * the cache data, then the data of V8's `Script#createCachedData()`. A cache is used only when
 * both hashes match: V8 itself compares only the source's length (an edited bundle of the same
 * length would run its old code) and no checksum of the data (a damaged byte would be run);
 * it does refuse data from another V8 version or flag set (`cachedDataRejected`). Without a
 * usable cache the bundle compiles as usual: the cache changes how fast keystash starts, never
 * what it runs. The cache holds compiled code of the bundle
 * only, no data of any run.
 *
 * Bundles require one another by `./NAME.cjs` (the CLI bundle loads the AWS SDK and yaml bundles
 * on first use); those requires come back here, everything else goes to Node's `require`.
 */
const { isAscii } = require('node:buffer');
const { createHash } = require('node:crypto');
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');

const DIR = join(__dirname, '..', 'dist', 'bundle');
const HASH_BYTES = 32;
/**
 * Node's CommonJS wrapper (Module.wrap), without loading node:module and its ES-module loader.
 * scripts/bundle.mjs writes the bundles with it (keep the two in step).
 */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];
/** @type {Map<string, { module: { exports: unknown }, script: InstanceType<typeof Script>, hash: Buffer, cache: 'accepted' | 'rejected' | 'absent' }>} */
const bundles = new Map();

/**
 * The `require` every bundle gets: `./NAME.cjs` is another bundle (loaded here), anything else
 * goes to this file's own require, which resolves as one in dist/bundle/ would (both sit in the
 * package root).
 */
const bundleRequire = Object.assign(
  (id) => (id.startsWith('./') && id.endsWith('.cjs') && !id.includes('/', 2) ? load(id.slice(2)) : require(id)),
  { resolve: require.resolve, cache: require.cache, main: require.main },
);

/** The exports of bundle `name` (e.g. 'cli.cjs'), loading it on first use. */
function load(name) {
  const known = bundles.get(name);
  if (known) return known.module.exports;
  const file = join(DIR, name);
  const source = readFileSync(file);
  const hash = createHash('sha256').update(source).digest();
  const cachedData = readCache(`${file}.cache`, hash);
  // scripts/bundle.mjs writes ASCII only: decode it as one-byte text (a copy, no UTF-8 checks).
  const text = isAscii(source) ? source.toString('latin1') : source.toString('utf8');
  // The build writes each bundle already wrapped, which spares a copy of the whole source.
  const code = text.startsWith(WRAPPER[0]) ? text : `${WRAPPER[0]}${text}${WRAPPER[1]}`;
  // The bundles have no import() (scripts/bundle.mjs turns it into require()).
  const script = new Script(code, { filename: file, cachedData });
  const module = { exports: {}, id: file, filename: file, loaded: false };
  const cache = cachedData === undefined ? 'absent' : script.cachedDataRejected ? 'rejected' : 'accepted';
  bundles.set(name, { module, script, hash, cache });
  script.runInThisContext().call(module.exports, module.exports, bundleRequire, module, file, DIR);
  module.loaded = true;
  return module.exports;
}

/**
 * The V8 data of `path` when its header names this source (`hash`) and the data itself; undefined
 * when absent, stale or damaged. V8 checks no checksum of cached code in release builds (a
 * flipped byte is accepted and run), hence the second hash.
 */
function readCache(path, hash) {
  let data;
  try {
    data = readFileSync(path);
  } catch {
    return undefined;
  }
  if (data.length <= 2 * HASH_BYTES || !data.subarray(0, HASH_BYTES).equals(hash)) return undefined;
  const payload = data.subarray(2 * HASH_BYTES);
  if (!createHash('sha256').update(payload).digest().equals(data.subarray(HASH_BYTES, 2 * HASH_BYTES))) return undefined;
  return payload;
}

/** How each loaded bundle's cache was met: accepted, rejected by V8, or absent/stale. */
function cacheStatus() {
  return Object.fromEntries([...bundles].map(([name, b]) => [name, b.cache]));
}

/**
 * Write `NAME.cjs.cache` for every bundle loaded so far (build time only: scripts/code-cache.mjs).
 * V8 includes every function compiled up to now, so call this after a warm-up run.
 */
function writeCaches() {
  for (const [name, b] of bundles) {
    const path = join(DIR, `${name}.cache`);
    const payload = b.script.createCachedData();
    writeFileSync(`${path}.tmp`, Buffer.concat([b.hash, createHash('sha256').update(payload).digest(), payload]));
    renameSync(`${path}.tmp`, path);
  }
}

module.exports = { load, cacheStatus, writeCaches };
