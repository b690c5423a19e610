/**
 * AwsKmsKeyService → real KMSClient → the project's local KMS server (started by
 * test/global-setup.ts): the KeyService contract, credstash's request shapes (§2.1), and the
 * translation of SDK errors into DecryptError / KmsError codes (docs/conventions.md §8, format §2.5).
 * Faults the server cannot produce (throttling, access denied, timeouts) use a stub client.
 */
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { CreateAliasCommand, CreateKeyCommand, DisableKeyCommand, EnableKeyCommand } from '@aws-sdk/client-kms';
import type { KMSClient } from '@aws-sdk/client-kms';
import { AwsKmsKeyService } from '../../src/envelope/aws-kms.js';
import { createKmsClient } from '../../src/aws/kms-client.js';
import { DecryptError, KmsError } from '../../src/errors.js';
import { describeKeyService } from '../contract/keyservice.contract.js';

const REGION = 'us-east-1';
const CREDSTASH_DECRYPT_TEXT =
  'KMS ERROR: Could not decrypt hmac key with KMS. The encryption context provided may not match the one used when the credential was stored.';

function client(overrides: { endpoint?: string; secretAccessKey?: string; accessKeyId?: string } = {}): KMSClient {
  return createKmsClient({
    region: REGION,
    endpoint: overrides.endpoint ?? inject('kmsEndpoint'),
    credentials: {
      accessKeyId: overrides.accessKeyId ?? inject('kmsAccessKeyId'),
      secretAccessKey: overrides.secretAccessKey ?? inject('kmsSecretAccessKey'),
    },
    // The shared KMS server gets the SDK's own retries (a reset connection under load is retried as
    // in use); a test's own dead endpoint fails at once.
    ...(overrides.endpoint === undefined ? {} : { maxAttempts: 1 }),
  });
}

/** Two fresh keys per fixture (one behind a fresh alias), so disabling one affects no other test. */
async function makeFixture() {
  const kms = client();
  const alias = `alias/contract-${randomUUID().slice(0, 8)}`;
  const first = await kms.send(new CreateKeyCommand({ Description: 'aws-kms contract' }));
  const second = await kms.send(new CreateKeyCommand({ Description: 'aws-kms contract (other)' }));
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: first.KeyMetadata!.KeyId! }));
  return {
    service: new AwsKmsKeyService({ client: kms }),
    keyId: alias,
    otherKeyId: second.KeyMetadata!.Arn!,
    disable: async (keyId: string) => {
      await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    },
    cleanup: async () => kms.destroy(),
  };
}

describeKeyService('AwsKmsKeyService → KMSClient → local KMS server', makeFixture);

async function failure(promise: Promise<unknown>): Promise<KmsError | DecryptError> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(Error);
  return err as KmsError | DecryptError;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('AwsKmsKeyService requests', () => {
  it('sends credstash shapes: GenerateDataKey with EncryptionContext {} and Decrypt without KeyId', async () => {
    const kms = client();
    const inputs: Array<{ name: string; input: unknown }> = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        inputs.push({ name: String(context.commandName), input: structuredClone(args.input) });
        return next(args);
      },
      { step: 'initialize', name: 'captureInput' },
    );
    const service = new AwsKmsKeyService({ client: kms });
    const dk = await service.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
    await service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: {} });
    kms.destroy();
    expect(inputs[0]).toEqual({ name: 'GenerateDataKeyCommand', input: { KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: {} } });
    expect(inputs[1]).toEqual({ name: 'DecryptCommand', input: { CiphertextBlob: dk.ciphertextBlob, EncryptionContext: {} } });
    expect(dk.keyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
  });
});

