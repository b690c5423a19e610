'use strict';
/**
 * Start-up through Node's own compile cache (docs/architecture.md "Start-up cost"): on Node ≥ 22.1,
 * `module.enableCompileCache(dir)` lets V8 reuse the code it compiled for the CLI bundle on the
 * previous run. Node keys each entry by the source's hash and its own version and flags, so an
 * edited bundle or another Node simply compiles afresh: the cache changes how fast keystash
 * starts, never what it runs.
 *
 * The directory is per user — KEYSTASH_CACHE_DIR, else $XDG_CACHE_HOME/keystash, else
 * ~/.cache/keystash — created 0700, and used only when it is a real directory (not a symlink)
 * owned by this user and writable by no one else, in a place no other user controls (no directory
 * above it theirs or open to them, no link of theirs on the way): whoever can write the cache can
 * choose the code keystash runs. Otherwise keystash starts without a cache. KEYSTASH_NO_COMPILE_CACHE=1 turns it
 * off; Node 20 has no compile cache and runs without one.
 *
 * NODE_COMPILE_CACHE (Node ≥ 22.1) turns Node's cache on before any of keystash runs, in the
 * directory it names, unchecked: code cached there has already been loaded by the time this file
 * runs, and Node then refuses a second directory. keystash cannot undo that, so it does not claim
 * a check it did not make: when the directory in use (module.getCompileCacheDir(), Node ≥ 22.8;
 * NODE_COMPILE_CACHE itself before) is not inside the one keystash checked, the result is
 * 'unchecked', names the directory in use (never keystash's own) and carries a warning for stderr.
 */
const { existsSync, lstatSync, mkdirSync, realpathSync, statSync } = require('node:fs');
const { dirname, isAbsolute, join, parse, relative, resolve, sep } = require('node:path');

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
  // The place is judged before anything is created in it (a directory of another user, or one
  // reached through their link, gets nothing, not even empty levels).
  const euid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  if (euid !== undefined && at !== dir) {
    const reason = placeReason(at, euid, true);
    if (reason !== undefined) return reason;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) return 'symlink';
  if (!st.isDirectory()) return 'not a directory';
  if (euid !== undefined && st.uid !== euid) return `owned by uid ${st.uid}`;
  if ((st.mode & 0o022) !== 0) return 'group/other-writable';
  return euid === undefined ? undefined : placeReason(dir, euid);
}

/**
 * Why the place of `dir` is open to other users, or undefined: a symbolic link on the way that
 * another user owns (they could point it elsewhere), or a directory above it that another user
 * owns or can write without the sticky bit (they could rename the cache away and put theirs in
 * its place). `withSelf`: `dir` itself too (an existing level the cache would be made below).
 * The same rule as src/fs-safety.ts privateDirectory, kept here for start-up.
 */
function placeReason(dir, euid, withSelf = false) {
  let at = parse(dir).root;
  for (const part of dir.slice(at.length).split(sep).filter((p) => p !== '')) {
    at = join(at, part);
    const st = lstatSync(at);
    if (st.isSymbolicLink() && st.uid !== euid && st.uid !== 0) return `${at} is a symbolic link of uid ${st.uid}`;
  }
  const real = realpathSync(dir);
  for (let up = withSelf ? real : dirname(real); ; up = dirname(up)) {
    const st = statSync(up);
    if (st.uid !== euid && st.uid !== 0) return `${up} is owned by uid ${st.uid}`;
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) return `${up} is writable by others`;
    if (dirname(up) === up) return undefined;
  }
}

/**
 * The directory Node's compile cache is already using before keystash asks for one (set up by
 * NODE_COMPILE_CACHE at start-up), or undefined. module.getCompileCacheDir() answers from Node
 * 22.8; before it, NODE_COMPILE_CACHE is what Node read (unless NODE_DISABLE_COMPILE_CACHE).
 */
