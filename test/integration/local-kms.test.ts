import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DecryptError, KeyNotInKeyringError, KmsError } from '../../src/errors.js';
import { toAwsError } from '../../src/kmsserver/protocol.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import type { LocalKmsOptions } from '../../src/localkms/local-kms.js';
import { parseWrappedKeyHeader } from '../../src/localkms/wrapped-key.js';
import { scrypt } from '@noble/hashes/scrypt.js';
import { base64ToBytes, utf8ToBytes } from '../../src/envelope/codec.js';
import { serializeKeyring, type KeyringData } from '../../src/localkms/keyring-format.js';
import { describeKeyService } from '../contract/keyservice.contract.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Rounds of the 4-process race on a fresh keyring (KEYSTASH_LONG_TESTS: 10). */
const ROUNDS = process.env.KEYSTASH_LONG_TESTS ? 10 : 3;
const CONTEXT = { env: 'test' };
const dirs: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'keystash-local-kms-'));
  dirs.push(dir);
  return dir;
}

/** A LocalKms on a keyring that does not exist yet, in a directory that does not exist yet. */
function freshKms(options: Partial<LocalKmsOptions> = {}): { kms: LocalKms; path: string } {
  const path = join(tempDir(), 'kms', 'keyring.json');
  return { kms: LocalKms.open({ path, ...options }), path };
}

