/**
 * Writing a version: seal the value under a fresh data key, then a conditional put that never
 * overwrites (docs/architecture.md "The flow of one secret"). Without an explicit version the next
 * one is chosen, and a writer that races us makes us choose again, never fail or lose a version.
 */
import { UsageError, VersionConflictError, VersionExistsError, versionShown } from '../../errors.js';
import { bytesToBase64 } from '../../envelope/codec.js';
import { requireDigestName } from '../../envelope/digests.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { DATA_KEY_BYTES, sealToFields, withDataKey } from '../../envelope/seal.js';
import type { SecretRow } from '../../secretstore/types.js';
import { validateSecretName } from './names.js';
import type { KeystashParts } from './parts.js';
import { sameSealed } from './rows.js';
import { latestRecord, nextVersion, parseReadVersion, parseWriteVersion } from './versions.js';

export interface PutOptions {
  keyId?: string;
  context?: EncryptionContext;
  comment?: string;
  digest?: string;
  /** Explicit version (short or padded); without it the next version is chosen. */
  version?: string;
  /** Check-and-set: refuse unless the current latest version is this one. */
  expectVersion?: string;
  /** The local store takes a row larger than any DynamoDB table could hold (`put --allow-large`). */
  allowLarge?: boolean;
}

/** What writing uses of a keystash: its store and key service, the default master key and the clock of `createdAt`. */
export interface SealingParts extends Pick<KeystashParts, 'store' | 'keys'> {
  readonly defaultKeyId: string;
  readonly clock: () => Date;
}

const MAX_AUTOVERSION_ATTEMPTS = 100;

/**
 * Store a new version. Without `version`, the next version after the current latest is used
 * and a concurrent writer of the same name causes a retry, never an error or a lost version.
 */
export async function putSecret(parts: SealingParts, name: string, value: string, options: PutOptions = {}): Promise<{ name: string; version: string }> {
  validateSecretName(name);
  const digest = checkedDigest(options.digest);
  const explicit = options.version === undefined ? undefined : parseWriteVersion(options.version);
  const expected = options.expectVersion === undefined ? undefined : parseReadVersion(options.expectVersion);
  const sealed = await seal(parts, name, value, { ...options, digest });
  checkRowSize(parts, { ...sealed, version: explicit ?? '0'.repeat(19) }, options.allowLarge);
  if (explicit !== undefined) {
    await putRow(parts, { ...sealed, version: explicit });
    return { name, version: explicit };
  }
  for (let attempt = 0; ; attempt++) {
    const latest = (await latestRecord(parts.store, name))?.version;
    if (expected !== undefined && latest !== expected) {
      // A version that is not all digits is not quoted (versionShown): it may be a password given to --expect-version.
      const wanted = versionShown(expected) ? `version ${expected}` : 'version (the one given is not shown, in case it is the secret)';
      const actual = latest === undefined ? 'absent' : versionShown(latest) ? latest : 'a version that is not a number (not shown)';
      throw new VersionConflictError(`${name}: expected latest ${wanted} but it is ${actual}; nothing was written`);
    }
    const version = nextVersion(latest);
    try {
      await putRow(parts, { ...sealed, version });
      return { name, version };
    } catch (error) {
      const retry = error instanceof VersionExistsError && expected === undefined && attempt < MAX_AUTOVERSION_ATTEMPTS;
      if (!retry) {
        if (error instanceof VersionExistsError && expected !== undefined) {
          throw new VersionConflictError(`${name}: another writer stored version ${version} first; nothing was written`, { cause: error });
        }
        throw error;
      }
      await sleep(2 + Math.random() * Math.min(50, 5 * (attempt + 1)));
    }
  }
}

/**
 * Seal `value` as row `name`@`version` without storing it, for writers that store many rows in
 * one transaction (import). The data key is zeroed before this returns.
 */
export async function sealSecret(parts: SealingParts, name: string, value: string, version: string, options: Omit<PutOptions, 'version' | 'expectVersion'> = {}): Promise<SecretRow> {
  validateSecretName(name);
  const digest = checkedDigest(options.digest);
  const record = { ...(await seal(parts, name, value, { ...options, digest })), version: parseWriteVersion(version) };
  checkRowSize(parts, record, options.allowLarge);
  return record;
}

/** The store's item-size limit, before anything is written (UsageError, as DynamoDB's own refusal). */
function checkRowSize({ store }: Pick<SealingParts, 'store'>, record: SecretRow, allowOversize: boolean | undefined): void {
  const problem = store.rowProblem?.(record, { allowOversize });
  if (problem !== undefined) throw new UsageError(`${record.name}: ${problem}; nothing was stored`, { code: 'store.itemTooLarge' });
}

/**
 * Conditional put that tells "someone else holds this version" from "our own write landed but
 * its answer was lost and the SDK's retry then met it" (a dropped connection after PutItem was
 * applied): the wrapped key of every write is unique (fresh data key, random nonce), so a stored
 * row with our key, contents and hmac is ours and the put succeeded.
 */
async function putRow({ store }: Pick<SealingParts, 'store'>, record: SecretRow): Promise<void> {
  try {
    await store.putVersion(record);
  } catch (error) {
    if (!(error instanceof VersionExistsError)) throw error;
    const stored = await store.getVersion(record.name, record.version);
    if (stored && stored.key === record.key && sameSealed(stored, record)) return;
    throw error;
  }
}

/** Generate a data key, seal the value, and build the row (without its version). */
async function seal(parts: SealingParts, name: string, value: string, options: PutOptions & { digest: string }): Promise<SecretRow> {
  const dataKey = await parts.keys.generateDataKey({
    keyId: options.keyId ?? parts.defaultKeyId,
    numberOfBytes: DATA_KEY_BYTES,
    context: options.context ?? {},
  });
  return withDataKey(dataKey.plaintext, (plaintext) => {
    const fields = sealToFields(value, plaintext, options.digest);
    return {
      name,
      version: '',
      key: bytesToBase64(dataKey.ciphertextBlob),
      contents: fields.contents,
      hmac: fields.hmac,
      digest: fields.digest,
      comment: options.comment === undefined || options.comment === '' ? undefined : options.comment,
      createdAt: parts.clock().toISOString(),
    };
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The digest to write (SHA256 by default); UsageError for a name credstash does not know. */
function checkedDigest(digest = 'SHA256'): string {
  return requireDigestName(digest);
}
