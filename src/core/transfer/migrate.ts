/**
 * Migration between stores and/or key services: every version of every secret is
 * copied with its stored fields unchanged; only the wrapped data key is re-wrapped for the
 * destination key service (decrypt at the source, encrypt at the destination). No secret value
 * is ever decrypted. Idempotent: rows already present with identical contents+hmac are skipped.
 */
import { KeystashError, PartialFailureError, StoreError, TableMissingError, UsageError, VersionExistsError } from '../../errors.js';
import type { SecretRow } from '../../secretstore/types.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { mapSettled } from '../secrets/concurrency.js';
import { describeFailures, type BulkProgress } from '../secrets/bulk.js';
import type { KeystashParts } from '../secrets/parts.js';
import { asKeystashError, authenticateRecord, byNameThenVersion, readRow, rewrapKey, sameSealed, type RowFailure, type RowRef } from '../secrets/rows.js';

export interface MigrateOptions {
  /** Master key of the destination that wraps the copied data keys (default: dest's default). */
  destKeyId?: string | undefined;
  /** Encryption context of the rows (default empty; one context for every row). */
  context?: EncryptionContext | undefined;
  /** Count what would be copied without writing. */
  dryRun?: boolean | undefined;
  /** Create the destination table/file first (idempotent). */
  setup?: boolean | undefined;
  concurrency?: number | undefined;
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

export interface MigrateSummary {
  dryRun: boolean;
  /** Rows found in the source. */
  total: number;
  /** Rows written (or, with dryRun, that would be). */
  copied: number;
  /** Rows already present in the destination with identical contents and hmac. */
  skipped: number;
  /** Rows present in the destination with different contents (left untouched). */
  conflicts: RowRef[];
  verified: number;
  failed: RowFailure[];
}

/** Migration finished with conflicts or failed rows; `summary` says what did succeed. */
export class MigrateFailedError extends PartialFailureError {
  readonly summary: MigrateSummary;
  constructor(summary: MigrateSummary, note?: string) {
    const conflicts = summary.conflicts.map((c) => ({ ...c, error: new KeystashError(`${c.name} version ${c.version} exists in the destination with different contents`, { code: 'migrate.conflict' }) }));
    const all = [...conflicts, ...summary.failed];
    super(`${all.length} of ${summary.total} rows ${note === undefined ? 'were not migrated' : `cannot be migrated, ${note}`} (${describeFailures(all)})`, all);
    this.summary = summary;
  }
}

type Outcome = 'copied' | 'skipped' | 'conflict';

/** A migration's destination: its parts and the master key that wraps copies by default. */
export interface MigrateDestination extends KeystashParts {
  readonly defaultKeyId: string;
}

/**
 * Copy every version from `source` to `dest`, then verify each copied row through `dest`
 * (unwrap its data key and MAC-check the contents). Throws MigrateFailedError when a row failed
 * or conflicted; otherwise returns the summary.
 */
export async function migrate(source: KeystashParts, dest: MigrateDestination, options: MigrateOptions = {}): Promise<MigrateSummary> {
  const context = options.context ?? {};
  const dryRun = options.dryRun ?? false;
  const destKeyId = options.destKeyId ?? dest.defaultKeyId;
  if (options.setup && !dryRun) await dest.store.setup();
  const rows: RowRef[] = [];
  for await (const meta of source.store.listAll()) rows.push({ name: meta.name, version: meta.version });
  rows.sort(byNameThenVersion);
  const concurrency = options.concurrency ?? source.concurrency;
  // Limits before the first write: every row is checked against the destination's item-size
  // limit (and for conflicts) in a dry pass first; any failure stops the migration with nothing written.
  if (!dryRun) {
    const checked = await mapSettled(rows, concurrency, (row) => copyRow(source, dest, row, { destKeyId, context, dryRun: true }));
    const failed = checked.flatMap((s) => (s.ok ? [] : [{ ...s.item, error: asKeystashError(s.error) }]));
    if (failed.length > 0) {
      const summary: MigrateSummary = { dryRun, total: rows.length, copied: 0, skipped: 0, conflicts: [], verified: 0, failed };
      throw new MigrateFailedError(summary, 'checked before the first write; nothing was migrated');
    }
  }
  let done = 0;
  const settled = await mapSettled(rows, concurrency, async (row) => {
    try {
      return await copyRow(source, dest, row, { destKeyId, context, dryRun });
    } finally {
      options.onProgress?.({ done: ++done, total: rows.length });
    }
  });
  const summary: MigrateSummary = { dryRun, total: rows.length, copied: 0, skipped: 0, conflicts: [], verified: 0, failed: [] };
  const copied: RowRef[] = [];
  for (const s of settled) {
    if (!s.ok) summary.failed.push({ ...s.item, error: asKeystashError(s.error) });
    else if (s.value === 'copied') copied.push(s.item);
    else if (s.value === 'skipped') summary.skipped++;
    else summary.conflicts.push(s.item);
  }
  summary.copied = copied.length;
  if (!dryRun) {
    const checks = await mapSettled(copied, concurrency, (row) => authenticateRow(dest, row, context));
    for (const c of checks) if (!c.ok) summary.failed.push({ ...c.item, error: asKeystashError(c.error) });
    summary.verified = checks.filter((c) => c.ok).length;
  }
  if (summary.failed.length > 0 || summary.conflicts.length > 0) throw new MigrateFailedError(summary);
  return summary;
}

async function copyRow(source: KeystashParts, dest: KeystashParts, row: RowRef, o: { destKeyId: string; context: EncryptionContext; dryRun: boolean }): Promise<Outcome> {
  const record = await readRow(source.store, row);
  const existing = await dest.store.getVersion(row.name, row.version).catch((error: unknown) => {
    // A dry run does not create the destination table: a missing one holds none of the rows.
    if (o.dryRun && error instanceof TableMissingError) return undefined;
    throw error;
  });
  if (existing) return sameSealed(existing, record) ? 'skipped' : 'conflict';
  // The destination's item-size limit (a 1 MB local value never fits a DynamoDB table); the
  // source's wrapped key stands in for the re-wrapped one in a dry run, the real one is checked below.
  checkDestRow(dest, record);
  if (o.dryRun) return 'copied';
  const key = await rewrapKey(record.key, source.keys, dest.keys, o.destKeyId, o.context);
  checkDestRow(dest, { ...record, key });
  try {
    await dest.store.putVersion({ ...record, key });
    return 'copied';
  } catch (error) {
    if (!(error instanceof VersionExistsError)) throw error;
    const raced = await dest.store.getVersion(row.name, row.version);
    return raced && sameSealed(raced, record) ? 'skipped' : 'conflict';
  }
}

/** UsageError when the destination store cannot hold `record` (its item-size limit). */
function checkDestRow(dest: KeystashParts, record: SecretRow): void {
  const problem = dest.store.rowProblem?.(record);
  if (problem !== undefined) throw new UsageError(problem, { code: 'store.itemTooLarge' });
}

/** Unwrap the row's data key through `keystash` and check its HMAC (no value decrypted). */
async function authenticateRow(keystash: KeystashParts, row: RowRef, context: EncryptionContext): Promise<void> {
  await authenticateRecord(keystash.keys, await readRow(keystash.store, row), context);
}
