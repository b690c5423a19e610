/**
 * POSIX shell output: `export NAME='value'` lines for `eval "$(…)"` or `. file` in sh, dash,
 * bash, ksh or zsh. Single quotes keep every byte verbatim; a `'` in the value is written as
 * `'\''` (close, escaped quote, reopen). Names follow varname.ts.
 */
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { quoteName } from './types.js';
import { variableEntries } from './varname.js';

/** `value` as one single-quoted shell word that evaluates to exactly `value`. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", "'\\''")}'`;
}

/**
 * Render secrets as `export NAME='value'` lines, each ended by `\n`, in the given order. Every
 * value is representable except one containing NUL (no shell variable or environment variable
 * can hold it): UsageError naming the secret.
 */
export function renderShell(secrets: SecretMap, options: FormatOptions = {}): string {
  return variableEntries(secrets, options.stripPrefix, options.allowEnv)
    .map(([name, value, varName]) => {
      if (value.includes('\0')) {
        throw new UsageError(`secret ${quoteName(name)} cannot be written as a shell variable: its value contains a NUL character`);
      }
      return `export ${varName}=${shellQuote(value)}\n`;
    })
    .join('');
}
