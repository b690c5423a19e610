/**
 * Export round trips through the real consumers (bash, npm dotenv, yaml, python3 csv),
 * import → export identity, and an import with a bad line writing nothing.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteDotenvValue } from '../../src/format/dotenv.js';
import { inProcessHome } from '../helpers/in-process.js';
import { labelOf, trickyPairs } from '../helpers/tricky-values.js';

const h = inProcessHome();
const PAIRS = trickyPairs().filter(([, v]) => !v.includes('\0'));
const EXPECTED = Object.fromEntries(PAIRS);
const NAMES = PAIRS.map(([n]) => n);
const DOTENV_OK = PAIRS.filter(([, v]) => 'quoted' in quoteDotenvValue(v)).map(([n]) => n);
const DOTENV_REFUSED = PAIRS.filter(([, v]) => 'refused' in quoteDotenvValue(v)).map(([n]) => n);

beforeAll(async () => {
  expect(PAIRS.length).toBeGreaterThanOrEqual(30);
  for (let i = 0; i < PAIRS.length; i += 4) {
    const batch = PAIRS.slice(i, i + 4);
    const results = await Promise.all(batch.map(([name, value]) => h.run(['put', name, '-'], { input: value })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
  }
}, 120_000);
afterAll(() => h.cleanup());

async function exportText(args: string[]): Promise<string> {
  const r = await h.run(['export', ...args]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout;
}

/** Source `text` in bash and print each named variable NUL-terminated. */
function bashRead(text: string, names: readonly string[], prelude: string): Record<string, string> {
  const file = join(h.home, '..', 'sourced.sh');
  writeFileSync(file, text);
  const script = `${prelude} . ${JSON.stringify(file)}; for n in ${names.join(' ')}; do printf '%s\\0' "\${!n}"; done`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  expect(r.status, r.stderr).toBe(0);
  const values = r.stdout.split('\0').slice(0, -1);
  return Object.fromEntries(names.map((n, i) => [n, values[i] ?? '<missing>']));
}

function expectSame(actual: Record<string, string>, names: readonly string[]): void {
  for (const name of names) expect(actual[name], labelOf(name)).toBe(EXPECTED[name]);
  expect(Object.keys(actual).sort()).toEqual([...names].sort());
}

