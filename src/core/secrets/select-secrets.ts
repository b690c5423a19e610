/**
 * The selection shared by `exec` and `export`: exact names, `prefix.*` globs, or `--all`, read
 * all-or-nothing. An exact name that does not exist is always an error; a glob that matches
 * nothing is fine unless `strict`.
 */
import { notFoundError, PartialFailureError, SecretNotFoundError, UsageError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import type { GetAllOptions, SecretPairs } from './get-all.js';
import type { KeystashReader } from './parts.js';
import { expandWildcard, isPattern } from './wildcard.js';
import { byCodeUnit } from '../../order.js';

/** What reading a selection uses of a Keystash: its names and its all-or-nothing reader. */
type SecretReader = Pick<KeystashReader, 'names' | 'getAll'>;

export interface SecretSelection {
  /** Exact names and globs, as given on the command line. */
  selectors?: readonly string[] | undefined;
  all?: boolean | undefined;
  /** A glob matching nothing is an error too. */
  strict?: boolean | undefined;
  context?: EncryptionContext | undefined;
  version?: string | undefined;
  /** `--skip-unreadable`: told of the secrets left out instead of failing (get-all.ts). */
  onUnreadable?: GetAllOptions['onUnreadable'];
  /** The command a local KMS's audit record names for the read (get-all.ts). */
  command?: GetAllOptions['command'];
}

/** What a selection passes on to every read it makes. */
const readOptions = (selection: SecretSelection): GetAllOptions => ({
  context: selection.context,
  version: selection.version,
  onUnreadable: selection.onUnreadable,
  command: selection.command,
});

/** True when the selection names nothing (no selectors, not `all`). */
export function isEmptySelection(selection: SecretSelection): boolean {
  return !selection.all && (selection.selectors ?? []).length === 0;
}

/** The sorted, distinct secret names a selection denotes (nothing is decrypted). */
async function selectSecretNames(keystash: SecretReader, selection: SecretSelection): Promise<string[]> {
  const existing = await keystash.names();
  if (selection.all) return existing;
  const known = new Set(existing);
  const chosen = new Set<string>();
  // Every missing name (and glob matching nothing under strict) in one error, not the first.
  const missing: Array<{ name: string }> = [];
  for (const selector of selection.selectors ?? []) {
    if (!isPattern(selector)) {
      if (!known.has(selector)) missing.push({ name: selector });
      chosen.add(selector);
      continue;
    }
    const matched = expandWildcard(selector, existing);
    if (matched.length === 0 && selection.strict) missing.push({ name: selector });
    for (const name of matched) chosen.add(name);
  }
  if (missing.length > 0) throw notFoundError(missing);
  return [...chosen].sort(byCodeUnit);
}

/** The values of a selection, sorted by name; any failure → PartialFailureError, nothing returned. */
export async function readSelection(keystash: SecretReader, selection: SecretSelection): Promise<SecretPairs> {
  if (isEmptySelection(selection)) throw new UsageError('nothing selected: give secret names or patterns, or --all');
  // Everything at its latest: one pass over the store instead of a query per name.
  if (selection.all && selection.version === undefined) return keystash.getAll(readOptions(selection));
  const selectors = selection.selectors ?? [];
  if (!selection.all && !selectors.some(isPattern)) return readExactNames(keystash, [...new Set(selectors)], selection);
  const names = await selectSecretNames(keystash, selection);
  if (names.length === 0) return [];
  return keystash.getAll({ ...readOptions(selection), names });
}

/**
 * Exact names only: each read by name, without listing the table, so a role limited to a name
 * prefix (IAM `dynamodb:LeadingKeys`, no Scan) can use them. A missing name is still a
 * SecretNotFoundError, as when names were checked against the listing.
 */
async function readExactNames(keystash: SecretReader, names: string[], selection: SecretSelection): Promise<SecretPairs> {
  try {
    return await keystash.getAll({ ...readOptions(selection), names });
  } catch (error) {
    const missing = error instanceof PartialFailureError && selection.version === undefined ? error.failures.filter((f) => f.error instanceof SecretNotFoundError) : [];
    throw missing.length > 0 ? notFoundError(missing.map((f) => ({ name: f.name })), { cause: error }) : error;
  }
}
