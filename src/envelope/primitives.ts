/**
 * The symmetric primitives keystash runs: AES-256-CTR, HMAC, AES-256-GCM, constant-time
 * comparison, random bytes, SHA-256 and scrypt, all from OpenSSL through node:crypto (AES-NI,
 * constant time).
 *
 * Why not @noble/ciphers at run time (start-up and throughput: "use the fastest path"): a cold
 * `get` spent ~7 ms of its ~50 ms above `node -e 0` building noble's AES T-tables at module
 * load, and a 400 KB seal took ~27 ms cold in noble's pure-JS AES against ~1.5 ms here. The
 * fastest path noble itself offers (`@noble/ciphers/webcrypto`) is OpenSSL too, reached through
 * WebCrypto: asynchronous, ~3–5 ms to load, ~2.6 ms for a 20-byte value. The bytes are the same
 * (NIST SP 800-38A/D, RFC 2104): the unit tests check these functions against the published
 * vectors and against @noble/ciphers and @noble/hashes on random inputs.
 *
 * Every function copies nothing it does not wipe: intermediate OpenSSL output buffers that held
 * plaintext are zeroed; callers own (and wipe) their inputs and the returned bytes.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomFillSync, scryptSync, timingSafeEqual } from 'node:crypto';

/** AES-CTR counter-block length, and the GCM tag length keystash uses (the full 128 bits). */
const BLOCK_BYTES = 16;
const TAG_BYTES = 16;

/**
 * AES-256-CTR of `data` under `key`, the whole 16-byte `counter` block counting up big-endian
 * (OpenSSL's `aes-256-ctr`, as PyCrypto's `Counter.new(128)`). Encryption and decryption are
 * the same operation. Does not modify its inputs.
 */
export function aes256Ctr(key: Uint8Array, counter: Uint8Array, data: Uint8Array): Uint8Array {
  if (counter.length !== BLOCK_BYTES) throw new RangeError(`counter block must be ${BLOCK_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-ctr', key, counter);
  return joinAndWipe(cipher.update(data), cipher.final());
}

/** HMAC of `data` under `key` with the OpenSSL digest `algorithm` ('sha256', 'sha1', 'md5', …). */
export function hmacOf(algorithm: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac(algorithm, key).update(data).digest());
}

/** Constant-time equality of two byte strings; false (without comparing) when lengths differ. */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `length` bytes from the operating system's CSPRNG. */
export function randomBytes(length: number): Uint8Array {
  return randomFillSync(new Uint8Array(length));
}

/** AES-256-GCM (SP 800-38D): ciphertext followed by the 16-byte tag. */
export function gcmEncrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const body = cipher.update(plaintext);
  const last = cipher.final();
  const out = new Uint8Array(body.length + last.length + TAG_BYTES);
  out.set(body, 0);
  out.set(last, body.length);
  out.set(cipher.getAuthTag(), body.length + last.length);
  return out;
}

/**
 * AES-256-GCM decryption of ciphertext‖tag; throws (OpenSSL's error) unless the tag verifies, in
 * which case nothing is returned. OpenSSL's intermediate output buffers are zeroed: they held
 * the plaintext.
 */
export function gcmDecrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new RangeError('ciphertext shorter than its tag');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  const body = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
  let last: Uint8Array;
  try {
    last = decipher.final();
  } catch (error) {
    body.fill(0);
    throw error;
  }
  return joinAndWipe(body, last);
}

/** SHA-256 of the UTF-8 bytes of `text`, as lowercase hex (checksums of files, not secrets). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * scrypt (RFC 7914) of `password` and `salt`: `dkLen` bytes, which the caller wipes. Memory is
 * allowed up to what the parameters need (128·r·(N + p + 2) bytes; OpenSSL refuses anything
 * above its 32 MiB default otherwise); callers bound N, r and p.
 */
export function scryptKey(password: Uint8Array, salt: Uint8Array, { N, r, p, dkLen }: { N: number; r: number; p: number; dkLen: number }): Uint8Array {
  const key = scryptSync(password, salt, dkLen, { N, r, p, maxmem: 128 * r * (N + p + 2) + 1024 * 1024 });
  return new Uint8Array(key.buffer, key.byteOffset, key.byteLength);
}

/** `head‖tail` in a fresh array; both parts are zeroed. */
function joinAndWipe(head: Uint8Array, tail: Uint8Array): Uint8Array {
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  head.fill(0);
  tail.fill(0);
  return out;
}