function cacheInUse(mod, env) {
  if (typeof mod.getCompileCacheDir === 'function') return mod.getCompileCacheDir() || undefined;
  if (env.NODE_COMPILE_CACHE && !env.NODE_DISABLE_COMPILE_CACHE) return resolve(env.NODE_COMPILE_CACHE);
  return undefined;
}

/** True when `inner` is `outer` or below it (both absolute). */
function within(inner, outer) {
  const r = relative(outer, resolve(inner));
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/**
 * The 'unchecked' result: a cache keystash did not choose or check is in use. `refused` is the
 * reason keystash's own directory failed its check when the cache in use lies inside it.
 */
function unchecked(inUse, checked, refused, disabled) {
  const where = inUse === undefined ? 'in a directory Node does not name' : `at ${JSON.stringify(inUse)}`;
  const what = refused !== undefined ? `in keystash's cache directory, which its check refuses (${refused})` : `not in a directory keystash checked${disabled ? ' (KEYSTASH_NO_COMPILE_CACHE=1 asked for none)' : ''}`;
  const warning =
    `Node's compile cache is in use ${where} (set by NODE_COMPILE_CACHE before keystash started), ${what}: ` +
    'whoever can write there chooses the code keystash runs; unset NODE_COMPILE_CACHE (or set NODE_DISABLE_COMPILE_CACHE=1) when running keystash';
  const result = { status: 'unchecked', warning };
  if (inUse !== undefined) result.dir = inUse;
  if (checked !== undefined) result.checked = checked;
  return result;
}

/**
 * Turn on Node's compile cache for what this process loads from now on. Returns what happened:
 * { status: 'enabled' | 'unsupported' | 'disabled' | 'refused' | 'failed' | 'unchecked', dir?,
 * reason?, checked?, warning? } — `dir` is the directory in use where there is one; with
 * 'unchecked' it is the one NODE_COMPILE_CACHE chose, `checked` keystash's own (when it was
 * checked), and `warning` a line for stderr. Never throws: without a cache keystash is only slower.
 */
function enableCompileCache(env = process.env) {
  // Node 20 has no compile cache (nor NODE_COMPILE_CACHE); loading node:module there would cost
  // more than it saves.
  if (Number(process.versions.node.split('.')[0]) < 22) return { status: env.KEYSTASH_NO_COMPILE_CACHE === '1' ? 'disabled' : 'unsupported' };
  const mod = require('node:module');
  const inUse = cacheInUse(mod, env);
  if (env.KEYSTASH_NO_COMPILE_CACHE === '1') return inUse === undefined ? { status: 'disabled' } : unchecked(inUse, undefined, undefined, true);
  if (typeof mod.enableCompileCache !== 'function') return { status: 'unsupported' };
  let dir;
  try {
    dir = cacheDir(env);
    if (inUse !== undefined && (dir === undefined || !within(inUse, dir))) return unchecked(inUse, undefined, undefined, false);
    if (dir === undefined) return { status: 'failed', reason: 'no home directory' };
    const reason = unsafeReason(dir);
    if (reason !== undefined) return inUse === undefined ? { status: 'refused', dir, reason } : unchecked(inUse, dir, reason, false);
    if (inUse !== undefined) return { status: 'enabled', dir: inUse };
    const result = mod.enableCompileCache(dir);
    const ok = result.status === mod.constants.compileCacheStatus.ENABLED;
    if (result.status === mod.constants.compileCacheStatus.ALREADY_ENABLED) {
      const now = result.directory ?? (typeof mod.getCompileCacheDir === 'function' ? mod.getCompileCacheDir() : undefined);
      return now !== undefined && within(now, dir) ? { status: 'enabled', dir: now } : unchecked(now, dir, undefined, false);
    }
    return ok ? { status: 'enabled', dir: result.directory ?? dir } : { status: 'failed', dir, reason: result.message };
  } catch (error) {
    return { status: 'failed', dir, reason: error && error.code ? error.code : String(error) };
  }
}

module.exports = { cacheDir, enableCompileCache };
