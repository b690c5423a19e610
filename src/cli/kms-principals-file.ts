/**
 * Reading the principals file of `kms serve --principals FILE` (format: src/kmsserver/principals.ts).
 * It holds secret access keys, so it must be the user's own regular file with mode 0600 (or
 * stricter); anything else is refused. Secrets may instead live in their own files (same rule)
 * or in environment variables named by the entry.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ConfigError } from '../errors.js';
import { privateDirectory } from '../fs-safety.js';
import { parsePrincipals } from '../kmsserver/principals.js';
import type { Principal, SecretReference } from '../kmsserver/principals.js';

const { O_RDONLY, O_NOFOLLOW = 0, O_NONBLOCK = 0 } = constants;

function unsafe(message: string): ConfigError {
  return new ConfigError(message, { code: 'config.unsafePath' });
}

/**
 * Read a file that holds secrets: own regular file, no group/other permission bits, in a directory
 * closed to other users (fs-safety.ts) — where another user could put their own file in its place
 * (their principal, their key) the checks on the file would prove nothing. Opened once, without
 * following a link, and judged by what was opened.
 */
export function readPrivateFile(path: string, what: string): string {
  const dir = privateDirectory(dirname(path));
  if (dir.problem !== undefined) throw unsafe(`${what} ${path}: ${dir.problem}; keep it in a directory of your own`);
  let fd: number;
  try {
    fd = openSync(join(dir.real, basename(path)), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw unsafe(`${what} ${path} is not a regular file (symbolic links are not followed)`);
    throw new ConfigError(`cannot read ${what} ${path}: ${code ?? 'I/O error'}`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw unsafe(`${what} ${path} is not a regular file (symbolic links are not followed)`);
    const euid = typeof process.geteuid === 'function' ? process.geteuid() : undefined;
    if (euid !== undefined && stat.uid !== euid) throw unsafe(`${what} ${path} belongs to uid ${stat.uid}, not to you (uid ${euid})`);
    if (euid !== undefined && (stat.mode & 0o077) !== 0) {
      const octal = (stat.mode & 0o777).toString(8).padStart(4, '0');
      throw unsafe(`${what} ${path} is accessible to other users (mode ${octal}); run: chmod 600 ${path}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** The principals listed in `path`, their secrets resolved from the file, files or `env`. */
export function loadPrincipals(path: string, env: Readonly<Record<string, string | undefined>>): Principal[] {
  const resolveSecret = (ref: SecretReference, where: string): string => {
    if (ref.secretAccessKey !== undefined) return ref.secretAccessKey;
    if (ref.secretAccessKeyFile !== undefined) return readPrivateFile(ref.secretAccessKeyFile, `secret access key file of ${where}`).replace(/\r?\n$/, '');
    const value = env[ref.secretAccessKeyEnv ?? ''];
    if (value === undefined || value === '') throw new ConfigError(`${where}: environment variable ${ref.secretAccessKeyEnv} is unset or empty`, { code: 'config.principals' });
    return value;
  };
  return parsePrincipals(readPrivateFile(path, 'principals file'), resolveSecret);
}

/** A new principals-file entry (what `kms principals` adds). */
export interface PrincipalEntry {
  accessKeyId: string;
  secretAccessKey: string;
  role: Array<'user' | 'manager'> | 'user' | 'manager';
  keys?: string[];
  context?: Record<string, string>;
}

/**
 * Add `entry` to the principals file at `path`, creating it (0600) when absent; an existing file
 * must pass {@link readPrivateFile} and hold a `principals` list. Written to a temporary file
 * (0600) and renamed over, so a reader never sees half a file.
 */
export function addPrincipalToFile(path: string, entry: PrincipalEntry): void {
  let doc: { principals: unknown[] } = { principals: [] };
  if (existsSync(path)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readPrivateFile(path, 'principals file'));
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`principals file ${path} is not valid JSON`, { code: 'config.principals' });
    }
    const list = (parsed as { principals?: unknown } | null)?.principals;
    if (!Array.isArray(list)) throw new ConfigError(`principals file ${path} has no "principals" list`, { code: 'config.principals' });
    doc = parsed as { principals: unknown[] };
  }
  doc.principals.push(entry);
  const dir = privateDirectory(dirname(path));
  if (dir.problem !== undefined) throw unsafe(`refusing to write principals file ${path}: ${dir.problem}; keep it in a directory of your own`);
  const target = join(dir.real, basename(path));
  const tmp = `${target}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** A new access key id (`AKIA` + 16 hex digits, upper case) and a 40-character secret. */
export function generateKeyPair(): { accessKeyId: string; secretAccessKey: string } {
  return { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
}
