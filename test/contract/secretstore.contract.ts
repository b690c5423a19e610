/**
 * The SecretStore contract (docs/conventions.md §12), run against every backend. `make` returns a fresh,
 * set-up, empty store each time; it should use a small page size so pagination is exercised.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { VersionExistsError } from '../../src/errors.js';
import type { SecretMeta, SecretRow, SecretStore } from '../../src/secretstore/types.js';

/** A plausible stored record (credstash representation); `over` replaces fields. */
export function sampleRecord(name: string, version: string, over: Partial<SecretRow> = {}): SecretRow {
  return {
    name,
    version,
    key: Buffer.from(`wrapped-key-of-${name}-${version}`).toString('base64'),
    contents: Buffer.from(`ciphertext of ${name} ${version}`).toString('base64'),
    hmac: 'a26c057b637f005a3fb924c7f4ace1ce70bb88e5bd6088635d079307052dc266',
    digest: 'SHA256',
    ...over,
  };
}

/** Version padded to credstash's 19 characters. */
export function pad(n: number | string): string {
  return String(n).padStart(19, '0');
}

async function collect(iterable: AsyncIterable<SecretMeta>): Promise<SecretMeta[]> {
  const out: SecretMeta[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** Compare records with `hmacType` undefined meaning 'B' (types.ts). */
function normalise(record: SecretRow | undefined): SecretRow | undefined {
  if (record === undefined) return undefined;
  const out: SecretRow = { ...record, hmacType: record.hmacType ?? 'B' };
  for (const k of Object.keys(out) as (keyof SecretRow)[]) if (out[k] === undefined) delete out[k];
  return out;
}

async function putMany(store: SecretStore, records: SecretRow[], parallel = 25): Promise<void> {
  for (let i = 0; i < records.length; i += parallel) {
    await Promise.all(records.slice(i, i + parallel).map((r) => store.putVersion(r)));
  }
}

/** Register the contract suite for one SecretStore implementation. */
export function describeSecretStore(name: string, make: () => Promise<SecretStore>): void {
  describe(`SecretStore contract: ${name}`, () => {
    const open: SecretStore[] = [];
    const fresh = async (): Promise<SecretStore> => {
      const store = await make();
      open.push(store);
      return store;
    };
    afterEach(() => {
      for (const store of open.splice(0)) store.close();
    });

    it('stores a record and reads it back unchanged by explicit version and as latest', async () => {
      const store = await fresh();
      const record = sampleRecord('db.password', pad(1), { comment: 'primary db', createdAt: '2024-05-01T10:00:00.000Z' });
      await store.putVersion(record);
      expect(normalise(await store.getVersion('db.password', pad(1)))).toEqual(normalise(record));
      expect(normalise(await store.getLatest('db.password'))).toEqual(normalise(record));
    });

    it('refuses to overwrite an existing version and keeps the original row', async () => {
      const store = await fresh();
      const original = sampleRecord('api', pad(1));
      await store.putVersion(original);
      const clash = sampleRecord('api', pad(1), { contents: 'b3ZlcndyaXR0ZW4=', key: 'bmV3a2V5' });
      const err = await store.putVersion(clash).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(VersionExistsError);
      expect(err).toMatchObject({ secretName: 'api', version: pad(1), code: 'secret.versionExists' });
      expect(normalise(await store.getVersion('api', pad(1)))).toEqual(normalise(original));
    });

    it('lets exactly one of 10 concurrent puts of the same version win', async () => {
      const store = await fresh();
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.putVersion(sampleRecord('race', pad(7), { contents: Buffer.from(`w${i}`).toString('base64') }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected).toHaveLength(9);
      for (const r of rejected) expect(r.reason).toBeInstanceOf(VersionExistsError);
      expect(await collect(store.listVersions('race'))).toHaveLength(1);
    });

    it('picks the greatest padded version as latest and reads any version explicitly', async () => {
      const store = await fresh();
      for (const v of [1, 3, 2, 10]) await store.putVersion(sampleRecord('svc', pad(v)));
      expect((await store.getLatest('svc'))?.version).toBe(pad(10));
      expect((await store.getVersion('svc', pad(2)))?.version).toBe(pad(2));
      expect(await store.getVersion('svc', pad(4))).toBeUndefined();
      expect((await collect(store.listVersions('svc'))).map((m) => m.version)).toEqual([pad(10), pad(3), pad(2), pad(1)]);
    });

    it('orders versions by DynamoDB byte order (legacy "1" above padded 2; "…abc" above "…007")', async () => {
      const store = await fresh();
      await store.putVersion(sampleRecord('legacy', pad(2)));
      await store.putVersion(sampleRecord('legacy', '1'));
      expect((await store.getLatest('legacy'))?.version).toBe('1');
      expect((await store.getVersion('legacy', '1'))?.version).toBe('1');
      expect((await collect(store.listVersions('legacy'))).map((m) => m.version)).toEqual(['1', pad(2)]);

      await store.putVersion(sampleRecord('mixed', pad(7)));
      await store.putVersion(sampleRecord('mixed', pad('abc')));
      expect((await store.getLatest('mixed'))?.version).toBe(pad('abc'));
    });

    it('returns nothing for a missing name', async () => {
      const store = await fresh();
      expect(await store.getLatest('nope')).toBeUndefined();
      expect(await store.getVersion('nope', pad(1))).toBeUndefined();
      expect(await collect(store.listVersions('nope'))).toEqual([]);
      expect(await store.deleteVersions('nope')).toEqual([]);
      expect(await store.deleteVersions('nope', pad(1))).toEqual([]);
    });

    it('lists 250 versions of one name greatest first across pages', async () => {
      const store = await fresh();
      await putMany(store, Array.from({ length: 250 }, (_, i) => sampleRecord('many', pad(i + 1))));
      const versions = (await collect(store.listVersions('many'))).map((m) => m.version);
      expect(versions).toEqual(Array.from({ length: 250 }, (_, i) => pad(250 - i)));
    });

    it('lists every version of every name across pages (250 names)', async () => {
      const store = await fresh();
      const records = Array.from({ length: 250 }, (_, i) => sampleRecord(`name-${String(i).padStart(3, '0')}`, pad(1)));
      records.push(sampleRecord('name-000', pad(2), { comment: 'second' }));
      await putMany(store, records);
      const all = await collect(store.listAll());
      expect(all).toHaveLength(251);
      const keys = all.map((m) => `${m.name}@${m.version}`);
      expect(new Set(keys).size).toBe(251);
      expect(all.find((m) => m.name === 'name-000' && m.version === pad(2))?.comment).toBe('second');
    });

    it('listRows yields every version of every name as the full stored row', async () => {
      const store = await fresh();
      const records = [
        sampleRecord('rec-a', pad(1)),
        sampleRecord('rec-a', pad(2), { comment: 'second' }),
        sampleRecord('rec-b', pad(1), { contents: '' }),
        sampleRecord('rec-c', '10'),
      ];
      await putMany(store, records);
      const all = await collect(store.listRows());
      const key = (r: { name: string; version: string }) => `${r.name}@${r.version}`;
      expect(all.map(key).sort()).toEqual(records.map(key).sort());
      for (const r of records) {
        const got = all.find((a) => key(a) === key(r))!;
        expect(got).toMatchObject({ key: r.key, contents: r.contents, hmac: r.hmac, digest: r.digest });
        expect(got).toEqual(await store.getVersion(r.name, r.version));
      }
    });

    it('stops listing early without error when the consumer breaks', async () => {
      const store = await fresh();
      await putMany(store, Array.from({ length: 30 }, (_, i) => sampleRecord(`early-${i}`, pad(1))));
      let seen = 0;
      for await (const _ of store.listAll()) if (++seen === 3) break;
      expect(seen).toBe(3);
      expect(await store.getLatest('early-0')).toBeDefined();
    });

    it('deletes one version and returns it, leaving the others', async () => {
      const store = await fresh();
      for (const v of [1, 2, 3]) await store.putVersion(sampleRecord('del1', pad(v)));
      const deleted = await store.deleteVersions('del1', pad(2));
      expect(deleted.map((m) => [m.name, m.version])).toEqual([['del1', pad(2)]]);
      expect((await collect(store.listVersions('del1'))).map((m) => m.version)).toEqual([pad(3), pad(1)]);
      expect(await store.deleteVersions('del1', pad(2))).toEqual([]);
    });

    it('deletes all versions of one name (greatest first) and nothing else', async () => {
      const store = await fresh();
      await putMany(store, Array.from({ length: 120 }, (_, i) => sampleRecord('delall', pad(i + 1))));
      await store.putVersion(sampleRecord('delall.other', pad(1)));
      await store.putVersion(sampleRecord('delal', pad(1)));
      const deleted = await store.deleteVersions('delall');
      expect(deleted.map((m) => m.version)).toEqual(Array.from({ length: 120 }, (_, i) => pad(120 - i)));
      expect(await store.getLatest('delall')).toBeUndefined();
      expect(await store.getLatest('delall.other')).toBeDefined();
      expect(await store.getLatest('delal')).toBeDefined();
    });

    it('replaces the wrapped key only while it still has the expected value', async () => {
      const store = await fresh();
      const record = sampleRecord('rot', pad(1), { comment: 'keep me' });
      await store.putVersion(record);
      expect(await store.replaceKey('rot', pad(1), 'not-the-key', 'bmV3')).toBe(false);
      expect((await store.getVersion('rot', pad(1)))?.key).toBe(record.key);
      expect(await store.replaceKey('rot', pad(1), record.key, 'bmV3')).toBe(true);
      expect(normalise(await store.getVersion('rot', pad(1)))).toEqual(normalise({ ...record, key: 'bmV3' }));
      expect(await store.replaceKey('rot', pad(1), record.key, 'b3RoZXI=')).toBe(false);
      expect(await store.replaceKey('rot', pad(9), record.key, 'bmV3')).toBe(false);
      expect(await store.getVersion('rot', pad(9))).toBeUndefined();
    });

    it('round-trips the hmac text and how it was stored (B, legacy S, either case)', async () => {
      const store = await fresh();
      const b = sampleRecord('hm', pad(1), { hmacType: 'B' });
      const s = sampleRecord('hm', pad(2), { hmacType: 'S', hmac: 'A26C057B637F005A3FB924C7F4ACE1CE70BB88E5BD6088635D079307052DC266' });
      const plain = sampleRecord('hm', pad(3), { hmac: '0123456789abcdef0123456789abcdef' });
      for (const r of [b, s, plain]) await store.putVersion(r);
      expect(await store.getVersion('hm', pad(1))).toMatchObject({ hmac: b.hmac, hmacType: 'B' });
      expect(await store.getVersion('hm', pad(2))).toMatchObject({ hmac: s.hmac, hmacType: 'S' });
      const got = await store.getVersion('hm', pad(3));
      expect(got?.hmac).toBe(plain.hmac);
      expect(got?.hmacType ?? 'B').toBe('B');
    });

    it('round-trips comment and created_at in reads and listings, and their absence (empty comment = none)', async () => {
      const store = await fresh();
      const withMeta = sampleRecord('meta', pad(2), { comment: 'rotated by ops ✓', createdAt: '2025-01-02T03:04:05.678Z' });
      const bare = sampleRecord('meta', pad(1), { digest: undefined, comment: '' });
      await store.putVersion(bare);
      await store.putVersion(withMeta);
      expect(await store.getLatest('meta')).toMatchObject({ comment: withMeta.comment, createdAt: withMeta.createdAt });
      const old = await store.getVersion('meta', pad(1));
      expect(old?.comment).toBeUndefined();
      expect(old?.createdAt).toBeUndefined();
      expect(old?.digest).toBeUndefined();
      const versions = await collect(store.listVersions('meta'));
      expect(versions[0]).toMatchObject({ name: 'meta', version: pad(2), comment: withMeta.comment, createdAt: withMeta.createdAt });
      expect(versions[1]?.comment).toBeUndefined();
      const listed = (await collect(store.listAll())).find((m) => m.version === pad(2));
      expect(listed).toMatchObject({ comment: withMeta.comment, createdAt: withMeta.createdAt });
    });

    it('stores an empty secret (contents "")', async () => {
      const store = await fresh();
      await store.putVersion(sampleRecord('empty', pad(1), { contents: '' }));
      expect((await store.getLatest('empty'))?.contents).toBe('');
    });

    it('handles Unicode and punctuation in names', async () => {
      const store = await fresh();
      const names = ['pässwörd', 'ключ/prod', 'emoji-🔑', 'with space', 'a.b-c_d*e'];
      for (const n of names) await store.putVersion(sampleRecord(n, pad(1)));
      for (const n of names) expect((await store.getLatest(n))?.name).toBe(n);
      expect((await collect(store.listAll())).map((m) => m.name).sort()).toEqual([...names].sort());
    });

    it('setup is idempotent on a store that already exists', async () => {
      const store = await fresh();
      await store.putVersion(sampleRecord('kept', pad(1)));
      expect(await store.setup()).toEqual({ created: false });
      expect(await store.getLatest('kept')).toBeDefined();
    });
  });
}
