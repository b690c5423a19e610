/**
 * Issue 24 item 3: through the KMS server a missing key or alias is NotFoundException (AWS's
 * error shape), never created for whoever asks; in-process, alias/credstash's key is still made
 * on first use, and recorded in the audit log as the CreateKey it is.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  DeleteAliasCommand, EncryptCommand, GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand, KMSClient, ListAliasesCommand,
  ListKeysCommand, ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer } from '../../src/kmsserver/server.js';
import type { KmsServer } from '../../src/kmsserver/server.js';
import { readAuditLog } from '../../src/localkms/audit-read.js';
import { createKeystash } from '../../src/open.js';
import { rejection } from '../helpers/rejection.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-nokeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const servers: Array<{ server: KmsServer; kms: LocalKms }> = [];
afterEach(async () => {
  for (const { server, kms } of servers.splice(0)) {
    await server.close();
    kms.close();
  }
});

const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const secretAccessKey = randomBytes(30).toString('base64');

/** A server over a LocalKms opened with its defaults (the library's way, first-use creation on). */
async function serve(name: string): Promise<{ client: KMSClient; keyring: string; kms: LocalKms }> {
  const keyring = join(dir, name, 'keyring.json');
  const kms = LocalKms.open({ path: keyring, region: 'us-east-1' });
  const server = await startKmsServer({ kms, accessKeyId, secretAccessKey });
  servers.push({ server, kms });
  return { client: new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 }), keyring, kms };
}

describe('through the server a missing key is NotFoundException, never created', () => {
  it('no keyring yet: GenerateDataKey on alias/credstash is NotFoundException and no keyring appears', async () => {
    const { client, keyring } = await serve('fresh');
    const err = await rejection(client.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 })));
    expect(err.name).toBe('NotFoundException');
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(err.message).not.toContain(dir);
    expect(existsSync(keyring)).toBe(false);
  });

  it('after a manager deleted alias/credstash, no data-key call re-creates it or re-points the alias', async () => {
    const { client, kms } = await serve('deleted');
    await kms.createKey({ alias: 'alias/credstash' });
    await kms.createKey({ alias: 'alias/other' });
    const before = (await client.send(new ListKeysCommand({}))).Keys!.length;
    await client.send(new DeleteAliasCommand({ AliasName: 'alias/credstash' }));
    // One call at a time (a request refused while another is awaited is an unhandled rejection).
    for (const call of [
      () => client.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 })),
      () => client.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 })),
      () => client.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: new Uint8Array([1, 2, 3]) })),
    ]) {
      const err = await rejection(call());
      expect(err.name).toBe('NotFoundException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
    }
    const other = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/other', NumberOfBytes: 32 }));
    const re = await rejection(client.send(new ReEncryptCommand({ CiphertextBlob: other.CiphertextBlob, DestinationKeyId: 'alias/credstash' })));
    expect(re.name).toBe('NotFoundException');
    expect((await client.send(new ListKeysCommand({}))).Keys).toHaveLength(before);
    const aliases = (await client.send(new ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
    expect(aliases).not.toContain('alias/credstash');
  });
});

describe('in-process first use still creates alias/credstash, recorded as CreateKey', () => {
  it('the first put creates the keyring and the audit log has CreateKey (principal local) before the GenerateDataKey', async () => {
    const home = join(dir, 'inprocess');
    const ks = await createKeystash({ dataDir: home, env: {} });
    try {
      await ks.put('app.token', 'first-run-value');
    } finally {
      ks.close();
    }
    const records = readAuditLog(join(home, 'kms-audit.jsonl')).records;
    const created = records.filter((r) => r.eventName === 'CreateKey');
    expect(created).toHaveLength(1);
    expect(created[0]!.userIdentity.accessKeyId).toBe('local');
    expect(created[0]!.outcome).toBe('ok');
    expect(created[0]!.requestParameters.keyId).toBe('alias/credstash');
    expect(created[0]!.resources?.[0]?.ARN ?? JSON.stringify(created[0])).toMatch(/:key\//);
    const names = records.map((r) => r.eventName);
    expect(names.indexOf('CreateKey')).toBeLessThan(names.indexOf('GenerateDataKey'));
  });
});