describe('AwsKmsKeyService decryptKeys allow-list', () => {
  it('names each allowed key in Decrypt and ReEncrypt; a row wrapped by another key is refused (kms.keyNotAllowed)', async () => {
    const kms = client();
    const fixture = await makeFixture();
    const inputs: Array<{ name: string; input: Record<string, unknown> }> = [];
    kms.middlewareStack.add(
      (next, context) => async (args) => {
        inputs.push({ name: String(context.commandName), input: structuredClone(args.input) as Record<string, unknown> });
        return next(args);
      },
      { step: 'initialize', name: 'captureInput' },
    );
    const open = new AwsKmsKeyService({ client: kms });
    const allowed = new AwsKmsKeyService({ client: kms, decryptKeys: ['alias/other', fixture.keyId] });
    const onlyOther = new AwsKmsKeyService({ client: kms, decryptKeys: ['alias/other'] });
    const dk = await open.generateDataKey({ keyId: fixture.keyId, numberOfBytes: 64, context: { a: 'b' } });
    inputs.length = 0;
    expect((await allowed.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: { a: 'b' } })).plaintext).toEqual(dk.plaintext);
    expect(inputs.map((i) => i.input['KeyId'])).toEqual(['alias/other', fixture.keyId]);
    const refused = await onlyOther.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: { a: 'b' } }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KmsError);
    expect(refused).toMatchObject({ code: 'kms.keyNotAllowed', message: 'KMS ERROR: the data key of this row is not wrapped by a key in decryptKeys (alias/other); refused' });
    inputs.length = 0;
    const rewrapped = await allowed.reEncrypt({ ciphertextBlob: dk.ciphertextBlob, sourceContext: { a: 'b' }, destinationKeyId: 'alias/other', destinationContext: { a: 'b' } });
    expect(inputs.map((i) => i.input['SourceKeyId'])).toEqual(['alias/other', fixture.keyId]);
    expect(rewrapped.ciphertextBlob.length).toBeGreaterThan(0);
    await expect(onlyOther.reEncrypt({ ciphertextBlob: dk.ciphertextBlob, sourceContext: { a: 'b' }, destinationKeyId: 'alias/other', destinationContext: { a: 'b' } })).rejects.toMatchObject({ code: 'kms.keyNotAllowed' });
    kms.destroy();
  });
});

describe('AwsKmsKeyService error translation (real server)', () => {
  it('wrong context → DecryptError with credstash\'s text, the SDK error kept as cause', async () => {
    const service = new AwsKmsKeyService({ client: client() });
    const dk = await service.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: { env: 'prod' } });
    const err = await failure(service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: { env: 'dev' } }));
    expect(err).toBeInstanceOf(DecryptError);
    expect(err.message).toBe(CREDSTASH_DECRYPT_TEXT);
    expect((err.cause as Error).name).toBe('InvalidCiphertextException');
  });

  it('missing alias on put → kms.notFound with credstash\'s GenerateDataKey prefix and a fix', async () => {
    const service = new AwsKmsKeyService({ client: client() });
    const err = await failure(service.generateDataKey({ keyId: 'alias/missing', numberOfBytes: 64, context: {} }));
    expect(err).toBeInstanceOf(KmsError);
    expect(err.code).toBe('kms.notFound');
    expect(err.message).toMatch(/^KMS ERROR: Could not generate key using KMS key alias\/missing \(Details: KMS key 'alias\/missing' not found \(check the key id\/alias and region; create it or pass -k\)/);
    expect((err.cause as Error).name).toBe('NotFoundException');
    const described = await failure(service.describeKeyArn('alias/missing'));
    expect(described.code).toBe('kms.notFound');
  });

  it('disabled key → kms.disabled; Decrypt failures carry credstash\'s "Decryption error" prefix', async () => {
    const kms = client();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const service = new AwsKmsKeyService({ client: kms });
    const dk = await service.generateDataKey({ keyId: KeyMetadata!.Arn!, numberOfBytes: 64, context: {} });
    await kms.send(new DisableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    const put = await failure(service.generateDataKey({ keyId: KeyMetadata!.Arn!, numberOfBytes: 64, context: {} }));
    expect(put.code).toBe('kms.disabled');
    expect(put.message).toMatch(/^KMS ERROR: Could not generate key using KMS key arn:aws:kms:/);
    const get = await failure(service.decrypt({ ciphertextBlob: dk.ciphertextBlob, context: {} }));
    expect(get.code).toBe('kms.disabled');
    expect(get.message).toMatch(/^KMS ERROR: Decryption error /);
    await kms.send(new EnableKeyCommand({ KeyId: KeyMetadata!.KeyId }));
    kms.destroy();
  });

  it.each([
    ['a wrong secret key', { secretAccessKey: 'wrong' }, 'InvalidSignatureException'],
    ['an unknown access key', { accessKeyId: 'AKIANOTKNOWN' }, 'UnrecognizedClientException'],
  ])('%s → kms.credentials (not prefixed on decrypt, as credstash)', async (_label, overrides, cause) => {
    const kms = client(overrides);
    const service = new AwsKmsKeyService({ client: kms });
    const put = await failure(service.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} }));
    expect(put.code).toBe('kms.credentials');
    expect(put.message).toMatch(/^KMS ERROR: Could not generate key using KMS key alias\/credstash \(Details: AWS credentials are missing or were rejected/);
    expect((put.cause as Error).name).toBe(cause);
    const get = await failure(service.decrypt({ ciphertextBlob: new Uint8Array(80).fill(1), context: {} }));
    expect(get.code).toBe('kms.credentials');
    expect(get.message).toMatch(/^AWS credentials are missing or were rejected/);
    kms.destroy();
  });

  it('server down (closed port) → kms.unreachable naming the endpoint', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const kms = client({ endpoint });
    const service = new AwsKmsKeyService({ client: kms });
    const err = await failure(service.decrypt({ ciphertextBlob: new Uint8Array(80).fill(1), context: {} }));
    expect(err.code).toBe('kms.unreachable');
    expect(err.message).toContain(`Cannot reach KMS at ${endpoint}/`);
    const put = await failure(service.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} }));
    expect(put.code).toBe('kms.unreachable');
    kms.destroy();
  });
});

