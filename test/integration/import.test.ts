/**
 * importSecrets on SQLite writes every added/changed secret in one transaction, and falls back to
 * name-by-name puts (nothing lost, nothing doubled) when a concurrent writer got in first.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importSecrets } from '../../src/core/transfer/import.js';
import { Keystash } from '../../src/core/keystash.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { SqliteStore } from '../../src/secretstore/sqlite.js';
import type { SecretRow, SecretStore } from '../../src/secretstore/types.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A real SqliteStore whose calls are counted; `beforeBatch` runs before the real putVersions. */
function counted(beforeBatch?: (store: SecretStore) => Promise<void>) {
  const store = SqliteStore.open({ path: join(dir, `s${n}.db`), table: 'credential-store' });
  const keys = LocalKms.open({ path: join(dir, `k${n++}.json`) });
  const calls = { putVersion: 0, putVersions: [] as number[] };
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'putVersion') return (record: SecretRow) => (calls.putVersion++, target.putVersion(record));
      if (prop === 'putVersions') {
        return async (records: Iterable<SecretRow>) => {
          const rows = [...records];
          calls.putVersions.push(rows.length);
          await beforeBatch?.(target);
          return target.putVersions(rows);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as SecretStore;
  return { ks: new Keystash({ store: wrapped, keys }), calls, store };
}

describe('importSecrets on SQLite', () => {
  it('writes every added and changed secret in one transaction', async () => {
    const { ks, calls, store } = counted();
    await ks.put('b', 'old');
    await ks.put('c', 'same');
    calls.putVersion = 0;
    const result = await importSecrets(ks, [['a', 'new'], ['b', 'newer'], ['c', 'same'], ['d', 'x\ny']]);
    expect(result).toEqual([
      { name: 'a', status: 'added', version: '0000000000000000001' },
      { name: 'b', status: 'changed', version: '0000000000000000002' },
      { name: 'c', status: 'unchanged' },
      { name: 'd', status: 'added', version: '0000000000000000001' },
    ]);
    expect(calls).toEqual({ putVersion: 0, putVersions: [3] });
    expect(Object.fromEntries(await ks.getAll())).toEqual({ a: 'new', b: 'newer', c: 'same', d: 'x\ny' });
    store.close();
  });

  it('a concurrent writer makes the transaction store nothing; the import then writes name by name', async () => {
    const { ks, calls, store } = counted(async (real) => {
      const other = new Keystash({ store: real, keys: ks.keys });
      await other.put('b', 'from another writer'); // takes version 2, which the batch wanted
    });
    await ks.put('b', 'old');
    calls.putVersion = 0;
    const result = await importSecrets(ks, [['a', 'new'], ['b', 'newer']]);
    expect(calls.putVersions).toEqual([2]);
    expect(calls.putVersion).toBe(2);
    expect(result).toEqual([
      { name: 'a', status: 'added', version: '0000000000000000001' },
      { name: 'b', status: 'changed', version: '0000000000000000003' },
    ]);
    expect((await ks.history('a')).length).toBe(1);
    expect(await ks.get('b', { version: '2' })).toBe('from another writer');
    expect(await ks.get('b')).toBe('newer');
    store.close();
  });
});
