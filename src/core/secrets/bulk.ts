/**
 * Shared pieces of the bulk lifecycle operations (rotate, migrate, verify): selecting secrets and
 * rows, progress events, and failure reports.
 */
import { SecretNotFoundError, UsageError } from '../../errors.js';
import { compareVersions, latestRecord } from './versions.js';
import { expandWildcard, isPattern } from './wildcard.js';
import type { KeystashParts } from './parts.js';
import { storedNames } from './names.js';
import { describeFirstFailures, type RowFailure, type RowRef } from './rows.js';
import { byCodeUnit } from '../../order.js';

/** Which secrets a bulk operation touches: exact names, globs, or every secret. */
export interface Selection {
  names?: readonly string[] | undefined;
  patterns?: readonly string[] | undefined;
  all?: boolean | undefined;
}

/** Progress event after each row of a bulk pass. */
export interface BulkProgress {
  done: number;
  total: number;
}

/**
 * The sorted, distinct names a selection denotes. An exact name that does not exist is a
 * SecretNotFoundError; an empty selection (no names, no patterns, not `all`) is a UsageError.
 */
export async function selectNames({ store }: Pick<KeystashParts, 'store'>, selection: Selection): Promise<string[]> {
  const names = selection.names ?? [];
  const patterns = [...(selection.patterns ?? []), ...names.filter(isPattern)];
  const exact = names.filter((n) => !isPattern(n));
  if (!selection.all && exact.length === 0 && patterns.length === 0) {
    throw new UsageError('nothing selected: give secret names or patterns, or --all');
  }
  const existing = await storedNames(store);
  if (selection.all) return existing;
  const known = new Set(existing);
  const missing = exact.find((n) => !known.has(n));
  if (missing !== undefined) throw new SecretNotFoundError(missing);
  const chosen = new Set(exact);
  for (const pattern of patterns) for (const n of expandWildcard(pattern, existing)) chosen.add(n);
  return [...chosen].sort(byCodeUnit);
}

/** The rows of `names`: each latest version (true latest, legacy-aware), or every version. */
export async function selectRows({ store }: Pick<KeystashParts, 'store'>, names: readonly string[], allVersions: boolean): Promise<RowRef[]> {
  const rows: RowRef[] = [];
  for (const name of names) {
    if (allVersions) {
      const versions: string[] = [];
      for await (const meta of store.listVersions(name)) versions.push(meta.version);
      versions.sort(compareVersions);
      for (const version of versions) rows.push({ name, version });
    } else {
      const latest = (await latestRecord(store, name))?.version;
      if (latest !== undefined) rows.push({ name, version: latest });
    }
  }
  return rows;
}

/** "a v1: msg; b v2: msg; …" for an error message (first five). */
export function describeFailures(failures: readonly RowFailure[]): string {
  return describeFirstFailures(failures, (f) => `${f.name} v${f.version}`);
}
