import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError, VersionExistsError } from '../../src/errors.js';
import { openStore } from '../../src/secretstore/index.js';
import { SQLITE_APPLICATION_ID, SqliteStore } from '../../src/secretstore/sqlite.js';
import { describeSecretStore, pad, sampleRecord } from '../contract/secretstore.contract.js';

const root = mkdtempSync(join(tmpdir(), 'keystash-sqlite-'));
let counter = 0;
const freshPath = (): string => join(root, `case-${++counter}`, 'store.db');
const posix = process.platform !== 'win32';

afterAll(() => rmSync(root, { recursive: true, force: true }));

describeSecretStore('SqliteStore', async () => {
  const store = SqliteStore.open({ path: freshPath(), table: 'credential-store', pageSize: 64 });
  await store.setup();
  return store;
});

function mkdirp(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function refusalOf(path: string): unknown {
  try {
    SqliteStore.open({ path, table: 'credential-store' }).close();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('SqliteStore file handling', () => {
  it.runIf(posix)('creates the directory 0700 and the file and WAL sidecars 0600, whatever the umask', async () => {
    const path = join(root, `perm-${++counter}`, 'nested', 'store.db');
    const previous = process.umask(0);
    let store: SqliteStore;
    try {
      store = SqliteStore.open({ path, table: 't' });
    } finally {
      process.umask(previous);
    }
    await store.putVersion(sampleRecord('x', pad(1)));
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    for (const sidecar of [`${path}-wal`, `${path}-shm`]) {
      if (existsSync(sidecar)) expect(statSync(sidecar).mode & 0o777).toBe(0o600);
    }
    store.close();
  });

  it('reports created once, and reopening an existing store runs no schema creation', async () => {
    const path = freshPath();
    const first = SqliteStore.open({ path, table: 't' });
    expect(await first.setup()).toEqual({ created: true });
    expect(await first.setup()).toEqual({ created: false });
    first.close();
    const again = SqliteStore.open({ path, table: 't' });
    expect(await again.setup()).toEqual({ created: false });
    again.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('application_id', { simple: true })).toBe(SQLITE_APPLICATION_ID);
    expect(raw.pragma('user_version', { simple: true })).toBe(1);
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    raw.close();
  });

  it('refuses a foreign SQLite database without modifying it', () => {
    const path = freshPath();
    mkdirp(join(path, '..'));
    const foreign = new Database(path);
    foreign.exec("CREATE TABLE accounts (id INTEGER PRIMARY KEY, owner TEXT); INSERT INTO accounts (owner) VALUES ('alice');");
    foreign.close();
    const before = readFileSync(path);
    const err = refusalOf(path);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code: 'store.notKeystash' });
    expect((err as Error).message).toContain(`${path} is not a keystash store`);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses an SQLite file carrying another application_id even when empty', () => {
    const path = freshPath();
    mkdirp(join(path, '..'));
    const other = new Database(path);
    other.pragma('application_id = 1234');
    other.close();
    expect(refusalOf(path)).toMatchObject({ code: 'store.notKeystash' });
  });

  it('refuses a file that is not SQLite at all, leaving it unchanged', () => {
    for (const content of ['x', 'this is a text file, not a database\n'.repeat(200)]) {
      const path = freshPath();
      mkdirp(join(path, '..'));
      writeFileSync(path, content);
      const err = refusalOf(path);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as Error).message).toMatch(/is not a keystash store/);
      expect((err as Error).message).toContain(path);
      expect(readFileSync(path, 'utf8')).toBe(content);
    }
  });

  it('turns a damaged SQLite file into a one-line StoreError', () => {
    const path = freshPath();
    mkdirp(join(path, '..'));
    writeFileSync(path, Buffer.concat([Buffer.from('SQLite format 3\0'), Buffer.alloc(4080, 0xab)]));
    const err = refusalOf(path);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).not.toContain('\n');
  });

  it('refuses a store written by a newer schema', () => {
    const path = freshPath();
    SqliteStore.open({ path, table: 't' }).close();
    const raw = new Database(path);
    raw.pragma('user_version = 2');
    raw.close();
    expect(refusalOf(path)).toMatchObject({ code: 'store.newerSchema' });
  });

  it('opens read-only: missing file is a StoreError, writes fail with a StoreError, reads work', async () => {
    const path = freshPath();
    expect(() => SqliteStore.open({ path, table: 't', readonly: true })).toThrow(StoreError);
    expect(existsSync(path)).toBe(false);
    const writer = SqliteStore.open({ path, table: 't' });
    await writer.putVersion(sampleRecord('ro', pad(1)));
    const reader = SqliteStore.open({ path, table: 't', readonly: true });
    expect((await reader.getLatest('ro'))?.version).toBe(pad(1));
    await expect(reader.putVersion(sampleRecord('ro', pad(2)))).rejects.toMatchObject({ code: 'store.readOnly' });
    reader.close();
    writer.close();
  });

  it("two instances on one file see each other's writes", async () => {
    const path = freshPath();
    const a = SqliteStore.open({ path, table: 't' });
    const b = SqliteStore.open({ path, table: 't' });
    await a.putVersion(sampleRecord('shared', pad(1)));
    expect((await b.getLatest('shared'))?.version).toBe(pad(1));
    await expect(b.putVersion(sampleRecord('shared', pad(1)))).rejects.toBeInstanceOf(VersionExistsError);
    await b.putVersion(sampleRecord('shared', pad(2)));
    expect((await a.getLatest('shared'))?.version).toBe(pad(2));
    await b.deleteVersions('shared');
    expect(await a.getLatest('shared')).toBeUndefined();
    a.close();
    b.close();
  });

  it('gives up on a lock held by another connection with StoreError store.busy', async () => {
    const path = freshPath();
    const store = SqliteStore.open({ path, table: 't', busyTimeoutMs: 50 });
    const holder = new Database(path);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const err = await store.putVersion(sampleRecord('locked', pad(1))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'store.busy' });
      expect((err as Error).message).toContain(path);
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    await store.putVersion(sampleRecord('locked', pad(1)));
    store.close();
  });

  it('keeps logical tables in one file apart', async () => {
    const path = freshPath();
    const one = SqliteStore.open({ path, table: 'credential-store' });
    const two = SqliteStore.open({ path, table: 'other-table' });
    await one.putVersion(sampleRecord('same', pad(1)));
    await two.putVersion(sampleRecord('same', pad(1), { comment: 'two' }));
    expect((await one.getLatest('same'))?.comment).toBeUndefined();
    expect((await two.getLatest('same'))?.comment).toBe('two');
    await one.deleteVersions('same');
    expect(await two.getLatest('same')).toBeDefined();
    one.close();
    two.close();
  });

  it('putVersions is all-or-nothing', async () => {
    const store = SqliteStore.open({ path: freshPath(), table: 't' });
    await store.putVersion(sampleRecord('bulk-c', pad(1)));
    const batch = [sampleRecord('bulk-a', pad(1)), sampleRecord('bulk-b', pad(1)), sampleRecord('bulk-c', pad(1))];
    await expect(store.putVersions(batch)).rejects.toMatchObject({ secretName: 'bulk-c', version: pad(1) });
    expect(await store.getLatest('bulk-a')).toBeUndefined();
    await expect(store.putVersions([sampleRecord('dup', pad(1)), sampleRecord('dup', pad(1))])).rejects.toBeInstanceOf(VersionExistsError);
    expect(await store.getLatest('dup')).toBeUndefined();
    await store.putVersions(batch.slice(0, 2));
    expect(await store.getLatest('bulk-b')).toBeDefined();
    store.close();
  });

  it('can be reached through openStore', async () => {
    const path = freshPath();
    const store = await openStore({ kind: 'sqlite', path, table: 'credential-store' });
    await store.putVersion(sampleRecord('via-index', pad(1)));
    expect((await store.getLatest('via-index'))?.name).toBe('via-index');
    store.close();
  });
});
