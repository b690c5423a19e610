/**
 * Restore of a parsed backup (backup-file.ts) into a store: everything that can be checked is
 * checked before the first write (destination table, conflicting rows, and that the destination
 * key service can unwrap the rows, or re-wrapping through `--rewrap-from`); see restoreBackup.
 */
import { hasErrorCode, KeystashError, KmsError, PartialFailureError, TableMissingError, UsageError } from '../../errors.js';
import { base64ToBytes } from '../../envelope/codec.js';
import type { EncryptionContext, KeyService } from '../../envelope/keyservice.js';
import type { SecretRow } from '../../secretstore/types.js';
import type { BulkProgress } from '../secrets/bulk.js';
import { mapSettled } from '../secrets/concurrency.js';
import type { KeystashParts } from '../secrets/parts.js';
import { asKeystashError, authenticateRecord, describeFirstFailures, rewrapKey, rowLabel, sameSealed } from '../secrets/rows.js';

export interface RestoreOptions {
  /** Re-wrap data keys: decrypt through `from`, encrypt under `keyId` through the destination. */
  rewrap?: { from: KeyService; keyId: string } | undefined;
  context?: EncryptionContext | undefined;
  /** Create the destination table/file first (idempotent), as migrate does. */
  createTable?: boolean | undefined;
  /** The local store takes rows larger than any DynamoDB table could hold (`--allow-large`). */
  allowLarge?: boolean | undefined;
  /** After each row is written (total: the rows not already present). */
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

export interface RestoreSummary {
  total: number;
  written: number;
  /** Rows already present with identical contents and hmac (and, when re-wrapping, a key of their own). */
  skipped: number;
  /** Rows present with identical contents and hmac but the backup's own wrapped key (restored earlier without --rewrap-from); their key was re-wrapped in place. */
  repaired: number;
}

type Present = { row: SecretRow; existing: SecretRow };

/**
 * Write the rows into `dest`'s store. Before any write: one request proves the destination table
 * exists, and a row present there with different contents is a conflict. Without `rewrap`, the
 * destination key service must unwrap (and MAC-check, no value decrypted) at least one row of
 * every wrapping key (rows grouped by the key id their blob names, KeyService.wrappingKeyId;
 * other blobs one by one), else the restore is refused (KmsError naming --rewrap-from) and nothing is written: a
 * backup made with another key service is never stored unreadable. With `rewrap`, every row is
 * re-wrapped and checked through the destination before it is written, and a row present with
 * the backup's own (foreign) wrapped key is repaired in place. Rows bound to an encryption
 * context need it in `context` when re-wrapping (credstash does not record contexts: one restore
 * per context; rows already restored are skipped).
 */
export async function restoreBackup(dest: KeystashParts, rows: readonly SecretRow[], options: RestoreOptions = {}): Promise<RestoreSummary> {
  const context = options.context ?? {};
  const rewrap = options.rewrap;
  if (options.createTable) await dest.store.setup();
  if (rows[0] !== undefined) await probeDestination(dest, rows[0]);
  const { pending, present } = await compareWithDestination(dest, rows);
  checkRowSizes(dest, pending, options.allowLarge);
  // Identical contents but the backup's very wrapped key: written earlier without re-wrapping.
  const repairs = rewrap ? present.filter((p) => p.existing.key === p.row.key) : [];
  if (!rewrap) await proveUnwrappable(dest, pending, context);
  const toPrepare = [...pending, ...repairs.map((p) => p.row)];
  const prepared = rewrap ? await mapSettled(toPrepare, dest.concurrency, (row) => prepareRow(dest, row, context, rewrap, options.allowLarge)) : toPrepare.map((row) => ({ item: row, ok: true as const, value: row }));
  const failures: Array<{ name: string; error: KeystashError }> = [];
  for (const s of prepared) if (!s.ok) failures.push({ name: rowLabel(s.item), error: asKeystashError(s.error) });
  let done = 0;
  const total = toPrepare.length;
  const written = await mapSettled(prepared.keys(), dest.concurrency, async (i) => {
    const s = prepared[i];
    if (!s?.ok) return false;
    try {
      const repair = i >= pending.length ? repairs[i - pending.length] : undefined;
      if (repair === undefined) await dest.store.putVersion(s.value);
      else if (!(await dest.store.replaceKey(s.value.name, s.value.version, repair.existing.key, s.value.key))) {
        throw new KeystashError('the row changed in the destination during the restore; rerun restore', { code: 'restore.changed' });
      }
      return true;
    } finally {
      options.onProgress?.({ done: ++done, total });
    }
  });
  for (const s of written) {
    const row = toPrepare[s.item] as SecretRow;
    if (!s.ok) failures.push({ name: rowLabel(row), error: asKeystashError(s.error) });
  }
  if (failures.length > 0) {
    const others = failures.length === total ? 'none was written' : 'the others were written';
    throw new PartialFailureError(`${failures.length} of ${total} rows failed to restore; ${others} (${listFailures(failures)})`, failures);
  }
  const repaired = repairs.length;
  return { total: rows.length, written: pending.length, skipped: present.length - repaired, repaired };
}

/**
 * Refuse (before any write) unless the destination key service unwraps at least one row of each
 * wrapping key, or (blobs that name their key) holds that key; rows of a proven key
 * that fail alone (another encryption context) are copied as they are, as before.
 */
async function proveUnwrappable(dest: KeystashParts, rows: readonly SecretRow[], context: EncryptionContext): Promise<void> {
  const groups = new Map<string, SecretRow[]>();
  for (const row of rows) {
    const id = await wrappingGroup(dest.keys, row.key);
    groups.set(id, [...(groups.get(id) ?? []), row]);
  }
  const results = await mapSettled(groups.entries(), dest.concurrency, async ([id, group]) => {
    let last: unknown;
    for (const row of group) {
      try {
        await checkReadable(dest, row, context);
        return;
      } catch (error) {
        if (error instanceof KmsError && isTransportFailure(error)) throw error;
        last = error;
      }
    }
    // A blob that names its master key (KeyService.wrappingKeyId): if the destination holds that
    // key, the rows are bound to another encryption context (restored as they are), not from another KMS.
    if (await holdsKey(dest, id)) return;
    throw last;
  });
  const unproven = results.flatMap((s) => (s.ok ? [] : [{ rows: s.item[1], error: asKeystashError(s.error) }]));
  const transport = unproven.find((u) => u.error instanceof KmsError && isTransportFailure(u.error));
  if (transport) throw transport.error;
  if (unproven.length === 0) return;
  const count = unproven.reduce((n, u) => n + u.rows.length, 0);
  const named = unproven.map((u) => ({ name: rowLabel(u.rows[0] as SecretRow), error: u.error }));
  throw new KmsError(
    `the destination key service cannot unwrap the data keys of ${count} of ${rows.length} rows (access denied or the key cannot unwrap this row: another KMS, disabled key, another encryption context); nothing was restored. ` +
      `If the backup was made with another key service, rerun with --rewrap-from local|aws (the backup's key service) and --to-key KEY; if the rows were stored with an encryption context, pass it (${listFailures(named)})`,
    { code: 'restore.cannotUnwrap', cause: unproven[0]?.error },
  );
}

/** True when the destination key service knows the master key a `key:` group names. */
async function holdsKey(dest: KeystashParts, id: string): Promise<boolean> {
  if (!id.startsWith('key:') || !dest.keys.describeKeyArn) return false;
  try {
    await dest.keys.describeKeyArn(id.slice('key:'.length));
    return true;
  } catch (error) {
    if (error instanceof KmsError && isTransportFailure(error)) throw error;
    return false;
  }
}

/**
 * The group of a row's wrapped key: `key:ID` when the destination's key service reads the master
 * key id from the blob, else the blob alone (an opaque or malformed blob fails its own check).
 */
async function wrappingGroup(keys: KeyService, key: string): Promise<string> {
  let blob: Uint8Array;
  try {
    blob = base64ToBytes(key, 'key');
  } catch {
    return `blob:${key}`;
  }
  const id = await keys.wrappingKeyId(blob);
  return id === undefined ? `blob:${key}` : `key:${id}`;
}

/** One read before the file's rows are looked up: a missing table or unreachable store fails here, once. */
async function probeDestination(dest: KeystashParts, row: SecretRow): Promise<void> {
  try {
    await dest.store.getVersion(row.name, row.version);
  } catch (error) {
    if (error instanceof TableMissingError) {
      throw new TableMissingError(`${error.message}, or rerun restore with --create-table; nothing was restored`, { cause: error });
    }
    throw error;
  }
}

/**
 * The destination's item-size limit, for every row to write, before the first write (a row over
 * DynamoDB's 400 KB was written after its neighbours, then failed). Re-wrapped rows are checked
 * again in prepareRow, with their new key.
 */
function checkRowSizes(dest: KeystashParts, rows: readonly SecretRow[], allowOversize: boolean | undefined): void {
  const tooLarge = rows.flatMap((row) => {
    const problem = dest.store.rowProblem?.(row, { allowOversize });
    return problem === undefined ? [] : [{ name: rowLabel(row), error: new UsageError(problem, { code: 'store.itemTooLarge' }) as KeystashError }];
  });
  if (tooLarge.length > 0) throw new PartialFailureError(`${tooLarge.length} of ${rows.length} rows cannot be stored in the destination; nothing was restored (${listFailures(tooLarge)})`, tooLarge);
}

/** Split rows into absent (to write) and identical-present; a present row with other contents is a conflict. */
async function compareWithDestination(dest: KeystashParts, rows: readonly SecretRow[]): Promise<{ pending: SecretRow[]; present: Present[] }> {
  const existing = await mapSettled(rows, dest.concurrency, (row) => dest.store.getVersion(row.name, row.version));
  // A destination that cannot be read (unreachable) is its own error, not a conflict.
  const unreadable = existing.find((s) => !s.ok);
  if (unreadable && !unreadable.ok) throw asKeystashError(unreadable.error);
  const pending: SecretRow[] = [];
  const present: Present[] = [];
  const conflicts: Array<{ name: string; error: KeystashError }> = [];
  for (const s of existing) {
    if (!s.ok) continue;
    if (!s.value) pending.push(s.item);
    else if (sameSealed(s.value, s.item)) present.push({ row: s.item, existing: s.value });
    else conflicts.push({ name: s.item.name, error: new KeystashError(`version ${s.item.version} exists in the destination with different contents`, { code: 'restore.conflict' }) });
  }
  if (conflicts.length > 0) {
    throw new PartialFailureError(`${conflicts.length} rows conflict with the destination; nothing was restored (${listFailures(conflicts)})`, conflicts);
  }
  return { pending, present };
}

/** The row as it will be written (re-wrapped when asked), proven readable through the destination. */
async function prepareRow(dest: KeystashParts, row: SecretRow, context: EncryptionContext, rewrap: RestoreOptions['rewrap'], allowOversize: boolean | undefined): Promise<SecretRow> {
  const record = rewrap ? { ...row, key: await rewrapKey(row.key, rewrap.from, dest.keys, rewrap.keyId, context) } : row;
  const problem = dest.store.rowProblem?.(record, { allowOversize });
  if (problem !== undefined) throw new UsageError(problem, { code: 'store.itemTooLarge' });
  await checkReadable(dest, record, context);
  return record;
}

/** Unwrap through the destination and MAC-check: no value is decrypted. */
function checkReadable(dest: KeystashParts, record: SecretRow, context: EncryptionContext): Promise<void> {
  return authenticateRecord(dest.keys, record, context);
}

/** The key service did not answer (or is not a KMS): no row's fault, so the restore stops at it. */
function isTransportFailure(error: KeystashError): boolean {
  return hasErrorCode(error, ['kms.unreachable', 'kms.timeout', 'kms.notKms']);
}

/** Per-row failures on one line (the CLI prints one error line), the first five in full. */
function listFailures(failures: ReadonlyArray<{ name: string; error: KeystashError }>): string {
  return describeFirstFailures(failures, (f) => f.name);
}
