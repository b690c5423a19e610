/**
 * credstash's envelope cipher (docs/format.md §2.2–§2.4): AES-256-CTR with the fixed
 * counter block 0…01 under data-key bytes 0–31, then HMAC over the ciphertext under bytes 32–63.
 * The primitives are OpenSSL's (primitives.ts; checked against @noble in the unit tests).
 * Pure and synchronous: the caller fetches the data key from the key service, passes it in, and
 * zeroes it afterwards ({@link withDataKey}); these functions wipe only their own copies.
 */
import { IntegrityError, UsageError } from '../errors.js';
import { base64ToBytes, bytesToBase64, bytesToHex, bytesToUtf8, hexToBytes, utf8ToBytes } from './codec.js';
import { DEFAULT_DIGEST, requireDigestName, resolveDigest } from './digests.js';
import type { DigestName } from './digests.js';
import { aes256Ctr, equalConstantTime, hmacOf } from './primitives.js';

/** Bytes of plaintext data key credstash asks KMS for (`NumberOfBytes = 64`, §2.1, §2.2). */
export const DATA_KEY_BYTES = 64;

/** Bytes 0–31 of the data key are the AES-256 key, 32–63 the HMAC key (§2.2). */
export const AES_KEY_BYTES = 32;

/** Bytes of an AES-CTR counter block. */
const COUNTER_BLOCK_BYTES = 16;

/**
 * The fixed initial counter block, 15 zero bytes then 0x01 (credstash `LEGACY_NONCE`, the PyCrypto
 * `Counter.new(128)` default; §2.2). The whole block counts up big-endian, as Node's `aes-256-ctr`.
 * Exported for tests and cross-checks; seal/open use their own fresh copy, so changing this
 * array cannot change what they compute.
 */
export const LEGACY_NONCE: Uint8Array = legacyCounterBlock();

/** What {@link seal} returns: raw ciphertext and raw MAC bytes, plus the digest name used. */
export interface Sealed {
  contents: Uint8Array;
  hmac: Uint8Array;
  digest: DigestName;
}

/** What {@link open} takes: `digest` undefined means SHA256 (a legacy row without it, §1.2). */
interface SealedInput {
  contents: Uint8Array;
  hmac: Uint8Array;
  digest?: string | undefined;
}

/** The stored text form of a sealed value (§1.2): base64 `contents`, lower-case hex `hmac`. */
interface SealedFields {
  contents: string;
  hmac: string;
  digest: DigestName;
}

/** The stored fields {@link openFields} reads; extra record fields are ignored. */
export interface StoredFields {
  contents: string;
  hmac: string;
  digest?: string | undefined;
}

/**
 * Encrypt then MAC (§2.2, §2.3). `digest` must be one of credstash's names (UsageError
 * otherwise); `dataKey` must be {@link DATA_KEY_BYTES} bytes (UsageError). Ciphertext length equals
 * plaintext length. Does not modify `plaintext` or `dataKey`.
 */
export function seal(plaintext: Uint8Array, dataKey: Uint8Array, digest: string = DEFAULT_DIGEST): Sealed {
  assertBytes(plaintext, 'plaintext');
  assertDataKey(dataKey);
  const name = requireDigestName(digest);
  const { hash } = resolveDigest(name);
  const [aesKey, macKey] = splitDataKey(dataKey);
  try {
    const contents = aes256Ctr(aesKey, legacyCounterBlock(), plaintext);
    return { contents, hmac: hmacOf(hash.algorithm, macKey, contents), digest: name };
  } finally {
    aesKey.fill(0);
    macKey.fill(0);
  }
}

/**
 * Authenticate then decrypt (§2.4 steps 2, 5, 6). The HMAC is recomputed and compared in
 * constant time before any decryption; a mismatch (tampered bytes, wrong digest label, MAC of the
 * wrong length) throws IntegrityError with credstash's text and returns no plaintext. An unknown
 * digest name also throws IntegrityError. Does not modify `sealed` or `dataKey`: the caller
 * zeroes the data key, and should zero the returned plaintext once decoded.
 */