describe('export round trips through the real consumers', () => {
  it('json → JSON.parse', async () => {
    expectSame(JSON.parse(await exportText(['--all', '-f', 'json'])), NAMES);
  });

  it('yaml → yaml.parse', async () => {
    expectSame(parseYaml(await exportText(['S*', '-f', 'yaml'])), NAMES);
  });

  it('csv → python3 csv.reader', async () => {
    const text = await exportText(['--all', '-f', 'csv']);
    const py = 'import csv,io,json,sys; d=sys.stdin.buffer.read().decode("utf-8"); print(json.dumps({r[0]: r[1] for r in csv.reader(io.StringIO(d, newline=""))}))';
    const r = spawnSync('python3', ['-c', py], { input: text, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    expect(r.status, r.stderr).toBe(0);
    expectSame(JSON.parse(r.stdout), NAMES);
  });

  it('shell → bash sourcing', async () => {
    expectSame(bashRead(await exportText(['--all', '-f', 'shell']), NAMES, ''), NAMES);
  });

  it('dotenv → bash (set -a) and the npm dotenv parser; unrepresentable values are refused by name', async () => {
    expect(DOTENV_OK.length).toBeGreaterThanOrEqual(30);
    const text = await exportText([...DOTENV_OK, '-f', 'dotenv']);
    expectSame(bashRead(text, DOTENV_OK, 'set -a;'), DOTENV_OK);
    expectSame(parseDotenv(Buffer.from(text)), DOTENV_OK);
    const refused = DOTENV_REFUSED[0];
    if (refused !== undefined) {
      const r = await h.run(['export', '--all', '-f', 'dotenv']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`"${DOTENV_REFUSED.find((n) => r.stderr.includes(`"${n}"`)) ?? refused}"`);
    }
  });

  it('github-env → the runner file algorithm; --mask prints add-mask lines, -o appends with mode 0600', async () => {
    const file = join(h.home, '..', 'github_env');
    writeFileSync(file, 'EXISTING=1\n', { mode: 0o600 });
    const r = await h.run(['export', '--all', '-f', 'github-env', '--mask', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('::add-mask::hunter2\n');
    const text = (await import('node:fs')).readFileSync(file, 'utf8');
    expect(text.startsWith('EXISTING=1\n')).toBe(true);
    const parsed = readGithubEnv(text.slice('EXISTING=1\n'.length));
    expectSame(parsed, NAMES);
  });

  it('k8s-secret → yaml.parse and base64', async () => {
    const manifest = parseYaml(await exportText(['--all', '-f', 'k8s-secret', '--k8s-name', 'app-secrets']));
    expect(manifest.metadata.name).toBe('app-secrets');
    const decoded = Object.fromEntries(Object.entries(manifest.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    expectSame(decoded, NAMES);
  });

  it('a selection failure writes nothing', async () => {
    const r = await h.run(['export', 'S00', 'no.such.secret', '-f', 'json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
  });
});

describe('import', () => {
  it('import → export is the identity (json, shell and dotenv files), re-import skips unchanged', async () => {
    const other = inProcessHome();
    try {
      const json = await exportText(['--all', '-f', 'json']);
      const dir = join(h.home, '..');
      writeFileSync(join(dir, 'all.json'), json);
      const imported = await other.run(['import', join(dir, 'all.json')]);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stdout).not.toContain('hunter2');
      expect((await other.run(['export', '--all', '-f', 'json'])).stdout).toBe(json);

      // A shell export writes ' as '\'' which the dotenv parser reads differently: refused, by line.
      writeFileSync(join(dir, 'all.sh'), await exportText(['--all', '-f', 'shell']));
      const refused = await other.run(['import', join(dir, 'all.sh'), '--format', 'dotenv', '--json']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/line \d+: .*nothing was imported/);

      writeFileSync(join(dir, 'sub.env'), await exportText([...DOTENV_OK, '-f', 'dotenv']));
      const again = await other.run(['import', join(dir, 'sub.env'), '--json']);
      expect(again.code, again.stderr).toBe(0);
      const report = JSON.parse(again.stdout) as { results: Array<{ name: string; status: string }> };
      expect(report.results.every((r) => r.status === 'unchanged')).toBe(true);
      expect(report.results).toHaveLength(DOTENV_OK.length);
      const third = inProcessHome();
      try {
        expect((await third.run(['import', join(dir, 'sub.env')])).code).toBe(0);
        expectSame(JSON.parse((await third.run(['export', '--all', '-f', 'json'])).stdout), DOTENV_OK);
      } finally {
        third.cleanup();
      }
    } finally {
      other.cleanup();
    }
  });

  it('import of a YAML export gives back every tricky value exactly', async () => {
    const other = inProcessHome();
    try {
      const file = join(h.home, '..', 'all.yaml');
      writeFileSync(file, await exportText(['--all', '-f', 'yaml']));
      const imported = await other.run(['import', file]);
      expect(imported.code, imported.stderr).toBe(0);
      expectSame(JSON.parse((await other.run(['export', '--all', '-f', 'json'])).stdout), NAMES);
    } finally {
      other.cleanup();
    }
  });

  it('--dry-run lists added / changed / unchanged with masked values and writes nothing', async () => {
    const r = await h.run(['import', '-', '--format', 'json', '--dry-run'], { input: JSON.stringify({ S00: 'hunter2', S01: 'new-value-x', NEW_ONE: 'fresh' }) });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('unchanged S00=***\nchanged   S01=***\nadded     NEW_ONE=***\n');
    expect((await h.run(['get', 'NEW_ONE'])).code).toBe(3);
  });

  it('a bad line fails the whole import with its line number and nothing written', async () => {
    const text = "GOOD_ONE='fine'\nGOOD_TWO=\"multi\nline\"\nGOOD_THREE=plain\nthis is not an assignment\nGOOD_FOUR=x\n";
    const r = await h.run(['import', '-', '--format', 'dotenv'], { input: text });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('line 5');
    expect((await h.run(['get', 'GOOD_ONE'])).code).toBe(3);
    const list = await h.run(['list', '--json']);
    expect(list.stdout).not.toContain('GOOD_');
    const yaml = await h.run(['import', '-', '--format', 'yaml'], { input: 'A: "ok"\nB: [1, 2\n' });
    expect(yaml.code).toBe(2);
    expect(yaml.stderr).toMatch(/line \d/);
    const json = await h.run(['import', '-', '--format', 'json'], { input: '{\n  "A": "ok",\n  "B": "x" oops\n}\n' });
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('line 3');
    const nonString = await h.run(['putall', '{"A": "ok", "B": 5}']);
    expect(nonString.code).toBe(2);
    expect(nonString.stderr).toContain('"B"');
    expect((await h.run(['get', 'A'])).code).toBe(3);
  });

  it('putall stores a JSON object (credstash form)', async () => {
    const r = await h.run(['putall', '-'], { input: '{"put.all.a": "1", "put.all.b": "two words"}' });
    expect(r.code, r.stderr).toBe(0);
    expect((await h.run(['get', '-n', 'put.all.b'])).stdout).toBe('two words');
  });
});

/** actions/runner SetEnvFileCommand for `NAME<<DELIM` entries (LF line breaks). */
function readGithubEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '') continue;
    const match = /^([^=<]+)<<(.+)$/.exec(line);
    if (!match) throw new Error(`unexpected line ${line}`);
    const [, name = '', delimiter] = match;
    const value: string[] = [];
    for (i++; lines[i] !== delimiter; i++) {
      if (i >= lines.length) throw new Error('missing delimiter');
      value.push(lines[i] ?? '');
    }
    out[name] = value.join('\n');
  }
  return out;
}
