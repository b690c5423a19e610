/**
 * Rotation: re-wrap data keys under a new master key, or re-seal values under fresh
 * data keys. Safe to interrupt and re-run: re-wrap skips rows already wrapped by the destination
 * key and replaces a row's key only if it is still the one read (SecretStore.replaceKey).
 */
import { DecryptError, hasErrorCode, IntegrityError, KeystashError, KmsError, PartialFailureError, SecretNotFoundError, UsageError, VersionConflictError, VersionExistsError } from '../../errors.js';
import type { ErrorCode } from '../../errors.js';
import { base64ToBytes, bytesToBase64 } from '../../envelope/codec.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { mapSettled } from './concurrency.js';
import { describeFailures, selectNames, selectRows, type BulkProgress, type Selection } from './bulk.js';
import type { KeystashParts, KeystashWriter } from './parts.js';
import { asKeystashError, openRecord, proveKeyUsable, readRow, wrappingKeyArn, type RowFailure, type RowRef } from './rows.js';
import { nextVersion } from './versions.js';

export interface RotateOptions extends Selection {
  /** 'rewrap': re-encrypt wrapped data keys under `keyId`; 'reseal': new version, fresh data key. */
  mode: 'rewrap' | 'reseal';
  /** Destination master key (required for rewrap; reseal without it keeps each secret's current key). */
  keyId?: string | undefined;
  /** Every version instead of each latest (rewrap only). */
  allVersions?: boolean | undefined;
  /** Count what would change without writing. */
  dryRun?: boolean | undefined;
  concurrency?: number | undefined;
  /** Encryption context of the rows (the same for every row). */
  context?: EncryptionContext | undefined;
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

export interface RotateSummary {
  mode: 'rewrap' | 'reseal';
  dryRun: boolean;
  /** ARN of the destination key (rewrap). */
  keyArn?: string | undefined;
  selected: number;
  /** Rows changed (or, with dryRun, that would change). */
  rotated: number;
  /** Rows already wrapped by the destination key, or superseded by a concurrent writer. */
  skipped: number;
  /** Rows checked by the verify pass. */
  verified: number;
  /** Re-seal: the master keys the new versions are wrapped under (sorted, distinct). */
  keys?: string[] | undefined;
  failed: RowFailure[];
}

/** Rotation finished with failed rows; `summary` says what did succeed. */
export class RotateFailedError extends PartialFailureError {
  readonly summary: RotateSummary;
  constructor(summary: RotateSummary) {
    super(`${summary.failed.length} of ${summary.selected} rows failed to rotate (${describeFailures(summary.failed)}); ${retryHint(summary.failed)}`, summary.failed);
    this.summary = summary;
  }
}

/** KmsError codes about the key or the request, which a rerun does not change. */
const LASTING_KMS_CODES: readonly ErrorCode[] = ['kms.accessDenied', 'kms.decrypt', 'kms.disabled', 'kms.keyNotAllowed', 'kms.notFound', 'kms.validation'];

/**
 * Whether running rotate again may get past `error`: not for a wrong context or a damaged row
 * (DecryptError, IntegrityError), a name or version keystash cannot handle (UsageError: a bad
 * name, a version that is not an integer; VersionConflictError: past 19 digits), a row gone, or a
 * refused key. A contended row, a throttled or unreachable service, a store error may pass.
 */
function transient(error: KeystashError): boolean {
  if (error instanceof DecryptError || error instanceof IntegrityError || error instanceof UsageError) return false;
  if (error instanceof VersionConflictError || error instanceof SecretNotFoundError) return false;
  if (error instanceof KmsError) return !hasErrorCode(error, LASTING_KMS_CODES);
  return true;
}

/** "run rotate again" only for the failures a rerun can help (transient). */
function retryHint(failed: readonly RowFailure[]): string {
  const passing = failed.filter((f) => transient(f.error)).length;
  const lasting = 'running rotate again will not help: pass the encryption context the rows were stored with (key=value), or check the rows with verify';
  if (passing === failed.length) return 'run rotate again to retry them';
  if (passing === 0) return lasting;
  return `run rotate again to retry the ${passing} that may pass next time; for the other ${failed.length - passing} ${lasting}`;
}

type Outcome = { kind: 'rotated'; version: string; keyId?: string } | { kind: 'skipped' };

/** A row whose key keeps changing under us is reported, not retried forever. */
const MAX_ATTEMPTS = 5;

/**
 * Rotate the selected rows, then verify (decrypt + MAC-check) every row changed. Returns the
 * summary; throws RotateFailedError (a PartialFailureError) when any row failed either pass.
 * No plaintext data key outlives the call that fetched it.
 */
export async function rotateSecrets(keystash: KeystashWriter, options: RotateOptions): Promise<RotateSummary> {
  if (options.mode === 'rewrap' && !options.keyId) throw new UsageError('re-wrap needs a destination key (--key)');
  if (options.mode === 'reseal' && options.allVersions) throw new UsageError('--all-versions applies to re-wrap only: re-seal writes one new version per secret');
  const context = options.context ?? {};
  const dryRun = options.dryRun ?? false;
  const names = await selectNames(keystash, options);
  const rows = await selectRows(keystash, names, options.mode === 'rewrap' && (options.allVersions ?? false));
  const keyArn = options.mode === 'rewrap' ? await resolveArn(keystash, options.keyId!) : undefined;
  // A destination key that is missing, disabled or not permitted fails once, before any row (and
  // in a dry run too), instead of once per row.
  if (rows.length > 0 && (keyArn !== undefined || options.keyId !== undefined)) await proveKeyUsable(keystash.keys, keyArn ?? options.keyId!, context);
  let done = 0;
  const settled = await mapSettled(rows, options.concurrency ?? keystash.concurrency, async (row) => {
    try {
      return keyArn !== undefined ? await rewrapRow(keystash, row, keyArn, context, dryRun) : await resealRow(keystash, row, options.keyId, context, dryRun);
    } finally {
      options.onProgress?.({ done: ++done, total: rows.length });
    }
  });
  const failed: RowFailure[] = [];
  const changed: RowRef[] = [];
  const keys = new Set<string>();
  let skipped = 0;
  for (const s of settled) {
    if (!s.ok) failed.push({ ...s.item, error: asKeystashError(s.error) });
    else if (s.value.kind === 'skipped') skipped++;
    else {
      changed.push({ name: s.item.name, version: s.value.version });
      if (s.value.keyId !== undefined) keys.add(s.value.keyId);
    }
  }
  if (!dryRun) failed.push(...(await verifyRows(keystash, changed, context, options.concurrency)));
  const summary: RotateSummary = { mode: options.mode, dryRun, keyArn, selected: rows.length, rotated: changed.length, skipped, verified: dryRun ? 0 : changed.length, failed };
  if (options.mode === 'reseal') summary.keys = [...keys].sort();
  if (failed.length > 0) throw new RotateFailedError(summary);
  return summary;
}

async function resolveArn(keystash: KeystashParts, keyId: string): Promise<string> {
  if (!keystash.keys.describeKeyArn) throw new KeystashError('this key service cannot resolve key ARNs', { code: 'kms.error' });
  return keystash.keys.describeKeyArn(keyId);
}


/** Re-wrap one row; a row whose key changed since it was read is read and judged again. */
async function rewrapRow(keystash: KeystashParts, row: RowRef, keyArn: string, context: EncryptionContext, dryRun: boolean): Promise<Outcome> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const record = await keystash.store.getVersion(row.name, row.version);
    if (!record) return { kind: 'skipped' }; // deleted meanwhile: nothing left to rotate
    if ((await wrappingKeyArn(keystash.keys, record.key, context)) === keyArn) return { kind: 'skipped' };
    if (dryRun) return { kind: 'rotated', version: row.version };
    const wrapped = await keystash.keys.reEncrypt({
      ciphertextBlob: base64ToBytes(record.key, 'key'),
      sourceContext: context,
      destinationKeyId: keyArn,
      destinationContext: context,
    });
    if (await keystash.store.replaceKey(row.name, row.version, record.key, bytesToBase64(wrapped.ciphertextBlob))) {
      return { kind: 'rotated', version: row.version };
    }
  }
  throw new KeystashError(`${row.name} version ${row.version} kept changing during rotation; run rotate again`, { code: 'rotate.contended' });
}

