/**
 * verifySigV4 against requests signed by the SDK's own SignatureV4 (no network): the header the
 * SDK client sends verifies; every tampering, a wrong key, a wrong scope and clock skew are
 * refused with the AWS exception name.
 */
import { describe, expect, it } from 'vitest';
import { SignatureV4 } from '@smithy/signature-v4';
import { Sha256 } from '@aws-crypto/sha256-js';
import { parseAmzDate, parseAuthorization, verifySigV4 } from '../../../src/kmsserver/sigv4.js';
import type { SignedRequest, VerifyOptions } from '../../../src/kmsserver/sigv4.js';
import { AwsError } from '../../../src/kmsserver/protocol.js';

const AKID = 'AKIDEXAMPLE';
const SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxrFexampleKEY';
const NOW = new Date('2026-03-01T12:00:00Z');
const BODY = '{"KeyId":"alias/credstash","NumberOfBytes":64,"EncryptionContext":{}}';

/** The headers the KMS client sends (observed from @aws-sdk/client-kms 3.x), signed at `date`. */
async function signed(options: { date?: Date; secret?: string; region?: string; service?: string; applyChecksum?: boolean } = {}): Promise<SignedRequest> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: AKID, secretAccessKey: options.secret ?? SECRET },
    region: options.region ?? 'us-east-1',
    service: options.service ?? 'kms',
    sha256: Sha256,
    applyChecksum: options.applyChecksum ?? true,
  });
  const headers = {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': 'TrentService.GenerateDataKey',
    'content-length': String(Buffer.byteLength(BODY)),
    'x-amz-user-agent': 'aws-sdk-js/3.0.0',
    host: '127.0.0.1:4599',
    'amz-sdk-invocation-id': '3103efc5-f22c-402d-8a8b-33a32dca232d',
    'amz-sdk-request': 'attempt=1; max=3',
  };
  const out = await signer.sign(
    { method: 'POST', protocol: 'http:', hostname: '127.0.0.1', port: 4599, path: '/', query: {}, headers, body: BODY },
    { signingDate: options.date ?? NOW },
  );
  // What arrives: the signed headers plus ones the signer never covers (user-agent, connection).
  const raw = Object.entries({ ...out.headers, 'user-agent': 'aws-sdk-js/3.0.0 ua/2.1', connection: 'keep-alive' }).flat();
  return { method: 'POST', url: '/', rawHeaders: raw, body: new TextEncoder().encode(BODY) };
}

const OPTIONS: VerifyOptions = { lookupSecret: (id) => (id === AKID ? SECRET : undefined), service: 'kms', now: NOW };

