/**
 * The HMAC hash functions credstash rows name in their `digest` attribute
 * (docs/format.md §2.3). Names are case-sensitive; SHA-1 and MD5 stay readable because
 * credstash still writes them when asked (`put -d SHA` / `-d MD5`).
 */
import { IntegrityError, UsageError } from '../errors.js';

/** The digest names credstash 1.17.1 reads and writes, in its order (§2.3 table). */
export const DIGEST_NAMES = ['SHA', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'MD5'] as const;

/** One of {@link DIGEST_NAMES}. */
export type DigestName = (typeof DIGEST_NAMES)[number];

/** credstash `DEFAULT_DIGEST`; also what a row without a `digest` attribute means (§1.2, §2.4). */
export const DEFAULT_DIGEST: DigestName = 'SHA256';

/** A hash function as OpenSSL names it, and its output length in bytes. */
interface HashFunction {
  /** OpenSSL's name, for node:crypto `createHmac` (primitives.ts `hmacOf`). */
  readonly algorithm: string;
  readonly outputLen: number;
}

/**
 * Digest name → hash function (§2.3): `SHA` is SHA-1, `MD5` is MD5, the others SHA-2. Frozen;
 * look names up with {@link isDigestName} or {@link resolveDigest}, never with `in` (prototype
 * keys).
 */
export const DIGESTS: Readonly<Record<DigestName, HashFunction>> = Object.freeze({
  SHA: { algorithm: 'sha1', outputLen: 20 },
  SHA224: { algorithm: 'sha224', outputLen: 28 },
  SHA256: { algorithm: 'sha256', outputLen: 32 },
  SHA384: { algorithm: 'sha384', outputLen: 48 },
  SHA512: { algorithm: 'sha512', outputLen: 64 },
  MD5: { algorithm: 'md5', outputLen: 16 },
});

/** A resolved digest: its credstash name, the hash, and the length of its lower-case hex HMAC. */
export interface Digest {
  readonly name: DigestName;
  readonly hash: HashFunction;
  /** Characters of the hex HMAC text (§2.3 "hex length" column): 2 × output bytes. */
  readonly hexLength: number;
}

/** True when `x` is exactly one of credstash's digest names (case-sensitive, §2.3). */
export function isDigestName(x: unknown): x is DigestName {
  return typeof x === 'string' && Object.hasOwn(DIGESTS, x);
}

/**
 * What is wrong with a digest name given for writing (`put -d`, a library caller), or undefined.
 * The name is not quoted back: typed in the wrong place it may be the secret.
 */
export function digestNameProblem(x: unknown): string | undefined {
  return isDigestName(x) ? undefined : `invalid choice (choose from ${DIGEST_NAMES.join(', ')})`;
}

/** `x` as a digest name to write with; UsageError (see {@link digestNameProblem}) otherwise. */
export function requireDigestName(x: unknown): DigestName {
  const problem = digestNameProblem(x);
  if (problem !== undefined) throw new UsageError(`unknown digest: ${problem}`);
  return x as DigestName;
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
