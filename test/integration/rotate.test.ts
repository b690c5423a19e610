/**
 * Key rotation and migration at the core level, on both backends (SqliteStore + LocalKms, DynamoDbStore on dynalite +
 * AwsKmsKeyService → the local KMS server): rotate (re-wrap, re-seal, interrupted re-runs,
 * concurrent writers), migrate local → aws → local, local KMS key rotation, legacy rows + verify.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Keystash } from '../../src/core/keystash.js';
import { migrate, MigrateFailedError } from '../../src/core/transfer/migrate.js';
import { rotateSecrets, RotateFailedError } from '../../src/core/secrets/rotate.js';
import { verifySecrets } from '../../src/core/transfer/verify.js';
import { AwsKmsKeyService } from '../../src/envelope/aws-kms.js';
import { base64ToBytes } from '../../src/envelope/codec.js';
import type { KeyService, ReEncryptRequest } from '../../src/envelope/keyservice.js';
import { createKmsClient } from '../../src/aws/kms-client.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { parseWrappedKeyHeader } from '../../src/localkms/wrapped-key.js';
import { createDynamoDbClient } from '../../src/aws/dynamodb-client.js';
import { DynamoDbStore } from '../../src/secretstore/dynamodb.js';
import { SqliteStore } from '../../src/secretstore/sqlite.js';
import type { SecretRow, SecretStore } from '../../src/secretstore/types.js';
import { rawDb } from '../helpers/sqlite.js';

const REGION = 'us-east-1';
const cleanups: Array<() => Promise<void> | void> = [];
afterAll(async () => {
  for (const fn of cleanups.reverse()) await fn();
});

interface Backend {
  store: SecretStore;
  keys: KeyService;
  k1: string;
  k2: string;
  setEnabled(alias: string, enabled: boolean): Promise<void>;
  /** A LocalKms that administers this backend's keyring (rotateKey). */
  admin: LocalKms;
}

let dir: string | undefined;
function tmp(): string {
  if (!dir) {
    dir = mkdtempSync(join(tmpdir(), 'keystash-rotate-'));
    const d = dir;
    cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  }
  return dir;
}

async function localBackend(): Promise<Backend> {
  const base = join(tmp(), randomUUID());
  const store = SqliteStore.open({ path: join(base, 'store.db'), table: 'credential-store' });
  const kms = LocalKms.open({ path: join(base, 'keyring.json'), region: REGION });
  await kms.createKey({ alias: 'alias/k1' });
  await kms.createKey({ alias: 'alias/k2' });
  cleanups.push(() => store.close());
  return { store, keys: kms, k1: 'alias/k1', k2: 'alias/k2', admin: kms, setEnabled: async (a, e) => void (await kms.setKeyEnabled(a, e)) };
}

let dynamo: DynamoDBClient | undefined;
let kmsClient: KMSClient | undefined;
async function awsBackend(): Promise<Backend> {
  dynamo ??= createDynamoDbClient({ region: REGION, endpoint: inject('dynamoEndpoint'), credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  kmsClient ??= createKmsClient({
    region: REGION,
    endpoint: inject('kmsEndpoint'),
    credentials: { accessKeyId: inject('kmsAccessKeyId'), secretAccessKey: inject('kmsSecretAccessKey') },
    // The SDK's own retries: the KMS server is shared by every file of the run, so a reset
    // connection under load is retried as it would be in use, not failed (maxAttempts 1 flaked).
  });
  if (!awsCleanupRegistered) {
    awsCleanupRegistered = true;
    cleanups.push(() => (dynamo?.destroy(), kmsClient?.destroy()));
  }
  const store = new DynamoDbStore({ client: dynamo, table: `ks-${randomUUID()}`, pageSize: 7 });
  await store.setup();
  const suffix = randomUUID().slice(0, 8);
  const aliases = [`alias/rot-k1-${suffix}`, `alias/rot-k2-${suffix}`] as const;
  for (const alias of aliases) {
    const key = await kmsClient.send(new CreateKeyCommand({ Description: 'rotate test' }));
    await kmsClient.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: key.KeyMetadata!.KeyId! }));
  }
  const client = kmsClient;
  const admin = LocalKms.open({ path: join(inject('kmsHome'), 'keyring.json'), region: REGION });
  return {
    store,
    keys: new AwsKmsKeyService({ client }),
    k1: aliases[0],
    k2: aliases[1],
    admin,
    setEnabled: async (alias, enabled) => void (await client.send(enabled ? new EnableKeyCommand({ KeyId: alias }) : new DisableKeyCommand({ KeyId: alias }))),
  };
}
let awsCleanupRegistered = false;

