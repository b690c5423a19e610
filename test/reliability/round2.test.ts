/**
 * Issue 14 ("Reliability round 2"), run in-process against the real local backend (SQLite +
 * local KMS) and, where marked, dynalite + the project's KMS server.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openConfiguredKeys, openConfiguredStore } from '../../src/wiring.js';
import { run } from '../../src/cli/main.js';
import { resolveConfig } from '../../src/config.js';
import { createBackup } from '../../src/core/backup.js';
import { parseBackup } from '../../src/core/backup-file.js';
import { importSecrets } from '../../src/core/import.js';
import { Keystash } from '../../src/core/keystash.js';
import { PartialFailureError, StoreError } from '../../src/errors.js';
import type { SecretStore } from '../../src/secretstore/types.js';
import { awsTestEnv } from '../helpers/aws-env.js';
import { runInProcess } from '../helpers/in-process.js';
import { memoryIo } from '../helpers/io.js';

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keystash-r2-'));
  env = { KEYSTASH_HOME: home, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('item 5: a put past the 19-digit version', () => {
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

/** The aws backend on dynalite + the project's KMS server, in-process (the SDK reads credentials from process.env). */
function awsEnv(table: string): Record<string, string> {
  for (const [k, v] of Object.entries(awsTestEnv())) vi.stubEnv(k, v);
  return { ...env, ...awsTestEnv(), KEYSTASH_BACKEND: 'aws', KEYSTASH_TABLE: table };
}
let tableSeq = 0;
const uniqueTable = (): string => `r2-${process.pid}-${Date.now()}-${tableSeq++}`;

describe('item 1: restore across key services', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('refuses (exit 7, naming --rewrap-from) and writes nothing; a rerun with --rewrap-from repairs rows stored unreadable', async () => {
    for (const [name, value] of [['db.pw', 'hunter2'], ['api.key', 'k1'], ['api.key', 'k2']]) expect((await runInProcess(['put', name as string, value as string], env)).code).toBe(0);
    const file = join(home, 'local.jsonl');
    expect((await runInProcess(['backup', '-o', file], env)).code).toBe(0);
    const aws = awsEnv(uniqueTable());
    expect((await runInProcess(['setup'], aws)).code).toBe(0);

    const refused = await runInProcess(['restore', file], aws);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/--rewrap-from/);
    expect(refused.stderr).toMatch(/nothing was restored/);
    expect((await runInProcess(['list'], aws)).stdout).toBe('');

    // The state an older restore left: the rows stored with the local KMS's wrapped keys.
    const { rows } = parseBackup(readFileSync(file, 'utf8'));
    const store = await openConfiguredStore(resolveConfig({}, aws));
    try {
      for (const row of rows) await store.putVersion(row);
    } finally {
      store.close();
    }
    expect((await runInProcess(['get', 'db.pw'], aws)).code).not.toBe(0);

    const repaired = await runInProcess(['restore', file, '--rewrap-from', 'local', '--json'], aws);
    expect(repaired.stderr).toBe('');
    expect(JSON.parse(repaired.stdout)).toMatchObject({ total: 3, written: 0, skipped: 0, repaired: 3 });
    expect((await runInProcess(['get', 'db.pw'], aws)).stdout.trimEnd()).toBe('hunter2');
    expect((await runInProcess(['get', 'api.key', '-v', '1'], aws)).stdout.trimEnd()).toBe('k1');
    // Idempotent: a third run finds everything readable.
    expect(JSON.parse((await runInProcess(['restore', file, '--rewrap-from', 'local', '--json'], aws)).stdout)).toMatchObject({ written: 0, skipped: 3, repaired: 0 });
  });
});

