/**
 * Version strings as credstash stores them (docs/format.md §1.3): left-padded with '0' to
 * PAD_LEN characters, never truncated, padding applied to any string.
 */
import { UsageError, VersionConflictError } from '../../errors.js';
import type { SecretRow, SecretStore } from '../../secretstore/types.js';
import { byCodeUnit } from '../../order.js';

/** 19 digits = len(str(sys.maxint)) in credstash. */
const PAD_LEN = 19;

/** Longest version accepted for writing: DynamoDB's 1024-byte limit on a range key (ASCII). */
const MAX_VERSION_LENGTH = 1024;

/** credstash's paddedInt: left-pad to 19 characters with '0'; longer strings unchanged. */
export function padVersion(version: string | number): string {
  const text = String(version);
  return text.length < PAD_LEN ? text.padStart(PAD_LEN, '0') : text;
}

/**
 * A version given by a reader (`get -v 5`, `-v 0000000000000000005`): shorter than 19 characters
 * must be a non-negative integer and is padded; 19 or more is used verbatim.
 */
export function parseReadVersion(version: string): string {
  if (version.length >= PAD_LEN) return version;
  if (!/^\d+$/.test(version)) throw new UsageError(`invalid version ${VERSION_HINT}`);
  return padVersion(BigInt(version).toString());
}

/** The rule a version given for reading must meet; the version itself is not quoted back. */
const VERSION_HINT = '(use a number such as 3, or the 19-digit stored form)';

/**
 * What is wrong with a version given for reading (`get/getall/delete -v`, `put --expect-version`),
 * or undefined: a non-negative integer, or a 19+ character stored form without whitespace (credstash
 * rows may have non-integer versions), at most {@link MAX_VERSION_LENGTH} characters. The text is
 * not quoted: typed in the wrong place it may be the secret.
 */
export function readVersionProblem(version: string): string | undefined {
  // No stored version can be longer (DynamoDB range-key limit; keystash never writes one).
  if (version.length > MAX_VERSION_LENGTH) return `version is longer than ${MAX_VERSION_LENGTH} characters`;
  if (/^\d+$/.test(version) || (version.length >= PAD_LEN && /^[\x21-\x7e]+$/.test(version))) return undefined;
  return `invalid version ${VERSION_HINT}`;
}

/**
 * What is wrong with a version given for writing (`put -v`), or undefined: digits only. A 19+
 * character non-integer (which reading accepts) is refused: `put NAME - -v PASSWORD` stored the
 * password as the version, in plaintext. Not quoted either.
 */
export function writeVersionProblem(version: string): string | undefined {
  if (version.length > MAX_VERSION_LENGTH) return `version is longer than ${MAX_VERSION_LENGTH} characters`;
  return /^\d+$/.test(version) ? undefined : `invalid version ${WRITE_VERSION_HINT}`;
}

/** The rule a version given for writing must meet. */
const WRITE_VERSION_HINT = '(use a number such as 3: a version written is digits only)';

/**
 * A version given by a writer (`put -v X`): credstash pads any string; keystash accepts only
 * non-negative integers, padded to the stored form.
 */
export function parseWriteVersion(version: string): string {
  const problem = writeVersionProblem(version);
  if (problem !== undefined) throw new UsageError(problem);
  return padVersion(BigInt(version).toString());
}

/** The numeric value of a stored version, or undefined when it is not an integer. */
function versionNumber(version: string): bigint | undefined {
  return /^\d+$/.test(version) ? BigInt(version) : undefined;
}

/** True when `version` is the canonical 19-digit padded form keystash and credstash ≥ 1.13 write. */
export function isCanonicalVersion(version: string): boolean {
  return version.length === PAD_LEN && /^\d+$/.test(version);
}

/**
 * Order versions as people mean them: integers by value (so legacy unpadded "10" > "9" and
 * > "0000000000000000002"), then non-integers after integers, by code units. Ties between
 * "1" and "0000000000000000001" break by byte order.
 */
export function compareVersions(a: string, b: string): number {
  const na = versionNumber(a);
  const nb = versionNumber(b);
  if (na !== undefined && nb !== undefined) {
    if (na !== nb) return na < nb ? -1 : 1;
  } else if (na !== undefined) {
    return -1;
  } else if (nb !== undefined) {
    return 1;
  }
  return byCodeUnit(a, b);
}

/** The version after `highest` (undefined = no versions yet → 1), padded. */
export function nextVersion(highest: string | undefined): string {
  if (highest === undefined) return padVersion(1);
  const n = versionNumber(highest);
  if (n === undefined) {
    // credstash's words, without the version: a non-numeric version was typed by someone
    // (`credstash put -v …`), and what was typed there may have been meant as the value.
    throw new UsageError('Can not autoincrement version. The current version is not an int (not shown, in case it is a secret); give the next version with -v');
  }
  const next = padVersion((n + 1n).toString());
  // Past 19 digits the next version would sort (byte order, as DynamoDB and credstash read
  // "latest") before the current one: the write would be lost to every reader.
  if (next.length > PAD_LEN) {
    throw new VersionConflictError(
      `Can not autoincrement version: the current version ${highest} has no 19-digit successor (${next} would not sort as the latest); nothing was written`,
    );
  }
  return next;
}

/**
 * The latest row of `name`, correct also in tables holding legacy unpadded versions
 * (docs/format.md §1.3, §7): the store's byte-order latest is trusted only when it is a
 * canonical 19-digit version; otherwise every version is compared numerically.
 */
export async function latestRecord(store: SecretStore, name: string): Promise<SecretRow | undefined> {
  const top = await store.getLatest(name);
  if (!top || isCanonicalVersion(top.version)) return top;
  let best: string | undefined;
  for await (const meta of store.listVersions(name)) {
    if (best === undefined || compareVersions(meta.version, best) > 0) best = meta.version;
  }
  return best === top.version || best === undefined ? top : store.getVersion(name, best);
}

/**
 * The latest row of every name among `records` (one pass, any order), chosen exactly as
 * {@link latestRecord} chooses: the byte-order greatest version when it is canonical, else the
 * numerically greatest.
 */
export async function latestOfEach(records: AsyncIterable<SecretRow>): Promise<Map<string, SecretRow>> {
  const top = new Map<string, SecretRow>();
  const best = new Map<string, SecretRow>();
  for await (const record of records) {
    const t = top.get(record.name);
    if (!t || byteOrder(record.version, t.version) > 0) top.set(record.name, record);
    const b = best.get(record.name);
    if (!b || compareVersions(record.version, b.version) > 0) best.set(record.name, record);
  }
  return new Map([...top].map(([name, t]) => [name, isCanonicalVersion(t.version) ? t : best.get(name)!]));
}

/** UTF-8 byte order of two strings (SQLite BINARY and DynamoDB sort keys compare this way). */
export function byteOrder(a: string, b: string): number {
  if (/^[\x00-\x7f]*$/.test(a) && /^[\x00-\x7f]*$/.test(b)) return byCodeUnit(a, b); // ASCII: the same order
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
