/**
 * The local KMS's wrapped-key blob (its CiphertextBlob): a self-describing binary that names the
 * master key and backing key that wrapped it and binds the encryption context as AES-256-GCM
 * additional authenticated data (docs/architecture.md "Local KMS").
 *
 * Layout (all offsets in bytes):
 *
 * ```
 *  0      format            0x01 (key id is a UUID) or 0x02 (a multi-region key, id `mrk-` + 32 hex)
 *  1..16  master key id     the 16 bytes of the key's UUID (RFC 9562 §4, network order), or of
 *                           the 32 hex digits of an `mrk-` id
 * 17..20  backing key id    uint32 big-endian
 * 21..32  nonce             12 random bytes (NIST SP 800-38D §8.2.2)
 * 33..    ciphertext + tag  AES-256-GCM, 16-byte tag last
 * ```
 *
 * AAD = header bytes 0..20 followed by the canonical encryption context (see `canonicalContext`).
 * Pure functions, no I/O; every failure to unwrap is a DecryptError (KMS's
 * InvalidCiphertextException), whatever the cause.
 *
 * AES-256-GCM here is OpenSSL's (primitives.ts): `getall` unwraps one data key per secret, and
 * noble's GCM (a fresh GHASH table and key schedule per call, ~55 µs) was the largest item in
 * its profile; OpenSSL takes ~7 µs, in constant time (AES-NI). The output is the same bytes
 * (SP 800-38D), cross-checked against noble's GCM in wrapped-key.test.ts.
 */
import { gcmDecrypt, gcmEncrypt, randomBytes } from '../envelope/primitives.js';
import { DecryptError } from '../errors.js';
import { utf8ToBytes } from '../envelope/codec.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { byCodeUnit } from '../order.js';

/** Format byte of a blob wrapped by a single-region key (its id is a UUID). */
export const WRAPPED_KEY_FORMAT = 0x01;
/**
 * Format byte of a blob wrapped by a multi-region key (id `mrk-` + 32 hex digits, as AWS KMS
 * names them): same layout, so a replica in another keyring, holding the same id and backing
 * keys, unwraps it.
 */
const WRAPPED_MRK_FORMAT = 0x02;
/** A UUID is 128 bits (RFC 9562). */
export const KEY_ID_BYTES = 16;
/** Backing-key id: uint32 big-endian. */
const BACKING_ID_BYTES = 4;
/** 96-bit GCM nonce, the length SP 800-38D recommends. */
export const NONCE_BYTES = 12;
/** GCM tag length (the full 128 bits). */
export const TAG_BYTES = 16;
/** AES-256 key length of a backing key. */
export const BACKING_KEY_BYTES = 32;
/** format + key id + backing id: the part of the blob that is also AAD. */
export const HEADER_BYTES = 1 + KEY_ID_BYTES + BACKING_ID_BYTES;
/** Shortest well-formed blob: header, nonce and tag around an empty ciphertext. */
export const MIN_WRAPPED_BYTES = HEADER_BYTES + NONCE_BYTES + TAG_BYTES;

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MRK_RE = /^mrk-[0-9a-f]{32}$/i;

/** What a blob's header says about who wrapped it. */
interface WrappedKeyHeader {
  /** Lower-case UUID of the master key, or its `mrk-…` id for a multi-region key. */
  keyId: string;
  /** Id of the master key's backing key that wrapped the plaintext. */
  backingKeyId: number;
}

/** Inputs of `wrapKey`. */
interface WrapKeyInput extends WrappedKeyHeader {
  /** 32-byte AES-256 backing key material. */
  material: Uint8Array;
  /** The bytes to wrap (a data key, or Encrypt's plaintext). */
  plaintext: Uint8Array;
  context: EncryptionContext;
  /** 12-byte nonce; random when omitted. Only tests pass one. */
  nonce?: Uint8Array;
}

/** True for a textual UUID (any version, either case). */
function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

/** True for a multi-region key id: `mrk-` and 32 hex digits (either case). */
function isMrkId(text: string): boolean {
  return MRK_RE.test(text);
}

/** A key id of the local KMS: a UUID or an `mrk-` id. */
export function isKeyId(text: string): boolean {
  return isUuid(text) || isMrkId(text);
}

