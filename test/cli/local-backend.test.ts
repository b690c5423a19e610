/**
 * The local backend end to end (in-process) with a temporary KEYSTASH_HOME, no AWS, no network;
 * concurrent writers are separate processes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN, cleanEnv } from '../helpers/run-cli.js';
import { rawDb } from '../helpers/sqlite.js';

const h = inProcessHome();
const PLAINTEXTS: string[] = [];
const remember = (value: string) => (PLAINTEXTS.push(value), value);

afterAll(() => {
  // Hygiene: modes, and no plaintext in any file under KEYSTASH_HOME.
  const dirMode = statSync(h.home).mode & 0o777;
  expect(dirMode).toBe(0o700);
  for (const file of ['store.db', 'keyring.json']) expect(statSync(join(h.home, file)).mode & 0o777).toBe(0o600);
  const contents = readdirSync(h.home).map((f) => readFileSync(join(h.home, f)));
  for (const secret of PLAINTEXTS.filter((p) => p.length >= 6)) {
    for (const buf of contents) expect(buf.includes(Buffer.from(secret, 'utf8'))).toBe(false);
  }
  h.cleanup();
});

async function putGet(name: string, value: string): Promise<void> {
  remember(value);
  const put = await h.run(['put', name, '-'], { input: value });
  expect(put.stderr).toContain(`${name} has been stored`);
  expect(put.code).toBe(0);
  const get = await h.run(['get', '-n', name]);
  expect(get.code).toBe(0);
  expect(get.stdout).toBe(value);
}

describe('put / get round trips', () => {
  it('empty value, multi-line, multi-byte UTF-8, 300 KB', async () => {
    const empty = await h.run(['put', 'rt.empty', '']);
    expect(empty.code).toBe(0);
    expect((await h.run(['get', 'rt.empty'])).stdout).toBe('\n');
    await putGet('rt.multiline', 'line one\nline two\n\nline four\n');
    await putGet('rt.utf8', 'héllo wörld ✓ 😀 中文 secret-ünïcode');
    await putGet('rt.big', 'x9Qz'.repeat(75_000));
  });

  it('literal value and @file input; get prints a newline unless -n', async () => {
    const literal = remember('literal-hunter2-value');
    expect((await h.run(['put', 'in.literal', literal])).code).toBe(0);
    expect((await h.run(['get', 'in.literal'])).stdout).toBe(`${literal}\n`);
    const file = join(h.home, '..', 'value.txt');
    writeFileSync(file, remember('from-a-file-secret\n'));
    expect((await h.run(['put', 'in.file', `@${file}`])).code).toBe(0);
    expect((await h.run(['get', '-n', 'in.file'])).stdout).toBe('from-a-file-secret\n');
    const missing = await h.run(['put', 'in.missing', '@/nonexistent/file']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Unable to read file: no such file (the path after '@' is not shown");
    expect(missing.stderr).not.toContain('/nonexistent/file');
  });

  it('automatic and explicit versions; get -v of an older version', async () => {
    await h.run(['put', 'ver.s', remember('version-one-value')]);
    await h.run(['put', 'ver.s', remember('version-two-value')]);
    const explicit = await h.run(['put', 'ver.s', remember('version-ten-value'), '-v', '10']);
    expect(explicit.stderr).toContain('version 0000000000000000010');
    expect((await h.run(['get', 'ver.s'])).stdout).toBe('version-ten-value\n');
    expect((await h.run(['get', 'ver.s', '-v', '1'])).stdout).toBe('version-one-value\n');
    expect((await h.run(['get', 'ver.s', '-v', '0000000000000000002'])).stdout).toBe('version-two-value\n');
    const exists = await h.run(['put', 'ver.s', 'other-value', '-v', '2']);
    expect(exists.code).toBe(4);
    expect(exists.stderr).toContain('already in the credential store');
    expect((await h.run(['get', 'ver.s', '-v', '2'])).stdout).toBe('version-two-value\n');
    const auto = await h.run(['put', 'ver.s', remember('version-eleven-value'), '-a']);
    expect(auto.stderr).toContain('version 0000000000000000011');
    const notFound = await h.run(['get', 'ver.s', '-v', '7']);
    expect(notFound.code).toBe(3);
    expect(notFound.stdout).toBe('');
  });

  it('encryption context: env=prod cannot be read without it or with env=dev', async () => {
    expect((await h.run(['put', 'ctx.s', remember('context-bound-value'), 'env=prod'])).code).toBe(0);
    expect((await h.run(['get', 'ctx.s', 'env=prod'])).stdout).toBe('context-bound-value\n');
    for (const args of [['get', 'ctx.s'], ['get', 'ctx.s', 'env=dev'], ['get', 'ctx.s', 'env=prod', 'x=y']]) {
      const r = await h.run(args);
      expect(r.code).toBe(6);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('encryption context');
    }
    const bad = await h.run(['get', 'ctx.s', 'envprod']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not the form of "key=value"');
  });
});

describe('patterns, getall, list, keys, delete', () => {
  const h2 = inProcessHome();
  const values: Record<string, string> = {
    'app.db': 'a "quoted" $HOME `x` $(id) \\n',
    'app.api': 'multi\nline\n',
    'app.uni': 'héllo ✓',
    'other.x': 'plain',
  };
  beforeAll(async () => {
    for (const [k, v] of Object.entries(values)) expect((await h2.run(['put', k, '-'], { input: v })).code).toBe(0);
  });
  afterAll(() => h2.cleanup());

  it('wildcard get prints a JSON object of every match (a glob, not a regex)', async () => {
    const r = await h2.run(['get', 'app.*']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ 'app.api': values['app.api'], 'app.db': values['app.db'], 'app.uni': values['app.uni'] });
    expect(JSON.parse((await h2.run(['get', 'app?*'])).stdout)).toEqual({});
    expect(JSON.parse((await h2.run(['get', 'ap.*'])).stdout)).toEqual({});
  });

  it('getall in json, yaml, csv and dotenv', async () => {
    const json = await h2.run(['getall']);
    expect(JSON.parse(json.stdout)).toEqual(values);
    expect(json.stdout).toContain('"app.uni": "h\\u00e9llo \\u2713"');
    const yaml = await h2.run(['getall', '-f', 'yaml']);
    expect(parseYaml(yaml.stdout)).toEqual(values);
    const csv = await h2.run(['getall', '-f', 'csv']);
    expect(csv.stdout).toContain('other.x,plain\n');
    expect(csv.stdout).toContain('"multi\nline\n"');
    const dotenv = await h2.run(['getall', '-f', 'dotenv']);
    expect(dotenv.code).toBe(0);
    const parsed = parseDotenv(dotenv.stdout);
    expect(parsed.APP_DB).toBe(values['app.db']);
    // A POSIX shell sources the dotenv output back byte for byte.
    const envFile = join(h2.home, '..', 'getall.env');
    writeFileSync(envFile, dotenv.stdout);
    const shell = spawnSync('bash', ['-c', 'set -a; . "$1"; printf %s "$APP_DB|$APP_API|$APP_UNI|$OTHER_X"', 'bash', envFile], { env: cleanEnv(), encoding: 'utf8' }).stdout;
    expect(shell).toBe(`${values['app.db']}|${values['app.api']}|${values['app.uni']}|${values['other.x']}`);
  });

  it('dotenv refuses a value it cannot represent exactly, naming the secret, printing nothing', async () => {
    const h5 = inProcessHome();
    try {
      await h5.run(['put', 'bad.mix', '-'], { input: 'it\'s "all" `three`\n' });
      const r = await h5.run(['getall', '-f', 'dotenv']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('bad.mix');
      expect(r.stderr).not.toContain('three');
    } finally {
      h5.cleanup();
    }
  });

  it('list, keys and list --json', async () => {
    const list = await h2.run(['list']);
    expect(list.stdout.split('\n')[0]).toMatch(/^app\.api -- version 0000000000000000001 -- comment  -- created \d{4}-/);
    expect((await h2.run(['keys'])).stdout).toBe('app.api\napp.db\napp.uni\nother.x\n');
    const json = JSON.parse((await h2.run(['list', '--json'])).stdout);
    expect(json).toHaveLength(4);
  });

  it('delete one version, then all versions', async () => {
    await h2.run(['put', 'del.s', 'v1-value']);
    await h2.run(['put', 'del.s', 'v2-value']);
    const one = await h2.run(['delete', 'del.s', '-v', '2']);
    expect(one.code).toBe(0);
    expect(one.stderr).toContain('Deleting del.s -- version 0000000000000000002');
    expect((await h2.run(['get', 'del.s'])).stdout).toBe('v1-value\n');
    expect((await h2.run(['delete', 'del.s'])).code).toBe(0);
    const gone = await h2.run(['get', 'del.s']);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain("Item {'name': 'del.s'} couldn't be found.");
    expect((await h2.run(['delete', 'del.s'])).code).toBe(3);
  });

  it('getall with the wrong context fails whole: non-zero and empty stdout', async () => {
    await h2.run(['put', 'ctx.only', 'needs-context', 'env=prod']);
    const r = await h2.run(['getall']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ctx.only');
  });
});

describe('tampered rows', () => {
  const h3 = inProcessHome();
  afterAll(() => h3.cleanup());
  const mutate: Record<string, (row: { key: string; contents: string; hmac: string }) => [string, string]> = {
    key: (row) => ['key', flipBase64(row.key)],
    contents: (row) => ['contents', flipBase64(row.contents)],
    hmac: (row) => ['hmac', (row.hmac[0] === 'a' ? 'b' : 'a') + row.hmac.slice(1)],
    digest: () => ['digest', 'SHA512'],
    unknownDigest: () => ['digest', 'WHIRLPOOL'],
    truncated: (row) => ['contents', row.contents.slice(0, 8)],
  };
  it.each(Object.entries(mutate))('a changed %s → integrity or decrypt error, non-zero exit, empty stdout', async (what, fn) => {
    const name = `tamper.${what}`;
    expect((await h3.run(['put', name, 'tamper-target-value-123456'])).code).toBe(0);
    const db = rawDb(join(h3.home, 'store.db'));
    const row = db.prepare('SELECT key, contents, hmac FROM secrets WHERE name = ?').get(name) as { key: string; contents: string; hmac: string };
    const [column, value] = fn(row);
    db.prepare(`UPDATE secrets SET ${column} = ? WHERE name = ?`).run(value, name);
    db.close();
    const r = await h3.run(['get', name]);
    expect([5, 6]).toContain(r.code);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('tamper-target-value');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('concurrent writers', () => {
  const h4 = inProcessHome();
  afterAll(() => h4.cleanup());
  it('4 processes × 25 puts of one name without -v → 100 distinct versions, no error', async () => {
    // Each worker is one node process running 25 puts through the CLI entry in-process.
    const script = `
      const bundle = ${JSON.stringify(new URL('../../dist/bundle/cli.cjs', import.meta.url).pathname)};
      const { run } = (await import('node:module')).createRequire(bundle)(bundle);
      const io = { stdout: { write() {} }, stderr: process.stderr, stdin: process.stdin, stdoutIsTTY: false, stderrIsTTY: false, env: process.env };
      for (let i = 0; i < 25; i++) {
        const code = await run(['put', 'race.s', 'race-' + process.argv[1] + '-' + i], io);
        if (code !== 0) { console.error('put failed', code); process.exit(1); }
      }`;
    const env = cleanEnv({ HOME: h4.home, KEYSTASH_HOME: h4.home });
    const outcomes = await Promise.all(
      [0, 1, 2, 3].map(
        (w) =>
          new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const child = spawn(process.execPath, ['--input-type=module', '-e', script, String(w)], { env, stdio: ['ignore', 'ignore', 'pipe'] });
            let stderr = '';
            child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
            child.on('close', (code) => resolve({ code, stderr }));
          }),
      ),
    );
    // Every put said it stored a version, and nothing else.
    for (const { code, stderr } of outcomes) {
      expect(code, stderr).toBe(0);
      expect(stderr.split('\n').filter((line) => line !== '' && !/^race\.s has been stored \(version \d{19}\)$/.test(line)), stderr).toEqual([]);
      expect(stderr.split('\n').filter(Boolean)).toHaveLength(25);
    }
    const list = JSON.parse((await h4.run(['list', '--json'])).stdout) as Array<{ version: string }>;
    expect(new Set(list.map((r) => r.version)).size).toBe(100);
    expect(list.at(-1)!.version).toBe('0000000000000000100');
  });
});

function flipBase64(text: string): string {
  const bytes = Buffer.from(text, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return bytes.toString('base64');
}
void BIN;
