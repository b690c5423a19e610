/**
 * The upstream lists of unsafe variables vendored in test/vectors/ (see its README), parsed from
 * their original text, and the variable names an entry of src/format/unsafe-env.ts stands for.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const VECTORS = resolve(import.meta.dirname, '../vectors');

/** The quoted strings of sudo's `initial_badenv_table[] = { … };`, as written upstream. */
export function sudoBadenvTable(): string[] {
  const text = readFileSync(join(VECTORS, 'sudo-env-badenv.c.txt'), 'utf8');
  const body = /initial_badenv_table\[\] = \{([\s\S]*?)\n\};/.exec(text)?.[1] ?? '';
  return [...body.matchAll(/^\s*"([^"]*)",/gm)].map((m) => m[1] ?? '');
}

/** The names of glibc's `#define UNSECURE_ENVVARS "NAME\0" …`, as written upstream. */
export function glibcUnsecureEnvvars(): string[] {
  const text = readFileSync(join(VECTORS, 'glibc-unsecvars.h.txt'), 'utf8');
  const body = text.slice(text.indexOf('#define UNSECURE_ENVVARS'));
  return [...body.matchAll(/"([^"\\]*)\\0"/g)].map((m) => m[1] ?? '');
}

/**
 * Variable names an entry stands for: the name itself, or for `PREFIX*` / `*SUFFIX` the bare
 * affix completed in a few ways (the naming rule only makes names of A–Z, 0–9 and `_`).
 */
export function instances(entry: string): string[] {
  if (entry.endsWith('*')) {
    const prefix = entry.slice(0, -1);
    return [`${prefix}X`, `${prefix}ANY_THING_9`, ...(/[A-Z0-9_]$/.test(prefix) && prefix.length > 1 ? [prefix] : [])];
  }
  if (entry.startsWith('*')) return [`X${entry.slice(1)}`, `ANY_THING${entry.slice(1)}`];
  return [entry];
}
