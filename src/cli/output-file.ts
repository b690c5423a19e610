/**
 * Writing command output to a file the user names (`export -o`, `inject -o`, `backup -o`). The text
 * holds secrets (or encrypted rows), so:
 * - `-o -`, `-o /dev/stdout` (and `/dev/fd/1`, `/proc/self/fd/1`) are standard output, like `-i -`;
 * - a replaced file is never narrowed in place (a reader who opened it before would read on): the
 *   text goes to a new 0600 file beside it (O_EXCL, no symlink followed), fsynced, then renamed
 *   over the target;
 * - a target that is a symbolic link, or a file owned by another user, is refused, and so is one in
 *   a directory another user could swap it in (owned by someone other than the user or root, or
 *   writable by others without the sticky bit);
 * - an appended file (`-o "$GITHUB_ENV"`) must be a regular file readable by nobody else, and the
 *   user's own — or, as in a GitHub `container:` job where the step runs as root and the runner's
 *   user (uid 1001) owns `$GITHUB_ENV`, the very file the runner named in this process's
 *   environment (`$GITHUB_ENV`, `$GITHUB_OUTPUT`, `$GITHUB_PATH`, `$GITHUB_STATE`,
 *   `$GITHUB_STEP_SUMMARY`: same device and inode), owned by the user who also owns its directory, a
 *   directory nobody else can write. Another user's file that the runner did not name (say one
 *   planted in that user's own directory under /tmp) is refused: as root, appending to it would
 *   hand that user the secrets. Checked again on the open descriptor. A file whose last line has
 *   no line break gets one first, so the first line written is not glued onto it;
 * - something that is not a regular file is written through, its mode untouched (as root, a chmod
 *   or rename of /dev/null would break every other user of it), only when it cannot be another
 *   user's trap: a FIFO or socket must be the user's own and closed to group and others (a FIFO
 *   planted by another user would hand them the text; one of yours that others may open lets them
 *   race your reader for it); a character device must be the user's own or root's (`/dev/null`, your
 *   terminal; only root can make device nodes); a block device is refused.
 */
import { randomBytes } from 'node:crypto';
import { constants, fstatSync, promises as fsPromises, statSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UsageError } from '../errors.js';
import { privateDirectory } from '../fs-safety.js';

const { O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_APPEND, O_NOFOLLOW = 0 } = constants;

/** Names that mean this process's standard output, not a file to check or replace. */
const STANDARD_OUTPUT: ReadonlySet<string> = new Set(['-', '/dev/stdout', '/dev/fd/1', '/proc/self/fd/1']);

/** True when an `-o` value means standard output (or no `-o` was given). */
export function isStandardOutput(path: string | undefined): boolean {
  return path === undefined || STANDARD_OUTPUT.has(path);
}

/** True when `path` is the very file this process's standard output is (same device and inode). */
export function isStandardOutputFile(path: string): boolean {
  try {
    const out = fstatSync(1);
    const target = statSync(path);
    return out.isFile() && out.dev === target.dev && out.ino === target.ino;
  } catch {
    return false;
  }
}