function withHeader(request: SignedRequest, name: string, value: string | undefined): SignedRequest {
  const raw: string[] = [];
  for (let i = 0; i < request.rawHeaders.length; i += 2) {
    if (request.rawHeaders[i]!.toLowerCase() !== name) raw.push(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
  }
  if (value !== undefined) raw.push(name, value);
  return { ...request, rawHeaders: raw };
}

async function rejectionType(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(AwsError);
  return (err as AwsError).type;
}

describe('parseAuthorization', () => {
  it('reads credential scope, signed headers and signature', () => {
    const auth = parseAuthorization('AWS4-HMAC-SHA256 Credential=AKID/20260301/eu-west-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc');
    expect(auth).toEqual({ accessKeyId: 'AKID', date: '20260301', region: 'eu-west-1', service: 'kms', signedHeaders: ['host', 'x-amz-date'], signature: 'abc' });
  });

  it.each([
    'AWS4-HMAC-SHA1 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=a/b/c/aws4_request, SignedHeaders=host, Signature=x',
    'AWS4-HMAC-SHA256 Credential=a/b/c/d/aws3_request, SignedHeaders=host, Signature=x',
    'Bearer token',
  ])('refuses %s with IncompleteSignatureException', (header) => {
    expect(() => parseAuthorization(header)).toThrow(expect.objectContaining({ type: 'IncompleteSignatureException' }));
  });
});

describe('parseAmzDate', () => {
  it('reads ISO 8601 basic format as UTC', () => {
    expect(parseAmzDate('20260301T120000Z').toISOString()).toBe('2026-03-01T12:00:00.000Z');
  });
  it('refuses other formats', () => {
    expect(() => parseAmzDate('2026-03-01T12:00:00Z')).toThrow(AwsError);
  });
});

describe('verifySigV4', () => {
  it('accepts the SDK client\'s request with and without x-amz-content-sha256', async () => {
    await expect(verifySigV4(await signed(), OPTIONS)).resolves.toEqual({ accessKeyId: AKID, region: 'us-east-1' });
    await expect(verifySigV4(await signed({ applyChecksum: false }), OPTIONS)).resolves.toEqual({ accessKeyId: AKID, region: 'us-east-1' });
    await expect(verifySigV4(await signed({ region: 'ap-south-1' }), OPTIONS)).resolves.toMatchObject({ region: 'ap-south-1' });
  });

  it('ignores unsigned headers added in transit', async () => {
    await expect(verifySigV4(withHeader(await signed(), 'x-forwarded-for', '10.0.0.1'), OPTIONS)).resolves.toBeDefined();
  });

  it('refuses a request without Authorization (MissingAuthenticationTokenException)', async () => {
    expect(await rejectionType(verifySigV4(withHeader(await signed(), 'authorization', undefined), OPTIONS))).toBe('MissingAuthenticationTokenException');
  });

  it('refuses an unknown access key (UnrecognizedClientException)', async () => {
    expect(await rejectionType(verifySigV4(await signed(), { ...OPTIONS, lookupSecret: () => undefined }))).toBe('UnrecognizedClientException');
  });

  it.each([
    ['a wrong secret', async () => signed({ secret: 'other' })],
    ['a changed target', async () => withHeader(await signed(), 'x-amz-target', 'TrentService.Decrypt')],
    ['a changed signed header', async () => withHeader(await signed(), 'amz-sdk-request', 'attempt=2; max=3')],
    ['a missing signed header', async () => withHeader(await signed(), 'x-amz-user-agent', undefined)],
    ['a changed body (content hash header)', async () => ({ ...(await signed()), body: new TextEncoder().encode('{}') })],
    ['a changed body (no hash header)', async () => ({ ...(await signed({ applyChecksum: false })), body: new TextEncoder().encode('{}') })],
    ['a changed path', async () => ({ ...(await signed()), url: '/other' })],
    ['another service scope', async () => signed({ service: 'dynamodb' })],
    ['a date 16 minutes old', async () => signed({ date: new Date(NOW.getTime() - 16 * 60_000) })],
    ['a date 16 minutes ahead', async () => signed({ date: new Date(NOW.getTime() + 16 * 60_000) })],
  ])('refuses %s (InvalidSignatureException)', async (_label, make) => {
    expect(await rejectionType(verifySigV4(await make(), OPTIONS))).toBe('InvalidSignatureException');
  });

  it('accepts a date within 15 minutes', async () => {
    await expect(verifySigV4(await signed({ date: new Date(NOW.getTime() - 14 * 60_000) }), OPTIONS)).resolves.toBeDefined();
  });

  it('says "Signature expired" the way AWS does', async () => {
    const err = await verifySigV4(await signed({ date: new Date('2026-03-01T11:40:00Z') }), OPTIONS).catch((e: unknown) => e as AwsError);
    expect((err as AwsError).message).toBe('Signature expired: 20260301T114000Z is now earlier than 20260301T114500Z (20260301T120000Z - 15 min.)');
  });

  it('enforces the region when one is configured', async () => {
    expect(await rejectionType(verifySigV4(await signed({ region: 'eu-west-1' }), { ...OPTIONS, region: 'us-east-1' }))).toBe('InvalidSignatureException');
  });
});