async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(() => undefined, (err: unknown) => err);
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A LocalKms on a new keyring; with a passphrase, sealed at the cheapest scrypt cost (tests/helpers/sealed-keyring.ts). */
async function contractFixture(passphrase?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'keystash-kms-contract-'));
  const path = join(dir, 'kms', 'keyring.json');
  await LocalKms.open({ path }).createKey({ alias: 'alias/contract-other', description: 'contract: second key' });
  if (passphrase !== undefined) sealCheaply(path, passphrase);
  const kms = LocalKms.open({ path, passphrase });
  return {
    service: kms,
    keyId: 'alias/credstash',
    otherKeyId: 'alias/contract-other',
    disable: async (keyId: string) => {
      await kms.setKeyEnabled(keyId, false);
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

describeKeyService('LocalKms', () => contractFixture());
describeKeyService('LocalKms with a passphrase', () => contractFixture('correct horse battery staple'));

describe('LocalKms keyring file', () => {
  it('is created on first use with mode 0600 in a directory created 0700', async () => {
    const { kms, path } = freshKms();
    expect(() => statSync(path)).toThrow();
    await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    const keys = await kms.listKeys();
    expect(keys).toHaveLength(1);
    expect(keys[0]?.aliases).toEqual(['alias/credstash']);
    expect(keys[0]?.arn).toMatch(/^arn:aws:kms:local:000000000000:key\/[0-9a-f-]{36}$/);
  });

  it('is created 0600 in an existing directory with wider permissions, leaving the directory alone', async () => {
    const dir = join(tempDir(), 'shared');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const kms = LocalKms.open({ path: join(dir, 'keyring.json') });
    await kms.encrypt({ keyId: 'alias/credstash', plaintext: new Uint8Array([1, 2, 3]), context: {} });
    expect(statSync(join(dir, 'keyring.json')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o755);
  });

  it('does no I/O on open and reads nothing for list/describe of a missing keyring', async () => {
    const { kms, path } = freshKms();
    expect(await kms.listKeys()).toEqual([]);
    expect(await kms.listAliases()).toEqual([]);
    await expect(kms.describeKey('alias/credstash')).rejects.toMatchObject({ code: 'kms.notFound' });
    expect(() => statSync(path)).toThrow();
  });

  it.each([0o640, 0o604, 0o660, 0o602])('refuses a keyring with mode %o and names the fix', async (mode) => {
    const { kms, path } = freshKms();
    const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    chmodSync(path, mode);
    const text = `keyring ${path} is accessible by other users (mode 0${mode.toString(8)}); run: chmod 600 ${path}`;
    for (const attempt of [
      () => kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT }),
      () => LocalKms.open({ path }).listKeys(),
      () => kms.createKey({}),
    ]) {
      const err = await errorOf(attempt());
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toBe(text);
    }
    chmodSync(path, 0o600);
    expect((await kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT })).plaintext).toEqual(dk.plaintext);
  });

  it.each([
    ['not JSON', '{"format": "keystash-keyring", SECRET-MARKER', /is damaged \(not valid JSON\)/],
    ['the wrong format', '{"format": "something-else", "version": 1, "keys": []}', /is not a keystash-keyring version 1 file/],
    ['a future version', '{"format": "keystash-keyring", "version": 2, "keys": []}', /is not a keystash-keyring version 1 file/],
    ['no key list', '{"format": "keystash-keyring", "version": 1}', /is damaged \(no "keys" list\)/],
    ['a bad key id', '{"format": "keystash-keyring", "version": 1, "keys": [{"keyId": "SECRET-MARKER"}]}', /keys\[0\]\.keyId/],
    ['a JSON array', '["SECRET-MARKER"]', /is not a keystash-keyring/],
  ])('refuses a keyring with %s as ConfigError naming the file, without echoing it', async (_label, text, pattern) => {
    const { kms, path } = freshKms();
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, text, { mode: 0o600 });
    const err = await errorOf(kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toMatch(pattern);
    expect((err as Error).message).not.toContain('SECRET-MARKER');
    expect(String((err as Error).cause ?? '')).not.toContain('SECRET-MARKER');
  });

  it('refuses a damaged backing key and duplicate aliases', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({ alias: 'alias/two' });
    const good = JSON.parse(readFileSync(path, 'utf8')) as { keys: Array<Record<string, unknown>> };
    const shortMaterial = structuredClone(good);
    (shortMaterial.keys[0]?.['backingKeys'] as Array<{ material: string }>)[0]!.material = 'AAAA';
    const duplicate = structuredClone(good);
    duplicate.keys[1]!['aliases'] = ['alias/credstash'];
    for (const [doc, pattern] of [[shortMaterial, /material is not 32 bytes/], [duplicate, /duplicate key id or alias/]] as const) {
      writeFileSync(path, JSON.stringify(doc));
      await expect(LocalKms.open({ path }).listKeys()).rejects.toThrow(pattern);
    }
  });

  it('never stores data keys or plaintext in the keyring file', async () => {
    const { kms, path } = freshKms();
    const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    const text = readFileSync(path, 'utf8');
    const raw = readFileSync(path);
    expect(text).not.toContain(Buffer.from(dk.plaintext).toString('base64'));
    expect(text).not.toContain(Buffer.from(dk.plaintext).toString('hex'));
    expect(raw.includes(Buffer.from(dk.plaintext))).toBe(false);
  });

  it('sees changes made by another instance (another process) of the same keyring', async () => {
    const { kms: a, path } = freshKms();
    const b = LocalKms.open({ path });
    await a.createKey({ alias: 'alias/from-a' });
    expect((await b.listAliases()).map((x) => x.aliasName).sort()).toEqual(['alias/credstash', 'alias/from-a']);
    await b.setKeyEnabled('alias/from-a', false);
    await expect(a.generateDataKey({ keyId: 'alias/from-a', numberOfBytes: 8, context: {} })).rejects.toMatchObject({ code: 'kms.disabled' });
  });
});

