/**
 * The strict .env reader: what it accepts reads as bash and the npm dotenv parser read it; what
 * they would read differently is refused with its line number.
 */
import dotenv from 'dotenv';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../../src/format/parse-dotenv.js';

describe('parseDotenv', () => {
  it.each([
    ['A=abc', 'abc'],
    ['A= abc ', 'abc'],
    ['A=abc #comment', 'abc'],
    ["A='x # y'", 'x # y'],
    ['A="x\\ny"', 'x\ny'],
    ["export A='it'\\''s'", "it's"],
  ])('%s reads as %j', (line, value) => {
    expect(parseDotenv(`${line}\n`, 't')).toEqual([['A', value]]);
  });

  it.each(['A=abc#123', 'A=x\\ny', 'A=$HOME', "A=it's", 'A=`id`'])('%s is refused with its line number (dialects disagree)', (line) => {
    expect(() => parseDotenv(`B=1\n${line}\n`, 't')).toThrow(/line 2: /);
  });

  it('agrees with the npm dotenv parser on every line it accepts above', () => {
    for (const line of ['A=abc', 'A= abc ', 'A=abc #comment', "A='x # y'", 'A="x\\ny"']) {
      expect(Object.fromEntries(parseDotenv(`${line}\n`, 't'))).toEqual(dotenv.parse(line));
    }
  });
});
