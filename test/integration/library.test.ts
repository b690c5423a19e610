/**
 * The library API, imported the way a Node program does — through the package entry
 * (`keystash` → package.json "exports" → dist/index.js, built by `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Credstash, createKeystash, IntegrityError, Keystash, PartialFailureError, SecretNotFoundError, UsageError, VersionExistsError } from 'keystash';

const dir = mkdtempSync(join(tmpdir(), 'keystash-lib-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createKeystash (local backend)', () => {
  it('put / get / getAll / names / list / history / delete with typed errors', async () => {
    const ks = await createKeystash({ dataDir: join(dir, 'a'), env: {} });
    try {
      expect(ks).toBeInstanceOf(Keystash);
      expect(await ks.put('db.pw', 'hunter2')).toEqual({ name: 'db.pw', version: '0000000000000000001' });
      await ks.put('db.pw', 'hunter3', { context: { env: 'prod' } });
      await ks.put('api.token', 'tok');
      expect(await ks.get('db.pw', { version: '1' })).toBe('hunter2');
      expect(await ks.get('db.pw', { context: { env: 'prod' } })).toBe('hunter3');
      expect(await ks.getAll({ pattern: 'api.*' })).toEqual([['api.token', 'tok']]);
      expect(await ks.names()).toEqual(['api.token', 'db.pw']);
      expect((await ks.list()).map((m) => `${m.name}@${Number(m.version)}`)).toEqual(['api.token@1', 'db.pw@1', 'db.pw@2']);
      expect((await ks.history('db.pw')).map((m) => Number(m.version))).toEqual([2, 1]);
      await expect(ks.get('nope')).rejects.toBeInstanceOf(SecretNotFoundError);
      await expect(ks.put('db.pw', 'x', { version: '1' })).rejects.toBeInstanceOf(VersionExistsError);
      await expect(ks.put('bad*name', 'x')).rejects.toBeInstanceOf(UsageError);
      // Without the context the second version cannot be read: all-or-nothing.
      await expect(ks.getAll()).rejects.toBeInstanceOf(PartialFailureError);
      await ks.delete('db.pw', { version: '2' });
      expect(await ks.get('db.pw')).toBe('hunter2');
    } finally {
      ks.close();
    }
  });
});

describe('nodecredstash-compatible facade', () => {
  it('local backend: putSecret / getSecret / getAllSecrets / listSecrets / deleteSecret(s)', async () => {
    const credstash = new Credstash({ backend: 'local', dataDir: join(dir, 'b'), env: {} });
    try {
      await credstash.putSecret({ name: 'Death Star vulnerability', secret: 'Exhaust vent', version: 1, context: { rebel: 'true' } });
      await expect(credstash.putSecret({ name: 'Death Star vulnerability', secret: 'again' })).rejects.toBeInstanceOf(VersionExistsError);
      const next = await credstash.incrementVersion({ name: 'Death Star vulnerability' });
      expect(next).toBe('0000000000000000002');
      await credstash.putSecret({ name: 'Death Star vulnerability', secret: 'Thermal port', version: next, context: { rebel: 'true' } });
      expect(await credstash.getSecret({ name: 'Death Star vulnerability', version: 1, context: { rebel: 'true' } })).toBe('Exhaust vent');
      expect(await credstash.getSecret({ name: 'Death Star vulnerability', context: { rebel: 'true' } })).toBe('Thermal port');
      await credstash.putSecret({ name: 'other', secret: 'o' });
      // As in nodecredstash: secrets that need another context are left out, not an error.
      expect(await credstash.getAllSecrets({ version: 1 })).toEqual({ other: 'o' });
      // listSecrets: by name, newest version first (nodecredstash's sortSecrets).
      expect(await credstash.listSecrets()).toEqual([
        { name: 'Death Star vulnerability', version: '0000000000000000002' },
        { name: 'Death Star vulnerability', version: '0000000000000000001' },
        { name: 'other', version: '0000000000000000001' },
      ]);
      await credstash.deleteSecret({ name: 'Death Star vulnerability', version: 2 });
      await credstash.deleteSecrets({ name: 'Death Star vulnerability' });
      expect(await credstash.getAllSecrets()).toEqual({ other: 'o' });
    } finally {
      await credstash.close();
    }
  });

  it('the rest of nodecredstash: getAllVersions, getHighestVersion, startsWith, paddedInt, createDdbTable, required parameters', async () => {
    const credstash = new Credstash({ backend: 'local', dataDir: join(dir, 'c'), env: {} });
    try {
      await credstash.createDdbTable();
      expect(await credstash.getHighestVersion({ name: 'app.key' })).toBe('0000000000000000000');
      expect(await credstash.incrementVersion({ name: 'app.key' })).toBe('0000000000000000001');
      expect(await credstash.getAllVersions({ name: 'app.key' })).toEqual([]);
      for (let v = 1; v <= 10; v++) await credstash.putSecret({ name: 'app.key', secret: `s${v}`, version: credstash.paddedInt(v), context: { app: 'web' } });
      // Numeric, not byte order: 10 > 9 also as '0000000000000000010'.
      expect(await credstash.getHighestVersion({ name: 'app.key' })).toBe('0000000000000000010');
      expect(await credstash.incrementVersion({ name: 'app.key' })).toBe('0000000000000000011');
      expect(credstash.paddedInt(19, 7)).toBe('0000000000000000007'); // 2.x signature
      expect(await credstash.getAllVersions({ name: 'app.key', context: { app: 'web' }, limit: 2 })).toEqual([
        { version: '0000000000000000010', secret: 's10' },
        { version: '0000000000000000009', secret: 's9' },
      ]);
      expect(await credstash.getAllVersions({ name: 'app.key', context: { app: 'web' } })).toHaveLength(10);
      await expect(credstash.getAllVersions({ name: 'app.key' })).rejects.toThrow(/Could not decrypt/);

      await credstash.putSecret({ name: 'app.url', secret: 'https://x', digest: 'SHA512' });
      await credstash.putSecret({ name: 'db.url', secret: 'pg://y' });
      expect(await credstash.getAllSecrets({ startsWith: 'app.' })).toEqual({ 'app.url': 'https://x' });
      expect(await credstash.getAllSecrets({ startsWith: 'app.', context: { app: 'web' } })).toEqual({ 'app.key': 's10' });
      expect(await credstash.getAllSecrets({ version: '0000000000000000010', context: { app: 'web' } })).toEqual({ 'app.key': 's10' });
      expect(await credstash.getAllSecrets({ startsWith: 'nothing.' })).toEqual({});

      // Errors: typed, with nodecredstash's wording for required parameters.
      const notFound = await credstash.getSecret({ name: 'no.such' }).catch((e: unknown) => e);
      expect(notFound).toBeInstanceOf(SecretNotFoundError);
      expect((notFound as SecretNotFoundError).message).toBe("Item {'name': 'no.such'} couldn't be found.");
      await expect(credstash.putSecret({ name: 'app.url', secret: 'again', version: 1 })).rejects.toThrow(/app\.url version 0000000000000000001 is already in the credential store/);
      const untyped = credstash as unknown as Record<string, (o?: object) => Promise<unknown>>;
      await expect(untyped.deleteSecret!({ name: 'app.url' })).rejects.toThrow(new UsageError('version is a required parameter'));
      await expect(untyped.putSecret!({ name: 'app.url' })).rejects.toThrow(new UsageError('secret is a required parameter'));
      await expect(untyped.getSecret!({})).rejects.toThrow(new UsageError('name is a required parameter'));
      expect(await credstash.getSecret({ name: 'app.url' })).toBe('https://x'); // deleteSecret without version deleted nothing

      // Deleting what is absent resolves, as DynamoDB DeleteItem does.
      await credstash.deleteSecret({ name: 'app.url', version: 5 });
      expect(await credstash.deleteSecrets({ name: 'no.such' })).toEqual([]);
      expect(await credstash.deleteSecrets({ name: 'db.url' })).toEqual([{ name: 'db.url', version: '0000000000000000001' }]);
    } finally {
      await credstash.close();
    }
  });

  it('getAllSecrets still rejects on a tampered row instead of dropping it', async () => {
    const dataDir = join(dir, 'd');
    const credstash = new Credstash({ backend: 'local', dataDir, env: {} });
    const ks = await createKeystash({ dataDir, env: {} });
    try {
      await credstash.putSecret({ name: 'good', secret: 'g' });
      await credstash.putSecret({ name: 'bad', secret: 'b' });
      const record = await ks.getRecord('bad');
      await ks.delete('bad');
      await ks.store.putVersion({ ...record, hmac: '0'.repeat(record.hmac.length) });
      const error = await credstash.getAllSecrets().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PartialFailureError);
      expect((error as PartialFailureError).failures.map((f) => [f.name, f.error instanceof IntegrityError])).toEqual([['bad', true]]);
    } finally {
      ks.close();
      await credstash.close();
    }
  });

  it('aws backend (dynalite + the KMS server): table and awsOpts as nodecredstash takes them', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
      AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
      AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
    };
    // Endpoints and credentials both come from `env`, not from process.env.
    expect(process.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    const table = `lib-${Date.now()}`;
    const credstash = new Credstash({ table, awsOpts: { region: 'us-east-1' }, env });
    try {
      await credstash.createDdbTable();
      await credstash.putSecret({ name: 'aws.secret', secret: 'in dynamo' });
      await credstash.putSecret({ name: 'aws.secret', secret: 'newer', version: await credstash.incrementVersion({ name: 'aws.secret' }) });
      expect(await credstash.getSecret({ name: 'aws.secret', version: 1 })).toBe('in dynamo');
      expect(await credstash.getAllSecrets()).toEqual({ 'aws.secret': 'newer' });
      expect(await credstash.getHighestVersion({ name: 'aws.secret' })).toBe('0000000000000000002');
      expect(await credstash.getAllVersions({ name: 'aws.secret' })).toEqual([
        { version: '0000000000000000002', secret: 'newer' },
        { version: '0000000000000000001', secret: 'in dynamo' },
      ]);
      expect((await credstash.deleteSecrets({ name: 'aws.secret' })).map((r) => r.version)).toEqual(['0000000000000000002', '0000000000000000001']);
      expect(await credstash.listSecrets()).toEqual([]);
    } finally {
      await credstash.close();
    }
  });
});

describe('the AWS SDK on Node 20', () => {
  it("a library caller's stderr never shows the SDK's Node-version warning", () => {
    const script = `import { createKeystash } from 'keystash';
const ks = await createKeystash({ backend: 'aws', region: 'us-east-1', endpoint: 'http://127.0.0.1:9', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, env: {} });
try { await ks.get('x'); } catch (e) { console.log(e.constructor.name); } finally { ks.close(); }`;
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '../..'), env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.trim()).toBe('StoreError');
    expect(r.stderr).not.toMatch(/NodeVersionSupportWarning|node >=22/);
  });
});