export function open(sealed: SealedInput, dataKey: Uint8Array): Uint8Array {
  assertBytes(sealed.contents, 'sealed.contents');
  assertBytes(sealed.hmac, 'sealed.hmac');
  assertDataKey(dataKey);
  const { hash } = resolveDigest(sealed.digest);
  const [aesKey, macKey] = splitDataKey(dataKey);
  try {
    const computed = hmacOf(hash.algorithm, macKey, sealed.contents);
    // HMAC before decrypt; constant-time, and false for different lengths.
    if (!equalConstantTime(computed, sealed.hmac)) throw new IntegrityError();
    return aes256Ctr(aesKey, legacyCounterBlock(), sealed.contents);
  } finally {
    aesKey.fill(0);
    macKey.fill(0);
  }
}

/**
 * Seal a string into the stored text fields (§1.2, §2.2): UTF-8 encode, {@link seal}, then
 * standard base64 `contents` ('' for an empty value) and lower-case hex `hmac`.
 */
export function sealToFields(plaintext: string, dataKey: Uint8Array, digest: string = DEFAULT_DIGEST): SealedFields {
  const bytes = utf8ToBytes(plaintext);
  try {
    const sealed = seal(bytes, dataKey, digest);
    return { contents: bytesToBase64(sealed.contents), hmac: bytesToHex(sealed.hmac), digest: sealed.digest };
  } finally {
    bytes.fill(0);
  }
}

/**
 * Open stored text fields back into the string (§2.4): missing digest = SHA256, hex in either
 * case. Every defect is an IntegrityError: unknown digest, hex of the wrong length for the digest
 * (credstash's text), malformed base64/hex (codec), HMAC mismatch, plaintext that is not UTF-8.
 */
export function openFields(fields: StoredFields, dataKey: Uint8Array): string {
  const digest = resolveDigest(fields.digest);
  if (fields.hmac.length !== digest.hexLength) throw new IntegrityError();
  const contents = base64ToBytes(fields.contents, 'contents');
  const mac = hexToBytes(fields.hmac, 'hmac');
  const plaintext = open({ contents, hmac: mac, digest: digest.name }, dataKey);
  try {
    return bytesToUtf8(plaintext);
  } finally {
    plaintext.fill(0);
  }
}

/**
 * Run `fn` with a plaintext data key and zero the key afterwards, also when `fn` throws. When
 * `fn` returns a promise the key is zeroed once that promise settles.
 */
export function withDataKey<T>(dataKey: Uint8Array, fn: (dataKey: Uint8Array) => T): T {
  let result: T;
  try {
    result = fn(dataKey);
  } catch (error) {
    dataKey.fill(0);
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).finally(() => dataKey.fill(0)) as T;
  }
  dataKey.fill(0);
  return result;
}

/** Copies of the two halves; the caller wipes them. */
function splitDataKey(dataKey: Uint8Array): [aesKey: Uint8Array, macKey: Uint8Array] {
  return [dataKey.slice(0, AES_KEY_BYTES), dataKey.slice(AES_KEY_BYTES, DATA_KEY_BYTES)];
}

function legacyCounterBlock(): Uint8Array {
  const block = new Uint8Array(COUNTER_BLOCK_BYTES);
  block[COUNTER_BLOCK_BYTES - 1] = 1;
  return block;
}

function assertBytes(value: unknown, parameter: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new UsageError(`${parameter} must be a Uint8Array`);
}

function assertDataKey(dataKey: unknown): asserts dataKey is Uint8Array {
  assertBytes(dataKey, 'dataKey');
  if (dataKey.length !== DATA_KEY_BYTES) {
    throw new UsageError(`dataKey must be ${DATA_KEY_BYTES} bytes (AES key + HMAC key), got ${dataKey.length}`);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
