/**
 * The one escaping function for text from a store, a keyring or an input file that reaches a
 * terminal (names in `keys`, `list`, `history`, `verify`, confirmations on stderr, every error
 * line). Shown as escapes (`\n`, `\r`, `\t`, `\u001b`, `\u202e`):
 * - C0 controls and DEL (U+0000–U+001F, U+007F): a newline cannot split a row into a second,
 *   bogus line, and an escape sequence cannot drive the terminal;
 * - C1 controls (U+0080–U+009F): U+009B is a one-character CSI on many terminals;
 * - bidirectional overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069,
 *   U+200E, U+200F, U+061C): they reorder what is displayed, so `db.pw` could show as another name
 *   (Unicode TR #9; the "Trojan Source" attack, CVE-2021-42574);
 * - the line and paragraph separators (U+2028, U+2029), which some terminals and log viewers break
 *   lines at.
 * Other text is unchanged.
 */
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

/** One terminal-unsafe character as its visible escape (`\n`, `\u001b`). */
function escaped(c: string): string {
  return NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every terminal-unsafe character (above) replaced by a visible escape. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/** Multi-line talk (an error with one line per failed item): each line escaped, the breaks kept. */
export function safeLines(text: string): string {
  return text.split('\n').map(oneLine).join('\n');
}

/** Text for a terminal as output (a value printed by `get`): {@link oneLine}, but line feeds and tabs kept. */
export function terminalText(text: string): string {
  return text.replace(UNSAFE, (c) => (c === '\n' || c === '\t' ? c : escaped(c)));
}
