/**
 * A strict reader for `.env` files: the subset keystash's dotenv and shell renderers write, plus
 * common hand-written lines. Anything that a POSIX shell and the npm `dotenv` parser could read
 * differently is refused with its line number instead of guessed at.
 *
 * Accepted, one assignment per line (a quoted value may span lines), blank lines and `# comments`:
 * - `[export ]NAME='text'` — verbatim (may contain newlines); `'\''` continues the word with a `'`
 *   (shell style, as the shell renderer writes);
 * - `[export ]NAME="text"` — `\n` `\r` `\t` `\"` `\\` are escapes (as dotenv reads them); `$`, a
 *   backtick or any other backslash is refused (a shell would read it differently);
 * - `[export ]NAME=text` — trimmed; must not contain quotes, backslashes, `$`, backticks or `#`
 *   (a shell keeps `a#b` whole, the npm dotenv parser cuts it at `#`); ` #` starts a comment.
 * NAME must match `[A-Za-z_][A-Za-z0-9_]*`; a name given twice is refused.
 */
import { UsageError } from '../errors.js';

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)=/;
const DOUBLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** Parse `.env` text into ordered name/value pairs; UsageError naming the line on any doubt. */
export function parseDotenv(text: string, source = 'input'): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  const seen = new Set<string>();
  let pos = 0;
  let line = 1;
  const fail = (at: number, why: string): never => {
    throw new UsageError(`${source}: line ${at}: ${why}; nothing was imported`);
  };
  while (pos < text.length) {
    const end = text.indexOf('\n', pos);
    const rawLine = text.slice(pos, end < 0 ? text.length : end);
    const startLine = line;
    if (/^\s*(#.*)?\r?$/.test(rawLine)) {
      pos = end < 0 ? text.length : end + 1;
      line++;
      continue;
    }
    const match = ASSIGNMENT.exec(rawLine);
    if (!match) fail(startLine, 'expected NAME=value');
    const name = match?.[1] ?? '';
    if (seen.has(name)) fail(startLine, `${name} is assigned twice`);
    seen.add(name);
    let i = pos + (match?.[0].length ?? 0);
    let value = '';
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      for (;;) {
        const q = text[i];
        if (q !== "'" && q !== '"') break;
        const close = q === "'" ? text.indexOf("'", i + 1) : closingDoubleQuote(text, i + 1);
        if (close < 0) fail(startLine, `unterminated ${q === "'" ? 'single' : 'double'}-quoted value for ${name}`);
        const inner = text.slice(i + 1, close);
        line += countNewlines(inner);
        value += q === "'" ? inner : unescapeDouble(inner, () => fail(line, `unsupported character or escape in the double-quoted value of ${name} (use single quotes)`));
        i = close + 1;
        if (text.startsWith("\\'", i)) {
          value += "'";
          i += 2;
        }
      }
      const restEnd = text.indexOf('\n', i);
      const rest = text.slice(i, restEnd < 0 ? text.length : restEnd);
      if (!/^[ \t]*(#.*)?\r?$/.test(rest)) fail(line, `unexpected text after the quoted value of ${name}`);
      pos = restEnd < 0 ? text.length : restEnd + 1;
    } else {
      const restEnd = text.indexOf('\n', i);
      let rest = text.slice(i, restEnd < 0 ? text.length : restEnd).replace(/\r$/, '');
      const comment = rest.search(/[ \t]#/);
      if (comment >= 0) rest = rest.slice(0, comment);
      if (/['"\\$`#]/.test(rest)) fail(line, `the unquoted value of ${name} contains a quote, backslash, $, backtick or # (quote it with single quotes)`);
      value = rest.trim();
      pos = restEnd < 0 ? text.length : restEnd + 1;
    }
    result.push([name, value]);
    line++;
  }
  return result;
}

function closingDoubleQuote(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function unescapeDouble(inner: string, fail: () => never): string {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] ?? '';
    if (ch === '$' || ch === '`') fail();
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const escaped = DOUBLE_ESCAPES[inner[i + 1] ?? ''];
    if (escaped === undefined) fail();
    out += escaped;
    i++;
  }
  return out;
}

function countNewlines(text: string): number {
  let n = 0;
  for (const ch of text) if (ch === '\n') n++;
  return n;
}