/**
 * Re-seal one secret: its latest value under a fresh data key as the next version, wrapped by
 * `keyId` or, without one, by the master key that wraps it now (never silently the default key).
 */
async function resealRow(keystash: KeystashWriter, row: RowRef, keyId: string | undefined, context: EncryptionContext, dryRun: boolean): Promise<Outcome> {
  const record = await keystash.store.getVersion(row.name, row.version);
  if (!record) return { kind: 'skipped' };
  const version = nextVersion(row.version);
  const target = keyId ?? (await wrappingKeyArn(keystash.keys, record.key, context));
  if (dryRun) return { kind: 'rotated', version, keyId: target };
  const value = await openRecord(keystash.keys, record, context);
  try {
    await keystash.put(row.name, value, { keyId: target, context, comment: record.comment, version });
    return { kind: 'rotated', version, keyId: target };
  } catch (error) {
    // A concurrent writer stored the next version first: that version already has a fresh key.
    if (error instanceof VersionExistsError) return { kind: 'skipped' };
    throw error;
  }
}

/** Decrypt and MAC-check every changed row as it is now stored. */
async function verifyRows(keystash: KeystashParts, rows: readonly RowRef[], context: EncryptionContext, concurrency?: number): Promise<RowFailure[]> {
  const settled = await mapSettled(rows, concurrency ?? keystash.concurrency, async (row) => {
    await openRecord(keystash.keys, await readRow(keystash.store, row), context);
  });
  return settled.flatMap((s) => (s.ok ? [] : [{ ...s.item, error: asKeystashError(s.error) }]));
}
