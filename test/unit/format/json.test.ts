import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { describe, expect, it } from 'vitest';
import { pythonJsonString, renderJson } from '../../../src/format/json.js';
import { TRICKY_VALUES, trickyPairs } from '../../helpers/tricky-values.js';

describe('renderJson', () => {
  it('matches the credstash golden text (docs/format.md §3.8)', () => {
    expect(renderJson([['uni', 'h\u00e9llo w\u00f6rld \u2713 \u{1F600}']])).toBe('{\n    "uni": "h\\u00e9llo w\\u00f6rld \\u2713 \\ud83d\\ude00"\n}');
  });

  it('renders an empty set as {} with no trailing newline', () => {
    expect(renderJson([])).toBe('{}');
    expect(renderJson(new Map())).toBe('{}');
  });

  it('sorts keys by code point like Python, not by UTF-16 unit', () => {
    const out = renderJson([
      ['\u{10000}', '1'],
      ['\uffff', '2'],
      ['b', '3'],
      ['B', '4'],
      ['a', '5'],
    ]);
    expect(Object.keys(JSON.parse(out) as object)).toEqual(['B', 'a', 'b', '\uffff', '\u{10000}']);
  });

  it('escapes like Python: named controls, other controls and DEL as \\u00XX, "/" kept', () => {
    expect(pythonJsonString('"\\\b\f\n\r\t\x00\x1f\x7f/\u00e9')).toBe('"\\"\\\\\\b\\f\\n\\r\\t\\u0000\\u001f\\u007f/\\u00e9"');
  });

  it('reads back the whole tricky corpus, as values and as keys (Python’s own output: test/interop)', () => {
    const asValues = renderJson(trickyPairs());
    expect(JSON.parse(asValues)).toEqual(Object.fromEntries(trickyPairs()));

    const asKeys = renderJson(TRICKY_VALUES.map(({ value }) => [value, value] as const));
    expect(Object.keys(JSON.parse(asKeys) as object)).toHaveLength(TRICKY_VALUES.length);
  });

  it('reads back random strings, lone surrogates included', () => {
    const pairs = fc.sample(fc.tuple(binaryString({ maxLength: 30 }), binaryString({ maxLength: 60 })), 400);
    const unique = [...new Map([...pairs, ['\ud800x', '\udc00y\ud83d']]).entries()];
    const out = renderJson(unique);
    expect(JSON.parse(out)).toEqual(Object.fromEntries(unique));
  });

  it('rejects a name given twice', () => {
    expect(() =>
      renderJson([
        ['a', '1'],
        ['a', '2'],
      ]),
    ).toThrow('secret "a" is given twice');
  });
});
