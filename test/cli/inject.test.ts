/**
 * `keystash inject` in-process against a temporary home: references replaced, output written 0600
 * atomically, and every failure (unknown reference, wrong context, unterminated reference) leaving
 * the output untouched with the line named.
 */
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
const tpl = (name: string, text: string): string => {
  const path = join(h.dir, name);
  writeFileSync(path, text);
  return path;
};

beforeAll(async () => {
  expect((await h.run(['put', 'db.pw', '-'], { input: 'p@ss "w0rd"\nline2' })).code).toBe(0);
  expect((await h.run(['put', 'db.pw', 'second'])).code).toBe(0);
  expect((await h.run(['put', 'api.key', 'k-123', 'env=prod'])).code).toBe(0);
});
afterAll(() => h.cleanup());

describe('inject', () => {
  it('replaces references (latest, pinned version) in any text, to stdout', async () => {
    const path = tpl('a.tpl', 'password: {{ keystash:db.pw@1 }}\nnow: {{keystash:db.pw}}\nhelm: {{ .Values.x }}\n');
    const r = await h.run(['inject', '-i', path]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('password: p@ss "w0rd"\nline2\nnow: second\nhelm: {{ .Values.x }}\n');
  });

  it('-o writes a 0600 file, replacing the old one; context pairs apply to every reference', async () => {
    const out = join(h.dir, 'out.env');
    writeFileSync(out, 'old', { mode: 0o644 });
    const r = await h.run(['inject', '-i', tpl('b.tpl', 'KEY={{ keystash:api.key }}\n'), '-o', out, 'env=prod']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe('KEY=k-123\n');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(readdirSync(h.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    ['an unknown reference', 'ok {{ keystash:db.pw }}\n\nx {{ keystash:no.such }}\n', [], 3, /line 3: Item .*no\.such.* couldn't be found/],
    ['a decrypt failure (wrong context)', 'a\nKEY={{ keystash:api.key }}\n', ['env=dev'], 6, /line 2: /],
    ['an unterminated reference', 'a\nb\nKEY={{ keystash:api.key\n}}\n', [], 2, /line 3: unterminated reference/],
  ] as const)('%s writes nothing and names the line', async (_label, text, context, code, message) => {
    const out = join(h.dir, 'kept.txt');
    writeFileSync(out, 'previous', { mode: 0o600 });
    const r = await h.run(['inject', '-i', tpl('bad.tpl', text), '-o', out, ...context]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toContain('second');
    expect(readFileSync(out, 'utf8')).toBe('previous');
    const toStdout = await h.run(['inject', '-i', join(h.dir, 'bad.tpl'), ...context]);
    expect(toStdout.code).toBe(code);
    expect(toStdout.stdout).toBe('');
  });

  it('--dry-run lists the references and reads nothing; - reads the template from stdin', async () => {
    const r = await h.run(['inject', '-i', '-', '--dry-run'], { input: 'x\n{{ keystash:db.pw@1 }} {{ keystash:no.such }}\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('line 2: db.pw@1\nline 2: no.such\n');
  });
});
