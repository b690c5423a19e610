/**
 * Text for a line-oriented listing (`list`, `history`): control characters are shown as escapes
 * (`\n`, `\r`, `\t`, `\u001b`), so a comment holding a newline cannot split its row into a second,
 * bogus line, and an escape sequence cannot drive the terminal. Other text is unchanged.
 */
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]/g, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
