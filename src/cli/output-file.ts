/**
 * Writing command output to a file the user names (`export -o`, `backup -o`). The text holds
 * secrets (or encrypted rows), so:
 * - a replaced file is never narrowed in place (a reader who opened it before would read on): the
 *   text goes to a new 0600 file beside it (O_EXCL, no symlink followed), fsynced, then renamed
 *   over the target;
 * - a target that is a symbolic link, or a file owned by another user, is refused;
 * - an appended file (`-o "$GITHUB_ENV"`) must be the user's own regular file, readable by nobody
 *   else (checked again on the open descriptor);
 * - something that is not a regular file (`-o /dev/null`, a FIFO) is written through, its mode
 *   untouched (as root, a chmod or rename of /dev/null would break every other user of it).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fsPromises, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW = 0 } = constants;

/** Write `text` to `path`; `append` adds to an existing private file (created 0600 if missing). */
export async function writeOutputFile(path: string, text: string, append: boolean): Promise<void> {
  checkOutputPath(path);
  const existing = await fsPromises.lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw cannotWrite(path, error);
  });
  if (existing?.isSymbolicLink()) throw new UsageError(`refusing to write ${path}: it is a symbolic link (give the path of a regular file)`);
  if (existing !== undefined && !existing.isFile()) return writeThrough(path, text, append);
  if (existing !== undefined) checkOwned(path, existing, append);
  if (append) return appendPrivate(path, text, existing !== undefined);
  return replacePrivate(path, text);
}

function checkOwned(path: string, stat: Stats, privateMode: boolean): void {
  const euid = process.geteuid?.();
  if (euid === undefined) return; // Windows: no uid or mode bits to check
  if (stat.uid !== euid) throw new UsageError(`refusing to write ${path}: it belongs to another user (uid ${stat.uid}); remove it or choose another path`);
  if (privateMode && (stat.mode & 0o077) !== 0) {
    const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new UsageError(`refusing to append secrets to ${path}: other users can access it (mode ${octal}); run: chmod 600 ${path}`);
  }
}

async function appendPrivate(path: string, text: string, exists: boolean): Promise<void> {
  const flags = O_WRONLY | O_APPEND | O_NOFOLLOW | (exists ? 0 : O_CREAT | O_EXCL);
  const file = await fsPromises.open(path, flags, 0o600).catch((error: NodeJS.ErrnoException) => {
    throw cannotWrite(path, error);
  });
  try {
    // The checks again on what was opened: the path may have been swapped since the lstat.
    const stat = await file.stat();
    if (!stat.isFile()) throw new UsageError(`refusing to write ${path}: it is not a regular file`);
    checkOwned(path, stat, true);
    await file.writeFile(text);
  } finally {
    await file.close();
  }
}

async function replacePrivate(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let placed = false;
  try {
    const file = await fsPromises.open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await fsPromises.rename(tmp, path);
    placed = true;
  } catch (error) {
    throw cannotWrite(path, error as NodeJS.ErrnoException);
  } finally {
    if (!placed) await fsPromises.unlink(tmp).catch(() => undefined);
  }
}

async function writeThrough(path: string, text: string, append: boolean): Promise<void> {
  try {
    const file = await fsPromises.open(path, O_WRONLY | O_NOFOLLOW | (append ? O_APPEND : 0));
    try {
      await file.writeFile(text);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw cannotWrite(path, error as NodeJS.ErrnoException);
  }
}

function cannotWrite(path: string, error: NodeJS.ErrnoException): UsageError {
  return new UsageError(`cannot write ${path}: ${error.code ?? error.message}`, { cause: error });
}

/** `-o ''` (an unset shell variable) is a usage error that says so, not "cannot write : ENOENT". */
export function checkOutputPath(path: string | undefined): void {
  if (path === '') throw new UsageError("the output path is empty (-o ''): give a file name, or leave -o out to write to stdout");
}