/** A client whose every call fails with `error` (faults a real server cannot produce on demand). */
function failingClient(error: Error): KMSClient {
  return {
    send: async () => {
      throw error;
    },
    config: { region: async () => 'eu-west-1' },
  } as unknown as KMSClient;
}

function sdkError(name: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${name} from the stub`), { name, $fault: 'client', $metadata: { httpStatusCode: 400, attempts: 3 }, ...extra });
}

describe('AwsKmsKeyService error translation (stub client)', () => {
  it.each([
    ['ThrottlingException', sdkError('ThrottlingException'), 'kms.throttled', /after 3 attempt\(s\)/],
    ['LimitExceededException', sdkError('LimitExceededException'), 'kms.throttled', /retry later/],
    ['AccessDeniedException', sdkError('AccessDeniedException'), 'kms.accessDenied', /needs kms:GenerateDataKey on KMS key 'alias\/app'/],
    ['KMSInvalidStateException', sdkError('KMSInvalidStateException'), 'kms.disabled', /disabled or not usable/],
    ['CredentialsProviderError', Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }), 'kms.credentials', /AWS_PROFILE/],
    ['ExpiredTokenException', sdkError('ExpiredTokenException'), 'kms.credentials', /refresh expired credentials/],
    ['TimeoutError', Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }), 'kms.unreachable', /Cannot reach KMS at https:\/\/kms\.eu-west-1\.amazonaws\.com/],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }), 'kms.unreachable', /check the region/],
    ['KMSInternalException', sdkError('KMSInternalException', { $fault: 'server' }), 'kms.error', /GenerateDataKey failed \[KMSInternalException/],
  ])('%s on GenerateDataKey → %s', async (_name, error, code, text) => {
    const service = new AwsKmsKeyService({ client: failingClient(error) });
    const err = await failure(service.generateDataKey({ keyId: 'alias/app', numberOfBytes: 64, context: {} }));
    expect(err).toBeInstanceOf(KmsError);
    expect(err.code).toBe(code);
    expect(err.message).toMatch(/^KMS ERROR: Could not generate key using KMS key alias\/app \(Details: /);
    expect(err.message).toMatch(text);
    expect(err.cause).toBe(error);
  });

  it('AccessDeniedException on Decrypt says access denied or the key cannot unwrap this row, names kms:Decrypt, with credstash\'s prefix', async () => {
    const service = new AwsKmsKeyService({ client: failingClient(sdkError('AccessDeniedException')) });
    const err = await failure(service.decrypt({ ciphertextBlob: new Uint8Array(8), context: {} }));
    expect(err.code).toBe('kms.accessDenied');
    expect(err.message).toMatch(/^KMS ERROR: Decryption error Access denied or the key cannot unwrap this row \(another KMS, disabled key\): this identity may need kms:Decrypt/);
  });

  it('IncorrectKeyException → DecryptError', async () => {
    const service = new AwsKmsKeyService({ client: failingClient(sdkError('IncorrectKeyException')) });
    await expect(service.decrypt({ ciphertextBlob: new Uint8Array(8), context: {} })).rejects.toBeInstanceOf(DecryptError);
  });
});
