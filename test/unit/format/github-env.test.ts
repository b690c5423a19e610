import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { escapeCommandData, renderGithubEnv, renderGithubMask, renderGithubOutput } from '../../../src/format/github-env.js';
import { parseGithubEnvFile } from '../../helpers/github-runner.js';
import { trickyPairs } from '../../helpers/tricky-values.js';

describe('renderGithubEnv', () => {
  it('writes NAME<<ghadelimiter_<uuid> blocks with varname.ts names', () => {
    const text = renderGithubEnv([['prod.db-url', 'x']], { stripPrefix: 'prod.' });
    expect(text).toMatch(/^DB_URL<<(ghadelimiter_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\nx\n\1\n$/);
    expect(renderGithubEnv([])).toBe('');
  });

  it('round-trips the whole tricky corpus through the runner’s parser', () => {
    const pairs = trickyPairs();
    expect(parseGithubEnvFile(renderGithubEnv(pairs))).toEqual(Object.fromEntries(pairs));
  });

  it('round-trips random strings', () => {
    const unit = fc.constantFrom('\n', '\r', '=', '<', ' ', 'a', 'E', 'O', 'F', '\u00e9');
    const values = [...fc.sample(fc.string({ unit, maxLength: 12 }), 300), ...fc.sample(fc.string({ unit: 'grapheme', maxLength: 20 }), 300)];
    const pairs = values.map((value, i) => [`V${i}`, value] as [string, string]);
    expect(parseGithubEnvFile(renderGithubEnv(pairs))).toEqual(Object.fromEntries(pairs));
  });

  it('draws another delimiter when the value contains the candidate', () => {
    const candidates = ['EOF', 'other-delimiter'];
    const text = renderGithubEnv([['k', 'a\nEOF\nb']], {}, () => candidates.shift() ?? 'unused');
    expect(text).toBe('K<<other-delimiter\na\nEOF\nb\nother-delimiter\n');
    expect(() => renderGithubEnv([['k', 'EOF']], {}, () => 'EOF')).toThrow(UsageError);
  });

  it('refuses NUL and bad names, naming the secret', () => {
    expect(() => renderGithubEnv([['db', 'a\0b']])).toThrow('secret "db" cannot be written to GITHUB_ENV: its value contains a NUL character');
    expect(() => renderGithubEnv([['9x', 'v']])).toThrow('secret "9x" cannot be an environment variable name');
  });
});

describe('renderGithubMask', () => {
  it('masks every non-blank line once, escaped as workflow-command data', () => {
    expect(renderGithubMask(['a%b\r\nc', 'single', 'c', '', '  \n\t', 'x\ry'])).toBe(
      '::add-mask::a%25b\n::add-mask::c\n::add-mask::single\n::add-mask::x\n::add-mask::y\n',
    );
    expect(renderGithubMask([])).toBe('');
  });

  it('never leaves a raw line break inside a command', () => {
    const out = renderGithubMask(trickyPairs().map(([, value]) => value));
    for (const line of out.split('\n').slice(0, -1)) expect(line).toMatch(/^::add-mask::[^\r]+$/);
  });
});

describe('escapeCommandData', () => {
  it('escapes %, CR and LF only', () => {
    expect(escapeCommandData('100%\r\n:,')).toBe('100%25%0D%0A:,');
  });
});

describe('renderGithubOutput', () => {
  it('round-trips the tricky corpus through the runner\u2019s parser, under output names', () => {
    const pairs = trickyPairs();
    expect(parseGithubEnvFile(renderGithubOutput(pairs))).toEqual(Object.fromEntries(pairs));
    expect(parseGithubEnvFile(renderGithubOutput([['ci.path', '/x'], ['ci.db-url', 'u']], { stripPrefix: 'ci.' }))).toEqual({ PATH: '/x', DB_URL: 'u' });
  });

  it('refuses NUL and two secrets on one output name, naming them', () => {
    expect(() => renderGithubOutput([['a', 'x\0']])).toThrow(/secret "a" cannot be written to GITHUB_OUTPUT/);
    expect(() => renderGithubOutput([['a.b', '1'], ['a-b', '2']])).toThrow(UsageError);
  });
});
