import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csvField, renderCsv } from '../../../src/format/csv.js';
import { TRICKY_VALUES, trickyPairs } from '../../helpers/tricky-values.js';

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line1\nline2', '"line1\nline2"'],
    ['a\rb', '"a\rb"'],
    [' lead', '" lead"'],
    ['trail ', '"trail "'],
    ['in side', 'in side'],
    ["it's", "it's"],
    ['#=$', '#=$'],
  ])('%j → %j', (input, expected) => {
    expect(csvField(input)).toBe(expected);
  });
});

describe('renderCsv', () => {
  it('writes name,value rows ended by \\n, in the given order', () => {
    expect(
      renderCsv([
        ['b', '2'],
        ['a', 'x,y'],
      ]),
    ).toBe('b,2\na,"x,y"\n');
    expect(renderCsv([])).toBe('');
  });
});

describe('renderCsv with csvSafe (formula injection)', () => {
  it('prefixes cells starting with = + - @ TAB CR with a quote, and leaves others alone', () => {
    const pairs: Array<[string, string]> = [
      ['=cmd', '=HYPERLINK("http://x","y")'],
      ['plus', '+1'],
      ['minus', '-2'],
      ['at', '@SUM(A1)'],
      ['tab', '\tx'],
      ['plain', 'a=b'],
    ];
    expect(renderCsv(pairs, { csvSafe: true })).toBe(
      `'=cmd,"'=HYPERLINK(""http://x"",""y"")"\nplus,'+1\nminus,'-2\nat,'@SUM(A1)\ntab,'\tx\nplain,a=b\n`,
    );
    expect(renderCsv(pairs)).toContain('=cmd,');
  });
});
