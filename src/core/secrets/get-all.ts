/**
 * Bulk reads (`getall`, and `export`, `exec` and `getall SELECTOR` through select-secrets.ts):
 * every selected secret read concurrently, all-or-nothing unless the caller takes what can be read
 * (`--skip-unreadable`).
 */
import { DecryptError, hasErrorCode, IntegrityError, isSetupError, KeyNotInKeyringError, KmsError, PartialFailureError, UsageError, type ErrorCode, type KeystashError } from '../../errors.js';
import type { SecretRow } from '../../secretstore/types.js';
import { byCodeUnit } from '../../order.js';
import { mapSettled } from './concurrency.js';
import { getSecret, type GetOptions } from './get.js';
import { storedNames } from './names.js';
import type { KeystashParts } from './parts.js';
import { asKeystashError, describeFirstFailures, openRecord } from './rows.js';
import { latestOfEach } from './versions.js';
import { expandWildcard, isPattern } from './wildcard.js';

export type SecretPairs = Array<[name: string, value: string]>;

/** A secret a bulk read could not read, and why. */
export interface UnreadableSecret {
  name: string;
  error: KeystashError;
}

/** Options of {@link getAll}. */
export interface GetAllOptions extends GetOptions {
  pattern?: string;
  names?: readonly string[];
  /**
   * Read what can be read (`--skip-unreadable`): a secret that fails to read (wrong context,
   * refused key, tampered row) is handed to this callback and left out instead of failing the
   * whole read. A name that does not exist is never skipped.
   */
  onUnreadable?: ((skipped: readonly UnreadableSecret[]) => void) | undefined;
  /** The command a local KMS's audit record names for this read (`export`, `exec`); `getall` by default. */
  command?: string | undefined;
}

/**
 * The advice added to a bulk read's failure when a secret failed on its encryption context: a
 * stored row cannot say which context it needs (credstash's row keeps name, version, wrapped key,
 * contents, HMAC and digest; the context is authenticated by KMS as additional data, never stored).
 */
const CONTEXT_ADVICE =
  'a row does not record the encryption context it was stored with (KMS authenticates the context but never stores it), so keystash cannot say which pairs it needs: give the key=value pairs it was put with, select the other secrets, or pass --skip-unreadable';

/**
 * Values of every secret (or those matching `pattern`, or `names`), each at `version` or its
 * latest, sorted by name. All-or-nothing: any failure → PartialFailureError listing every failed
 * name (a set-up failure stops the read and is thrown as it is).
 */
export async function getAll(parts: KeystashParts, options: GetAllOptions = {}): Promise<SecretPairs> {
  const latest = options.names === undefined && options.version === undefined ? await latestRecords(parts, options.pattern) : undefined;
  let names = latest ? [...latest.keys()] : options.names ? [...options.names] : await storedNames(parts.store);
  if (!latest && options.pattern !== undefined) names = expandWildcard(options.pattern, names);
  const read = () => mapSettled(names, parts.concurrency, (name) => {
    const record = latest?.get(name);
    return record ? openRecord(parts.keys, record, options.context) : getSecret(parts, name, options);
  }, { stopOn: isSetupError });
  // One audit record per key for the whole read (a local KMS), not one per secret.
  const settled = parts.keys.bulk ? await parts.keys.bulk(options.command ?? 'getall', names, read) : await read();
  let failures = settled.flatMap((s) => (s.ok ? [] : [{ name: s.item, error: asKeystashError(s.error) }]));
  if (options.onUnreadable !== undefined && failures.length > 0) {
    const skipped = failures.filter((f) => isSkippable(f.error));
    failures = failures.filter((f) => !isSkippable(f.error));
    if (failures.length === 0) options.onUnreadable(skipped);
  }
  if (failures.length > 0) {
    const detail = describeFirstFailures(failures, (f) => f.name);
    const advice = failures.some((f) => f.error instanceof DecryptError) ? `; ${CONTEXT_ADVICE}` : '';
    throw new PartialFailureError(`${failures.length} of ${names.length} secrets could not be read (${detail})${advice}`, failures);
  }
  return settled.flatMap((s) => (s.ok ? [[s.item, s.value] as [string, string]] : [])).sort((a, b) => byCodeUnit(a[0], b[0]));
}

/** Values of the names matching a glob (`get 'app.*'`); UsageError when `pattern` is not one. */
export async function getMatching(parts: KeystashParts, pattern: string, options: GetOptions = {}): Promise<SecretPairs> {
  if (!isPattern(pattern)) throw new UsageError(`'${pattern}' is not a pattern`);
  return getAll(parts, { ...options, pattern });
}

/**
 * The latest row of every name (matching `pattern`) in one pass over the store — no per-name
 * query — chosen exactly as latestRecord chooses: the store's byte-order greatest version when
 * it is canonical, else the numerically greatest. Undefined when a malformed row interrupts the
 * pass: the caller then reads name by name, so a damaged old version fails only its own name.
 */
async function latestRecords({ store }: Pick<KeystashParts, 'store'>, pattern?: string): Promise<Map<string, SecretRow> | undefined> {
  let latest: Map<string, SecretRow>;
  try {
    latest = await latestOfEach(store.listRows());
  } catch (error) {
    if (error instanceof IntegrityError) return undefined;
    throw error;
  }
  const names = [...latest.keys()].sort(byCodeUnit);
  const wanted = pattern === undefined ? names : expandWildcard(pattern, names);
  return new Map(wanted.map((name) => [name, latest.get(name)!]));
}

/**
 * What `--skip-unreadable` may leave out: a failure of that one row — its context (DecryptError),
 * its contents (IntegrityError), or its key (refused, disabled, gone, not allowed by
 * --decrypt-key, not in a keyring that exists). A missing name, and anything about the setup (credentials, keyring, store,
 * endpoint, throttling), still fails the whole read.
 */
const ROW_KEY_CODES: readonly ErrorCode[] = ['kms.accessDenied', 'kms.disabled', 'kms.notFound', 'kms.keyNotAllowed'];
function isSkippable(error: KeystashError): boolean {
  if (error instanceof DecryptError || error instanceof IntegrityError) return true;
  if (error instanceof KmsError) return hasErrorCode(error, ROW_KEY_CODES);
  // A keyring that exists but lacks this row's key: that row (its key id edited, or a key not
  // brought over); no keyring at all is the setup's fault and stops the read.
  return error instanceof KeyNotInKeyringError && hasErrorCode(error, ['config.keyNotInKeyring']);
}
