import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderShell, shellQuote } from '../../../src/format/shell.js';

describe('shellQuote', () => {
  it.each([
    ['plain', "'plain'"],
    ['', "''"],
    ["it's", "'it'\\''s'"],
    ["''", "''\\'''\\'''"],
    ['$HOME `id` \\', "'$HOME `id` \\'"],
  ])('%j → %s', (value, quoted) => {
    expect(shellQuote(value)).toBe(quoted);
  });
});

describe('renderShell', () => {
  it('writes export lines with varname.ts names', () => {
    expect(renderShell([['prod.api-key', "a'b"]], { stripPrefix: 'prod.' })).toBe("export API_KEY='a'\\''b'\n");
    expect(renderShell(new Map())).toBe('');
  });

  it('refuses a NUL character, naming the secret', () => {
    expect(() => renderShell([['db', 'a\0b']])).toThrow(UsageError);
    expect(() => renderShell([['db', 'a\0b']])).toThrow('secret "db" cannot be written as a shell variable: its value contains a NUL character');
  });
});
