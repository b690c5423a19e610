/**
 * credstash's JSON output (docs/format.md §3.8): Python
 * `json.dumps(d, sort_keys=True, indent=4, separators=(',', ': '))` with the default
 * `ensure_ascii=True`, reproduced byte for byte. No trailing newline (the caller adds one where
 * credstash's `print` did).
 */
import type { FormatOptions, SecretMap } from './types.js';
import { compareCodePoints, secretEntries } from './types.js';

const NAMED_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\f': '\\f',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/**
 * A JSON string literal as Python's `json.dumps` writes it with `ensure_ascii=True`: printable
 * ASCII (U+0020–U+007E) as is, except `"` and `\`; the five named control escapes; every other
 * UTF-16 code unit as `\uXXXX` in lower-case hex (astral characters become surrogate pairs,
 * DEL becomes `\u007f`); `/` is not escaped.
 */
export function pythonJsonString(text: string): string {
  let out = '"';
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    const ch = text[i] ?? '';
    const named = NAMED_ESCAPES[ch];
    if (named !== undefined) out += named;
    else if (unit >= 0x20 && unit <= 0x7e) out += ch;
    else out += `\\u${unit.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

/**
 * Render secrets as credstash's JSON object (§3.8): keys sorted by code point, 4-space indent,
 * `", "`-free separators (`,` at line end, `": "` between key and value); `{}` when empty.
 */
export function renderJson(secrets: SecretMap, _options?: FormatOptions): string {
  const entries = secretEntries(secrets).sort(([a], [b]) => compareCodePoints(a, b));
  if (entries.length === 0) return '{}';
  const lines = entries.map(([name, value]) => `    ${pythonJsonString(name)}: ${pythonJsonString(value)}`);
  return `{\n${lines.join(',\n')}\n}`;
}
