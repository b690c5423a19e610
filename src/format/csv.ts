/**
 * CSV output (docs/format.md §3.8): one `name,value` row per secret in the given order,
 * Python csv "excel" dialect quoting, `\n` row terminator (credstash on POSIX). Read it back with a
 * CSV reader that keeps newlines inside quoted fields (Python: `open(..., newline='')`).
 *
 * Formula injection: a spreadsheet opening the file runs a cell starting with `=`, `+`, `-` or
 * `@` as a formula, and names and values come from whoever may write a secret. `csvSafe` (CLI
 * `--csv-safe`) prefixes such cells (and ones starting with TAB or CR, as OWASP advises) with `'`,
 * which spreadsheets show as text; the file then no longer reads back byte for byte.
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

/** Cells a spreadsheet would evaluate (OWASP "CSV Injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;

/** `text` made inert for spreadsheets: a leading `'` before a formula-starting character. */
function csvSafeText(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * Render secrets as `name,value` rows, each ended by `\n` (empty input → empty text); with
 * `csvSafe`, formula-starting cells are prefixed with `'` first.
 */
export function renderCsv(secrets: SecretMap, options: FormatOptions = {}): string {
  const cell = options.csvSafe ? (text: string) => csvField(csvSafeText(text)) : csvField;
  return secretEntries(secrets)
    .map(([name, value]) => `${cell(name)},${cell(value)}\n`)
    .join('');
}
