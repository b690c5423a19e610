/**
 * Verification of AWS Signature Version 4 on incoming KMS requests.
 *
 * The algorithm itself (canonical request, string to sign, HMAC chain) is not re-implemented:
 * the request is rebuilt from exactly the headers the client listed in `SignedHeaders` and signed
 * again with the SDK's own `SignatureV4` (@smithy/signature-v4) at the client's `X-Amz-Date`;
 * the two signatures are compared in constant time. Only the header parsing and the checks
 * around it (access key, scope, clock skew, payload hash) live here.
 * Reference: AWS SigV4 "Create a signed AWS API request"; error names and texts as KMS returns them.
 */
import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsError } from './protocol.js';

/** The bytes of a buffer or a view of one, without a copy. */
const bytesOf = (data: ArrayBuffer | ArrayBufferView): Uint8Array =>
  ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);

/**
 * SHA-256, or HMAC-SHA-256 when given a key, in the shape SignatureV4 asks for (a Checksum
 * constructor): OpenSSL through node:crypto, as the SDK's Node clients sign, rather than a
 * JavaScript SHA-256 (several times slower on every request the server checks).
 */
class NodeSha256 {
  readonly #key: string | Uint8Array | undefined;
  #hash: Hash | Hmac;

  constructor(key?: string | ArrayBuffer | ArrayBufferView) {
    this.#key = key === undefined || typeof key === 'string' ? key : bytesOf(key);
    this.#hash = this.#fresh();
  }

  #fresh(): Hash | Hmac {
    return this.#key === undefined ? createHash('sha256') : createHmac('sha256', this.#key);
  }

  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.#hash.update(typeof data === 'string' ? data : bytesOf(data));
  }

  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.#hash.digest()));
  }

  reset(): void {
    this.#hash = this.#fresh();
  }
}

/** The parts of an incoming HTTP request that the signature covers. */
export interface SignedRequest {
  method: string;
  /** Request target as received: path plus optional `?query`. */
  url: string;
  /** Node's `rawHeaders`: alternating names and values, as received. */
  rawHeaders: readonly string[];
  body: Uint8Array;
}

/** Options of {@link verifySigV4}. */
export interface VerifyOptions {
  /** Secret access key for an access key id, or undefined when the id is unknown. */
  lookupSecret: (accessKeyId: string) => string | undefined;
  /** Expected signing service (credential scope), e.g. 'kms'. */
  service: string;
  /** When set, the credential scope's region must equal it. */
  region?: string;
  /** Current time (tests); default `new Date()`. */
  now?: Date;
  /** Allowed clock difference; AWS allows 15 minutes. */
  maxSkewMs?: number;
}

/** Who signed a verified request. */
interface VerifiedCaller {
  accessKeyId: string;
  region: string;
}

/** Parsed `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. */
interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const DEFAULT_MAX_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

function incomplete(message: string): AwsError {
  return new AwsError('IncompleteSignatureException', message);
}

