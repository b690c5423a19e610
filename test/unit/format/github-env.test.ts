import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { escapeCommandData, renderGithubEnv, renderGithubMask } from '../../../src/format/github-env.js';
import { trickyPairs } from '../../helpers/tricky-values.js';

/**
 * The reader: a line-for-line port of actions/runner `SetEnvFileCommand.ProcessCommand` and its
 * `ReadLine` (src/Runner.Worker/FileCommandManager.cs, non-Windows branch).
 */
function parseGithubEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let index = 0;
  const readLine = (): { line: string | null; newline: string } => {
    if (index >= text.length) return { line: null, newline: '' };
    const start = index;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      index = text.length;
      return { line: text.slice(start), newline: '' };
    }
    index = lf + 1;
    return { line: text.slice(start, lf), newline: '\n' };
  };
  for (let { line } = readLine(); line !== null; { line } = readLine()) {
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      env[line.slice(0, equals)] = line.slice(equals + 1);
    } else if (heredoc >= 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') throw new Error(`invalid format '${line}'`);
      const startIndex = index;
      let endIndex = index;
      let next = readLine();
      while (next.line !== delimiter) {
        if (next.line === null) throw new Error(`Matching delimiter not found '${delimiter}'`);
        endIndex = index - next.newline.length;
        next = readLine();
      }
      env[name] = endIndex > startIndex ? text.slice(startIndex, endIndex) : '';
    } else {
      throw new Error(`invalid format '${line}'`);
    }
  }
  return env;
}

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
