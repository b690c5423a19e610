/**
 * Encodings at the record boundary. Inside keystash bytes are Uint8Array; conversions to and from
 * base64 / hex / UTF-8 happen only here. Decoders are strict: malformed input throws
 * IntegrityError (a stored row that does not decode is a damaged row).
 */
import { IntegrityError } from '../errors.js';

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_RE = /^(?:[0-9a-fA-F]{2})*$/;

/** Standard base64 with '=' padding (credstash `key` / `contents`). */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict standard-base64 decoder; throws IntegrityError naming `field` on malformed text. */
export function base64ToBytes(text: string, field = 'value'): Uint8Array {
  if (!BASE64_RE.test(text)) throw new IntegrityError(`INTEGRITY ERROR: stored ${field} is not valid base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Lower-case hex (credstash writes the HMAC as lower-case hex text). */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex in either case → bytes; throws IntegrityError naming `field` on malformed text. */
export function hexToBytes(text: string, field = 'hmac'): Uint8Array {
  if (!HEX_RE.test(text)) throw new IntegrityError(`INTEGRITY ERROR: stored ${field} is not valid hex`);
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** UTF-8 encode. */
export function utf8ToBytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 decode; throws IntegrityError for bytes that are not UTF-8 (credstash §2.3). */
export function bytesToUtf8(bytes: Uint8Array): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch (cause) {
    throw new IntegrityError('INTEGRITY ERROR: decrypted value is not valid UTF-8', { cause });
  }
}

/** ASCII bytes of a string (DynamoDB B attribute holding hex text). */
export function asciiToBytes(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'latin1'));
}

/** Bytes → latin1/ASCII text (the hex text inside a DynamoDB B attribute). */
export function bytesToAscii(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
