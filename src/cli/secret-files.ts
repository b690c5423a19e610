/**
 * `exec --file VAR=name`: the one place keystash puts plaintext on a file system, on purpose and
 * documented (README "exec", SECURITY.md). Each value goes to a file created 0600 (O_EXCL, no
 * symlink followed) in a fresh directory made 0700 by mkdtemp, under $XDG_RUNTIME_DIR when set (a
 * per-user tmpfs on most Linux systems), else the system temporary directory — whichever is
 * closed to other users (makePrivateDir). The directory is
 * removed when the work is done — also when keystash is interrupted (every signal exec forwards,
 * signals.ts, is caught for the duration, so it ends the child rather than keystash) and, as a last
 * resort, synchronously when the process exits.
 */
import { constants, mkdtempSync, promises as fsPromises, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvEntry } from '../core/process/exec-env.js';
import { ConfigError } from '../errors.js';
import { privateDirectory } from '../fs-safety.js';
import { FORWARDED_SIGNALS } from './signals.js';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW = 0 } = constants;
const CAUGHT = FORWARDED_SIGNALS;

/** What `run` gets: the entries with file values replaced by paths, and the first signal caught. */
interface SecretFilesScope {
  entries: EnvEntry[];
  /** The signal received since the files were set up, if any (then do not start the child). */
  signal(): NodeJS.Signals | undefined;
}

/**
 * Write the `file` entries to private files, call `run` with the entries pointing at them, then
 * remove the directory whatever happens. Without file entries `run` is called unchanged.
 */
export async function withSecretFiles<T>(entries: readonly EnvEntry[], env: Readonly<Record<string, string | undefined>>, run: (scope: SecretFilesScope) => Promise<T>): Promise<T> {
  if (!entries.some((e) => e.file)) return run({ entries: [...entries], signal: () => undefined });
  const dir = makePrivateDir(env.XDG_RUNTIME_DIR);
  let caught: NodeJS.Signals | undefined;
  const handlers = CAUGHT.map((signal) => {
    const handler = () => void (caught ??= signal);
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  const removeNow = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeNow);
  try {
    const used = new Set<string>();
    const placed: EnvEntry[] = [];
    for (const entry of entries) {
      if (!entry.file) {
        placed.push(entry);
        continue;
      }
      const path = join(dir, fileName(entry.name, used));
      const file = await fsPromises.open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
      try {
        await file.writeFile(entry.value);
      } finally {
        await file.close();
      }
      placed.push({ varName: entry.varName, name: entry.name, value: path });
    }
    return await run({ entries: placed, signal: () => caught });
  } finally {
    removeNow();
    process.removeListener('exit', removeNow);
    for (const [signal, handler] of handlers) process.removeListener(signal, handler);
  }
}

/**
 * mkdtemp (mode 0700) under `runtimeDir` when it is usable, else the temporary directory — each
 * only when it and every directory above it are closed to other users (fs-safety.ts): in a TMPDIR
 * another user can write without the sticky bit, or reached through their link, they could rename
 * the fresh directory away and put theirs in its place before the files are written. None usable:
 * refused (exit 9) with what to set, never a fallback to a place others control.
 */
function makePrivateDir(runtimeDir: string | undefined): string {
  const problems: string[] = [];
  for (const parent of new Set([runtimeDir, tmpdir()].filter((d): d is string => Boolean(d)))) {
    const place = privateDirectory(parent);
    if (place.problem !== undefined) {
      problems.push(place.problem);
      continue;
    }
    try {
      return mkdtempSync(join(place.real, 'keystash-files-'));
    } catch (error) {
      problems.push(`${parent}: ${(error as NodeJS.ErrnoException).code ?? 'cannot create a directory there'}`);
    }
  }
  throw new ConfigError(`exec --file: no private place for the secret files (${problems.join('; ')}); set TMPDIR to a directory of your own`);
}

/** A file name from the secret name (`prod/tls.key` → `prod_tls.key`), unique in the directory. */
function fileName(secretName: string, used: Set<string>): string {
  let base = secretName.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 200);
  if (base === '') base = 'secret';
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}.${n}`;
  used.add(name);
  return name;
}