/** `n` secrets × `versions` versions under `keyId`; returns the values by "name@version". */
async function seed(ks: Keystash, keyId: string, n: number, versions: number): Promise<Map<string, string>> {
  const values = new Map<string, string>();
  for (let i = 0; i < n; i++) {
    for (let v = 1; v <= versions; v++) {
      const value = `value-${i}-${v}-${randomUUID()}`;
      const { version } = await ks.put(`app.s${String(i).padStart(2, '0')}`, value, { keyId, comment: `c${v}` });
      values.set(`app.s${String(i).padStart(2, '0')}@${version}`, value);
    }
  }
  return values;
}

async function allRecords(store: SecretStore): Promise<SecretRow[]> {
  const out: SecretRow[] = [];
  for await (const meta of store.listAll()) out.push((await store.getVersion(meta.name, meta.version))!);
  return out.sort((a, b) => (a.name + a.version < b.name + b.version ? -1 : 1));
}

async function wrappingArn(ks: Keystash, record: SecretRow): Promise<string> {
  const { plaintext, keyId } = await ks.keys.decrypt({ ciphertextBlob: base64ToBytes(record.key), context: {} });
  plaintext.fill(0);
  return keyId;
}

/** `target` with some methods replaced; every other method is called on `target` itself. */
function wrap<T extends object>(target: T, overrides: Partial<T>): T {
  return new Proxy(target, {
    get(t, prop) {
      if (Object.hasOwn(overrides, prop)) return (overrides as Record<string | symbol, unknown>)[prop];
      const value = Reflect.get(t, prop, t) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(t) : value;
    },
  });
}

/** Counts reEncrypt calls per wrapped key (base64) it was asked to re-wrap. */
function countingKeys(keys: KeyService): { keys: KeyService; reEncrypts: Map<string, number> } {
  const reEncrypts = new Map<string, number>();
  const reEncrypt = async (request: ReEncryptRequest) => {
    const id = Buffer.from(request.ciphertextBlob).toString('base64');
    reEncrypts.set(id, (reEncrypts.get(id) ?? 0) + 1);
    return keys.reEncrypt(request);
  };
  return { keys: wrap(keys, { reEncrypt }), reEncrypts };
}

/** A store whose replaceKey "crashes" (throws, writes nothing) once `limit` replacements succeeded. */
function crashingStore(store: SecretStore, limit: number): { store: SecretStore; replaced: string[] } {
  const replaced: string[] = [];
  const replaceKey = async (name: string, version: string, expected: string, next: string): Promise<boolean> => {
    if (replaced.length >= limit) throw new Error('simulated crash');
    const ok = await store.replaceKey(name, version, expected, next);
    if (ok) replaced.push(`${name}@${version}`);
    return ok;
  };
  return { store: wrap(store, { replaceKey }), replaced };
}

const BACKENDS: Array<[string, () => Promise<Backend>]> = [
  ['local (SqliteStore + LocalKms)', localBackend],
  ['aws (DynamoDbStore/dynalite + AwsKmsKeyService → KMS server)', awsBackend],
];

