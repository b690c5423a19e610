import fc from 'fast-check';
import { parse } from 'dotenv';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { renderDockerEnv } from '../../../src/format/docker-env.js';
import { quoteDotenvValue, renderDotenv } from '../../../src/format/dotenv.js';
import { TRICKY_VALUES, labelOf, trickyPairs } from '../../helpers/tricky-values.js';

/** Corpus values no quoting can carry for both readers (see dotenv.ts). */
const REFUSED_LABELS = ['both quotes', 'trailing backslash', 'CRLF', 'lone CR', 'quote + dollar', 'JSON'];

function isRepresentable(value: string): boolean {
  return 'quoted' in quoteDotenvValue(value);
}

/** Render pairs; the dotenv parser gives them back (bash and dash: test/interop/format-readers.test.ts). */
function expectReadBack(pairs: Array<[string, string]>): void {
  expect(parse(renderDotenv(pairs))).toEqual(Object.fromEntries(pairs));
}

describe('renderDotenv', () => {
  it('writes NAME=quoted lines with varname.ts names', () => {
    expect(
      renderDotenv(
        [
          ['prod.db.password', 'hunter2'],
          ['prod.greeting', "it's"],
          ['empty', ''],
        ],
        { stripPrefix: 'prod.' },
      ),
    ).toBe(`DB_PASSWORD='hunter2'\nGREETING="it's"\nEMPTY=''\n`);
    expect(renderDotenv([])).toBe('');
  });

  it('refuses exactly the documented corpus values', () => {
    const refused = TRICKY_VALUES.filter(({ value }) => !isRepresentable(value)).map(({ label }) => label);
    expect(refused.sort()).toEqual([...REFUSED_LABELS].sort());
  });

  it('round-trips every other corpus value through the dotenv parser', () => {
    const accepted = trickyPairs().filter(([, value]) => isRepresentable(value));
    expect(accepted.length).toBeGreaterThan(30);
    expectReadBack(accepted);
  });

  it('points a NUL value at the formats that carry it (shell cannot either), other refusals at shell or json', () => {
    expect(() => renderDotenv([['a.b', 'x\0y']])).toThrow(/NUL character.*; use the json or k8s-secret format instead$/);
    expect(() => renderDockerEnv([['a.b', 'x\0y']])).toThrow(/NUL character.*; use the json or k8s-secret format instead$/);
    expect(() => renderDockerEnv([['a.b', 'two\nlines']])).toThrow(/; use the shell or json format instead$/);
  });

  it('names the secret (never the value) when refusing', () => {
    for (const [name, value] of trickyPairs().filter(([, v]) => !isRepresentable(v))) {
      let caught: unknown;
      try {
        renderDotenv([
          ['OK', 'fine'],
          [name, value],
        ]);
      } catch (error) {
        caught = error;
      }
      expect(caught, labelOf(name)).toBeInstanceOf(UsageError);
      const message = (caught as Error).message;
      expect(message).toContain(`secret "${name}" cannot be written in dotenv format`);
      if (value.length > 2) expect(message).not.toContain(value);
    }
    expect(() => renderDotenv([['NUL', 'a\0b']])).toThrow(/secret "NUL" .* NUL character/);
  });

  it('refuses names that are not variable names, and collisions', () => {
    expect(() => renderDotenv([['1st', 'x']])).toThrow('secret "1st" cannot be an environment variable name');
    expect(() => renderDotenv([['a.b', 'x'], ['a_b', 'y']])).toThrow('secrets "a.b" and "a_b" would both become');
  });

  it('round-trips random values built from the characters that matter, many per file', () => {
    const unit = fc.constantFrom("'", '"', '\\', '$', '`', '\n', ' ', '#', '=', 'a', 'n', '\t', '\u00e9', '{', '!', 'E', 'X');
    const values = fc.sample(fc.string({ unit, maxLength: 12 }), 600).filter(isRepresentable);
    expect(values.length).toBeGreaterThan(100);
    expectReadBack(values.map((value, i) => [`V${i}`, value]));
  });

  it('keeps every representable value exact whatever its neighbours are', () => {
    // Order matters to dotenv's regex (a quoted value may run into the next line); shuffle.
    const accepted = trickyPairs().filter(([, value]) => isRepresentable(value));
    const shuffled = fc.sample(fc.shuffledSubarray(accepted, { minLength: accepted.length }), 3);
    for (const pairs of shuffled) expect(parse(renderDotenv(pairs))).toEqual(Object.fromEntries(pairs));
  });
});
