/**
 * Replication between two stores without global tables (issue 23; README "Multi-region"):
 * `replicate` copies the versions missing at the destination, and `compareReplicas` finds the
 * versions that diverged (same name and version, different content) or are missing somewhere.
 *
 * No value is decrypted. The wrapped data key is copied as it is (right for a multi-region key:
 * its replica in the destination region unwraps it) or, with `rewrapKeyId`, re-wrapped for the
 * destination's key service (the data key is unwrapped at the source and wrapped at the
 * destination, then wiped; see rows.ts rewrapKey). Each copy is then checked through the
 * destination (its data key unwrapped, its HMAC verified), so a copy the destination cannot read
 * is reported, not left silently.
 *
 * Resumable and idempotent: a version already present with the same content is skipped, so a
 * second run copies nothing and an interrupted run is finished by running it again. A version
 * present with other content is a divergence: reported, never overwritten.
 */
import { DecryptError, KeyNotInKeyringError, KeystashError, KmsError, PartialFailureError, VersionExistsError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import type { SecretRow, SecretStore } from '../../secretstore/types.js';
import { mapSettled } from '../secrets/concurrency.js';
import { describeFailures } from '../secrets/bulk.js';
import type { KeystashParts } from '../secrets/parts.js';
import { asKeystashError, authenticateRecord, byNameThenVersion, rewrapKey, sameSealed, type RowFailure, type RowRef } from '../secrets/rows.js';

export interface ReplicateOptions {
  /** Re-wrap each data key for this destination key (default: copy the wrapped key as it is). */
  rewrapKeyId?: string | undefined;
  /** Encryption context of the rows (checking copies, re-wrapping); default none. */
  context?: EncryptionContext | undefined;
  concurrency?: number | undefined;
}

export interface ReplicateSummary {
  /** Versions in the source. */
  total: number;
  copied: number;
  /** Already at the destination with the same content. */
  present: number;
  /** At the destination with other content (left untouched). */
  diverged: RowRef[];
  failed: RowFailure[];
}

/** Replication finished with divergent or failed rows; `summary` says what did succeed. */
export class ReplicateFailedError extends PartialFailureError {
  readonly summary: ReplicateSummary;
  constructor(summary: ReplicateSummary, hint: string) {
    const diverged = summary.diverged.map((d) => ({ ...d, error: new KeystashError(`${d.name} version ${d.version} exists at the destination with different content`, { code: 'replicate.diverged' }) }));
    const all = [...diverged, ...summary.failed];
    super(`${all.length} of ${summary.total} versions were not replicated (${describeFailures(all)})${hint}`, all);
    this.summary = summary;
  }
}

type Outcome = 'copied' | 'present' | 'diverged';

/** Copy the versions of `source` missing at `dest`; see the module comment. */
export async function replicate(source: KeystashParts, dest: KeystashParts, options: ReplicateOptions = {}): Promise<ReplicateSummary> {
  const context = options.context ?? {};
  const rows: SecretRow[] = [];
  for await (const record of source.store.listRows()) rows.push(record);
  rows.sort(byNameThenVersion);
  const settled = await mapSettled(rows, options.concurrency ?? source.concurrency, (row) => copyRow(source, dest, row, options.rewrapKeyId, context));
  const summary: ReplicateSummary = { total: rows.length, copied: 0, present: 0, diverged: [], failed: [] };
  for (const s of settled) {
    const ref = { name: s.item.name, version: s.item.version };
    if (!s.ok) summary.failed.push({ ...ref, error: asKeystashError(s.error) });
    else if (s.value === 'copied') summary.copied++;
    else if (s.value === 'present') summary.present++;
    else summary.diverged.push(ref);
  }
  if (summary.failed.length > 0 || summary.diverged.length > 0) {
    const hint = options.rewrapKeyId === undefined && summary.failed.some((f) => unwrapFailure(f.error))
      ? '; a copy the destination cannot unwrap was wrapped by a single-region key: rerun with --rewrap-key KEY, or move the rows to a multi-region key first (keystash rotate --all --all-versions --key mrk-…)'
      : '';
    throw new ReplicateFailedError(summary, hint);
  }
  return summary;
}

/** The destination's key service could not unwrap a copied key: its KMS refused, or its keyring lacks the key. */
function unwrapFailure(error: KeystashError): boolean {
  return error instanceof KmsError || error instanceof DecryptError || error instanceof KeyNotInKeyringError;
}

async function copyRow(source: KeystashParts, dest: KeystashParts, record: SecretRow, rewrapKeyId: string | undefined, context: EncryptionContext): Promise<Outcome> {
  const existing = await dest.store.getVersion(record.name, record.version);
  if (existing) return sameSealed(existing, record) ? 'present' : 'diverged';
  const key = rewrapKeyId === undefined ? record.key : await rewrapKey(record.key, source.keys, dest.keys, rewrapKeyId, context);
  const copy = { ...record, key };
  // Checked before it is written: a copy the destination cannot read is not left there.
  await authenticateRecord(dest.keys, copy, context);
  try {
    await dest.store.putVersion(copy);
    return 'copied';
  } catch (error) {
    if (!(error instanceof VersionExistsError)) throw error;
    const raced = await dest.store.getVersion(record.name, record.version);
    return raced && sameSealed(raced, record) ? 'present' : 'diverged';
  }
}

/** One replica of a store, named by its region (or data directory). */
interface Replica {
  name: string;
  store: SecretStore;
}

export interface ReplicaComparison {
  /** Versions compared (the union over the replicas). */
  versions: number;
  /** Same name and version, different content: which replicas hold which content. */
  diverged: Array<RowRef & { groups: string[][] }>;
  /** Versions some replica lacks: replica name → count. */
  missing: Record<string, number>;
}

/**
 * Compare the rows of several replicas: every (name, version) with different content in two of
 * them, and how many versions each one lacks. Only the sealed fields are compared (contents and
 * HMAC); nothing is decrypted.
 */
export async function compareReplicas(replicas: readonly Replica[]): Promise<ReplicaComparison> {
  const byRow = new Map<string, { ref: RowRef; held: Map<string, SecretRow> }>();
  for (const replica of replicas) {
    for await (const record of replica.store.listRows()) {
      const id = JSON.stringify([record.name, record.version]);
      let entry = byRow.get(id);
      if (entry === undefined) byRow.set(id, (entry = { ref: { name: record.name, version: record.version }, held: new Map() }));
      entry.held.set(replica.name, record);
    }
  }
  const result: ReplicaComparison = { versions: byRow.size, diverged: [], missing: {} };
  for (const replica of replicas) result.missing[replica.name] = 0;
  for (const { ref, held } of byRow.values()) {
    for (const replica of replicas) if (!held.has(replica.name)) result.missing[replica.name]!++;
    const groups: Array<{ sample: SecretRow; names: string[] }> = [];
    for (const [name, record] of held) {
      const group = groups.find((g) => sameSealed(g.sample, record));
      if (group) group.names.push(name);
      else groups.push({ sample: record, names: [name] });
    }
    if (groups.length > 1) result.diverged.push({ ...ref, groups: groups.map((g) => g.names) });
  }
  result.diverged.sort(byNameThenVersion);
  return result;
}
