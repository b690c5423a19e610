/**
 * `.env` output that two consumers read back identically: a POSIX shell sourcing the file
 * (`set -a; . ./.env`) and the npm `dotenv` parser (v16 `parse`). One `NAME=quoted` line per
 * secret in the given order; names follow varname.ts. credstash wrote `NAME='value'` without any
 * escaping (docs/format.md §3.8), which breaks on `'` and newlines; this does not.
 *
 * Quoting is chosen per value:
 * - `NAME='value'` when the value has no `'` and does not end with `\`. A shell keeps single-quoted
 *   text verbatim; dotenv's single-quote rule (`'(?:\\'|[^'])*'`) ends at the first `'` not
 *   preceded by `\`, so a trailing `\` would swallow the closing quote.
 * - `NAME="value"` when the value has a `'` but none of `"` `\` `$` and backtick: inside double
 *   quotes the shell treats only those four specially, and dotenv only `"`, `\n`, `\r`.
 * - anything else is refused with a UsageError naming the secret; so are values with a carriage
 *   return (dotenv turns every CR into LF before parsing, the shell does not) or a NUL (no
 *   environment variable can hold one). Newlines are fine in both quotings.
 */
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { otherFormats, quoteName } from './types.js';
import { variableEntries } from './varname.js';

const DOUBLE_QUOTE_SPECIALS = /["\\$`]/;

/**
 * The quoted form of `value` for `.env` (rules above), or the reason it cannot be written; the
 * reason never contains the value.
 */
export function quoteDotenvValue(value: string): { quoted: string } | { refused: string } {
  if (value.includes('\0')) return { refused: 'its value contains a NUL character, which no environment variable can hold' };
  if (value.includes('\r')) return { refused: 'its value contains a carriage return, which the dotenv parser reads as a newline' };
  if (!value.includes("'") && !value.endsWith('\\')) return { quoted: `'${value}'` };
  if (!DOUBLE_QUOTE_SPECIALS.test(value)) return { quoted: `"${value}"` };
  const first = value.includes("'") ? "contains '" : 'ends with \\';
  return {
    refused: `its value ${first} and also one of " \\ $ \` — no quoting reads back the same in a POSIX shell and in the dotenv parser`,
  };
}

/**
 * Render secrets as `.env` lines `NAME='value'` / `NAME="value"`, each ended by `\n`. Throws
 * UsageError naming the secret for a name varname.ts refuses or a value no quoting can carry
 * (then nothing is returned: never a file that reads back differently).
 */
export function renderDotenv(secrets: SecretMap, options: FormatOptions = {}): string {
  return variableEntries(secrets, options.stripPrefix, options.allowEnv)
    .map(([name, value, varName]) => {
      const result = quoteDotenvValue(value);
      if ('refused' in result) {
        throw new UsageError(`secret ${quoteName(name)} cannot be written in dotenv format: ${result.refused}; ${otherFormats(value)}`);
      }
      return `${varName}=${result.quoted}\n`;
    })
    .join('');
}
