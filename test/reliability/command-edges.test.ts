/**
 * Command edge cases, in-process against the real local backend (SQLite + local KMS): a put past
 * the 19-digit version, kms subcommands on the aws backend and their help, rotate --reseal
 * messages, config sources, import progress and failure summaries, Ctrl-C at the passphrase
 * prompt, an empty output path, and one --json style for every command.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openConfiguredKeys, openConfiguredStore } from '../../src/wiring.js';
import { run } from '../../src/cli/main.js';
import { resolveConfig } from '../../src/config.js';
import { importSecrets } from '../../src/core/transfer/import.js';
import { Keystash } from '../../src/core/keystash.js';
import { PartialFailureError, StoreError } from '../../src/errors.js';
import type { SecretStore } from '../../src/secretstore/types.js';
import { runInProcess } from '../helpers/in-process.js';
import { memoryIo } from '../helpers/io.js';
import { rawDb } from '../helpers/sqlite.js';

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keystash-edges-'));
  env = { KEYSTASH_HOME: home, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('a put past the 19-digit version', () => {
  it('is refused with exit 4 and the old value stays the latest', async () => {
    expect((await runInProcess(['put', '-v', '9999999999999999999', 'app.pw', 'old'], env)).code).toBe(0);
    const put = await runInProcess(['put', 'app.pw', 'new'], env);
    expect(put.code).toBe(4);
    expect(put.stderr).toMatch(/no 19-digit successor/);
    const history = await runInProcess(['list'], env);
    expect(history.stdout).not.toMatch(/10000000000000000000/);
    expect((await runInProcess(['get', 'app.pw'], env)).stdout.trimEnd()).toBe('old');
  });
});

describe('kms, rotate, config, import progress and the passphrase prompt', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('--backend aws kms create-key is refused and writes no local key', async () => {
    const r = await runInProcess(['--backend', 'aws', 'kms', 'create-key', '--alias', 'alias/x'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/manages the local keyring/);
    expect(existsSync(join(home, 'keyring.json'))).toBe(false);
  });

  it('every kms subcommand has a description', async () => {
    const help = await runInProcess(['kms', '--help'], env);
    const lines = help.stdout.split('\n').filter((l) => /^ {2}[a-z-]+(\|[a-z-]+)?( \[options\]| <)/.test(l));
    expect(lines.length).toBeGreaterThanOrEqual(8);
    for (const line of lines) expect(line.trim().split(/\s{2,}/).length, line).toBeGreaterThanOrEqual(2);
  });

  it('rotate --reseal without -k keeps each secret on its current key and names it', async () => {
    const created = await runInProcess(['kms', 'create-key', '--alias', 'alias/k2', '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const arn = (JSON.parse(created.stdout) as { arn: string }).arn;
    expect((await runInProcess(['put', '-k', 'alias/k2', 'app.pw', 'v1'], env)).code).toBe(0);
    const r = await runInProcess(['rotate', 'app.pw', '--reseal'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`under ${arn}`);
    const json = await runInProcess(['rotate', 'app.pw', '--reseal', '--json'], env);
    expect(JSON.parse(json.stdout)).toMatchObject({ keys: [arn] });
    const keys = await openConfiguredKeys(resolveConfig({}, env));
    const store = await openConfiguredStore(resolveConfig({}, env));
    try {
      const row = await store.getLatest('app.pw');
      const { plaintext, keyId } = await keys.decrypt({ ciphertextBlob: Buffer.from(row?.key ?? '', 'base64'), context: {} });
      plaintext.fill(0);
      expect(keyId).toBe(arn);
    } finally {
      store.close();
      keys.close?.();
    }
  });

  it('rotate does not offer "run rotate again" when the context does not match', async () => {
    expect((await runInProcess(['put', 'ctx.pw', 'v', 'env=prod'], env)).code).toBe(0);
    const r = await runInProcess(['rotate', 'ctx.pw', '--reseal'], env);
    expect(r.code).toBe(10);
    expect(r.stderr).not.toMatch(/run rotate again/);
    expect(r.stderr).toMatch(/will not help: pass the encryption context/);
  });

  it('rotate --all --reseal does not offer "run rotate again" for damaged rows or names it cannot handle', async () => {
    expect((await runInProcess(['put', 'app.db', 'v'], env)).code).toBe(0);
    const d = rawDb(join(home, 'store.db'));
    try {
      const row = d.prepare('SELECT * FROM secrets WHERE name = ?').get('app.db') as Record<string, unknown>;
      for (const changes of [{ name: 'bad.contents', contents: '***' }, { name: 'bad.version', version: 'abcdefghijklmnopqrst' }, { name: 'bad\u0001name' }]) {
        const full: Record<string, unknown> = { ...row, ...changes };
        const cols = Object.keys(full);
        d.prepare(`INSERT INTO secrets (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((k) => full[k]));
      }
    } finally {
      d.close();
    }
    const r = await runInProcess(['rotate', '--all', '--reseal'], env);
    expect(r.code).toBe(10);
    expect(r.stderr).toContain('3 of 4 rows failed to rotate');
    expect(r.stderr).not.toMatch(/run rotate again/);
    expect(r.stderr).toMatch(/running rotate again will not help/);
  });

  it('config shows KEYSTASH_CONFIG as (env)', async () => {
    const file = join(home, 'c.json');
    writeFileSync(file, '{}');
    const r = await runInProcess(['config', '--json'], { ...env, KEYSTASH_CONFIG: file });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/"configFile"/);
    const rows = JSON.parse(r.stdout) as unknown;
    expect(JSON.stringify(rows)).toMatch(new RegExp(`"${file.replace(/[/.]/g, '\\$&')}","source":"env"`));
  });

  it('import progress counts each name once; identical write failures are one line; "none was written" when none was', async () => {
    const config = resolveConfig({}, env);
    const inner = await openConfiguredStore(config);
    const keys = await openConfiguredKeys(config);
    const failing = Object.fromEntries(
      (['getVersion', 'getLatest', 'listVersions', 'listAll', 'listRows', 'deleteVersions', 'replaceKey', 'setup', 'close'] as const).map((m) => [m, (inner[m] as (...a: unknown[]) => unknown).bind(inner)]),
    );
    const store = Object.assign(failing, { putVersion: async () => Promise.reject(new StoreError('disk full', { code: 'store.error' })) }) as unknown as SecretStore;
    const ks = new Keystash({ store, keys });
    const events: Array<{ done: number; total: number }> = [];
    const pairs = Array.from({ length: 20 }, (_, i) => [`imp.${i}`, `v${i}`] as const);
    try {
      const error = await importSecrets(ks, pairs, { onProgress: (p) => events.push(p) }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(PartialFailureError);
      const message = (error as Error).message;
      expect(message).toMatch(/^20 of 20 secrets could not be written; none was written:/);
      expect(message.split('\n')).toHaveLength(2);
      expect(message).toMatch(/imp\.0, imp\.1, imp\.2 and 17 more \(20 secrets\): disk full/);
      expect(events.every((e) => e.total === 20)).toBe(true);
      expect(events.at(-1)?.done).toBe(20);
    } finally {
      ks.close();
    }
    const ok: Array<{ done: number; total: number }> = [];
    const ks2 = new Keystash({ store: await openConfiguredStore(config), keys: await openConfiguredKeys(config) });
    try {
      await importSecrets(ks2, pairs, { onProgress: (p) => ok.push(p) });
      expect(ok.at(-1)).toEqual({ done: 20, total: 20 });
    } finally {
      ks2.close();
    }
  });

  it('Ctrl-C at the -P prompt exits 130 and stores nothing', async () => {
    const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
    const m = memoryIo({ env, stdin });
    const pending = run(['put', '-P', 'typed.pw'], m.io);
    setTimeout(() => stdin.write('abc\u0003'), 20);
    expect(await pending).toBe(130);
    expect(m.stderr()).toMatch(/cancelled/);
    // Not found (3), or no store at all (8: nothing was ever stored in this home, issue 22 item 12).
    expect([3, 8]).toContain((await runInProcess(['get', 'typed.pw'], env)).code);
  });
});

describe('output path and JSON style', () => {
  it("-o '' says the output path is empty (backup and export)", async () => {
    expect((await runInProcess(['put', 'a', 'b'], env)).code).toBe(0);
    for (const argv of [['backup', '-o', ''], ['export', 'a', '-f', 'json', '-o', '']]) {
      const r = await runInProcess(argv, env);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/the output path is empty/);
    }
  });

  it('every --json output is indented the same way', async () => {
    expect((await runInProcess(['put', 'a', 'b', '--json'], env)).stdout).toMatch(/^\{\n {2}"/);
    expect((await runInProcess(['keys', '--json'], env)).stdout).toMatch(/^\[\n {2}"a"/);
    expect((await runInProcess(['list', '--json'], env)).stdout).toMatch(/^\[\n {2}\{/);
    expect((await runInProcess(['kms', 'list', '--json'], env)).stdout).toMatch(/^\[\n {2}\{/);
  });
});
