/**
 * Encodings at the record boundary. Inside keystash bytes are Uint8Array; conversions to and from
 * base64 / hex / UTF-8 happen only here. Decoders are strict: malformed input throws
 * IntegrityError (a stored row that does not decode is a damaged row).
 */
import { IntegrityError } from '../errors.js';

// Plain character classes plus a length check, not a repeated group such as
// /^(?:[A-Za-z0-9+/]{4})*…$/: V8 overflows its stack matching that against a few MB of text, so a
// secret of ~3.5 MB could be stored but never read back.
const BASE64_CHARS = /^[A-Za-z0-9+/]*$/;
const HEX_CHARS = /^[0-9a-fA-F]*$/;

/** Whole 4-character groups of the standard alphabet, with one or two `=` only at the very end. */
function isStrictBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return BASE64_CHARS.test(text.slice(0, text.length - padding));
}

/** Standard base64 with '=' padding (credstash `key` / `contents`). */
export function bytesToBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Strict standard-base64 decoder; throws IntegrityError naming `field` on malformed text. */
export function base64ToBytes(text: string, field = 'value'): Uint8Array {
  if (!isStrictBase64(text)) throw new IntegrityError(`INTEGRITY ERROR: stored ${field} is not valid base64`);
  return new Uint8Array(Buffer.from(text, 'base64'));
}

/** Lower-case hex (credstash writes the HMAC as lower-case hex text). */
export function bytesToHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Hex in either case → bytes; throws IntegrityError naming `field` on malformed text. */
export function hexToBytes(text: string, field = 'hmac'): Uint8Array {
  if (text.length % 2 !== 0 || !HEX_CHARS.test(text)) throw new IntegrityError(`INTEGRITY ERROR: stored ${field} is not valid hex`);
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
