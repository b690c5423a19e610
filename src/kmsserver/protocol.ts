/**
 * AWS JSON 1.1 protocol pieces of the local KMS server: the AWS-shaped error type, the mapping of
 * keystash errors onto KMS exception names, and strict readers for request members.
 * Error bodies follow the awsJson1_1 protocol (`{"__type", "message"}` plus the
 * `x-amzn-ErrorType` header) so the AWS SDK raises its own exception classes.
 */
import { DecryptError, KeyNotInKeyringError, KmsError, kmsExceptionName, UsageError } from '../errors.js';
import type { EncryptionContext } from '../envelope/keyservice.js';

/** A request member bag as parsed from the JSON body. */
export type JsonObject = Record<string, unknown>;

/** An error to be returned to the client as `{"__type": type, "message": message}` with `status`. */
export class AwsError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.type = type;
    this.status = status;
  }
}

/**
 * Map any thrown value to an AwsError: DecryptError (and KeyNotInKeyringError) → InvalidCiphertextException, KmsError by code,
 * UsageError → ValidationException, anything else → KMSInternalException with a generic message
 * (internal messages could carry data that must not leave the process).
 */
export function toAwsError(err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  // A blob naming a key the keyring lacks is what KMS calls an invalid ciphertext, too.
  if (err instanceof DecryptError || err instanceof KeyNotInKeyringError) return new AwsError('InvalidCiphertextException', 'The ciphertext is invalid or the encryption context does not match.');
  if (err instanceof KmsError) {
    const type = kmsExceptionName(err);
    if (type !== undefined) return new AwsError(type, withoutPaths(err.message));
  }
  if (err instanceof UsageError) return new AwsError('ValidationException', withoutPaths(err.message));
  return new AwsError('KMSInternalException', 'The request could not be completed because of an internal error.', 500);
}

/**
 * A message for a (possibly remote) client without the server's file paths: keystash's own
 * messages name the keyring file (`not found in the local keyring (/home/…/keyring.json)`), which
 * tells a client the user name and layout of the server. Absolute paths (a `/` at the start of a
 * word) become `<keyring>`; key ARNs and aliases (`alias/x`, `…:key/…`) are not at a word start.
 */
function withoutPaths(message: string): string {
  return message.replace(/(^|[\s('"=])\/[^\s)'",;]*/g, '$1<keyring>');
}

function validation(member: string, constraint: string): AwsError {
  return new AwsError('ValidationException', `1 validation error detected: Value at '${member}' failed to satisfy constraint: ${constraint}`);
}

/** A required non-empty string member (max 2048 chars), else ValidationException. */
export function requireString(input: JsonObject, member: string): string {
  const value = input[member];
  if (value === undefined || value === null) throw validation(member, 'Member must not be null');
  if (typeof value !== 'string') throw new AwsError('SerializationException', `${member} must be a string`);
  if (value.length < 1 || value.length > 2048) throw validation(member, 'Member must have length between 1 and 2048');
  return value;
}

/** An optional string member. */
export function optionalString(input: JsonObject, member: string): string | undefined {
  return input[member] === undefined || input[member] === null ? undefined : requireString(input, member);
}

/** An optional integer member within [min, max]. */
export function optionalInt(input: JsonObject, member: string, min: number, max: number): number | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new AwsError('SerializationException', `${member} must be an integer`);
  if (value < min || value > max) throw validation(member, `Member must have value between ${min} and ${max}`);
  return value;
}

/** An optional boolean member. */
export function optionalBool(input: JsonObject, member: string): boolean | undefined {
  const value = input[member];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new AwsError('SerializationException', `${member} must be a boolean`);
  return value;
}

/** An encryption-context map member (string → string); absent or null = `{}` (docs/format.md §2.1). */
export function readContext(input: JsonObject, member: string): EncryptionContext {
  const value = input[member];
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new AwsError('SerializationException', `${member} must be a map`);
  const entries = Object.entries(value as JsonObject);
  for (const [, item] of entries) {
    if (typeof item !== 'string') throw new AwsError('SerializationException', `${member} values must be strings`);
  }
  // fromEntries defines own properties, so a '__proto__' key stays an ordinary pair.
  return Object.fromEntries(entries) as Record<string, string>;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A required blob member: strict standard base64 of 1..maxBytes bytes. */
export function requireBlob(input: JsonObject, member: string, maxBytes: number): Uint8Array {
  const value = input[member];
  if (value === undefined || value === null) throw validation(member, 'Member must not be null');
  if (typeof value !== 'string' || !BASE64_RE.test(value)) throw new AwsError('SerializationException', `${member} must be base64-encoded binary data`);
  const bytes = new Uint8Array(Buffer.from(value, 'base64'));
  if (bytes.length < 1 || bytes.length > maxBytes) {
    bytes.fill(0);
    throw validation(member, `Member must have length between 1 and ${maxBytes}`);
  }
  return bytes;
}

/** Base64 of `bytes` for a response blob member. */
export function blobToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * Base64 of a plaintext for a response, then zero the bytes. The returned string cannot be wiped
 * (JavaScript strings are immutable); it lives only until the response is written.
 */
export function plaintextToBase64(bytes: Uint8Array): string {
  try {
    return blobToBase64(bytes);
  } finally {
    bytes.fill(0);
  }
}
