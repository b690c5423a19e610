/**
 * The local KMS server (src/kmsserver) through the real AWS SDK KMSClient, plus raw requests for
 * the protocol edges: every operation, AWS-shaped errors, SigV4 rejection, body cap, and logs
 * that never contain plaintext or context values.
 */
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsException, CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, DisableKeyCommand,
  DisableKeyRotationCommand, DisabledException, EnableKeyCommand, EnableKeyRotationCommand, EncryptCommand,
  GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand, GetKeyRotationStatusCommand, IncorrectKeyException,
  InvalidCiphertextException, InvalidMarkerException, KMSClient, KMSServiceException, ListAliasesCommand, ListKeysCommand,
  NotFoundException, ReEncryptCommand, RotateKeyOnDemandCommand,
} from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { startKmsServer, TEST_KMS_REGION } from '../helpers/kms-server.js';
import type { TestKmsServer } from '../helpers/kms-server.js';
import { rejection } from '../helpers/rejection.js';

let server: TestKmsServer;
let kms: KMSClient;

function clientWith(accessKeyId: string, secretAccessKey: string): KMSClient {
  return new KMSClient({ region: TEST_KMS_REGION, endpoint: server.endpoint, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** One HTTP request with exactly the given headers (plus Node's content-length). */
function rawRequest(headers: Record<string, string>, body: Uint8Array | string, target: { method?: string; path?: string } = {}): Promise<RawResponse> {
  const url = new URL(server.endpoint);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method: target.method ?? 'POST', path: target.path ?? '/', headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

interface SignOptions {
  target?: string;
  secret?: string;
  accessKeyId?: string;
  signingDate?: Date;
  contentType?: string;
  applyChecksum?: boolean;
  method?: string;
  path?: string;
}

/** Sign `body` with the SDK's SignatureV4 as a KMS client would, returning the headers to send. */
async function signHeaders(body: string, options: SignOptions = {}): Promise<Record<string, string>> {
  const url = new URL(server.endpoint);
  const signer = new SignatureV4({
    credentials: { accessKeyId: options.accessKeyId ?? server.accessKeyId, secretAccessKey: options.secret ?? server.secretAccessKey },
    region: TEST_KMS_REGION,
    service: 'kms',
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  const signed = await signer.sign(
    {
      method: options.method ?? 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: options.path ?? '/', query: {},
      headers: { host: url.host, 'content-type': options.contentType ?? 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${options.target ?? 'ListKeys'}` },
      body,
    },
    { signingDate: options.signingDate ?? new Date() },
  );
  return signed.headers;
}

async function signedRequest(body: string, options: SignOptions = {}): Promise<RawResponse> {
  return rawRequest(await signHeaders(body, options), body, options);
}

/** AWS JSON 1.1 error shape: status, x-amzn-ErrorType header, {__type, message}. */
function expectAwsError(res: RawResponse, status: number, type: string): void {
  expect(res.status).toBe(status);
  expect(res.headers['x-amzn-errortype']).toBe(type);
  expect(res.headers['content-type']).toBe('application/x-amz-json-1.1');
  expect(res.body['__type']).toBe(type);
  expect(typeof res.body['message']).toBe('string');
}

beforeAll(async () => {
  server = await startKmsServer();
  kms = clientWith(server.accessKeyId, server.secretAccessKey);
});

afterAll(async () => {
  kms?.destroy();
  await server?.stop();
});

describe('key management operations', () => {
  it('CreateKey returns AWS KeyMetadata; DescribeKey finds it by id and ARN', async () => {
    const created = await kms.send(new CreateKeyCommand({ Description: 'made by test', Tags: [{ TagKey: 'k', TagValue: 'v' }] }));
    const meta = created.KeyMetadata!;
    expect(meta).toMatchObject({
      Description: 'made by test', Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT', KeySpec: 'SYMMETRIC_DEFAULT',
      KeyManager: 'CUSTOMER', Origin: 'AWS_KMS',
    });
    expect(meta.Arn).toBe(`arn:aws:kms:${TEST_KMS_REGION}:000000000000:key/${meta.KeyId}`);
    expect(meta.CreationDate).toBeInstanceOf(Date);
    expect(Math.abs(meta.CreationDate!.getTime() - Date.now())).toBeLessThan(60_000);
    const byArn = await kms.send(new DescribeKeyCommand({ KeyId: meta.Arn }));
    expect(byArn.KeyMetadata?.KeyId).toBe(meta.KeyId);
  });

  it('CreateKey refuses asymmetric key specs', async () => {
    const err = await rejection(kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048' })));
    expect(err.name).toBe('ValidationException');
    expect(err).toBeInstanceOf(KMSServiceException);
  });

  it('DescribeKey of an unknown alias raises NotFoundException', async () => {
    const err = await rejection(kms.send(new DescribeKeyCommand({ KeyId: 'alias/does-not-exist' })));
    expect(err).toBeInstanceOf(NotFoundException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('ListKeys lists every key and pages with Limit/Marker', async () => {
    const all = await kms.send(new ListKeysCommand({}));
    expect(all.Truncated).toBe(false);
    expect(all.Keys!.length).toBeGreaterThanOrEqual(2);
    const paged: string[] = [];
    let marker: string | undefined;
    do {
      const page = await kms.send(new ListKeysCommand({ Limit: 1, ...(marker === undefined ? {} : { Marker: marker }) }));
      expect(page.Keys).toHaveLength(1);
      paged.push(page.Keys![0]!.KeyArn!);
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker !== undefined);
    expect(paged).toEqual(all.Keys!.map((k) => k.KeyArn));
    await expect(kms.send(new ListKeysCommand({ Marker: 'garbage' }))).rejects.toBeInstanceOf(InvalidMarkerException);
  });

  it('CreateAlias / ListAliases, and AlreadyExistsException for a taken alias', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/test-new', TargetKeyId: KeyMetadata!.KeyId }));
    const forKey = await kms.send(new ListAliasesCommand({ KeyId: KeyMetadata!.KeyId }));
    expect(forKey.Aliases).toEqual([{ AliasName: 'alias/test-new', AliasArn: `arn:aws:kms:${TEST_KMS_REGION}:000000000000:alias/test-new`, TargetKeyId: KeyMetadata!.KeyId }]);
    const all = await kms.send(new ListAliasesCommand({}));
    expect(all.Aliases!.map((a) => a.AliasName)).toEqual(expect.arrayContaining(['alias/credstash', 'alias/other', 'alias/test-new']));
    await expect(kms.send(new CreateAliasCommand({ AliasName: 'alias/credstash', TargetKeyId: KeyMetadata!.KeyId }))).rejects.toBeInstanceOf(AlreadyExistsException);
    const bad = await rejection(kms.send(new CreateAliasCommand({ AliasName: 'no-prefix', TargetKeyId: KeyMetadata!.KeyId })));
    expect(bad.name).toBe('ValidationException');
  });

  it('DisableKey makes data operations fail with DisabledException; EnableKey restores them', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    const wrapped = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 32 }));
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata).toMatchObject({ Enabled: false, KeyState: 'Disabled' });
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 32 }))).rejects.toBeInstanceOf(DisabledException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob }))).rejects.toBeInstanceOf(DisabledException);
    await kms.send(new EnableKeyCommand({ KeyId: keyId }));
    const plain = await kms.send(new DecryptCommand({ CiphertextBlob: wrapped.CiphertextBlob }));
    expect(plain.Plaintext).toEqual(wrapped.Plaintext);
  });

  it('key rotation: status flag, and RotateKeyOnDemand keeps old ciphertexts decryptable', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const keyId = KeyMetadata!.KeyId!;
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(false);
    await kms.send(new EnableKeyRotationCommand({ KeyId: keyId }));
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(true);
    await kms.send(new DisableKeyRotationCommand({ KeyId: keyId }));
    expect((await kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))).KeyRotationEnabled).toBe(false);
    const before = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 16, EncryptionContext: { a: '1' } }));
    const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
    expect(rotated.KeyId).toBe(KeyMetadata!.Arn);
    const after = await kms.send(new DecryptCommand({ CiphertextBlob: before.CiphertextBlob, EncryptionContext: { a: '1' } }));
    expect(after.Plaintext).toEqual(before.Plaintext);
  });
});

describe('data operations', () => {
  it('GenerateDataKey (credstash shape) and Decrypt round-trip; KeyId is the ARN', async () => {
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }));
    const key = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { app: 'web', env: 'prod' } }));
    expect(key.Plaintext).toHaveLength(64);
    expect(key.KeyId).toBe(KeyMetadata!.Arn);
    const out = await kms.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob, EncryptionContext: { env: 'prod', app: 'web' } }));
    expect(out.Plaintext).toEqual(key.Plaintext);
    expect(out.KeyId).toBe(KeyMetadata!.Arn);
  });

  it('Decrypt with a different or missing context raises InvalidCiphertextException', async () => {
    const key = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { env: 'prod' } }));
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob, EncryptionContext: { env: 'dev' } }))).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: key.CiphertextBlob }))).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(80) }))).rejects.toBeInstanceOf(InvalidCiphertextException);
  });

  it('KeySpec AES_256 / AES_128 give 32 / 16 bytes; both or neither is a ValidationException', async () => {
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', KeySpec: 'AES_256' }))).Plaintext).toHaveLength(32);
    expect((await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', KeySpec: 'AES_128' }))).Plaintext).toHaveLength(16);
    const both = await rejection(kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', KeySpec: 'AES_256', NumberOfBytes: 32 })));
    expect(both.name).toBe('ValidationException');
    const neither = await rejection(kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash' })));
    expect(neither.name).toBe('ValidationException');
    const tooMany = await rejection(kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 1025 })));
    expect(tooMany.name).toBe('ValidationException');
  });

  it('GenerateDataKey on an unknown alias raises NotFoundException', async () => {
    await expect(kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/missing', NumberOfBytes: 64 }))).rejects.toBeInstanceOf(NotFoundException);
  });

  it('GenerateDataKeyWithoutPlaintext returns only the wrapped key', async () => {
    const out = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: 'alias/other', KeySpec: 'AES_256', EncryptionContext: { x: 'y' } }));
    expect(out).not.toHaveProperty('Plaintext');
    const plain = await kms.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { x: 'y' } }));
    expect(plain.Plaintext).toHaveLength(32);
  });

  it('Encrypt / Decrypt up to 4096 bytes; 4097 is a ValidationException', async () => {
    const plaintext = randomBytes(4096);
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/other', Plaintext: plaintext }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!)).toEqual(plaintext);
    const err = await rejection(kms.send(new EncryptCommand({ KeyId: 'alias/other', Plaintext: randomBytes(4097) })));
    expect(err.name).toBe('ValidationException');
  });

  it('Decrypt with a KeyId: matching alias succeeds, another key raises IncorrectKeyException', async () => {
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: Buffer.from('hello') }));
    const ok = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: 'alias/credstash' }));
    expect(Buffer.from(ok.Plaintext!).toString()).toBe('hello');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, KeyId: 'alias/other' }))).rejects.toBeInstanceOf(IncorrectKeyException);
  });

  it('ReEncrypt moves a wrapped key to another key and context', async () => {
    const source = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }));
    const dest = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/other' }));
    const key = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { a: '1' } }));
    const re = await kms.send(new ReEncryptCommand({
      CiphertextBlob: key.CiphertextBlob, SourceEncryptionContext: { a: '1' }, DestinationKeyId: 'alias/other', DestinationEncryptionContext: { b: '2' },
    }));
    expect(re.SourceKeyId).toBe(source.KeyMetadata!.Arn);
    expect(re.KeyId).toBe(dest.KeyMetadata!.Arn);
    const out = await kms.send(new DecryptCommand({ CiphertextBlob: re.CiphertextBlob, EncryptionContext: { b: '2' } }));
    expect(out.Plaintext).toEqual(key.Plaintext);
    await expect(kms.send(new ReEncryptCommand({ CiphertextBlob: key.CiphertextBlob, SourceEncryptionContext: { a: 'x' }, DestinationKeyId: 'alias/other' })))
      .rejects.toBeInstanceOf(InvalidCiphertextException);
  });
});

describe('authentication and protocol errors', () => {
  it('an unsigned request gets MissingAuthenticationTokenException', async () => {
    const res = await rawRequest({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, '{}');
    expectAwsError(res, 400, 'MissingAuthenticationTokenException');
  });

  it('an unsigned malformed-JSON request is rejected for authentication first', async () => {
    const res = await rawRequest({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, '{"Limit": ');
    expectAwsError(res, 400, 'MissingAuthenticationTokenException');
  });

  it('the wrong secret key gets InvalidSignatureException through KMSClient', async () => {
    const bad = clientWith(server.accessKeyId, 'wrong-secret');
    const err = await rejection(bad.send(new ListKeysCommand({})));
    bad.destroy();
    expect(err.name).toBe('InvalidSignatureException');
    expect(err).toBeInstanceOf(KMSServiceException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it('an unknown access key gets UnrecognizedClientException', async () => {
    const bad = clientWith('AKIAUNKNOWN', server.secretAccessKey);
    const err = await rejection(bad.send(new ListKeysCommand({})));
    bad.destroy();
    expect(err.name).toBe('UnrecognizedClientException');
    expect(err.message).toBe('The security token included in the request is invalid.');
  });

  it('a manually signed request verifies, with or without x-amz-content-sha256', async () => {
    expect((await signedRequest('{}')).status).toBe(200);
    expect((await signedRequest('{}', { applyChecksum: false })).status).toBe(200);
    expectAwsError(await signedRequest('{}', { secret: 'not-the-secret' }), 400, 'InvalidSignatureException');
  });

  it('a body changed after signing is rejected', async () => {
    for (const applyChecksum of [true, false]) {
      const headers = await signHeaders('{"Limit": 1}', { applyChecksum });
      expectAwsError(await rawRequest(headers, '{"Limit": 2}'), 400, 'InvalidSignatureException');
    }
  });

  it('a signature older than 15 minutes is expired', async () => {
    const res = await signedRequest('{}', { signingDate: new Date(Date.now() - 16 * 60_000) });
    expectAwsError(res, 400, 'InvalidSignatureException');
    expect(res.body['message']).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);
    expectAwsError(await signedRequest('{}', { signingDate: new Date(Date.now() + 16 * 60_000) }), 400, 'InvalidSignatureException');
    expect((await signedRequest('{}', { signingDate: new Date(Date.now() - 10 * 60_000) })).status).toBe(200);
  });

  it('a signed malformed-JSON body gets SerializationException', async () => {
    expectAwsError(await signedRequest('{"Limit": ', { target: 'ListKeys' }), 400, 'SerializationException');
    expectAwsError(await signedRequest('[1, 2]', { target: 'ListKeys' }), 400, 'SerializationException');
  });

  it('a signed request that is not a POST to / gets UnknownOperationException naming what it was', async () => {
    for (const [method, path] of [['POST', '/other'], ['PUT', '/'], ['POST', '/x/..']] as const) {
      const res = await signedRequest('{}', { method, path });
      expectAwsError(res, 400, 'UnknownOperationException');
      expect(res.body['message']).toMatch(/^KMS operations are POST requests to \/, not (POST|PUT) \/\S*\.$/);
    }
  });

  it('an unknown operation gets UnknownOperationException', async () => {
    expectAwsError(await signedRequest('{}', { target: 'DeleteEverything' }), 400, 'UnknownOperationException');
    expectAwsError(await signedRequest('{}', { target: 'constructor' }), 400, 'UnknownOperationException');
  });

  it('a body over the cap gets a 413 AWS error, raw or through KMSClient', async () => {
    const raw = await rawRequest({ 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys' }, 'x'.repeat(100 * 1024));
    expectAwsError(raw, 413, 'RequestEntityTooLargeException');
    const err = await rejection(kms.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: Buffer.from('x'), EncryptionContext: { big: 'y'.repeat(70 * 1024) } })));
    expect(err.name).toBe('RequestEntityTooLargeException');
    expect(err.$metadata?.httpStatusCode).toBe(413);
  });

  it('a multi-megabyte body is cut off without buffering it: 413, or the connection closes', async () => {
    const outcome = await rawRequest({ 'content-type': 'application/x-amz-json-1.1' }, Buffer.alloc(8 * 1024 * 1024, 0x61)).then(
      (res) => res.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect([413, 'ECONNRESET', 'EPIPE']).toContain(outcome);
  });

  it('keeps serving after all of the above', async () => {
    const res = await kms.send(new ListKeysCommand({}));
    expect(res.Keys!.length).toBeGreaterThan(0);
  });
});

describe('request log', () => {
  it('has one line per request with op, status and ms, and never plaintext or context values', async () => {
    const before = server.log.length;
    const secretContext = `ctx-${randomBytes(8).toString('hex')}`;
    const key = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { tenant: secretContext } }));
    const payload = randomBytes(48);
    const enc = await kms.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: payload, EncryptionContext: { tenant: secretContext } }));
    await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { tenant: secretContext } }));
    await rejection(kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })));
    const lines = server.log.slice(before);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^kms op=GenerateDataKey status=200 ms=\d+ key=arn:aws:kms:/);
    expect(lines[3]).toMatch(/^kms op=Decrypt status=400 ms=\d+ error=InvalidCiphertextException$/);
    const text = lines.join('\n');
    for (const secret of [Buffer.from(key.Plaintext!).toString('base64'), payload.toString('base64'), Buffer.from(enc.CiphertextBlob!).toString('base64'), secretContext]) {
      expect(text).not.toContain(secret);
    }
  });
});