/** Parse the Authorization header; throws IncompleteSignatureException when malformed. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM) throw incomplete(`Unsupported AWS 'algorithm': '${algorithm.slice(0, 40)}'`);
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.");
  }
  const scope = credential.split('/');
  if (scope.length !== 5 || scope[4] !== 'aws4_request' || scope.some((item) => item === '')) {
    throw incomplete(`Credential must have the form <access key>/<date>/<region>/<service>/aws4_request.`);
  }
  const [accessKeyId, date, region, service] = scope as [string, string, string, string, string];
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** `X-Amz-Date` (ISO 8601 basic, UTC) → Date; throws IncompleteSignatureException when malformed. */
export function parseAmzDate(text: string): Date {
  const m = AMZ_DATE_RE.exec(text);
  if (m === null) throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${text.slice(0, 40)}'.`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (Number.isNaN(date.getTime())) throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${text}'.`);
  return date;
}

function formatAmzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** Header values by lower-case name; repeated headers joined with ',' as SigV4 canonicalises them. */
function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = rawHeaders[i + 1] as string;
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : `${previous},${value}`);
  }
  return headers;
}

function checkClock(amzDate: string, signingDate: Date, now: Date, maxSkewMs: number): void {
  const skew = signingDate.getTime() - now.getTime();
  if (skew < -maxSkewMs) {
    const limit = formatAmzDate(new Date(now.getTime() - maxSkewMs));
    throw new AwsError('InvalidSignatureException', `Signature expired: ${amzDate} is now earlier than ${limit} (${formatAmzDate(now)} - 15 min.)`);
  }
  if (skew > maxSkewMs) {
    const limit = formatAmzDate(new Date(now.getTime() + maxSkewMs));
    throw new AwsError('InvalidSignatureException', `Signature not yet current: ${amzDate} is still later than ${limit} (${formatAmzDate(now)} + 15 min.)`);
  }
}

/**
 * The signer trusts a signed `x-amz-content-sha256` value as the payload hash, so it must be
 * checked against the body actually received.
 */
function checkPayloadHash(headers: Map<string, string>, body: Uint8Array): void {
  const claimed = headers.get('x-amz-content-sha256');
  if (claimed === undefined) return;
  const actual = createHash('sha256').update(body).digest('hex');
  if (claimed.trim().toLowerCase() !== actual) {
    throw new AwsError('InvalidSignatureException', 'The provided x-amz-content-sha256 header does not match the request body.');
  }
}

function queryOf(url: URL): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return query;
}

/** Re-sign the request with the SDK's signer and return the hex signature it produces. */
async function expectedSignature(request: SignedRequest, auth: ParsedAuthorization, secret: string, headers: Map<string, string>, signingDate: Date): Promise<string> {
  const signed: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const value = headers.get(name);
    if (value === undefined) throw new AwsError('InvalidSignatureException', `Signed header '${name.slice(0, 64)}' is missing from the request.`);
    signed[name] = value;
  }
  const url = new URL(request.url, 'http://localhost');
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    applyChecksum: false, // add no header the client did not sign
  });
  const result = await signer.sign(
    { method: request.method, protocol: 'http:', hostname: url.hostname, path: url.pathname, query: queryOf(url), headers: signed, body: request.body },
    { signingDate, signableHeaders: new Set(auth.signedHeaders) },
  );
  const authorization = result.headers['authorization'] ?? '';
  return authorization.slice(authorization.lastIndexOf('Signature=') + 'Signature='.length);
}

function sameSignature(expected: string, given: string): boolean {
  if (!/^[0-9a-f]{64}$/.test(given)) return false;
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(given, 'hex'));
}

function checkScope(auth: ParsedAuthorization, amzDate: string, options: VerifyOptions): void {
  if (auth.service !== options.service) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'.`);
  }
  if (options.region !== undefined && auth.region !== options.region) {
    throw new AwsError('InvalidSignatureException', `Credential should be scoped to a valid region: '${options.region}'.`);
  }
  if (auth.date !== amzDate.slice(0, 8)) {
    throw new AwsError('InvalidSignatureException', 'Credential should be scoped to the date of X-Amz-Date.');
  }
  if (!auth.signedHeaders.includes('host')) throw new AwsError('InvalidSignatureException', "'Host' must be a signed header.");
}

/** Headers that choose what a request does; each must be covered by the signature. */
const MUST_SIGN = ['host', 'x-amz-date', 'x-amz-target', 'content-type'] as const;

/**
 * SigV4 lets a client leave headers out of `SignedHeaders`; the server must not act on one it
 * did not sign, or a captured request could be replayed with another `X-Amz-Target` (a signed
 * DescribeKey resent as DisableKey). Required: host, x-amz-date, x-amz-target, content-type, and
 * every x-amz-* header present.
 */
function checkSignedHeaders(auth: ParsedAuthorization, headers: Map<string, string>): void {
  const signed = new Set(auth.signedHeaders);
  const present = [...headers.keys()].filter((name) => name.startsWith('x-amz-'));
  for (const name of new Set([...MUST_SIGN, ...present])) {
    if (!signed.has(name)) throw new AwsError('InvalidSignatureException', `'${name.slice(0, 64)}' must be a signed header.`);
  }
}

/**
 * Verify the SigV4 signature of a request. Resolves with the caller, or rejects with an AwsError:
 * MissingAuthenticationTokenException (no Authorization), IncompleteSignatureException (malformed),
 * UnrecognizedClientException (unknown access key), InvalidSignatureException (wrong signature,
 * wrong scope, body hash mismatch, X-Amz-Date more than 15 minutes off).
 */
export async function verifySigV4(request: SignedRequest, options: VerifyOptions): Promise<VerifiedCaller> {
  const headers = headerMap(request.rawHeaders);
  const header = headers.get('authorization');
  if (header === undefined) throw new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const auth = parseAuthorization(header);
  const amzDate = headers.get('x-amz-date');
  if (amzDate === undefined) throw incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  const signingDate = parseAmzDate(amzDate);
  const secret = options.lookupSecret(auth.accessKeyId);
  if (secret === undefined) throw new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.');
  checkScope(auth, amzDate, options);
  checkSignedHeaders(auth, headers);
  checkClock(amzDate, signingDate, options.now ?? new Date(), options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);
  checkPayloadHash(headers, request.body);
  const expected = await expectedSignature(request, auth, secret, headers, signingDate);
  if (!sameSignature(expected, auth.signature)) {
    throw new AwsError(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId: auth.accessKeyId, region: auth.region };
}
