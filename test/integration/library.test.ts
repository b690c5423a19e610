/**
 * Issue 5: the library API, imported the way a Node program does — through the package entry
 * (`keystash` → package.json "exports" → dist/index.js, built by `npm run build`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { Credstash, createKeystash, Keystash, PartialFailureError, SecretNotFoundError, UsageError, VersionExistsError } from 'keystash';

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
      expect(await credstash.getAllSecrets({ version: 1 }).catch((e: unknown) => e)).toBeInstanceOf(PartialFailureError);
      expect(await credstash.listSecrets()).toEqual([
        { name: 'Death Star vulnerability', version: '0000000000000000001' },
        { name: 'Death Star vulnerability', version: '0000000000000000002' },
        { name: 'other', version: '0000000000000000001' },
      ]);
      await credstash.deleteSecret({ name: 'Death Star vulnerability', version: 2 });
      await credstash.deleteSecrets({ name: 'Death Star vulnerability' });
      expect(await credstash.getAllSecrets()).toEqual({ other: 'o' });
    } finally {
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
    const setup = await createKeystash({ backend: 'aws', table, region: 'us-east-1', env });
    try {
      await setup.setup();
    } finally {
      setup.close();
    }
    const credstash = new Credstash({ table, awsOpts: { region: 'us-east-1' }, env });
    try {
      await credstash.putSecret({ name: 'aws.secret', secret: 'in dynamo' });
      expect(await credstash.getSecret({ name: 'aws.secret' })).toBe('in dynamo');
      expect(await credstash.getAllSecrets()).toEqual({ 'aws.secret': 'in dynamo' });
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
