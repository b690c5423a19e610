/**
 * Create the data directory one level at a time before a local store or keyring opens it.
 * Node's `mkdirSync(..., { recursive: true })` loops forever (100 % CPU) when a parent exists but
 * refuses new entries with ENOENT, as /proc and /sys do; here each missing level is made once,
 * parent first, and any refusal is a ConfigError naming the directory. The place must be closed
 * to other users, every level above it and every link on the way (fs-safety.ts privateDirectory).
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';
import { privateDirectory } from './fs-safety.js';

/** Make `dir` (mode 0700) and its missing parents, or throw ConfigError; an existing directory is left as it is. */
export function ensureDataDir(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new ConfigError(`data directory ${dir}: ${at} exists and is not a directory`);
      break;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw unusable(dir, error);
      const parent = dirname(at);
      missing.unshift(at);
      if (parent === at) break;
      at = parent;
    }
  }
  // Where the data directory is, up to the root: another user who can rename or re-point a level
  // above it could swap in a keyring they know, or move the store away. (The directory itself is
  // checked, with its own fix, where its files are opened: fs-safety.ts checkOwnedPath.)
  const place = privateDirectory(at === dir ? dirname(dir) : at);
  if (place.problem !== undefined) {
    throw new ConfigError(`data directory ${dir}: ${place.problem}; choose a data directory of your own (--data-dir or KEYSTASH_HOME)`, { code: 'config.unsafePath' });
  }
  for (const level of missing) {
    try {
      mkdirSync(level, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw unusable(dir, error);
    }
  }
}

function unusable(dir: string, error: unknown): ConfigError {
  const code = (error as NodeJS.ErrnoException).code ?? 'error';
  return new ConfigError(`data directory ${dir} cannot be created (${code}); choose another with --data-dir or KEYSTASH_HOME`, { cause: error });
}