describe.each(BACKENDS)('rotate on %s', (_label, makeBackend) => {
  it('rotate --all --key K2 then disable K1: every latest reads; --all-versions: every version reads; contents/hmac untouched', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, concurrency: 4 });
    const values = await seed(ks, b.k1, 6, 3);
    const before = await allRecords(b.store);
    const dry = await rotateSecrets(ks, { mode: 'rewrap', keyId: b.k2, all: true, dryRun: true });
    expect(dry).toMatchObject({ selected: 6, rotated: 6, skipped: 0, verified: 0 });
    expect(await allRecords(b.store)).toEqual(before);

    const latest = await rotateSecrets(ks, { mode: 'rewrap', keyId: b.k2, all: true });
    expect(latest).toMatchObject({ selected: 6, rotated: 6, skipped: 0, verified: 6, failed: [] });
    expect(latest.keyArn).toBe(await b.keys.describeKeyArn!(b.k2));
    await b.setEnabled(b.k1, false);
    try {
      for (let i = 0; i < 6; i++) {
        const name = `app.s${String(i).padStart(2, '0')}`;
        expect(await ks.get(name)).toBe(values.get(`${name}@${'3'.padStart(19, '0')}`));
      }
      await expect(ks.get('app.s00', { version: '1' })).rejects.toThrow();
    } finally {
      await b.setEnabled(b.k1, true);
    }
    const all = await rotateSecrets(ks, { mode: 'rewrap', keyId: b.k2, all: true, allVersions: true });
    expect(all).toMatchObject({ selected: 18, rotated: 12, skipped: 6, failed: [] });
    await b.setEnabled(b.k1, false);
    try {
      for (const [id, value] of values) {
        const [name, version] = id.split('@') as [string, string];
        expect(await ks.get(name, { version })).toBe(value);
      }
    } finally {
      await b.setEnabled(b.k1, true);
    }
    const after = await allRecords(b.store);
    expect(after.map(({ key: _k, ...rest }) => rest)).toEqual(before.map(({ key: _k, ...rest }) => rest));
    for (let i = 0; i < after.length; i++) expect(after[i]!.key).not.toBe(before[i]!.key);
  });

  it('an interrupted rotate, run again, finishes the rest: each row re-wrapped exactly once', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, concurrency: 1 });
    const values = await seed(ks, b.k1, 10, 2);
    const before = await allRecords(b.store);
    const crash = crashingStore(b.store, 7);
    const first = countingKeys(b.keys);
    const err = await rotateSecrets(new Keystash({ store: crash.store, keys: first.keys, concurrency: 1 }), { mode: 'rewrap', keyId: b.k2, all: true, allVersions: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RotateFailedError);
    expect((err as RotateFailedError).summary).toMatchObject({ selected: 20, rotated: 7 });
    expect((err as RotateFailedError).summary.failed).toHaveLength(13);

    const second = countingKeys(b.keys);
    const store2 = crashingStore(b.store, Infinity);
    const rerun = await rotateSecrets(new Keystash({ store: store2.store, keys: second.keys, concurrency: 3 }), { mode: 'rewrap', keyId: b.k2, all: true, allVersions: true });
    expect(rerun).toMatchObject({ selected: 20, rotated: 13, skipped: 7, verified: 13, failed: [] });
    // Rows replaced by run 1 were not re-wrapped again; every row was replaced exactly once.
    const replacedOnce = [...crash.replaced, ...store2.replaced].sort();
    expect(new Set(replacedOnce).size).toBe(20);
    expect(replacedOnce).toHaveLength(20);
    const rewrappedInRun1 = new Set(crash.replaced);
    for (const record of before) {
      const id = `${record.name}@${record.version}`;
      expect(second.reEncrypts.get(record.key) ?? 0).toBe(rewrappedInRun1.has(id) ? 0 : 1);
    }
    const target = await b.keys.describeKeyArn!(b.k2);
    const after = await allRecords(b.store);
    for (let i = 0; i < after.length; i++) {
      expect(after[i]!.contents).toBe(before[i]!.contents);
      expect(after[i]!.hmac).toBe(before[i]!.hmac);
      expect(await wrappingArn(ks, after[i]!)).toBe(target);
      expect(await ks.get(after[i]!.name, { version: after[i]!.version })).toBe(values.get(`${after[i]!.name}@${after[i]!.version}`));
    }
    // A third run has nothing left to do.
    expect(await rotateSecrets(ks, { mode: 'rewrap', keyId: b.k2, all: true, allVersions: true })).toMatchObject({ rotated: 0, skipped: 20 });
  });

  it('a row re-wrapped by a concurrent writer is re-read and skipped, not an error', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, concurrency: 1 });
    await seed(ks, b.k1, 3, 1);
    let raced = false;
    const racing = wrap(b.store, {
      replaceKey: async (name: string, version: string, expected: string, next: string) => {
        if (!raced) {
          raced = true; // another rotate gets there first
          const other = await b.keys.reEncrypt({ ciphertextBlob: base64ToBytes(expected), sourceContext: {}, destinationKeyId: b.k2, destinationContext: {} });
          expect(await b.store.replaceKey(name, version, expected, Buffer.from(other.ciphertextBlob).toString('base64'))).toBe(true);
        }
        return b.store.replaceKey(name, version, expected, next);
      },
    });
    const summary = await rotateSecrets(new Keystash({ store: racing, keys: b.keys, concurrency: 1 }), { mode: 'rewrap', keyId: b.k2, names: ['app.*'] });
    expect(summary).toMatchObject({ selected: 3, rotated: 2, skipped: 1, failed: [] });
  });

  it('--reseal writes a new version with a fresh data key and the same value', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, defaultKeyId: b.k1 });
    const values = await seed(ks, b.k1, 3, 2);
    const summary = await rotateSecrets(ks, { mode: 'reseal', keyId: b.k2, names: ['app.s00', 'app.s02'] });
    expect(summary).toMatchObject({ selected: 2, rotated: 2, failed: [] });
    for (const name of ['app.s00', 'app.s02']) {
      const latest = await ks.getRecord(name);
      const previous = await ks.getRecord(name, '2');
      expect(latest.version).toBe('3'.padStart(19, '0'));
      expect(latest.key).not.toBe(previous.key);
      expect(latest.contents).not.toBe(previous.contents);
      expect(latest.comment).toBe('c2');
      expect(await ks.get(name)).toBe(values.get(`${name}@${previous.version}`));
      expect(await wrappingArn(ks, latest)).toBe(await b.keys.describeKeyArn!(b.k2));
    }
    expect((await ks.getRecord('app.s01')).version).toBe('2'.padStart(19, '0'));
    await expect(rotateSecrets(ks, { mode: 'reseal', all: true, allVersions: true })).rejects.toThrow(/re-wrap only/);
  });

  it('after a master-key rotation new puts use the new backing key and older rows still read', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys });
    await ks.put('kr.old', 'before-rotation', { keyId: b.k1 });
    const oldHeader = parseWrappedKeyHeader(base64ToBytes((await ks.getRecord('kr.old')).key));
    const meta = await b.admin.rotateKey(b.k1);
    expect(meta.currentBackingKey).toBe(oldHeader.backingKeyId + 1);
    await ks.put('kr.new', 'after-rotation', { keyId: b.k1 });
    const newHeader = parseWrappedKeyHeader(base64ToBytes((await ks.getRecord('kr.new')).key));
    expect(newHeader.keyId).toBe(oldHeader.keyId);
    expect(newHeader.backingKeyId).toBe(meta.currentBackingKey);
    expect(await ks.get('kr.old')).toBe('before-rotation');
    expect(await ks.get('kr.new')).toBe('after-rotation');
  });

  it('legacy rows (unpadded "1".."10", hmac as S, no digest): true latest, and verify flags them', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, defaultKeyId: b.k1 });
    for (let i = 1; i <= 10; i++) {
      await ks.put('scratch', `legacy-value-${i}`);
      const sealed = await ks.getRecord('scratch');
      await b.store.putVersion({ ...sealed, name: 'legacy', version: String(i), hmacType: 'S', digest: undefined, createdAt: undefined });
    }
    await ks.delete('scratch');
    expect((await ks.latestRecord('legacy'))?.version).toBe('10');
    expect(await ks.get('legacy')).toBe('legacy-value-10');
    await ks.put('modern', 'fine');
    const report = await verifySecrets(ks, {});
    expect(report).toMatchObject({ checked: 11, ok: 11, failed: [] });
    expect(report.legacy).toHaveLength(10);
    expect(report.legacy[9]).toEqual({ name: 'legacy', version: '10', issues: ['unpadded version', 'hmac stored as S', 'no digest (read as SHA256)'] });
    // A tampered row fails verification; the others still pass.
    const row = (await b.store.getVersion('legacy', '3'))!;
    await b.store.deleteVersions('legacy', '3');
    await b.store.putVersion({ ...row, hmac: row.hmac.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
    const bad = await verifySecrets(ks, { pattern: 'leg*' });
    expect(bad).toMatchObject({ checked: 10, ok: 9 });
    expect(bad.failed.map((f) => [f.name, f.version, f.error.code])).toEqual([['legacy', '3', 'secret.integrity']]);
  });
});