/** Textual UUID → its 16 bytes; throws RangeError for anything else. */
export function uuidToBytes(uuid: string): Uint8Array {
  if (!isUuid(uuid)) throw new RangeError('keyId must be a UUID');
  const hex = uuid.replaceAll('-', '');
  const out = new Uint8Array(KEY_ID_BYTES);
  for (let i = 0; i < KEY_ID_BYTES; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** 16 bytes → 32 lower-case hex digits. */
export function bytesToHex16(bytes: Uint8Array): string {
  if (bytes.length !== KEY_ID_BYTES) throw new RangeError(`key id must be ${KEY_ID_BYTES} bytes`);
  let hex = '';
  for (const b of bytes) hex += HEX_BYTE[b];
  return hex;
}

/** 16 bytes → lower-case textual UUID (8-4-4-4-12). */
export function bytesToUuid(bytes: Uint8Array): string {
  if (bytes.length !== KEY_ID_BYTES) throw new RangeError(`key id must be ${KEY_ID_BYTES} bytes`);
  let hex = '';
  for (const b of bytes) hex += HEX_BYTE[b];
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The canonical form of an encryption context: UTF-8 of the JSON array of `[key, value]` pairs
 * sorted by key (UTF-16 code-unit order), e.g. `[["a","1"],["b","2"]]`; `{}` is `[]`. Two
 * contexts with the same pairs in any order give the same bytes, as KMS requires.
 */
export function canonicalContext(context: EncryptionContext): Uint8Array {
  const pairs = Object.entries(context).sort(([a], [b]) => byCodeUnit(a, b));
  return utf8ToBytes(JSON.stringify(pairs));
}

function encodeHeader(header: WrappedKeyHeader): Uint8Array {
  const { backingKeyId } = header;
  if (!Number.isInteger(backingKeyId) || backingKeyId < 0 || backingKeyId > 0xffff_ffff) {
    throw new RangeError('backingKeyId must be a uint32');
  }
  const out = new Uint8Array(HEADER_BYTES);
  const mrk = isMrkId(header.keyId);
  out[0] = mrk ? WRAPPED_MRK_FORMAT : WRAPPED_KEY_FORMAT;
  out.set(mrk ? uuidToBytes(mrkToUuidText(header.keyId)) : uuidToBytes(header.keyId), 1);
  new DataView(out.buffer).setUint32(1 + KEY_ID_BYTES, backingKeyId, false);
  return out;
}

/** `mrk-<32 hex>` → the same 32 hex digits in UUID layout (only to reuse the byte conversion). */
function mrkToUuidText(id: string): string {
  const hex = id.slice(4);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function additionalData(header: Uint8Array, context: EncryptionContext): Uint8Array {
  const ctx = canonicalContext(context);
  const aad = new Uint8Array(header.length + ctx.length);
  aad.set(header, 0);
  aad.set(ctx, header.length);
  return aad;
}

/**
 * Read the header of a wrapped-key blob without decrypting it. Throws DecryptError for a blob
 * that is too short or has an unknown format byte (KMS: InvalidCiphertextException).
 */
export function parseWrappedKeyHeader(blob: Uint8Array): WrappedKeyHeader {
  if (blob.length < MIN_WRAPPED_BYTES || (blob[0] !== WRAPPED_KEY_FORMAT && blob[0] !== WRAPPED_MRK_FORMAT)) throw new DecryptError();
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const uuid = bytesToUuid(blob.subarray(1, 1 + KEY_ID_BYTES));
  return {
    keyId: blob[0] === WRAPPED_MRK_FORMAT ? `mrk-${uuid.replaceAll('-', '')}` : uuid,
    backingKeyId: view.getUint32(1 + KEY_ID_BYTES, false),
  };
}

/** The master key id a blob's header names, or undefined for a blob that is not a local-KMS one. */
export function wrappedKeyId(blob: Uint8Array): string | undefined {
  try {
    return parseWrappedKeyHeader(blob).keyId;
  } catch {
    return undefined;
  }
}

/**
 * Wrap `plaintext` under a backing key: returns header | nonce | AES-256-GCM(ciphertext | tag)
 * with AAD = header | canonical context. The input plaintext is not modified or retained.
 */
export function wrapKey(input: WrapKeyInput): Uint8Array {
  if (input.material.length !== BACKING_KEY_BYTES) throw new RangeError(`material must be ${BACKING_KEY_BYTES} bytes`);
  const nonce = input.nonce ?? randomBytes(NONCE_BYTES);
  if (nonce.length !== NONCE_BYTES) throw new RangeError(`nonce must be ${NONCE_BYTES} bytes`);
  const header = encodeHeader(input);
  const sealed = gcmEncrypt(input.material, nonce, additionalData(header, input.context), input.plaintext);
  const blob = new Uint8Array(HEADER_BYTES + NONCE_BYTES + sealed.length);
  blob.set(header, 0);
  blob.set(nonce, HEADER_BYTES);
  blob.set(sealed, HEADER_BYTES + NONCE_BYTES);
  return blob;
}

/**
 * Unwrap a blob with the backing key its header names (the caller looked it up). Any failure —
 * malformed blob, wrong key, wrong or missing context, a changed byte — is a DecryptError; no
 * plaintext is released unless the GCM tag verifies.
 */
export function unwrapKey(blob: Uint8Array, material: Uint8Array, context: EncryptionContext): Uint8Array {
  parseWrappedKeyHeader(blob);
  if (material.length !== BACKING_KEY_BYTES) throw new RangeError(`material must be ${BACKING_KEY_BYTES} bytes`);
  const header = blob.subarray(0, HEADER_BYTES);
  const nonce = blob.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
  try {
    return gcmDecrypt(material, nonce, additionalData(header, context), blob.subarray(HEADER_BYTES + NONCE_BYTES));
  } catch (cause) {
    throw new DecryptError(undefined, { cause });
  }
}
