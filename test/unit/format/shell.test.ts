import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderShell, shellQuote } from '../../../src/format/shell.js';
import { trickyPairs } from '../../helpers/tricky-values.js';
import { sourceWithShell } from './consumers.js';

function expectReadBack(pairs: Array<[string, string]>): void {
  const text = renderShell(pairs);
  const expected = Object.fromEntries(pairs);
  const names = pairs.map(([name]) => name);
  expect(sourceWithShell('bash', text, names)).toEqual(expected);
  expect(sourceWithShell('sh', text, names)).toEqual(expected);
}

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

  it('round-trips the whole tricky corpus through bash and dash', () => {
    expectReadBack(trickyPairs());
  });

  it('round-trips random strings (any character but NUL)', () => {
    const values = fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }), 300);
    const specials = fc.sample(fc.string({ unit: fc.constantFrom("'", '"', '\\', '$', '`', '\n', '\r', ' ', '!', '#', 'a'), maxLength: 10 }), 300);
    expectReadBack([...values, ...specials].map((value, i) => [`V${i}`, value]));
  });

  it('refuses a NUL character, naming the secret', () => {
    expect(() => renderShell([['db', 'a\0b']])).toThrow(UsageError);
    expect(() => renderShell([['db', 'a\0b']])).toThrow('secret "db" cannot be written as a shell variable: its value contains a NUL character');
  });
});
