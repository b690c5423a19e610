/**
 * The strict .env reader reads exactly what the npm dotenv parser (v16, the reference) reads, or
 * refuses the line with its number.
 */
import dotenv from 'dotenv';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderDotenv } from '../../../src/format/dotenv.js';
import { parseDotenv } from '../../../src/format/parse-dotenv.js';

const ACCEPTED: Array<[string, string]> = [
  ['A=abc', 'abc'],
  ['A= abc ', 'abc'],
  ['A = abc', 'abc'],
  ['A\t=\t"x y"', 'x y'],
  ['A=abc #comment', 'abc'],
  ["A='x # y'", 'x # y'],
  ['A="x\\ny"', 'x\ny'],
  ['A="x\\ry"', 'x\ry'],
  ['A="$HOME `id`"', '$HOME `id`'],
  ["A='a\\nb'", 'a\\nb'],
  ['A="line1\nline2"', 'line1\nline2'],
  ["export A='it\"s' # c", 'it"s'],
  ['A=', ''],
];

describe('parseDotenv', () => {
  it.each(ACCEPTED)('%j reads as %j, as dotenv reads it', (line, value) => {
    expect(parseDotenv(`${line}\n`, 't')).toEqual([['A', value]]);
    expect(dotenv.parse(`${line}\n`)).toEqual({ A: value });
  });

  it.each([
    'A=abc#123',
    'A=x\\ny',
    'A=$HOME',
    "A=it's",
    'A=`id`',
    'A="say \\"hi\\""', // dotenv keeps \" as two characters
    'A="a\\\\b"',
    'A="tab\\t"',
    "A='ends with\\'",
    "export A='it'\\''s'", // a shell reads it's, dotenv it'\''s
    'A="x" y',
    'A: colon',
  ])('%j is refused with its line number', (line) => {
    expect(() => parseDotenv(`B=1\n${line}\n`, 't')).toThrow(/line 2: /);
  });

  it('normalises CRLF and CR line endings as dotenv does', () => {
    const text = 'A="x\r\ny"\r\nB=2\rC=3\r\n';
    expect(Object.fromEntries(parseDotenv(text, 't'))).toEqual(dotenv.parse(text));
  });

  it('property: on generated text it reads what dotenv reads, or refuses with UsageError', () => {
    const piece = fc.constantFrom('A', 'B', 'x', ' ', '\t', '=', "'", '"', '`', '\\', 'n', 'r', '#', '$', '\n', '\r', 'export ', 'é', '\u2028');
    const line = fc.tuple(fc.constantFrom('A', 'B', 'C_1', 'export D', ' E', '#'), fc.constantFrom('=', ' = ', '=\t'), fc.array(piece, { maxLength: 12 }));
    const text = fc.array(line, { minLength: 1, maxLength: 4 }).map((lines) => lines.map(([n, eq, v]) => `${n}${eq}${v.join('')}`).join('\n'));
    fc.assert(
      fc.property(text, (t) => {
        let ours: Array<[string, string]>;
        try {
          ours = parseDotenv(t, 't');
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          return;
        }
        expect(Object.fromEntries(ours)).toEqual(dotenv.parse(t));
      }),
      { numRuns: 5000, seed: 14 },
    );
  });

  it('property: what the dotenv renderer writes reads back (ours and dotenv) as the values', () => {
    const value = fc.string({ unit: fc.constantFrom('a', ' ', "'", '"', '\\', '$', '`', '#', '\n', 'é', 'n') , maxLength: 10 });
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('A', 'B', 'C', 'D'), value), (secrets) => {
        let text: string;
        try {
          text = renderDotenv(Object.entries(secrets));
        } catch (error) {
          expect(error).toBeInstanceOf(UsageError);
          return;
        }
        expect(Object.fromEntries(parseDotenv(text, 't'))).toEqual(secrets);
        expect(dotenv.parse(text)).toEqual(secrets);
      }),
      { numRuns: 2000, seed: 14 },
    );
  });
});
