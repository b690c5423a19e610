// Values that break naive escaping, shared by the format tests. Each has a label (for test names)
// and a variable-safe secret name `S00`, `S01`, … so name mapping is not what is under test.

export interface TrickyValue {
  label: string;
  value: string;
}

export const TRICKY_VALUES: readonly TrickyValue[] = [
  { label: 'plain', value: 'hunter2' },
  { label: 'empty', value: '' },
  { label: 'single quote', value: "it's" },
  { label: 'double quote', value: 'say "hi"' },
  { label: 'both quotes', value: `'"'"` },
  { label: 'dollar', value: 'a$b' },
  { label: '$HOME', value: '$HOME' },
  { label: '${HOME}', value: '${HOME}' },
  { label: 'backticks', value: '`id`' },
  { label: 'command substitution', value: '$(whoami)' },
  { label: 'backslash', value: 'C:\\dir\\file' },
  { label: 'trailing backslash', value: 'ends\\' },
  { label: 'backslash n literal', value: 'a\\nb' },
  { label: 'newline', value: 'line1\nline2' },
  { label: 'CRLF', value: 'line1\r\nline2' },
  { label: 'lone CR', value: 'a\rb' },
  { label: 'trailing newline', value: 'value\n' },
  { label: 'only newlines', value: '\n\n' },
  { label: 'equals', value: 'a=b=c' },
  { label: 'hash', value: '#not a comment' },
  { label: 'space hash', value: 'value # comment?' },
  { label: 'leading/trailing spaces', value: '  padded  ' },
  { label: 'tabs', value: '\tx\ty\t' },
  { label: 'e-acute', value: 'caf\u00e9' },
  { label: 'CJK', value: '\u4e2d\u6587' },
  { label: 'emoji', value: '\u{1F600}\u{1F680}' },
  { label: 'mixed unicode', value: 'h\u00e9llo w\u00f6rld \u2713 \u{1F600}' },
  { label: "quote + newline", value: "it's\nmulti" },
  { label: "quote + dollar", value: "it's $5" },
  { label: 'quote at ends', value: "'quoted'" },
  { label: 'yes', value: 'yes' },
  { label: 'no', value: 'no' },
  { label: 'on', value: 'on' },
  { label: 'number', value: '123' },
  { label: 'octal-ish', value: '0o17' },
  { label: 'float', value: '1e3' },
  { label: 'null', value: 'null' },
  { label: 'tilde', value: '~' },
  { label: 'list item', value: '- item' },
  { label: 'colon space', value: 'key: value' },
  { label: 'braces', value: '{}' },
  { label: 'brackets', value: '[a, b]' },
  { label: 'ampersand star', value: '&anchor *alias' },
  { label: 'percent', value: '100%25' },
  { label: 'comma', value: 'a,b' },
  { label: 'csv quote', value: '"a","b"' },
  { label: 'JSON', value: '{"user": "admin", "pass": "p@ss\'w\\"rd"}' },
  { label: 'heredoc-like', value: 'EOF\n<<EOF\nEOF' },
  { label: 'env line inside', value: "x'\nOTHER=injected\n'" },
  { label: 'control chars', value: 'bell\x07esc\x1bdel\x7f' },
  { label: 'unicode line breaks', value: 'nel\u0085ls\u2028ps\u2029' },
  { label: 'BOM and NBSP', value: '\ufeffbom\u00a0nbsp' },
  { label: 'slash', value: 'a/b</script>' },
  { label: 'exclamation', value: 'hello!world' },
  { label: 'document marker', value: '---\n...' },
  { label: 'very long', value: 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3000) },
];

/** The corpus as `[name, value]` pairs with names `S00`, `S01`, … */
export function trickyPairs(): Array<[string, string]> {
  return TRICKY_VALUES.map(({ value }, i) => [`S${String(i).padStart(2, '0')}`, value]);
}

/** Label of a corpus name (`S07` → 'backticks'), for assertion messages. */
export function labelOf(name: string): string {
  return TRICKY_VALUES[Number(name.slice(1))]?.label ?? name;
}