describe('item 3: restore accepts every name the store can hold', () => {
  it('restores star*name and a name with a newline; list and keys print them escaped', async () => {
    expect((await runInProcess(['put', 'plain', 'v'], env)).code).toBe(0);
    const store = await openConfiguredStore(resolveConfig({}, env));
    try {
      const row = await store.getLatest('plain');
      if (!row) throw new Error('no row');
      await store.putVersion({ ...row, name: 'star*name' });
      await store.putVersion({ ...row, name: 'new\nline\u001b[31m' });
    } finally {
      store.close();
    }
    const file = join(home, 'odd.jsonl');
    expect((await runInProcess(['backup', '-o', file], env)).code).toBe(0);
    const restored = await runInProcess(['-t', 'other', 'restore', file], env);
    expect(restored.stderr).toMatch(/restored 3 rows/);
    expect(restored.code).toBe(0);
    const list = await runInProcess(['-t', 'other', 'list'], env);
    expect(list.stdout).toContain('new\\nline\\u001b[31m');
    expect(list.stdout).toContain('star*name');
    expect(list.stdout.split('\n').filter(Boolean)).toHaveLength(3);
    const keys = await runInProcess(['-t', 'other', 'keys'], env);
    expect(keys.stdout.split('\n').filter(Boolean).sort()).toEqual(['new\\nline\\u001b[31m', 'plain', 'star*name']);
  });
});

describe('item 4: backup reads whole rows in one pass; restore into a missing table', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('a row deleted mid-backup does not abort it, and no row is fetched one by one', async () => {
    for (const name of ['a', 'b', 'c']) expect((await runInProcess(['put', name, name], env)).code).toBe(0);
    const config = resolveConfig({}, env);
    const inner = await openConfiguredStore(config);
    const keys = await openConfiguredKeys(config);
    let gets = 0;
    const deleteOnFirst = async function* <T>(source: AsyncIterable<T>): AsyncGenerator<T> {
      let first = true;
      for await (const item of source) {
        yield item;
        if (first) await inner.deleteVersions('c');
        first = false;
      }
    };
    const delegate = Object.fromEntries(
      (['putVersion', 'getLatest', 'listVersions', 'deleteVersions', 'replaceKey', 'setup', 'close'] as const).map((m) => [m, (inner[m] as (...a: unknown[]) => unknown).bind(inner)]),
    );
    const store = Object.assign(delegate, {
      listAll: () => deleteOnFirst(inner.listAll()),
      listRecords: () => deleteOnFirst(inner.listRecords()),
      getVersion: (name: string, version: string) => {
        gets++;
        return inner.getVersion(name, version);
      },
    }) as unknown as SecretStore;
    const keystash = new Keystash({ store, keys });
    try {
      const text = await createBackup(keystash, { store: 'sqlite', table: config.table });
      expect(parseBackup(text).rows.map((r) => r.name)).toEqual(['a', 'b', 'c']);
      expect(gets).toBe(0);
    } finally {
      keystash.close();
    }
  });

  it('restore into a missing DynamoDB table fails before any row is written and says --create-table; with it the table is made', async () => {
    const source = awsEnv(uniqueTable());
    expect((await runInProcess(['setup'], source)).code).toBe(0);
    for (const name of ['a', 'b']) expect((await runInProcess(['put', name, name], source)).code).toBe(0);
    const file = join(home, 'aws.jsonl');
    expect((await runInProcess(['backup', '-o', file], source)).code).toBe(0);
    const dest = awsEnv(uniqueTable());
    const missing = await runInProcess(['restore', file], dest);
    expect(missing.code).toBe(8);
    expect(missing.stderr).toMatch(/does not exist/);
    expect(missing.stderr).toMatch(/--create-table/);
    const created = await runInProcess(['restore', file, '--create-table'], dest);
    expect(created.stderr).toMatch(/restored 2 rows/);
    expect(created.code).toBe(0);
    expect((await runInProcess(['get', 'b'], dest)).stdout.trimEnd()).toBe('b');
  });
});

describe('item 8: smaller ones', () => {
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
      (['getVersion', 'getLatest', 'listVersions', 'listAll', 'listRecords', 'deleteVersions', 'replaceKey', 'setup', 'close'] as const).map((m) => [m, (inner[m] as (...a: unknown[]) => unknown).bind(inner)]),
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
    expect((await runInProcess(['get', 'typed.pw'], env)).code).toBe(3);
  });
});

describe('item 8: output path and JSON style', () => {
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
