/**
 * Ownership checks for the files keystash keeps keys and secrets in: the data directory, the
 * keyring and the SQLite store (with its -wal and -shm files). Each must be the effective user's
 * own, not writable by group or others, and not a symbolic link; otherwise another local user
 * could plant a keyring they know (and later decrypt what is sealed under it) or swap the store.
 * A refusal is a ConfigError (exit 9) with the command that fixes it. Paths that do not exist yet
 * pass: keystash creates them 0700/0600 itself. No checks on Windows (no uid or mode bits).
 */
import { lstatSync, realpathSync, statSync, type Stats } from 'node:fs';
import { dirname, join, parse, resolve, sep } from 'node:path';
import { ConfigError } from './errors.js';

/** The effective uid, or undefined where there is none (Windows). */
function effectiveUid(): number | undefined {
  return typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

function unsafe(message: string): ConfigError {
  return new ConfigError(message, { code: 'config.unsafePath' });
}

/**
 * Throws ConfigError when `stat` (an lstat of `path`) is a symbolic link, is owned by another user
 * than the effective one, or has any of `forbiddenMode` set (default: writable by group or
 * others). `what` names it ("keyring").
 */
export function checkOwnedStat(path: string, stat: Stats | { isSymbolicLink(): boolean; uid: number; mode: number }, what: string, forbiddenMode = 0o022): void {
  const euid = effectiveUid();
  if (euid === undefined) return;
  if (stat.isSymbolicLink()) {
    throw unsafe(`${what} ${path} is a symbolic link, which keystash does not follow for its own files; replace it with the real ${what}: mv "$(readlink -f ${path})" ${path}`);
  }
  if (stat.uid !== euid) {
    throw unsafe(`${what} ${path} belongs to uid ${stat.uid}, not to you (uid ${euid}); if you trust its contents run: chown ${euid} ${path}; otherwise remove it`);
  }
  if ((stat.mode & forbiddenMode) !== 0) {
    const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw unsafe(`${what} ${path} is writable by other users (mode ${octal}); run: chmod go-w ${path}`);
  }
}

/** {@link checkOwnedStat} on `path` itself (not following a link); a missing path passes. */
export function checkOwnedPath(path: string, what: string): void {
  let stat: Stats;
  try {
    stat = lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ConfigError(`cannot check ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'I/O error'}`, { cause: err });
  }
  checkOwnedStat(path, stat, what);
}

/** The data directory holding `file`, then `file` itself ({@link checkOwnedPath} on both). */
function checkOwnedFile(file: string, what: string): void {
  checkOwnedPath(dirname(file), 'data directory');
  checkOwnedPath(file, what);
}

/** A SQLite store file with its directory and its -wal and -shm files. */
export function checkStoreFiles(file: string): void {
  checkOwnedFile(file, 'store');
  checkOwnedPath(`${file}-wal`, 'store journal');
  checkOwnedPath(`${file}-shm`, 'store shared memory file');
}

/**
 * Where a private file may be created: `dir` with every link resolved, when it and every directory
 * above it are closed to other users (owned by the effective user or root, and writable by nobody
 * else unless sticky, as /tmp is), and so is every symbolic link on the way and the directory that
 * holds it; otherwise `problem` says why. In a directory another user controls — or below one, or
 * through a link of theirs, which they can point elsewhere — they could rename the new file away
 * or redirect the path, and put their own file where the reader expects keystash's.
 * No checks on Windows.
 */
export function privateDirectory(dir: string): { real: string; problem?: string } {
  const euid = effectiveUid();
  let real: string;
  try {
    real = realpathSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { real: dir, problem: code === 'ENOENT' ? `${dir} does not exist` : `${dir} cannot be resolved (${code ?? 'error'})` };
  }
  if (euid === undefined) return { real };
  const problem = linkProblem(resolve(dir), euid) ?? ancestorProblem(real, euid);
  return problem === undefined ? { real } : { real, problem };
}

/** The first symbolic link on the (absolute) path `abs` that another user could re-point, if any. */
function linkProblem(abs: string, euid: number): string | undefined {
  let at = parse(abs).root;
  for (const part of abs.slice(at.length).split(sep).filter((p) => p !== '')) {
    at = join(at, part);
    const stat = lstatSync(at);
    if (!stat.isSymbolicLink()) continue;
    if (stat.uid !== euid && stat.uid !== 0) return `${at} is a symbolic link of another user (uid ${stat.uid}), who could point it elsewhere`;
    const holder = ancestorProblem(realpathSync(dirname(at)), euid);
    if (holder !== undefined) return holder;
  }
  return undefined;
}

/** Why the (resolved) directory `real` or one above it is open to other users, if it is. */
function ancestorProblem(real: string, euid: number): string | undefined {
  for (let at = real; ; at = dirname(at)) {
    const stat = statSync(at);
    if (stat.uid !== euid && stat.uid !== 0) return `${at} belongs to another user (uid ${stat.uid}), who could replace what keystash writes there`;
    if ((stat.mode & 0o022) !== 0 && (stat.mode & 0o1000) === 0) {
      const octal = (stat.mode & 0o7777).toString(8).padStart(4, '0');
      return `other users can write ${at} (mode ${octal}, not sticky) and could replace what keystash writes there`;
    }
    if (dirname(at) === at) return undefined;
  }
}