/** The runner's file commands a workflow step appends to, as named in the step's environment. */
const RUNNER_FILES = ['GITHUB_ENV', 'GITHUB_OUTPUT', 'GITHUB_PATH', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY'] as const;

/** The paths of the runner's file commands in `env` (the only other user's files an append may reach). */
export function runnerFiles(env: Readonly<Record<string, string | undefined>>): string[] {
  return RUNNER_FILES.map((name) => env[name]).filter((path): path is string => path !== undefined && path !== '');
}

/** Write `text` to `-o path`, or to `stdout` when there is none or it names standard output. */
export async function writeOutput(stdout: { write(chunk: string): unknown }, path: string | undefined, text: string, options: OutputOptions): Promise<void> {
  checkOutputPath(path);
  if (path === undefined || isStandardOutput(path)) {
    stdout.write(text);
    return;
  }
  await writeOutputFile(path, text, options);
}

/** How `-o FILE` is written. */
export interface OutputOptions {
  /** Add to an existing private file (created 0600 if missing) instead of replacing it. */
  append?: boolean;
  /** The runner's file commands (see runnerFiles), which an append may reach although another user owns them. */
  runnerNamed?: readonly string[];
  /** keystash's data directory: nothing is written into it (its keyring, store and audit log live there). */
  dataDir: string;
}

/** Write `text` to `path`, replacing it or (`append`) adding to it. */
async function writeOutputFile(path: string, text: string, { append = false, runnerNamed = [], dataDir }: OutputOptions): Promise<void> {
  checkOutputPath(path);
  // Everything below works on the resolved directory: a symbolic link in the path that another
  // user could flip between the checks and the write is followed once, here, and checked.
  const dir = privateDirectory(dirname(path));
  const target = join(dir.real, basename(path));
  if (dir.problem === undefined && sameDirectory(dir.real, dataDir)) {
    throw new UsageError(`refusing to write ${path}: it is in keystash's data directory, where its keyring and store live; choose another path`);
  }
  const existing = await fsPromises.lstat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw cannotWrite(path, error);
  });
  if (existing?.isSymbolicLink()) throw new UsageError(`refusing to write ${path}: it is a symbolic link (give the path of a regular file)`);
  if (existing !== undefined && !existing.isFile()) return writeThrough(target, text, append, existing);
  let owner: number | undefined;
  if (existing !== undefined) owner = append ? await appendOwner(target, existing, runnerNamed) : checkOwned(path, existing, false);
  // A file the runner named (another user's, as appendOwner allowed) has its directory checked
  // there; any other file must be in a directory closed to other users (fs-safety.ts).
  if ((owner === undefined || owner === process.geteuid?.()) && dir.problem !== undefined) {
    throw new UsageError(`refusing to write ${path}: ${dir.problem}; choose a directory of your own`);
  }
  if (append) return appendPrivate(target, text, existing !== undefined, owner);
  return replacePrivate(target, text);
}

/**
 * True when `real` is the directory `other` (when it exists): the same device and inode, so a bind
 * mount or another name of it counts too, not only the same resolved path.
 */
