/**
 * Bulk import (`keystash import`, `putall`) of pairs parsed and validated first (import-file.ts):
 * write a new version of every secret whose value differs from its latest (identical → skipped).
 * A file that fails validation writes nothing; a failed write is reported per name
 * (PartialFailureError).
 */
import { PartialFailureError, UsageError, VersionExistsError, type KeystashError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { oneLine } from '../../format/one-line.js';
import type { BulkProgress } from '../secrets/bulk.js';
import { mapSettled } from '../secrets/concurrency.js';
import type { KeystashWriter } from '../secrets/parts.js';
import { asKeystashError, openRecord } from '../secrets/rows.js';
import { latestRecord, nextVersion } from '../secrets/versions.js';

/** What importing did (or, dry run, would do) to one name. */
export type ImportStatus = 'added' | 'changed' | 'unchanged';

export interface ImportResult {
  name: string;
  status: ImportStatus;
  /** The version written (absent for unchanged names and in a dry run). */
  version?: string | undefined;
}

export interface ImportOptions {
  dryRun?: boolean | undefined;
  keyId?: string | undefined;
  context?: EncryptionContext | undefined;
  comment?: string | undefined;
  /** After each name is checked and each is written (total: twice the names; once in a dry run). */
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

/**
 * Import `pairs`: first decide added / changed / unchanged for every name (reading and decrypting
 * the latest versions; any failure → nothing written), then, unless `dryRun`, put the added and
 * changed ones with bounded concurrency. Results are in input order.
 */
export async function importSecrets(keystash: KeystashWriter, pairs: ReadonlyArray<readonly [string, string]>, options: ImportOptions = {}): Promise<ImportResult[]> {
  // Progress counts names, each once: when its outcome is final (checked in a dry run or when
  // unchanged, else written).
  const total = pairs.length;
  let done = 0;
  const step = () => options.onProgress?.({ done: ++done, total });
  const latestVersions = new Map<string, string>();
  const planned = await mapSettled(pairs, keystash.concurrency, async ([name, value]): Promise<ImportResult> => {
    try {
      checkFits(keystash.store, name, value);
      const latest = await latestRecord(keystash.store, name);
      if (!latest) return { name, status: 'added' };
      latestVersions.set(name, latest.version);
      const current = await openRecord(keystash.keys, latest, options.context);
      return { name, status: current === value ? 'unchanged' : 'changed' };
    } catch (error) {
      step();
      throw error;
    }
  });
  for (const s of planned) if (s.ok && (options.dryRun || s.value.status === 'unchanged')) step();
  throwFailures(planned, 'checked', 'nothing was written');
  const plan = planned.flatMap((s) => (s.ok ? [s.value] : []));
  if (options.dryRun) return plan;
  const values = new Map(pairs.map(([name, value]) => [name, value]));
  const inOneTransaction = await writeInOneTransaction(keystash, plan, values, latestVersions, options, step);
  if (inOneTransaction) return inOneTransaction;
  const written = await mapSettled(plan, keystash.concurrency, async (item): Promise<ImportResult> => {
    if (item.status === 'unchanged') return item;
    try {
      const stored = await keystash.put(item.name, values.get(item.name) ?? '', { keyId: options.keyId, context: options.context, comment: options.comment });
      return { ...item, version: stored.version };
    } finally {
      step();
    }
  });
  throwFailures(written, 'written', 'the others were written');
  return written.flatMap((s) => (s.ok ? [s.value] : []));
}

/**
 * Limits before the first write: a value whose smallest possible row (its contents base64-encoded,
 * an empty wrapped key, a SHA-256 HMAC) is already over the store's item size can never be
 * stored, so the import is refused in its check phase (and in a dry run) instead of after the rows
 * before it were written. (A row within a few hundred bytes of the limit is still refused by the
 * store itself at its write.)
 */
function checkFits(store: KeystashWriter['store'], name: string, value: string): void {
  if (!store.rowProblem) return;
  const contents = 'A'.repeat(Math.ceil(Buffer.byteLength(value, 'utf8') / 3) * 4);
  const problem = store.rowProblem({ name, version: '0'.repeat(19), key: '', contents, hmac: '0'.repeat(64), digest: 'SHA256' });
  if (problem !== undefined) throw new UsageError(problem, { code: 'store.itemTooLarge' });
}

/**
 * Where the store has transactions (SQLite), seal every added/changed value as the version after
 * the one just read and insert them all in one transaction: one commit instead of one per name.
 * Undefined — write name by name instead — when the store has no transactions, or when another
 * writer stored a conflicting version meanwhile (the transaction then stored nothing).
 */
async function writeInOneTransaction(
  keystash: KeystashWriter,
  plan: readonly ImportResult[],
  values: ReadonlyMap<string, string>,
  latestVersions: ReadonlyMap<string, string>,
  options: ImportOptions,
  step: () => void,
): Promise<ImportResult[] | undefined> {
  const store = keystash.store;
  const changes = plan.filter((item) => item.status !== 'unchanged');
  if (!store.putVersions || changes.length < 2 || changes.some((item) => item.status === 'changed' && !/^\d+$/.test(latestVersions.get(item.name) ?? ''))) return undefined;
  const sealed = await mapSettled(changes, keystash.concurrency, (item) =>
    keystash.sealRecord(item.name, values.get(item.name) ?? '', nextVersion(latestVersions.get(item.name)), { keyId: options.keyId, context: options.context, comment: options.comment }),
  );
  throwFailures(sealed, 'encrypted', 'nothing was written');
  const rows = sealed.flatMap((s) => (s.ok ? [s.value] : []));
  try {
    await store.putVersions(rows);
  } catch (error) {
    if (error instanceof VersionExistsError) return undefined;
    throw error;
  }
  const versions = new Map(rows.map((row) => [row.name, row.version]));
  return plan.map((item) => {
    if (item.status === 'unchanged') return item;
    step();
    return { ...item, version: versions.get(item.name) };
  });
}

function throwFailures(settled: ReadonlyArray<{ item: { name: string } | readonly [string, string]; ok: boolean; error?: unknown }>, verb: string, outcome: string): void {
  const failures = settled.filter((s) => !s.ok).map((s) => ({ name: Array.isArray(s.item) ? (s.item[0] as string) : (s.item as { name: string }).name, error: asKeystashError(s.error) }));
  if (failures.length === 0) return;
  const result = failures.length === settled.length && outcome === 'the others were written' ? 'none was written' : outcome;
  throw new PartialFailureError(`${failures.length} of ${settled.length} secrets could not be ${verb}; ${result}:\n${summariseFailures(failures)}`, failures);
}

/** One line per distinct message: the same failure of 2 000 names is one line naming a few. */
function summariseFailures(failures: ReadonlyArray<{ name: string; error: KeystashError }>): string {
  const byMessage = new Map<string, string[]>();
  for (const f of failures) byMessage.set(f.error.message, [...(byMessage.get(f.error.message) ?? []), f.name]);
  const lines: string[] = [];
  for (const [message, names] of byMessage) {
    if (names.length <= 3) for (const name of names) lines.push(`  ${oneLine(name)}: ${message}`);
    else lines.push(`  ${names.slice(0, 3).map(oneLine).join(', ')} and ${names.length - 3} more (${names.length} secrets): ${message}`);
  }
  return lines.join('\n');
}
