import fc from 'fast-check';
import { binaryString } from '../../helpers/arbitraries.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { dockerEnvProblem, renderDockerEnv } from '../../../src/format/docker-env.js';
import { FORMATS } from '../../../src/format/index.js';
import { TRICKY_VALUES, labelOf, trickyPairs } from '../../helpers/tricky-values.js';
import { readDockerEnvFile, readKubectlEnvFile, scanLines, type ReadResult } from './env-file-readers.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
const vars = (result: ReadResult): Record<string, string> => {
  if (!result.ok) throw new Error(result.error);
  return Object.fromEntries(result.vars);
};

/** Corpus values the format refuses (each would be altered by at least one reader, or compose). */
const REFUSED_LABELS = [
  'newline', 'CRLF', 'trailing newline', 'only newlines', 'leading/trailing spaces', 'tabs', 'quote + newline',
  'heredoc-like', 'env line inside', 'BOM and NBSP', 'document marker', 'unicode line breaks', 'very long',
];

describe('the reader ports', () => {
  it('match upstream kvfile_test.go TestParseFromReaderGoodFile and the error cases', () => {
    const content = 'foo=bar\n    baz=quux\n# comment\n\n_foobar=foobaz\nwith.dots=working\nand_underscore=working too\n\n    \t  ';
    expect(vars(readDockerEnvFile(utf8(content)))).toEqual({ foo: 'bar', baz: 'quux', _foobar: 'foobaz', 'with.dots': 'working', and_underscore: 'working too' });
    expect(readDockerEnvFile(utf8('foo=bar\nf   =quux\n'))).toEqual({ ok: false, error: "variable 'f   ' contains whitespaces" });
    expect(readDockerEnvFile(utf8(`foo=${'a'.repeat(64 * 1024 + 42)}`))).toEqual({ ok: false, error: 'bufio.Scanner: token too long' });
    expect(readDockerEnvFile(utf8('# comment=\n=blank\n'))).toMatchObject({ ok: false });
    expect(vars(readDockerEnvFile(utf8('VAR\nX=1\n'), (k) => (k === 'VAR' ? 'from-env' : undefined)))).toEqual({ VAR: 'from-env', X: '1' });
  });

  it('keep quotes, drop one CR before LF, and let kubectl stop silently at a too-long line', () => {
    const text = 'A="quoted"\nB=x\r\nC=\'y\'\r';
    expect(vars(readDockerEnvFile(utf8(text)))).toEqual({ A: '"quoted"', B: 'x', C: "'y'" });
    expect(vars(readKubectlEnvFile(utf8(text)))).toEqual({ A: '"quoted"', B: 'x', C: "'y'" });
    expect(vars(readKubectlEnvFile(utf8(`A=1\nB=${'b'.repeat(70_000)}\nC=3\n`)))).toEqual({ A: '1' });
    expect(readKubectlEnvFile(utf8('A=1\nA=2\n'))).toMatchObject({ ok: false });
    expect(readKubectlEnvFile(utf8('my key=1\n'))).toMatchObject({ ok: false });
    expect(scanLines(utf8('a\n\nb')).lines.map((l) => new TextDecoder().decode(l))).toEqual(['a', '', 'b']);
  });
});

describe('renderDockerEnv', () => {
  it('writes unquoted NAME=value lines with varname.ts names, as docker and env-no-quotes', () => {
    const pairs: Array<[string, string]> = [['app.db.url', 'postgres://u:p@h/db?x=1'], ['app.quote', `"it's" $HOME \`x\``], ['app.empty', '']];
    const text = 'DB_URL=postgres://u:p@h/db?x=1\nQUOTE="it\'s" $HOME `x`\nEMPTY=\n';
    expect(renderDockerEnv(pairs, { stripPrefix: 'app.' })).toBe(text);
    expect(FORMATS.docker(pairs, { stripPrefix: 'app.' })).toBe(text);
    expect(FORMATS['env-no-quotes'](pairs, { stripPrefix: 'app.' })).toBe(text);
  });

  it('gives every corpus value back through docker and kubectl, or refuses it naming the secret', () => {
    const refused: string[] = [];
    for (const [name, value] of trickyPairs()) {
      let text: string;
      try {
        text = renderDockerEnv([[name, value]]);
      } catch (error) {
        expect(error).toBeInstanceOf(UsageError);
        expect((error as Error).message).toContain(`"${name}"`);
        refused.push(labelOf(name));
        continue;
      }
      expect(vars(readDockerEnvFile(utf8(text))), labelOf(name)).toEqual({ [name]: value });
      expect(vars(readKubectlEnvFile(utf8(text))), labelOf(name)).toEqual({ [name]: value });
    }
    expect(refused.sort()).toEqual([...REFUSED_LABELS].sort());
    expect(TRICKY_VALUES.length - refused.length).toBeGreaterThan(35);
  });

  it('never renders a file that reads back differently (random values, both readers)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('A', 'B', 'C', 'D'), binaryString({ maxLength: 40 })), { maxLength: 4 }), (raw) => {
        const pairs = [...new Map(raw)];
        const allowed = pairs.every(([n, v]) => dockerEnvProblem(n, v) === undefined);
        if (!allowed) {
          expect(() => renderDockerEnv(pairs)).toThrow(UsageError);
          return;
        }
        const text = utf8(renderDockerEnv(pairs));
        expect(vars(readDockerEnvFile(text))).toEqual(Object.fromEntries(pairs));
        expect(vars(readKubectlEnvFile(text))).toEqual(Object.fromEntries(pairs));
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['newline', 'a\nb', 'newline'],
    ['NUL', 'a\0b', 'NUL'],
    ['trailing CR', 'a\r', 'carriage return'],
    ['leading space', ' a', 'whitespace'],
    ['trailing tab', 'a\t', 'whitespace'],
    ['trailing NBSP', 'a\u00a0', 'whitespace'],
    ['lone surrogate', 'a\ud800', 'Unicode'],
  ])('refuses a value with %s, naming the secret and never the value', (_label, value, why) => {
    expect(() => renderDockerEnv([['db.pw', value]])).toThrow(new RegExp(`secret "db.pw" cannot be written in docker env-file format: .*${why}`));
  });

  it('keeps a CR inside a value, and a line just under 64 KiB, which both readers give back', () => {
    const inner = 'a\rb';
    expect(vars(readDockerEnvFile(utf8(renderDockerEnv([['X', inner]]))))).toEqual({ X: inner });
    const longest = 'v'.repeat(64 * 1024 - 'X=\n'.length);
    const text = utf8(renderDockerEnv([['X', longest]]));
    expect(vars(readDockerEnvFile(text)).X).toBe(longest);
    expect(vars(readKubectlEnvFile(text)).X).toBe(longest);
    expect(() => renderDockerEnv([['X', `${longest}v`]])).toThrow(/64 KiB/);
    expect(readDockerEnvFile(utf8(`X=${longest}v\n`))).toMatchObject({ ok: false });
  });
});
