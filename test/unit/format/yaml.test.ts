import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderYaml, yamlDoubleQuoted } from '../../../src/format/yaml.js';
import { TRICKY_VALUES, trickyPairs } from '../../helpers/tricky-values.js';

function expectRoundTrip(pairs: ReadonlyArray<readonly [string, string]>): void {
  const text = renderYaml(pairs);
  const expected = new Map(pairs);
  for (const version of ['1.1', '1.2'] as const) {
    const back = parse(text, { version, mapAsMap: true }) as Map<string, string>;
    expect(back, `YAML ${version}`).toEqual(expected);
  }
}

describe('renderYaml', () => {
  it('writes a sorted block mapping, {} when empty', () => {
    expect(
      renderYaml([
        ['b', 'two'],
        ['a', 'one'],
        ['10', 'x'],
        ['9', 'nine'],
      ]),
    ).toBe('"10": x\n"9": nine\na: one\nb: two\n');
    expect(renderYaml([])).toBe('{}\n');
  });

  it('quotes strings that YAML 1.1 or 1.2 would read as something else', () => {
    for (const value of ['yes', 'no', 'on', 'off', 'y', 'true', 'null', '~', '123', '0o17', '0x1F', '1e3', '1_000', '1:20', '.nan', '2001-12-14', '', '=', '<<']) {
      const text = renderYaml([['k', value]]);
      expect(text, value).not.toBe(`k: ${value}\n`);
      expect(parse(text, { version: '1.1' }), value).toEqual({ k: value });
    }
  });

  it('escapes characters other readers mangle, in one double-quoted line', () => {
    expect(yamlDoubleQuoted('a\u0085b\u2028c\u2029d\ufeffe\x7ff\rg\x01h"i\\j\u00e9')).toBe('"a\\Nb\\Lc\\Pd\\ufeffe\\x7ff\\rg\\x01h\\"i\\\\j\u00e9"');
    expect(renderYaml([['k', 'x\x7fy']])).toBe('k: "x\\x7fy"\n');
  });

  it('round-trips the whole tricky corpus through yaml.parse (1.1 and 1.2; PyYAML: test/interop)', () => {
    expectRoundTrip(trickyPairs());
  });

  it('round-trips the tricky corpus used as keys', () => {
    const pairs = TRICKY_VALUES.map(({ value }) => [value, value] as const);
    expectRoundTrip(pairs);
  });

  it('round-trips random strings, lone surrogates and controls included', () => {
    fc.assert(
      fc.property(binaryString({ maxLength: 40 }), binaryString({ maxLength: 10 }), (value, key) => {
        expectRoundTrip([
          [key, value],
          [`${key}~`, ` ${value}\n`],
        ]);
      }),
      { numRuns: 500 },
    );
    const specials = fc.constantFrom('\n', ' ', '#', ':', '-', "'", '"', '\\', '\t', 'a', '|', '>', '%', '!', '&', '*', '?', '{', '[', ',');
    fc.assert(
      fc.property(fc.string({ unit: specials, maxLength: 12 }), (value) => {
        expectRoundTrip([['k', value]]);
      }),
      { numRuns: 1000 },
    );
  });
});