describe('LocalKms passphrase', () => {
  const passphrase = 'open sesame';

  it('seals the keyring, and reopens it with the same passphrase', async () => {
    const { kms, path } = freshKms({ passphrase });
    const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    const file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    expect(Object.keys(file).sort()).toEqual(['encrypted', 'format', 'version']);
    expect(file['encrypted']).toMatchObject({ kdf: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(readFileSync(path, 'utf8')).not.toContain('alias/credstash');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = LocalKms.open({ path, passphrase });
    expect((await again.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT })).plaintext).toEqual(dk.plaintext);
  });

  /** A keyring holding alias/credstash (and `alias`), sealed with `passphrase` at the cheapest scrypt cost. */
  async function sealedKms(alias?: string): Promise<{ kms: LocalKms; path: string }> {
    const { kms: plain, path } = freshKms();
    await plain.createKey(alias === undefined ? {} : { alias });
    sealCheaply(path, passphrase);
    return { kms: LocalKms.open({ path, passphrase }), path };
  }

  it('keeps the keyring sealed (same salt) across changes', async () => {
    const { kms, path } = await sealedKms();
    await kms.listKeys();
    await kms.createKey({ alias: 'alias/a' });
    const salt = (JSON.parse(readFileSync(path, 'utf8')) as { encrypted: { salt: string; nonce: string } }).encrypted;
    await kms.rotateKey('alias/a');
    const after = (JSON.parse(readFileSync(path, 'utf8')) as { encrypted: { salt: string; nonce: string } }).encrypted;
    expect(after.salt).toBe(salt.salt);
    expect(after.nonce).not.toBe(salt.nonce);
    expect((await LocalKms.open({ path, passphrase }).describeKey('alias/a')).backingKeyCount).toBe(2);
  });

  it('refuses a wrong passphrase', async () => {
    const { path } = await sealedKms();
    const err = await errorOf(LocalKms.open({ path, passphrase: 'nope' }).listKeys());
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`cannot unlock keyring ${path}: wrong KEYSTASH_KMS_PASSPHRASE`);
  });

  it('refuses a sealed keyring without a passphrase, saying to set KEYSTASH_KMS_PASSPHRASE', async () => {
    const { path } = await sealedKms();
    for (const missing of [undefined, '']) {
      const err = await errorOf(LocalKms.open({ path, passphrase: missing }).listKeys());
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/is protected by a passphrase; set KEYSTASH_KMS_PASSPHRASE/);
    }
  });

  it('refuses a plain keyring when a passphrase is given (a downgrade), until it is sealed; unseal reverses', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({ alias: 'alias/plain' });
    const err = await errorOf(LocalKms.open({ path, passphrase }).createKey({ alias: 'alias/plain-2' }));
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('is not sealed, but KEYSTASH_KMS_PASSPHRASE is set');
    expect(readFileSync(path, 'utf8')).not.toContain('alias/plain-2');
    // One instance seals, changes and unseals: one scrypt derivation at the default cost, not three.
    const sealing = LocalKms.open({ path, passphrase });
    await sealing.sealKeyring();
    expect(readFileSync(path, 'utf8')).not.toContain('alias/plain');
    expect((JSON.parse(readFileSync(path, 'utf8')) as { encrypted: { N: number } }).encrypted.N).toBe(2 ** 17);
    await sealing.createKey({ alias: 'alias/plain-2' });
    await sealing.unsealKeyring();
    expect(readFileSync(path, 'utf8')).toContain('alias/plain-2');
    expect(await errorOf(LocalKms.open({ path }).sealKeyring())).toBeInstanceOf(ConfigError);
  });

  it('still reads a keyring sealed with the older, cheaper parameters (N = 2^14)', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({ alias: 'alias/old' });
    const data = JSON.parse(readFileSync(path, 'utf8')) as KeyringData;
    const derive = (p: { N: number; r: number; p: number; salt: string }) => scrypt(utf8ToBytes(passphrase), base64ToBytes(p.salt), { N: p.N, r: p.r, p: p.p, dkLen: 32 });
    const params = { N: 2 ** 14, r: 8, p: 1, salt: 'c2FsdHNhbHRzYWx0c2FsdA==' };
    writeFileSync(path, serializeKeyring({ keys: data.keys }, { ...params, key: derive(params) }));
    expect((await LocalKms.open({ path, passphrase }).describeKey('alias/old')).aliases).toEqual(['alias/old']);
  });
});

