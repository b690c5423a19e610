/**
 * `verify`: decrypt and MAC-check every version of every (matching) secret with
 * bounded concurrency, and report legacy encodings docs/format.md §1.2–§1.3 and §7 describe.
 * Returns the report; whether failures are fatal is the caller's decision.
 */
import type { EncryptionContext } from '../../envelope/keyservice.js';
import { mapSettled } from '../secrets/concurrency.js';
import type { BulkProgress } from '../secrets/bulk.js';
import type { KeystashParts } from '../secrets/parts.js';
import { asKeystashError, byNameThenVersion, openRecord, readRow, type RowFailure, type RowRef } from '../secrets/rows.js';
import type { SecretRow } from '../../secretstore/types.js';
import { isCanonicalVersion } from '../secrets/versions.js';
import { expandWildcard, isPattern } from '../secrets/wildcard.js';
import { isSetupError, SecretNotFoundError } from '../../errors.js';

export interface VerifyOptions {
  /** Glob (or exact name) of the secrets to check; every secret when absent. */
  pattern?: string | undefined;
  context?: EncryptionContext | undefined;
  concurrency?: number | undefined;
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

/** A readable row stored in an old encoding. */
export interface LegacyRow extends RowRef {
  issues: string[];
}

export interface VerifyReport {
  checked: number;
  ok: number;
  legacy: LegacyRow[];
  failed: RowFailure[];
}

/** The legacy encodings of one stored row (empty for a row as keystash writes it). */
function legacyIssues(record: SecretRow): string[] {
  const issues: string[] = [];
  if (!isCanonicalVersion(record.version)) issues.push('unpadded version');
  if (record.hmacType === 'S') issues.push('hmac stored as S');
  if (record.digest === undefined) issues.push('no digest (read as SHA256)');
  else if (record.digest === 'SHA' || record.digest === 'MD5') issues.push(`weak digest ${record.digest}`);
  return issues;
}

/** Check every version of the selected secrets; rows in (name, version) order in the report. */
export async function verifySecrets(keystash: KeystashParts, options: VerifyOptions = {}): Promise<VerifyReport> {
  const context = options.context ?? {};
  const rows: RowRef[] = [];
  for await (const meta of keystash.store.listAll()) rows.push({ name: meta.name, version: meta.version });
  const selected = options.pattern === undefined ? rows : filterRows(rows, options.pattern);
  // An exact name that does not exist is not "nothing to check" (a typo would pass silently).
  if (options.pattern !== undefined && !isPattern(options.pattern) && selected.length === 0) throw new SecretNotFoundError(options.pattern);
  selected.sort(byNameThenVersion);
  let done = 0;
  const settled = await mapSettled(selected, options.concurrency ?? keystash.concurrency, async (row) => {
    try {
      const record = await readRow(keystash.store, row);
      await openRecord(keystash.keys, record, context);
      return legacyIssues(record);
    } finally {
      options.onProgress?.({ done: ++done, total: selected.length });
    }
  }, { stopOn: isSetupError });
  const report: VerifyReport = { checked: selected.length, ok: 0, legacy: [], failed: [] };
  for (const s of settled) {
    if (!s.ok) {
      report.failed.push({ ...s.item, error: asKeystashError(s.error) });
      continue;
    }
    report.ok++;
    if (s.value.length > 0) report.legacy.push({ ...s.item, issues: s.value });
  }
  return report;
}

function filterRows(rows: readonly RowRef[], pattern: string): RowRef[] {
  const names = new Set(expandWildcard(pattern, new Set(rows.map((r) => r.name))));
  return rows.filter((r) => names.has(r.name));
}