function sameDirectory(real: string, other: string): boolean {
  try {
    const a = statSync(real);
    const b = statSync(other);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/** The uid a target may belong to: the user's own; refuses another's, and (`privateMode`) open modes. */
function checkOwned(path: string, stat: Stats, privateMode: boolean, allowedOwner?: number): number | undefined {
  const euid = process.geteuid?.();
  if (euid === undefined) return undefined; // Windows: no uid or mode bits to check
  if (stat.uid !== euid && stat.uid !== allowedOwner) throw new UsageError(`refusing to write ${path}: it belongs to another user (uid ${stat.uid}); remove it or choose another path`);
  if (privateMode) checkPrivate(path, stat);
  return stat.uid;
}

function checkPrivate(path: string, stat: Stats): void {
  if ((stat.mode & 0o077) !== 0) {
    const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new UsageError(`refusing to append secrets to ${path}: other users can access it (mode ${octal}); run: chmod 600 ${path}`);
  }
}

/**
 * The owner an appended file may have: the user's own, or — for a file the runner named (a
 * `container:` job's `$GITHUB_ENV`) — the owner of its directory when that directory is closed to
 * writers other than its owner.
 */
async function appendOwner(path: string, stat: Stats, runnerNamed: readonly string[]): Promise<number | undefined> {
  const euid = process.geteuid?.();
  if (euid === undefined || stat.uid === euid) return checkOwned(path, stat, true);
  if (!(await isRunnerNamed(stat, runnerNamed))) return checkOwned(path, stat, true);
  const parent = await fsPromises.lstat(dirname(path)).catch(() => undefined);
  const ownDirectory = parent !== undefined && parent.isDirectory() && parent.uid === stat.uid && (parent.mode & 0o022) === 0;
  return checkOwned(path, stat, true, ownDirectory ? stat.uid : undefined);
}

/** True when `stat` is the file one of the runner's variables names (same device and inode). */
async function isRunnerNamed(stat: Stats, runnerNamed: readonly string[]): Promise<boolean> {
  for (const named of runnerNamed) {
    const other = await fsPromises.lstat(named).catch(() => undefined);
    if (other !== undefined && other.isFile() && other.dev === stat.dev && other.ino === stat.ino) return true;
  }
  return false;
}

async function appendPrivate(path: string, text: string, exists: boolean, owner: number | undefined): Promise<void> {
  // Read and write: the last byte of what is there decides whether a line break comes first.
  const flags = O_RDWR | O_APPEND | O_NOFOLLOW | (exists ? 0 : O_CREAT | O_EXCL);
  const file = await fsPromises.open(path, flags, 0o600).catch((error: NodeJS.ErrnoException) => {
    throw cannotWrite(path, error);
  });
  try {
    // The checks again on what was opened: the path may have been swapped since the lstat.
    const stat = await file.stat();
    if (!stat.isFile()) throw new UsageError(`refusing to write ${path}: it is not a regular file`);
    checkOwned(path, stat, true, owner);
    await file.writeFile((await endsOpenLine(file, stat.size)) ? `\n${text}` : text);
  } finally {
    await file.close();
  }
}

/**
 * Whether a file of `size` bytes ends inside a line (its last byte is not a line feed). Appending
 * there would glue the first line written to the last one: `KEY<<EOF` glued to `FOO=bar` makes
 * `FOO=barKEY<<EOF`, and the value's lines that follow turn into assignments of their own.
 */
async function endsOpenLine(file: fsPromises.FileHandle, size: number): Promise<boolean> {
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  const { bytesRead } = await file.read(last, 0, 1, size - 1);
  return bytesRead === 1 && last[0] !== 0x0a;
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

async function writeThrough(path: string, text: string, append: boolean, stat: Stats): Promise<void> {
  checkSpecial(path, stat);
  try {
    const file = await fsPromises.open(path, O_WRONLY | O_NOFOLLOW | (append ? O_APPEND : 0));
    try {
      // What was opened must pass the same checks (the path may have been swapped since the lstat).
      const opened = await file.stat();
      if (opened.isFile() || opened.dev !== stat.dev || opened.ino !== stat.ino) throw new UsageError(`refusing to write ${path}: it changed while it was opened`);
      await file.writeFile(text);
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw cannotWrite(path, error as NodeJS.ErrnoException);
  }
}

/** A FIFO of the user's own closed to others, a character device of the user or root; no socket. */
function checkSpecial(path: string, stat: Stats): void {
  if (stat.isDirectory()) throw new UsageError(`cannot write ${path}: it is a directory`);
  if (stat.isBlockDevice()) throw new UsageError(`refusing to write ${path}: it is a block device`);
  // open(2) cannot write a Unix socket (ENXIO); say what it is rather than pass on the errno.
  if (stat.isSocket()) throw new UsageError(`refusing to write ${path}: it is a socket; give a regular file, a FIFO or a terminal`);
  const euid = process.geteuid?.();
  if (euid === undefined) return;
  if (stat.isCharacterDevice()) {
    if (stat.uid !== euid && stat.uid !== 0) throw new UsageError(`refusing to write ${path}: it is a device that belongs to another user (uid ${stat.uid})`);
    return;
  }
  const kind = stat.isFIFO() ? 'a FIFO' : 'not a regular file';
  if (stat.uid !== euid) throw new UsageError(`refusing to write ${path}: it is ${kind} that belongs to another user (uid ${stat.uid}); remove it or choose another path`);
  if ((stat.mode & 0o077) !== 0) {
    const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
    throw new UsageError(`refusing to write ${path}: it is ${kind} other users can open (mode ${octal}); run: chmod 600 ${path}`);
  }
}

function cannotWrite(path: string, error: NodeJS.ErrnoException): UsageError {
  return new UsageError(`cannot write ${path}: ${error.code ?? error.message}`, { cause: error });
}

/** `-o ''` (an unset shell variable) is a usage error that says so, not "cannot write : ENOENT". */
export function checkOutputPath(path: string | undefined): void {
  if (path === '') throw new UsageError("the output path is empty (-o ''): give a file name, or leave -o out to write to stdout");
  if (path !== undefined && STANDARD_ERROR.has(path)) throw new UsageError(`-o ${path}: keystash writes data only to stdout or a file, never to standard error (where logs collect it); redirect stdout if you mean it: 1>&2`);
}

/** Names of standard error: a symbolic link like any other to the file checks, so named here. */
const STANDARD_ERROR: ReadonlySet<string> = new Set(['/dev/stderr', '/dev/fd/2', '/proc/self/fd/2']);