describe('LocalKms keys', () => {
  it('names the fix for an unknown key', async () => {
    const { kms, path } = freshKms();
    const err = await errorOf(kms.generateDataKey({ keyId: 'alias/missing', numberOfBytes: 64, context: {} }));
    expect(err).toBeInstanceOf(KmsError);
    expect(err).toMatchObject({
      code: 'kms.notFound',
      message: `KMS key 'alias/missing' not found in the local keyring (${path}); create it with: keystash kms create-key --alias alias/missing`,
    });
  });

  it('refuses new data keys, encrypt, decrypt and rotation with a disabled key, and works again once enabled', async () => {
    const { kms } = freshKms();
    const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    const meta = await kms.setKeyEnabled('alias/credstash', false);
    expect(meta.enabled).toBe(false);
    const message = `KMS key ${meta.arn} is disabled; enable it with: keystash kms enable ${meta.keyId}`;
    for (const attempt of [
      () => kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT }),
      () => kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT }),
      () => kms.encrypt({ keyId: meta.arn, plaintext: new Uint8Array([1]), context: CONTEXT }),
      () => kms.rotateKey(meta.keyId),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ code: 'kms.disabled', message });
    }
    await kms.setKeyEnabled(meta.keyId, true);
    expect((await kms.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: CONTEXT })).plaintext).toEqual(dk.plaintext);
  });

  it('rotates: new wraps carry the new backing key id, old wraps still decrypt', async () => {
    const { kms } = freshKms();
    const before = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    expect(parseWrappedKeyHeader(before.ciphertextBlob).backingKeyId).toBe(1);
    const meta = await kms.rotateKey('alias/credstash');
    expect(meta).toMatchObject({ backingKeyCount: 2, currentBackingKey: 2 });
    await kms.rotateKey(meta.arn);
    const after = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: CONTEXT });
    const header = parseWrappedKeyHeader(after.ciphertextBlob);
    expect(header).toEqual({ keyId: meta.keyId, backingKeyId: 3 });
    expect((await kms.decrypt({ ciphertextBlob: before.ciphertextBlob, context: CONTEXT })).plaintext).toEqual(before.plaintext);
    expect((await kms.decrypt({ ciphertextBlob: after.ciphertextBlob, context: CONTEXT })).plaintext).toEqual(after.plaintext);
    const reWrapped = await kms.reEncrypt({ ciphertextBlob: before.ciphertextBlob, sourceContext: CONTEXT, destinationKeyId: 'alias/credstash', destinationContext: CONTEXT });
    expect(parseWrappedKeyHeader(reWrapped.ciphertextBlob).backingKeyId).toBe(3);
  });

  it('names the key a blob needs when the keyring lacks it (restore keyring.json), never blaming the context; the server still answers InvalidCiphertextException', async () => {
    const { kms } = freshKms();
    const { ciphertextBlob } = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
    const other = freshKms().kms;
    await other.listKeys();
    await other.createKey({});
    const lacking = other.decrypt({ ciphertextBlob, context: {} });
    await expect(lacking).rejects.toBeInstanceOf(KeyNotInKeyringError);
    await expect(lacking).rejects.toMatchObject({ code: 'config.keyNotInKeyring', message: expect.stringMatching(/^key [0-9a-f-]{36} is not in the keyring .*restore keyring\.json/) });
    const absent = freshKms().kms.decrypt({ ciphertextBlob, context: {} });
    await expect(absent).rejects.toMatchObject({ code: 'config.noKeyring', message: expect.stringContaining('there is no keyring at') });
    const unknownBacking = ciphertextBlob.slice();
    unknownBacking[20] = 9;
    await expect(kms.decrypt({ ciphertextBlob: unknownBacking, context: {} })).rejects.toMatchObject({ code: 'config.keyNotInKeyring', message: expect.stringMatching(/^backing key 9 of key /) });
    expect(toAwsError(await lacking.catch((e: unknown) => e)).type).toBe('InvalidCiphertextException');
  });

  it('validates numberOfBytes, plaintext size and context values', async () => {
    const { kms } = freshKms();
    for (const numberOfBytes of [0, 1025, 1.5]) {
      await expect(kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes, context: {} })).rejects.toMatchObject({ code: 'kms.validation' });
    }
    expect((await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 1024, context: {} })).plaintext).toHaveLength(1024);
    await expect(kms.encrypt({ keyId: 'alias/credstash', plaintext: new Uint8Array(0), context: {} })).rejects.toMatchObject({ code: 'kms.validation' });
    const badContext = { n: 1 } as unknown as Record<string, string>;
    await expect(kms.encrypt({ keyId: 'alias/credstash', plaintext: new Uint8Array(1), context: badContext })).rejects.toMatchObject({ code: 'kms.validation' });
  });

  it('creates keys and aliases; a first createKey also creates alias/credstash', async () => {
    const now = () => new Date('2024-05-06T07:08:09.000Z');
    const { kms } = freshKms({ region: 'eu-west-1', accountId: '123456789012', now });
    const meta = await kms.createKey({ description: 'app key', alias: 'alias/app' });
    expect(meta).toMatchObject({ description: 'app key', enabled: true, createdAt: '2024-05-06T07:08:09.000Z', aliases: ['alias/app'], backingKeyCount: 1, currentBackingKey: 1, rotationEnabled: false });
    expect(meta.arn).toBe(`arn:aws:kms:eu-west-1:123456789012:key/${meta.keyId}`);
    expect(meta.keyId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    await kms.createAlias('alias/app-too', meta.arn);
    const aliases = await kms.listAliases();
    expect(aliases.map((a) => a.aliasName).sort()).toEqual(['alias/app', 'alias/app-too', 'alias/credstash']);
    expect(aliases.find((a) => a.aliasName === 'alias/app-too')).toEqual({
      aliasName: 'alias/app-too', aliasArn: 'arn:aws:kms:eu-west-1:123456789012:alias/app-too', targetKeyId: meta.keyId,
    });
    expect(await kms.describeKeyArn('arn:aws:kms:eu-west-1:123456789012:alias/app-too')).toBe(meta.arn);
    expect((await kms.setRotationEnabled('alias/app', true)).rotationEnabled).toBe(true);
    expect((await kms.describeKey(meta.keyId.toUpperCase())).rotationEnabled).toBe(true);
  });

  it('creates only one key when the first createKey asks for alias/credstash', async () => {
    const { kms } = freshKms();
    await kms.createKey({ alias: 'alias/credstash' });
    expect(await kms.listKeys()).toHaveLength(1);
  });

  it('refuses taken and invalid alias names', async () => {
    const { kms } = freshKms();
    const meta = await kms.createKey({ alias: 'alias/app' });
    await expect(kms.createAlias('alias/credstash', meta.keyId)).rejects.toMatchObject({ code: 'kms.aliasExists' });
    await expect(kms.createKey({ alias: 'alias/app' })).rejects.toMatchObject({ code: 'kms.aliasExists' });
    for (const bad of ['app', 'alias/', 'alias/aws/app', 'alias/has space']) {
      await expect(kms.createAlias(bad, meta.keyId)).rejects.toMatchObject({ code: 'kms.validation' });
    }
    // The refused name is not quoted: `kms create-key --alias` may have been given a secret.
    await expect(kms.createKey({ alias: 'hunter2 horse' })).rejects.toThrow(/^invalid alias name \(not shown, in case it is the secret\): use alias\/ followed by/);
    await expect(kms.createAlias('alias/x', 'alias/missing')).rejects.toMatchObject({ code: 'kms.notFound' });
    expect(await kms.listKeys()).toHaveLength(2);
  });

  it('auto-creates alias/credstash in an existing keyring that lacks it', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({ alias: 'alias/credstash' });
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { keys: Array<{ aliases: string[] }> };
    doc.keys[0]!.aliases = ['alias/renamed'];
    writeFileSync(path, JSON.stringify(doc));
    const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
    expect(await kms.listKeys()).toHaveLength(2);
    expect(dk.keyId).toBe(await kms.describeKeyArn('alias/credstash'));
  });
});

