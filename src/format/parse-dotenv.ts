/**
 * A strict reader for `.env` files: it reads exactly what the npm `dotenv` parser (v16 `parse`,
 * the reference: test/unit/format/parse-dotenv.test.ts checks both on generated input) reads,
 * or refuses the line and says which. It accepts the lines keystash's dotenv renderer writes plus
 * common hand-written ones; where dotenv's regular expression reads something a person (or a
 * shell) would not expect, the line is refused instead of guessed at.
 *
 * Line endings are normalised as dotenv does (CRLF and CR → LF). Accepted, one assignment per line
 * (a quoted value may span lines), blank lines and `# comments`:
 * - `[export ]NAME = 'text'` — verbatim (may contain newlines and `"`); refused when the text
 *   ends with `\` (dotenv's `\'` would not close the quote there);
 * - `[export ]NAME = "text"` — `\n` and `\r` are the only escapes (dotenv expands exactly those);
 *   any other backslash (`\"`, `\\`, `\t`: dotenv keeps them as two characters) is refused;
 * - `[export ]NAME = text` — trimmed; must not contain quotes, backslashes, `$`, backticks or `#`
 *   (dotenv cuts `a#b` at `#`, a shell keeps it); ` #` starts a comment.
 * Spaces or tabs around `=` are allowed (dotenv allows them); after a closing quote only spaces
 * and a `# comment` may follow. NAME must match `[A-Za-z_][A-Za-z0-9_]*`; a name given twice is
 * refused (dotenv keeps the last one silently).
 */
import { UsageError } from '../errors.js';

const ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_]*)[ \t]*=[ \t]*/;
const DOUBLE_ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r' };
const BLANK_OR_COMMENT = /^[ \t]*(#.*)?$/;

/** Parse `.env` text into ordered name/value pairs; UsageError naming the line on any doubt. */
export function parseDotenv(input: string, source = 'input'): Array<[string, string]> {
  const text = input.replace(/\r\n?/g, '\n');
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
    if (BLANK_OR_COMMENT.test(rawLine)) {
      pos = end < 0 ? text.length : end + 1;
      line++;
      continue;
    }
    const match = ASSIGNMENT.exec(rawLine);
    if (!match) fail(startLine, 'expected NAME=value');
    const name = match?.[1] ?? '';
    if (seen.has(name)) fail(startLine, `${name} is assigned twice`);
    seen.add(name);
    const i = pos + (match?.[0].length ?? 0);
    let value: string;
    const quote = text[i];
    if (quote === "'" || quote === '"') {
      const close = text.indexOf(quote, i + 1);
      if (close < 0) fail(startLine, `unterminated ${quote === "'" ? 'single' : 'double'}-quoted value for ${name}`);
      const inner = text.slice(i + 1, close);
      if (quote === "'") {
        if (inner.endsWith('\\')) fail(startLine, `the single-quoted value of ${name} ends with a backslash, which the dotenv parser reads as an escaped quote`);
        value = inner;
      } else {
        value = unescapeDouble(inner, (why) => fail(startLine, `the double-quoted value of ${name} ${why} (use single quotes)`));
      }
      line += countNewlines(inner);
      const restEnd = text.indexOf('\n', close + 1);
      const rest = text.slice(close + 1, restEnd < 0 ? text.length : restEnd);
      if (!BLANK_OR_COMMENT.test(rest)) fail(line, `unexpected text after the quoted value of ${name}`);
      pos = restEnd < 0 ? text.length : restEnd + 1;
    } else {
      const restEnd = text.indexOf('\n', i);
      let rest = text.slice(i, restEnd < 0 ? text.length : restEnd);
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

/** dotenv's double-quote reading: `\n` and `\r` only; anything else with a backslash is refused. */
function unescapeDouble(inner: string, fail: (why: string) => never): string {
  let out = '';
  for (let i = 0; i < inner.length; i++) {
    const ch = inner[i] ?? '';
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const escaped = DOUBLE_ESCAPES[inner[i + 1] ?? ''];
    if (escaped === undefined) fail('has a backslash other than \\n or \\r, which the dotenv parser keeps as it is');
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
