import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve as resolvePath } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError, VersionExistsError } from '../../src/errors.js';
import { openStore } from '../../src/secretstore/index.js';
import { SQLITE_APPLICATION_ID, SqliteStore } from '../../src/secretstore/sqlite.js';
import { describeSecretStore, pad, sampleRecord } from '../contract/secretstore.contract.js';
import type { SqliteDriverName } from '../../src/secretstore/sqlite-driver.js';
import { rawDb, SQLITE_DRIVERS } from '../helpers/sqlite.js';

const root = mkdtempSync(join(tmpdir(), 'keystash-sqlite-'));
let counter = 0;
const freshPath = (): string => join(root, `case-${++counter}`, 'store.db');
const posix = process.platform !== 'win32';

afterAll(() => rmSync(root, { recursive: true, force: true }));

for (const driver of SQLITE_DRIVERS) {
  describeSecretStore(`SqliteStore on ${driver}`, async () => {
    const store = SqliteStore.open({ driver, path: freshPath(), table: 'credential-store', pageSize: 64 });
    await store.setup();
    return store;
  });

  function mkdirp(dir: string): void {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  function refusalOf(path: string): unknown {
    try {
      SqliteStore.open({ driver, path, table: 'credential-store' }).close();
    } catch (err) {
      return err;
    }
    return undefined;
  }

  describe(`SqliteStore file handling on ${driver}`, () => {
    it.runIf(posix)('creates the directory 0700 and the file and WAL sidecars 0600, whatever the umask', async () => {
      const path = join(root, `perm-${++counter}`, 'nested', 'store.db');
      const previous = process.umask(0);
      let store: SqliteStore;
      try {
        store = SqliteStore.open({ driver, path, table: 't' });
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
      const first = SqliteStore.open({ driver, path, table: 't' });
      expect(await first.setup()).toEqual({ created: true });
      expect(await first.setup()).toEqual({ created: false });
      first.close();
      const again = SqliteStore.open({ driver, path, table: 't' });
      expect(await again.setup()).toEqual({ created: false });
      again.close();
      const raw = rawDb(path, { readonly: true, driver });
      expect(raw.pragmaValue('application_id')).toBe(SQLITE_APPLICATION_ID);
      expect(raw.pragmaValue('user_version')).toBe(1);
      expect(raw.pragmaValue('journal_mode')).toBe('wal');
      raw.close();
    });

    it('refuses a foreign SQLite database without modifying it', () => {
      const path = freshPath();
      mkdirp(join(path, '..'));
      const foreign = rawDb(path, { driver });
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
      const other = rawDb(path, { driver });
      other.exec('PRAGMA application_id = 1234');
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
      SqliteStore.open({ driver, path, table: 't' }).close();
      const raw = rawDb(path, { driver });
      raw.exec('PRAGMA user_version = 2');
      raw.close();
      expect(refusalOf(path)).toMatchObject({ code: 'store.newerSchema' });
    });

    it('opens read-only: missing file is a StoreError, writes fail with a StoreError, reads work', async () => {
      const path = freshPath();
      expect(() => SqliteStore.open({ driver, path, table: 't', readonly: true })).toThrow(StoreError);
      expect(existsSync(path)).toBe(false);
      const writer = SqliteStore.open({ driver, path, table: 't' });
      await writer.putVersion(sampleRecord('ro', pad(1)));
      const reader = SqliteStore.open({ driver, path, table: 't', readonly: true });
      expect((await reader.getLatest('ro'))?.version).toBe(pad(1));
      await expect(reader.putVersion(sampleRecord('ro', pad(2)))).rejects.toMatchObject({ code: 'store.readOnly' });
      reader.close();
      writer.close();
    });

    it("two instances on one file see each other's writes", async () => {
      const path = freshPath();
      const a = SqliteStore.open({ driver, path, table: 't' });
      const b = SqliteStore.open({ driver, path, table: 't' });
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
      const store = SqliteStore.open({ driver, path, table: 't', busyTimeoutMs: 50 });
      const holder = rawDb(path, { driver });
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
      const one = SqliteStore.open({ driver, path, table: 'credential-store' });
      const two = SqliteStore.open({ driver, path, table: 'other-table' });
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
      const store = SqliteStore.open({ driver, path: freshPath(), table: 't' });
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
      expect((store as SqliteStore).driver).toBe(SQLITE_DRIVERS[0]);
      await store.putVersion(sampleRecord('via-index', pad(1)));
      expect((await store.getLatest('via-index'))?.name).toBe('via-index');
      store.close();
    });
  });
}

describe('SQLite drivers', () => {
  it('keystash prefers node:sqlite wherever Node has it', () => {
    // node:sqlite is unflagged from Node 22.13; Node 20 has none.
    const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
    const hasNodeSqlite = major > 22 || (major === 22 && minor >= 13);
    expect(SQLITE_DRIVERS[0]).toBe(hasNodeSqlite ? 'node:sqlite' : 'better-sqlite3');
  });

  // .ci/run names the drivers each Node must test, so a driver that silently failed to install
  // cannot shrink the contract runs above to one driver.
  it.runIf(process.env.KEYSTASH_EXPECT_SQLITE_DRIVERS !== undefined)('every driver CI expects is available', () => {
    expect([...SQLITE_DRIVERS].sort()).toEqual((process.env.KEYSTASH_EXPECT_SQLITE_DRIVERS ?? '').split(',').sort());
  });

  const pairs: Array<[SqliteDriverName, SqliteDriverName]> = [
    ['node:sqlite', 'better-sqlite3'],
    ['better-sqlite3', 'node:sqlite'],
  ];
  for (const [writer, reader] of pairs) {
    it.runIf(SQLITE_DRIVERS.length === 2)(`a store.db written through ${writer} is read and extended through ${reader}`, async () => {
      const path = freshPath();
      const first = SqliteStore.open({ path, table: 'credential-store', driver: writer });
      expect(first.driver).toBe(writer);
      await first.putVersion(sampleRecord('moved', pad(1), { comment: 'from ' + writer }));
      await first.putVersion(sampleRecord('moved', pad(2)));
      first.close();
      const second = SqliteStore.open({ path, table: 'credential-store', driver: reader });
      expect(second.driver).toBe(reader);
      expect(await second.setup()).toEqual({ created: false });
      expect(await second.getVersion('moved', pad(1))).toEqual(sampleRecord('moved', pad(1), { comment: 'from ' + writer }));
      expect((await second.getLatest('moved'))?.version).toBe(pad(2));
      await expect(second.putVersion(sampleRecord('moved', pad(2)))).rejects.toBeInstanceOf(VersionExistsError);
      await second.putVersion(sampleRecord('moved', pad(3)));
      second.close();
      const again = SqliteStore.open({ path, table: 'credential-store', driver: writer });
      expect((await again.getLatest('moved'))?.version).toBe(pad(3));
      again.close();
    });
  }
});

describe('concurrent first opens', () => {
  // Processes that open a fresh store at the same moment: one creates the schema, the others must
  // see either an empty file or the whole schema, never something "foreign" (a read of the header
  // that straddles the creator's commit).
  const CHILD = `
    const { SqliteStore } = await import(process.argv[1]);
    const [paths, driver, who, startAt] = [JSON.parse(process.argv[2]), process.argv[3], process.argv[4], Number(process.argv[5])];
    while (Date.now() < startAt) await new Promise((r) => setTimeout(r, 1)); // all start together
    for (const path of paths) {
      const store = SqliteStore.open({ path, table: 'credential-store', driver });
      await store.putVersion({ name: 'race-' + who, version: '0000000000000000001', key: 'a2V5', contents: 'Y29udGVudHM=', hmac: 'ab', digest: 'SHA256' });
      store.close();
    }`;
  const lib = resolvePath(import.meta.dirname, '../../dist/secretstore/sqlite.js');
  for (const driver of SQLITE_DRIVERS) {
    it(`6 processes × 60 fresh stores at once on ${driver}: every open succeeds and every row is there`, { timeout: 60_000 }, async () => {
      const paths = Array.from({ length: 60 }, () => freshPath());
      const startAt = Date.now() + 2_000;
      const children = Array.from({ length: 6 }, (_, who) =>
        new Promise<{ code: number | null; stderr: string }>((done) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, lib, JSON.stringify(paths), driver, String(who), String(startAt)], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
          child.on('close', (code) => {
            clearTimeout(timer);
            done({ code, stderr });
          });
        }),
      );
      for (const r of await Promise.all(children)) expect(r.code, r.stderr).toBe(0);
      for (const path of paths) {
        const store = SqliteStore.open({ path, table: 'credential-store', driver, readonly: true });
        for (let who = 0; who < 6; who++) expect(await store.getLatest(`race-${who}`)).toBeDefined();
        store.close();
      }
    });
  }
});
