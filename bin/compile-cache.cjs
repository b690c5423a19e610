'use strict';
/**
 * Start-up through Node's own compile cache (DESIGN.md "Start-up cost"): on Node ≥ 22.1,
 * `module.enableCompileCache(dir)` lets V8 reuse the code it compiled for the CLI bundle on the
 * previous run. Node keys each entry by the source's hash and its own version and flags, so an
 * edited bundle or another Node simply compiles afresh: the cache changes how fast keystash
 * starts, never what it runs.
 *
 * The directory is per user — KEYSTASH_CACHE_DIR, else $XDG_CACHE_HOME/keystash, else
 * ~/.cache/keystash — created 0700, and used only when it is a real directory (not a symlink)
 * owned by this user and writable by no one else: whoever can write the cache can choose the code
 * keystash runs. Otherwise keystash starts without a cache. KEYSTASH_NO_COMPILE_CACHE=1 turns it
 * off; Node 20 has no compile cache and runs without one.
 */
const { lstatSync, mkdirSync } = require('node:fs');
const { isAbsolute, join, resolve } = require('node:path');

/** The cache directory for `env` (absolute), or undefined when no home directory can be found. */
function cacheDir(env) {
  if (env.KEYSTASH_CACHE_DIR) return resolve(env.KEYSTASH_CACHE_DIR);
  if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) return join(env.XDG_CACHE_HOME, 'keystash');
  // os.homedir() answers $HOME when it is set: node:os (~0.3 ms to load) only when it is not.
  const home = process.env.HOME || require('node:os').homedir();
  return home ? join(home, '.cache', 'keystash') : undefined;
}

/**
 * Why `dir` must not be used ('symlink', 'not a directory', 'owned by uid N', 'group/other-writable'),
 * or undefined when it is safe; creates it (0700) when missing.
 */
function unsafeReason(dir) {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isDirectory()) return 'not a directory';
  if (typeof process.geteuid === 'function' && st.uid !== process.geteuid()) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return 'group/other-writable';
  return undefined;
}

/**
 * Turn on Node's compile cache for what this process loads from now on. Returns what happened:
 * { status: 'enabled' | 'unsupported' | 'disabled' | 'refused' | 'failed', dir?, reason? }.
 * Never throws: without a cache keystash is only slower.
 */
function enableCompileCache(env = process.env) {
  if (env.KEYSTASH_NO_COMPILE_CACHE === '1') return { status: 'disabled' };
  // Node 20 has no compile cache; loading node:module there would cost more than it saves.
  if (Number(process.versions.node.split('.')[0]) < 22) return { status: 'unsupported' };
  const mod = require('node:module');
  if (typeof mod.enableCompileCache !== 'function') return { status: 'unsupported' };
  let dir;
  try {
    dir = cacheDir(env);
    if (dir === undefined) return { status: 'failed', reason: 'no home directory' };
    const reason = unsafeReason(dir);
    if (reason !== undefined) return { status: 'refused', dir, reason };
    const result = mod.enableCompileCache(dir);
    const ok = result.status === mod.constants.compileCacheStatus.ENABLED || result.status === mod.constants.compileCacheStatus.ALREADY_ENABLED;
    return ok ? { status: 'enabled', dir: result.directory ?? dir } : { status: 'failed', dir, reason: result.message };
  } catch (error) {
    return { status: 'failed', dir, reason: error && error.code ? error.code : String(error) };
  }
}

module.exports = { cacheDir, enableCompileCache };