describe.each(BACKENDS)('getAll in one pass on %s', (_label, makeBackend) => {
  it('picks the same latest row as get for every mix of legacy and canonical versions', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, defaultKeyId: b.k1, concurrency: 4 });
    await ks.put('scratch', 'x');
    const sealed = await ks.getRecord('scratch');
    await ks.delete('scratch');
    const sets: Record<string, string[]> = {
      canonical: ['0000000000000000001', '0000000000000000002'],
      legacy: ['1', '2', '9', '10'],
      mixedA: ['9', '0000000000000000005'],
      mixedB: ['0', '0000000000000000003'],
      mixedC: ['12', '0000000000000000011', 'not-a-number-but-long-enough'],
    };
    for (const [name, versions] of Object.entries(sets)) {
      for (const version of versions) {
        await ks.put('scratch', `${name}@${version}`);
        const row = await ks.getRecord('scratch');
        await ks.delete('scratch');
        await b.store.putVersion({ ...row, name, version });
      }
    }
    expect(sealed.key).toBeTruthy();
    const all = Object.fromEntries(await ks.getAll());
    const one: Record<string, string> = {};
    for (const name of Object.keys(sets)) one[name] = await ks.get(name);
    expect(all).toEqual(one);
    expect(all).toMatchObject({ legacy: 'legacy@10', mixedA: 'mixedA@9', mixedB: 'mixedB@0000000000000000003', canonical: 'canonical@0000000000000000002' });
    expect(Object.fromEntries(await ks.getAll({ pattern: 'mixed*' }))).toEqual({ mixedA: one.mixedA, mixedB: one.mixedB, mixedC: one.mixedC });
  });
  it('a malformed old version does not fail getAll (it falls back to reading name by name)', async () => {
    const b = await makeBackend();
    const ks = new Keystash({ store: b.store, keys: b.keys, defaultKeyId: b.k1 });
    await ks.put('fine', 'one');
    await ks.put('fine', 'two');
    if (b.store instanceof DynamoDbStore) {
      await dynamo!.send(new PutItemCommand({ TableName: b.store.table, Item: { name: { S: 'fine' }, version: { S: '0000000000000000000' }, contents: { N: '1' } } }));
    } else {
      const db = rawDb((b.store as SqliteStore).path);
      db.prepare("INSERT INTO secrets (tbl, name, version, key, contents, hmac) VALUES ('credential-store', 'fine', '0000000000000000000', x'00', 'x', 'y')").run();
      db.close();
    }
    await expect(ks.getRecord('fine', '0000000000000000000')).rejects.toThrow(/malformed/);
    expect(await ks.getAll()).toEqual([['fine', 'two']]);
  });
});

