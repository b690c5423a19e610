/**
 * YAML output (docs/format.md §3.8) through the `yaml` package: a block mapping with keys
 * sorted, every key and value a string that reads back byte for byte.
 *
 * - Scalars are chosen so both YAML 1.2 (core schema) and YAML 1.1 (PyYAML, credstash's reader)
 *   read a string: `yes`, `on`, `123`, `0o17`, `1_000`, `2001-12-14`, `null`, `~`, `''` are
 *   quoted (the package's `compat: 'yaml-1.1'`), and so is `=` (a YAML 1.1 "value" key that
 *   PyYAML's safe loader cannot construct).
 * - Strings holding characters some readers mangle or reject are written as one double-quoted
 *   scalar with those characters escaped: C0 controls other than LF (tab too: PyYAML rejects it
 *   in plain scalars), CR, DEL, C1 controls, NEL/LS/PS (line breaks in YAML 1.1), BOM,
 *   U+FFFE/U+FFFF and lone surrogates. So are multi-line values with a line starting with a
 *   space (the package can write their literal block without the indentation indicator).
 * - No line folding (`lineWidth: 0`); multi-line values become literal block scalars.
 * Non-ASCII text is written as UTF-8 (PyYAML's `\x`/`\u` escaping is not reproduced).
 */
import { stringify } from 'yaml';
import type { Scalar } from 'yaml';
import { stringTag } from 'yaml/util';
import type { FormatOptions, SecretMap } from './types.js';
import { compareCodePoints, secretEntries } from './types.js';

/** Characters written as escapes inside a double-quoted scalar. */
const NEEDS_ESCAPE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/** Multi-line values with a line starting with a space or tab (`" \n"` came back as `"\n"`). */
const RISKY_BLOCK = /\n[ \t]|^[ \t][^\n]*\n/;
const ESCAPE_ALL = new RegExp(`${NEEDS_ESCAPE.source}|["\\\\\\t\\n]`, 'g');
const NAMED: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\x07': '\\a',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\v': '\\v',
  '\f': '\\f',
  '\r': '\\r',
  '\x1b': '\\e',
  '"': '\\"',
  '\\': '\\\\',
  '\u0085': '\\N',
  '\u2028': '\\L',
  '\u2029': '\\P',
};

/** `text` as a one-line YAML double-quoted scalar with every risky character escaped. */
export function yamlDoubleQuoted(text: string): string {
  const body = text.replace(ESCAPE_ALL, (ch) => {
    const named = NAMED[ch];
    if (named !== undefined) return named;
    const unit = ch.charCodeAt(0);
    return unit <= 0xff ? `\\x${unit.toString(16).padStart(2, '0')}` : `\\u${unit.toString(16).padStart(4, '0')}`;
  });
  return `"${body}"`;
}

/** The `yaml` package's string tag, with the two exceptions above. */
const safeStringTag: typeof stringTag = {
  ...stringTag,
  stringify(item, ctx, onComment, onChompKeep) {
    const value = String((item as Scalar).value);
    if (value === '=' || NEEDS_ESCAPE.test(value) || RISKY_BLOCK.test(value)) return yamlDoubleQuoted(value);
    return stringTag.stringify?.(item, ctx, onComment, onChompKeep) ?? yamlDoubleQuoted(value);
  },
};

/**
 * Render secrets as a YAML block mapping `name: value`, keys sorted by code point, ending with
 * `\n`; `{}\n` when empty. `yaml.parse` (1.1 or 1.2) of the result gives back exactly the input.
 */
export function renderYaml(secrets: SecretMap, _options?: FormatOptions): string {
  const entries = secretEntries(secrets).sort(([a], [b]) => compareCodePoints(a, b));
  // A Map keeps the sorted order (a plain object would move integer-like keys first).
  return stringify(new Map(entries), {
    compat: 'yaml-1.1',
    lineWidth: 0,
    customTags: (tags) => tags.map((tag) => (isStringTag(tag) ? safeStringTag : tag)),
  });
}

function isStringTag(tag: unknown): boolean {
  return typeof tag === 'object' && tag !== null && (tag as { tag?: unknown }).tag === stringTag.tag && !('format' in tag);
}
