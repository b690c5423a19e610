/**
 * keystash's output formats read back by the real programs that consume them: bash and dash
 * sourcing a file, Python's csv and json modules, PyYAML. The renderers' own tables are in
 * test/unit/format/; this tier spawns programs, so it is kept out of the fast unit tier.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { binaryString } from '../helpers/arbitraries.js';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { renderCsv } from '../../src/format/csv.js';
import { quoteDotenvValue, renderDotenv } from '../../src/format/dotenv.js';
import { renderJson } from '../../src/format/json.js';
import { renderK8sSecret } from '../../src/format/k8s-secret.js';
import { renderShell } from '../../src/format/shell.js';
import { renderYaml } from '../../src/format/yaml.js';
import { TRICKY_VALUES, trickyPairs } from '../helpers/tricky-values.js';
import { pythonCsv, pythonJsonDumps, pyyamlLoad, sourceWithShell } from './consumers.js';

const hasPyYaml = spawnSync('python3', ['-c', 'import yaml'], { encoding: 'utf8' }).status === 0;

/** Source `text` with bash and with dash: both export exactly `pairs`. */
function expectShellsReadBack(text: string, pairs: Array<[string, string]>): void {
  const expected = Object.fromEntries(pairs);
  const names = pairs.map(([name]) => name);
  expect(sourceWithShell('bash', text, names)).toEqual(expected);
  expect(sourceWithShell('sh', text, names)).toEqual(expected);
}

describe('csv through Python’s csv module', () => {
  it('reads back the whole tricky corpus', () => {
    const pairs = trickyPairs();
    expect(pythonCsv(renderCsv(pairs))).toEqual(pairs);
  });

  it('reads back tricky names too', () => {
    const pairs = TRICKY_VALUES.map(({ value }) => [`n${value}`, value] as [string, string]);
    expect(pythonCsv(renderCsv(pairs))).toEqual(pairs);
  });

  it('reads back random strings', () => {
    const alphabet = fc.constantFrom(',', '"', '\n', '\r', ' ', 'a', '\u00e9', '\t', "'");
    const values = fc.sample(fc.string({ unit: alphabet, maxLength: 12 }), 300);
    const pairs = values.map((value, i) => [`k${i}`, value] as [string, string]);
    expect(pythonCsv(renderCsv(pairs))).toEqual(pairs);
  });
});

describe('dotenv through bash, dash and the dotenv parser', () => {
  const isRepresentable = (value: string): boolean => 'quoted' in quoteDotenvValue(value);
  const expectReadBack = (pairs: Array<[string, string]>): void => {
    const text = renderDotenv(pairs);
    expect(parseDotenv(text)).toEqual(Object.fromEntries(pairs));
    expectShellsReadBack(text, pairs);
  };

  it('round-trips every corpus value dotenv format accepts', () => {
    const accepted = trickyPairs().filter(([, value]) => isRepresentable(value));
    expect(accepted.length).toBeGreaterThan(30);
    expectReadBack(accepted);
  });

  it('round-trips random values built from the characters that matter, many per file', () => {
    const unit = fc.constantFrom("'", '"', '\\', '$', '`', '\n', ' ', '#', '=', 'a', 'n', '\t', '\u00e9', '{', '!', 'E', 'X');
    const values = fc.sample(fc.string({ unit, maxLength: 12 }), 600).filter(isRepresentable);
    expect(values.length).toBeGreaterThan(100);
    expectReadBack(values.map((value, i) => [`V${i}`, value]));
  });
});

describe('shell through bash and dash', () => {
  it('round-trips the whole tricky corpus', () => {
    const pairs = trickyPairs();
    expectShellsReadBack(renderShell(pairs), pairs);
  });

  it('round-trips random strings (any character but NUL)', () => {
    const values = fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }), 300);
    const specials = fc.sample(fc.string({ unit: fc.constantFrom("'", '"', '\\', '$', '`', '\n', '\r', ' ', '!', '#', 'a'), maxLength: 10 }), 300);
    const pairs = [...values, ...specials].map((value, i) => [`V${i}`, value] as [string, string]);
    expectShellsReadBack(renderShell(pairs), pairs);
  });
});

describe('json against Python’s json.dumps', () => {
  it('renders {} for no secrets, as Python does', () => {
    expect(renderJson(new Map())).toBe(pythonJsonDumps('{}'));
  });

  it('sorts keys by code point, as Python does', () => {
    const out = renderJson([
      ['\u{10000}', '1'],
      ['\uffff', '2'],
      ['b', '3'],
      ['B', '4'],
      ['a', '5'],
    ]);
    expect(out).toBe(pythonJsonDumps(out));
  });

  it('equals json.dumps for the whole tricky corpus, as values and as keys', () => {
    const asValues = renderJson(trickyPairs());
    expect(asValues).toBe(pythonJsonDumps(asValues));
    const asKeys = renderJson(TRICKY_VALUES.map(({ value }) => [value, value] as const));
    expect(asKeys).toBe(pythonJsonDumps(asKeys));
  });

  it('equals json.dumps for random strings, lone surrogates included', () => {
    const pairs = fc.sample(fc.tuple(binaryString({ maxLength: 30 }), binaryString({ maxLength: 60 })), 400);
    const unique = [...new Map([...pairs, ['\ud800x', '\udc00y\ud83d']]).entries()];
    const out = renderJson(unique);
    expect(out).toBe(pythonJsonDumps(out));
  });
});

describe('yaml and k8s-secret through PyYAML', () => {
  it.skipIf(!hasPyYaml)('reads the whole tricky corpus, as values and as keys', () => {
    expect(pyyamlLoad(renderYaml(trickyPairs()))).toEqual(Object.fromEntries(trickyPairs()));
    const asKeys = TRICKY_VALUES.map(({ value }) => [value, value] as const);
    expect(pyyamlLoad(renderYaml(asKeys))).toEqual(Object.fromEntries(asKeys));
  });

  it.skipIf(!hasPyYaml)('agrees on random strings in one batch', () => {
    const unit = fc.constantFrom('\n', ' ', '#', ':', '-', "'", '"', '\\', '\t', 'a', '|', '>', '%', '!', '&', '*', '?', '{', '[', ',', '.', '0', '1', 'y', '~', '=', '<', '@', '`', '\u00e9', '\r', '\u0085', '\u2028', '\u00a0');
    const values = fc.sample(fc.string({ unit, maxLength: 14 }), 2000);
    const keys = fc.sample(fc.string({ unit, maxLength: 6 }), 2000);
    const pairs = values.map((value, i) => [`k${i}_${keys[i] ?? ''}`, value] as [string, string]);
    expect(pyyamlLoad(renderYaml(pairs))).toEqual(Object.fromEntries(pairs));
  });

  it.skipIf(!hasPyYaml)('carries every tricky value of a k8s Secret byte for byte', () => {
    const pairs = trickyPairs();
    const text = renderK8sSecret(pairs, { k8sName: 'tricky' });
    const viaPython = pyyamlLoad(text) as { data: Record<string, string> };
    const decoded = Object.fromEntries(Object.entries(viaPython.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expect(decoded).toEqual(Object.fromEntries(pairs));
    expect(parseYaml(text)).toEqual(viaPython); // both readers see one manifest
  });
});
