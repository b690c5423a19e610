/**
 * The HMAC hash functions credstash rows name in their `digest` attribute
 * (credstash-format.md §2.3). Names are case-sensitive; SHA-1 and MD5 stay readable because
 * credstash still writes them when asked (`put -d SHA` / `-d MD5`).
 */
import { md5, sha1 } from '@noble/hashes/legacy.js';
import { sha224, sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { IntegrityError } from '../errors.js';

/** The digest names credstash 1.17.1 reads and writes, in its order (§2.3 table). */
export const DIGEST_NAMES = ['SHA', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'MD5'] as const;

/** One of {@link DIGEST_NAMES}. */
export type DigestName = (typeof DIGEST_NAMES)[number];

/** credstash `DEFAULT_DIGEST`; also what a row without a `digest` attribute means (§1.2, §2.4). */
export const DEFAULT_DIGEST: DigestName = 'SHA256';

/**
 * Digest name → noble hash (§2.3): `SHA` is SHA-1, `MD5` is MD5, the others SHA-2. Frozen; look
 * names up with {@link isDigestName} or {@link resolveDigest}, never with `in` (prototype keys).
 */
export const DIGESTS: Readonly<Record<DigestName, CHash>> = Object.freeze({
  SHA: sha1,
  SHA224: sha224,
  SHA256: sha256,
  SHA384: sha384,
  SHA512: sha512,
  MD5: md5,
});

/** A resolved digest: its credstash name, the hash, and the length of its lower-case hex HMAC. */
export interface Digest {
  readonly name: DigestName;
  readonly hash: CHash;
  /** Characters of the hex HMAC text (§2.3 "hex length" column): 2 × output bytes. */
  readonly hexLength: number;
}

/** True when `x` is exactly one of credstash's digest names (case-sensitive, §2.3). */
export function isDigestName(x: unknown): x is DigestName {
  return typeof x === 'string' && Object.hasOwn(DIGESTS, x);
}

/**
 * The digest a stored row names (§2.4 step 2): `undefined` (attribute missing) → SHA256; an
 * exact credstash name → that hash; anything else (`WHIRLPOOL`, `sha256`, `''`, …) →
 * IntegrityError, since such a row cannot be authenticated. The message stays on one line.
 */
export function resolveDigest(name: string | undefined): Digest {
  const resolved = name === undefined ? DEFAULT_DIGEST : name;
  if (!isDigestName(resolved)) {
    throw new IntegrityError(`unknown digest '${printable(resolved)}' (expected one of ${DIGEST_NAMES.join(', ')})`);
  }
  const hash = DIGESTS[resolved];
  return { name: resolved, hash, hexLength: hash.outputLen * 2 };
}

/** A stored digest name made safe for a one-line message: escaped controls, at most 40 chars. */
function printable(name: string): string {
  const escaped = JSON.stringify(name).slice(1, -1);
  return escaped.length > 40 ? `${escaped.slice(0, 40)}…` : escaped;
}
