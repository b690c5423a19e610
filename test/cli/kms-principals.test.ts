/**
 * `kms serve --principals FILE` through the real AWS SDK: key users apart from key managers,
 * key and encryption-context limits, AWS-shaped AccessDeniedException, and an audit log that
 * records every call (denials included) and never a value, data key or secret.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand, GenerateDataKeyCommand, KMSClient,
  DeleteAliasCommand, ListKeysCommand, UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { createKeystash } from '../../src/open.js';
import { readAuditLog } from '../../src/localkms/audit-read.js';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN, cleanEnv } from '../helpers/run-cli.js';
import { rejection } from '../helpers/rejection.js';

const h = inProcessHome();
const children: ChildProcessWithoutNullStreams[] = [];
const auditPath = join(h.home, 'kms-audit.jsonl');
const pair = () => ({ accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') });
const USER = pair();
const MANAGER = pair();
const PROD_ONLY = pair();
const ENV_SECRET = pair();
const CREDSTASH_MANAGER = pair();
const FUTURE_USER = pair();
const VALUE = `PRINCIPALS-${randomBytes(6).toString('hex')}-value`;
let url = '';
let stderr = '';

const client = (p: { accessKeyId: string; secretAccessKey: string }) =>
  new KMSClient({ region: 'us-east-1', endpoint: url, credentials: p, maxAttempts: 1 });

function writePrincipals(path: string): void {
  const principals = [
    { ...USER, role: 'user' },
    { ...MANAGER, role: 'manager' },
    { ...PROD_ONLY, role: 'user', keys: ['alias/credstash'], context: { env: 'prod' } },
    { accessKeyId: ENV_SECRET.accessKeyId, secretAccessKeyEnv: 'PRINCIPAL_SECRET', role: ['user', 'manager'] },
    { ...CREDSTASH_MANAGER, role: 'manager', keys: ['alias/credstash'] },
    { ...FUTURE_USER, role: 'user', keys: ['alias/future'] },
  ];
  writeFileSync(path, JSON.stringify({ principals }), { mode: 0o600 });
}

beforeAll(async () => {
  const file = join(h.home, '..', 'principals.json');
  writePrincipals(file);
  const child = spawn(process.execPath, [BIN, 'kms', 'serve', '--port', '0', '--principals', file], {
    env: cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home, PRINCIPAL_SECRET: ENV_SECRET.secretAccessKey }),
  });
  children.push(child);
  child.stderr.on('data', (d: Buffer) => void (stderr += d.toString('utf8')));
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${stderr}`)), 20_000);
    child.stderr.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
    child.on('close', (code) => (clearTimeout(timer), reject(new Error(`exited ${code}: ${stderr}`))));
  });
});

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) {
      const closed = new Promise((resolve) => child.once('close', resolve));
      child.kill('SIGTERM');
      await closed;
    }
  }
  h.cleanup();
});

describe('kms serve --principals', () => {
  let keyId = '';
  let blob: Uint8Array = new Uint8Array();

  it('a user generates and decrypts data keys but cannot DisableKey (AccessDeniedException, as AWS answers)', async () => {
    const kms = client(USER);
    const key = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { env: 'dev' } }));
    keyId = key.KeyId!;
    blob = key.CiphertextBlob!;
    const plain = await kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { env: 'dev' } }));
    expect(Buffer.from(plain.Plaintext!).equals(Buffer.from(key.Plaintext!))).toBe(true);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).KeyMetadata?.Arn).toBe(keyId);
    const denied = await rejection(kms.send(new DisableKeyCommand({ KeyId: keyId })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    expect(denied.message).toContain(`User: ${USER.accessKeyId} is not authorized to perform: kms:DisableKey`);
    expect((await rejection(kms.send(new CreateKeyCommand({})))).name).toBe('AccessDeniedException');
  });

  it('a manager disables and enables keys but may not Decrypt or GenerateDataKey', async () => {
    const kms = client(MANAGER);
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const created = await kms.send(new CreateKeyCommand({ Description: 'by the manager' }));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/managed', TargetKeyId: created.KeyMetadata!.KeyId! }));
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(2);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: keyId }));
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/moving', TargetKeyId: created.KeyMetadata!.KeyId! }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/moving' }))).KeyMetadata?.KeyId).toBe(created.KeyMetadata!.KeyId);
    await kms.send(new DeleteAliasCommand({ AliasName: 'alias/moving' }));
    expect((await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'alias/moving' })))).name).toBe('NotFoundException');
    expect((await rejection(client(USER).send(new UpdateAliasCommand({ AliasName: 'alias/managed', TargetKeyId: keyId })))).name).toBe('AccessDeniedException');
    // One call at a time: a second request sent beside the first could be refused before the
    // first was awaited, an unhandled rejection.
    for (const call of [
      () => kms.send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { env: 'dev' } })),
      () => kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 })),
    ]) {
      const denied = await rejection(call());
      expect(denied.name).toBe('AccessDeniedException');
      expect(denied.message).toMatch(/not authorized to perform: kms:(Decrypt|GenerateDataKey)/);
    }
  });

  it('a manager limited to alias/credstash cannot hand its key to a user limited to alias/future by creating that alias (issue 24 item 2)', async () => {
    const manager = client(CREDSTASH_MANAGER);
    const denied = await rejection(manager.send(new CreateAliasCommand({ AliasName: 'alias/future', TargetKeyId: 'alias/credstash' })));
    expect(denied.name).toBe('AccessDeniedException');
    expect(denied.$metadata?.httpStatusCode).toBe(400);
    expect(denied.message).toContain(`User: ${CREDSTASH_MANAGER.accessKeyId} is not authorized to perform: kms:CreateAlias on resource: alias/future`);
    const user = await rejection(client(FUTURE_USER).send(new GenerateDataKeyCommand({ KeyId: 'alias/future', NumberOfBytes: 64 })));
    expect(user.name).toBe('AccessDeniedException');
    // Its own alias name it may re-point (between keys it may manage).
    await manager.send(new UpdateAliasCommand({ AliasName: 'alias/credstash', TargetKeyId: 'alias/credstash' }));
    manager.destroy();
    // The records name the alias tried (denied) and moved (allowed), and a query by it finds them.
    const mine = readAuditLog(auditPath).records.filter((r) => r.userIdentity.accessKeyId === CREDSTASH_MANAGER.accessKeyId);
    expect(mine.filter((r) => r.eventName.endsWith('Alias')).map((r) => [r.eventName, r.outcome, r.requestParameters.aliasName, r.requestParameters.keyId])).toEqual([
      ['CreateAlias', 'denied', 'alias/future', 'alias/credstash'],
      ['UpdateAlias', 'ok', 'alias/credstash', 'alias/credstash'],
    ]);
    expect(readAuditLog(auditPath, { keys: ['alias/future'] }).records.filter((r) => r.eventName === 'CreateAlias' && r.outcome === 'denied')).toHaveLength(1);
  });

  it('UpdateAlias is recorded under both keys: the one the alias now names and the one it named before', async () => {
    const manager = client(MANAGER);
    const first = (await manager.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).KeyMetadata!;
    const second = (await manager.send(new CreateKeyCommand({ Description: 'second' }))).KeyMetadata!;
    await manager.send(new CreateAliasCommand({ AliasName: 'alias/moved-twice', TargetKeyId: first.KeyId! }));
    await manager.send(new UpdateAliasCommand({ AliasName: 'alias/moved-twice', TargetKeyId: second.KeyId! }));
    manager.destroy();
    const update = readAuditLog(auditPath).records.filter((r) => r.eventName === 'UpdateAlias' && r.requestParameters.aliasName === 'alias/moved-twice');
    expect(update.map((r) => [r.outcome, r.errorCode])).toEqual([['ok', undefined]]);
    expect(update[0]!.resources?.map((r) => r.ARN)).toEqual([second.Arn, first.Arn]);
    for (const key of [first.KeyId!, second.KeyId!]) {
      expect(readAuditLog(auditPath, { keys: [key] }).records.map((r) => r.eventName)).toContain('UpdateAlias');
    }
  });

  it('a context-limited user cannot decrypt a row stored with another context; its own context works', async () => {
    const dataDir = join(h.home, '..', 'client');
    const open = (p: { accessKeyId: string; secretAccessKey: string }) =>
      createKeystash({ dataDir, kms: 'aws', store: 'sqlite', endpoint: url, region: 'us-east-1', env: { AWS_ACCESS_KEY_ID: p.accessKeyId, AWS_SECRET_ACCESS_KEY: p.secretAccessKey } });
    const writer = await open(USER);
    await writer.put('db.pw', VALUE, { context: { env: 'dev' } });
    await writer.put('db.pw.prod', VALUE, { context: { env: 'prod' } });
    writer.close();
    const limited = await open(PROD_ONLY);
    try {
      expect(await limited.get('db.pw.prod', { context: { env: 'prod' } })).toBe(VALUE);
      const denied = await rejection(limited.get('db.pw', { context: { env: 'dev' } }));
      expect(denied.message).toMatch(/AccessDenied|not authorized/);
      // Another key than the one it is limited to: denied whatever the context.
      const other = await rejection(limited.put('x', VALUE, { keyId: 'alias/managed', context: { env: 'prod' } }));
      expect(other.message).toMatch(/AccessDenied|not authorized/);
    } finally {
      limited.close();
    }
  });

  it('a secret given by environment variable works; user+manager may do both', async () => {
    const kms = client(ENV_SECRET);
    await kms.send(new DisableKeyCommand({ KeyId: 'alias/managed' }));
    await kms.send(new EnableKeyCommand({ KeyId: 'alias/managed' }));
    const arn = (await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/managed', NumberOfBytes: 32 }))).KeyId!;
    expect(arn).toMatch(/^arn:/);
    // DisableKey/EnableKey answer nothing: the record still names the key's ARN, so a query by key id finds them.
    const byId = readAuditLog(auditPath, { keys: [arn.replace(/^.*:key\//, '')] }).records.filter((r) => r.userIdentity.accessKeyId === ENV_SECRET.accessKeyId);
    expect(byId.map((r) => r.eventName)).toEqual(['DisableKey', 'EnableKey', 'GenerateDataKey']);
  });

  it('records every call, denials included, with principal, address, key and context keys — never values or secrets', () => {
    expect(statSync(auditPath).mode & 0o777).toBe(0o600);
    const { records, malformed } = readAuditLog(auditPath);
    expect(malformed).toEqual([]);
    const denials = records.filter((r) => r.outcome === 'denied');
    const summary = denials.map((r) => `${r.userIdentity.accessKeyId} ${r.eventName}`);
    expect(summary).toEqual(expect.arrayContaining([
      `${USER.accessKeyId} DisableKey`,
      `${USER.accessKeyId} CreateKey`,
      `${MANAGER.accessKeyId} Decrypt`,
      `${MANAGER.accessKeyId} GenerateDataKey`,
      `${PROD_ONLY.accessKeyId} Decrypt`,
      `${PROD_ONLY.accessKeyId} GenerateDataKey`,
    ]));
    for (const r of denials) expect(r.errorCode).toBe('AccessDeniedException');
    const limitedDecrypt = denials.find((r) => r.userIdentity.accessKeyId === PROD_ONLY.accessKeyId && r.eventName === 'Decrypt')!;
    expect(limitedDecrypt.requestParameters.encryptionContextKeys).toEqual(['env']);
    expect(limitedDecrypt.requestParameters.keyId).toBe(keyId.replace(/^.*:key\//, ''));
    expect(limitedDecrypt.sourceIPAddress).toMatch(/127\.0\.0\.1/);
    const ok = records.filter((r) => r.outcome === 'ok');
    expect(ok.map((r) => r.eventName)).toEqual(expect.arrayContaining(['GenerateDataKey', 'Decrypt', 'DisableKey', 'EnableKey', 'CreateKey', 'CreateAlias', 'ListKeys']));
    expect(ok.find((r) => r.eventName === 'DisableKey')!.userIdentity).toEqual({ type: 'AccessKey', accessKeyId: MANAGER.accessKeyId });
    const bytes = readFileSync(auditPath);
    for (const secret of [VALUE, USER.secretAccessKey, MANAGER.secretAccessKey, PROD_ONLY.secretAccessKey, ENV_SECRET.secretAccessKey, 'dev', 'prod']) {
      for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) expect(bytes.includes(form)).toBe(false);
    }
    expect(stderr).not.toContain(ENV_SECRET.secretAccessKey);
  });
});

describe('kms serve --principals refusals', () => {
  const p = inProcessHome();
  afterAll(p.cleanup);

  it('refuses a principals file other users can read, and malformed entries, before listening', async () => {
    const file = join(p.dir, 'principals.json');
    writePrincipals(file);
    chmodSync(file, 0o644);
    let r = await p.run(['kms', 'serve', '--port', '0', '--principals', file]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('chmod 600');
    expect(r.stderr).not.toContain(USER.secretAccessKey);
    writeFileSync(file, JSON.stringify({ principals: [{ ...USER, role: 'admin' }] }), { mode: 0o600 });
    chmodSync(file, 0o600);
    r = await p.run(['kms', 'serve', '--port', '0', '--principals', file]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('principal #1: unknown role "admin"');
    expect(r.stderr).not.toContain(USER.secretAccessKey);
    r = await p.run(['kms', 'serve', '--port', '0', '--principals', file, '--access-key-id', USER.accessKeyId]);
    expect(r.code).toBe(2);
  });

  it('kms principals generates a pair, shows it once, and adds a 0600 entry the server accepts', async () => {
    const file = join(p.dir, 'made.json');
    const r = await p.run(['kms', 'principals', '--role', 'user', '--key', 'alias/app', '--context', 'env=prod', '--file', file]);
    expect(r.code).toBe(0);
    const id = /AWS_ACCESS_KEY_ID=(AKIA[0-9A-F]{16})/.exec(r.stdout)?.[1];
    const secret = /AWS_SECRET_ACCESS_KEY=(\S+)/.exec(r.stdout)?.[1];
    expect(id).toBeDefined();
    expect(r.stderr).not.toContain(secret!);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = await p.run(['kms', 'principals', '--role', 'manager', '--role', 'user', '--file', file]);
    expect(second.code).toBe(0);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { principals: Array<Record<string, unknown>> };
    expect(doc.principals).toHaveLength(2);
    expect(doc.principals[0]).toEqual({ accessKeyId: id, secretAccessKey: secret, role: 'user', keys: ['alias/app'], context: { env: 'prod' } });
    expect(doc.principals[1]!['role']).toEqual(['manager', 'user']);
    const printed = await p.run(['kms', 'principals', '--role', 'user']);
    expect(JSON.parse(printed.stdout)).toMatchObject({ role: 'user' });
    expect((await p.run(['kms', 'principals', '--role', 'root'])).code).toBe(2);
  });

  it('a principals or key file in a directory others can write (no sticky bit) is neither read nor written (exit 9)', async () => {
    const open = join(p.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const file = join(open, 'principals.json');
    writePrincipals(file);
    let r = await p.run(['kms', 'serve', '--port', '0', '--principals', file]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`other users can write ${open} (mode 0777, not sticky)`);
    expect(r.stderr).not.toContain(USER.secretAccessKey);
    const keyFile = join(open, 'secret');
    writeFileSync(keyFile, 'x'.repeat(40), { mode: 0o600 });
    r = await p.run(['kms', 'serve', '--port', '0', '--access-key-id', USER.accessKeyId, '--secret-access-key-file', keyFile]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain(`other users can write ${open}`);
    const added = join(open, 'added.json');
    r = await p.run(['kms', 'principals', '--role', 'user', '--file', added]);
    expect(r.code).toBe(9);
    expect(r.stdout).toBe('');
    expect(existsSync(added)).toBe(false);
  });

  it('a principals file reached through a symbolic link is refused, not followed', async () => {
    const file = join(p.dir, 'real-principals.json');
    writePrincipals(file);
    const link = join(p.dir, 'linked-principals.json');
    symlinkSync(file, link);
    const r = await p.run(['kms', 'serve', '--port', '0', '--principals', link]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('symbolic links are not followed');
  });
});