describe('LocalKms locking', () => {
  it('waits for a held lock and proceeds once it is released', async () => {
    const { kms, path } = freshKms();
    await kms.listKeys();
    await kms.createKey({});
    writeFileSync(`${path}.lock`, 'someone else', { flag: 'wx' });
    const release = setTimeout(() => rmSync(`${path}.lock`), 200);
    const started = Date.now();
    await kms.createKey({ alias: 'alias/after-wait' });
    clearTimeout(release);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(await kms.describeKeyArn('alias/after-wait')).toMatch(/^arn:/);
  });

  it('breaks a stale lock (older than 30 s)', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({});
    writeFileSync(`${path}.lock`, 'crashed', { flag: 'wx' });
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    await kms.createKey({ alias: 'alias/after-stale' });
    expect(() => statSync(`${path}.lock`)).toThrow();
  });
});

describe('LocalKms across processes', () => {
  let bundle: string;

  beforeAll(async () => {
    const dir = tempDir();
    bundle = join(dir, 'local-kms.mjs');
    await build({
      entryPoints: [join(REPO, 'src/localkms/local-kms.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'silent',
    });
    writeFileSync(join(dir, 'worker.mjs'), WORKER);
  });

  /**
   * Start one worker per arg; once every worker has loaded LocalKms and said `ready`, create the
   * go file they poll for, so their operations start together.
   */
  let raceNo = 0;
  function runWorkers(path: string, args: string[]): Promise<Array<Record<string, string>>> {
    const go = join(dirname(bundle), `go-${++raceNo}`);
    let ready = 0;
    const results = Promise.all(
      args.map(
        (arg) =>
          new Promise<Record<string, string>>((done, fail) => {
            const child = spawn(process.execPath, [join(dirname(bundle), 'worker.mjs'), path, arg, go], { stdio: ['ignore', 'pipe', 'pipe'] });
            const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
            let out = '';
            let err = '';
            child.stdout.on('data', (chunk: Buffer) => {
              const was = out;
              out += chunk.toString();
              if (!was.includes('ready\n') && out.includes('ready\n') && ++ready === args.length) writeFileSync(go, '');
            });
            child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
            child.on('error', fail);
            child.on('close', (code) => {
              clearTimeout(kill);
              if (code === 0) done(JSON.parse(out.slice(out.indexOf('ready\n') + 6)) as Record<string, string>);
              else fail(new Error(`worker exit ${code}: ${err}`));
            });
          }),
      ),
    );
    return results;
  }

  it('4 processes generating data keys on a fresh keyring create exactly one alias/credstash key', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const path = join(tempDir(), 'kms', 'keyring.json');
      const results = await runWorkers(path, ['generate:1', 'generate:2', 'generate:3', 'generate:4']);
      const kms = LocalKms.open({ path });
      const keys = await kms.listKeys();
      expect(keys).toHaveLength(1);
      expect(keys[0]?.aliases).toEqual(['alias/credstash']);
      for (const [i, r] of results.entries()) {
        expect(r['keyId']).toBe(keys[0]?.arn);
        const out = await kms.decrypt({ ciphertextBlob: Buffer.from(r['blob'] ?? '', 'base64'), context: { worker: String(i + 1) } });
        expect(Buffer.from(out.plaintext).toString('base64')).toBe(r['plaintext']);
      }
      expect(statSync(path).mode & 0o777).toBe(0o600);
    }
  });

  it('4 processes creating keys in one keyring at once lose none of them', async () => {
    const { kms, path } = freshKms();
    await kms.createKey({});
    await runWorkers(path, ['create:alias/p1', 'create:alias/p2', 'create:alias/p3', 'create:alias/p4']);
    const aliases = (await kms.listAliases()).map((a) => a.aliasName).sort();
    expect(aliases).toEqual(['alias/credstash', 'alias/p1', 'alias/p2', 'alias/p3', 'alias/p4']);
    expect(() => statSync(`${path}.lock`)).toThrow();
  });
});

/** argv: keyring path, mode:value, go file. Says `ready`, waits (at most 20 s) for the go file, then acts. */
const WORKER = `
import { existsSync } from 'node:fs';
import { LocalKms } from './local-kms.mjs';
const [path, arg, go] = process.argv.slice(2);
const mode = arg.slice(0, arg.indexOf(':'));
const value = arg.slice(arg.indexOf(':') + 1);
process.stdout.write('ready\\n');
for (const until = Date.now() + 20_000; !existsSync(go) && Date.now() < until; ) await new Promise((r) => setTimeout(r, 1));
const kms = LocalKms.open({ path });
if (mode === 'generate') {
  const dk = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: { worker: value } });
  const b64 = (bytes) => Buffer.from(bytes).toString('base64');
  process.stdout.write(JSON.stringify({ keyId: dk.keyId, blob: b64(dk.ciphertextBlob), plaintext: b64(dk.plaintext) }));
} else {
  const meta = await kms.createKey({ alias: value });
  process.stdout.write(JSON.stringify({ keyId: meta.keyId }));
}
`;
