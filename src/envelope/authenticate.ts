/**
 * Authenticate stored fields without decrypting them (docs/format.md §2.4 step 5 alone):
 * used by bulk operations that must prove a row is readable (rotate/migrate verify passes)
 * without ever producing its plaintext value.
 */
import { IntegrityError, UsageError } from '../errors.js';
import { base64ToBytes, hexToBytes } from './codec.js';
import { resolveDigest } from './digests.js';
import { equalConstantTime, hmacOf } from './primitives.js';
import { AES_KEY_BYTES, DATA_KEY_BYTES, type StoredFields } from './seal.js';

/**
 * Recompute the HMAC of `fields.contents` under bytes 32–63 of `dataKey` and compare it in
 * constant time with `fields.hmac`; IntegrityError on any mismatch or malformed field. Does not
 * modify `dataKey` (the caller zeroes it).
 */
export function authenticateFields(fields: StoredFields, dataKey: Uint8Array): void {
  if (!(dataKey instanceof Uint8Array) || dataKey.length !== DATA_KEY_BYTES) {
    throw new UsageError(`dataKey must be ${DATA_KEY_BYTES} bytes`);
  }
  const digest = resolveDigest(fields.digest);
  if (fields.hmac.length !== digest.hexLength) throw new IntegrityError();
  const contents = base64ToBytes(fields.contents, 'contents');
  const stored = hexToBytes(fields.hmac, 'hmac');
  const macKey = dataKey.slice(AES_KEY_BYTES, DATA_KEY_BYTES);
  try {
    if (!equalConstantTime(hmacOf(digest.hash.algorithm, macKey, contents), stored)) throw new IntegrityError();
  } finally {
    macKey.fill(0);
  }
}
