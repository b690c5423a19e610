/**
 * CSV output (credstash-format.md §3.8): one `name,value` row per secret in the given order,
 * Python csv "excel" dialect quoting, `\n` row terminator (credstash on POSIX). Read it back with a
 * CSV reader that keeps newlines inside quoted fields (Python: `open(..., newline='')`).
 */
import type { FormatOptions, SecretMap } from './types.js';
import { secretEntries } from './types.js';

/** Fields containing these, or starting or ending with a space, are quoted. */
const NEEDS_QUOTES = /[,"\r\n]|^ | $/;

/**
 * One CSV field, excel dialect: quoted with `"` when it contains `,` `"` CR or LF or has a
 * leading/trailing space; `"` inside is doubled. Other text (including the empty string) is bare.
 */
export function csvField(text: string): string {
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Render secrets as `name,value` rows, each ended by `\n` (empty input → empty text). */
export function renderCsv(secrets: SecretMap, _options?: FormatOptions): string {
  return secretEntries(secrets)
    .map(([name, value]) => `${csvField(name)},${csvField(value)}\n`)
    .join('');
}