describe('migrate local → aws → local', () => {
  it('gives back every version with identical contents and hmac; every value reads; idempotent; conflicts reported', async () => {
    const local = await localBackend();
    const aws = await awsBackend();
    const source = new Keystash({ store: local.store, keys: local.keys });
    const values = await seed(source, local.k1, 5, 3);
    await source.put('with.comment', 'commented', { keyId: local.k1, comment: 'hello', digest: 'SHA512' });
    values.set(`with.comment@${'1'.padStart(19, '0')}`, 'commented');
    const original = await allRecords(local.store);

    const cloud = new Keystash({ store: aws.store, keys: aws.keys });
    const progress: number[] = [];
    const out = await migrate(source, cloud, { destKeyId: aws.k1, onProgress: (p) => progress.push(p.done) });
    expect(out).toMatchObject({ total: 16, copied: 16, skipped: 0, conflicts: [], verified: 16, failed: [] });
    expect(progress).toHaveLength(16);
    const again = await migrate(source, cloud, { destKeyId: aws.k1 });
    expect(again).toMatchObject({ total: 16, copied: 0, skipped: 16 });

    const backStore = SqliteStore.open({ path: join(tmp(), `${randomUUID()}.db`), table: 'back' });
    cleanups.push(() => backStore.close());
    const back = new Keystash({ store: backStore, keys: local.keys });
    expect(await migrate(cloud, back, { destKeyId: local.k2 })).toMatchObject({ copied: 16, verified: 16 });
    const returned = await allRecords(backStore);
    const strip = ({ key: _k, hmacType: _t, ...rest }: SecretRow) => rest;
    expect(returned.map(strip)).toEqual(original.map(strip));
    for (const r of returned) {
      expect(await back.get(r.name, { version: r.version })).toBe(values.get(`${r.name}@${r.version}`));
      expect(await wrappingArn(back, r)).toBe(await local.keys.describeKeyArn!(local.k2));
    }
    // A destination row with different contents is a conflict, left untouched.
    await backStore.deleteVersions('app.s00', '1'.padStart(19, '0'));
    await back.put('app.s00', 'someone else', { version: '1' });
    const err = await migrate(cloud, back, { destKeyId: local.k2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrateFailedError);
    expect((err as MigrateFailedError).summary).toMatchObject({ copied: 0, skipped: 15, conflicts: [{ name: 'app.s00', version: '1'.padStart(19, '0') }] });
    expect(await back.get('app.s00', { version: '1' })).toBe('someone else');
  });
});
