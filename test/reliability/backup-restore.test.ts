/**
 * Backup and restore edge cases, in-process against the real local backend (SQLite + local KMS)
 * and, where marked, dynalite + the project's KMS server: restore across key services (refused
 * without --rewrap-from, repaired with it), names the store can hold but a terminal cannot show,
 * a row deleted mid-backup, and restore into a missing DynamoDB table.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openConfiguredKeys, openConfiguredStore } from '../../src/wiring.js';
import { resolveConfig } from '../../src/config.js';
import { createBackup } from '../../src/core/transfer/backup.js';
import { parseBackup } from '../../src/core/transfer/backup-file.js';
import { Keystash } from '../../src/core/keystash.js';
import type { SecretStore } from '../../src/secretstore/types.js';
import { awsTestEnv } from '../helpers/aws-env.js';
import { runInProcess } from '../helpers/in-process.js';

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keystash-backup-restore-'));
  env = { KEYSTASH_HOME: join(home, 'data'), HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

/** The aws backend on dynalite + the project's KMS server, in-process (the SDK reads credentials from process.env). */
function awsEnv(table: string): Record<string, string> {
  for (const [k, v] of Object.entries(awsTestEnv())) vi.stubEnv(k, v);
  return { ...env, ...awsTestEnv(), KEYSTASH_BACKEND: 'aws', KEYSTASH_TABLE: table };
}
let tableSeq = 0;
const uniqueTable = (): string => `restore-${process.pid}-${Date.now()}-${tableSeq++}`;

describe('restore across key services', () => {
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

describe('restore accepts every name the store can hold', () => {
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

describe('backup reads whole rows in one pass; restore into a missing table', () => {
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
      listRows: () => deleteOnFirst(inner.listRows()),
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
