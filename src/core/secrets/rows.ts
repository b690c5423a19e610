/**
 * Helpers every bulk operation shares on stored rows: naming and ordering rows, comparing sealed
 * fields, unwrapping a data key for one use (zeroed afterwards, {@link withDataKey}), re-wrapping
 * and authenticating without decrypting a value, and turning failures into messages.
 */
import { IntegrityError, KeystashError, SecretNotFoundError, versionShown } from '../../errors.js';
import { oneLine } from '../../format/one-line.js';
import { authenticateFields } from '../../envelope/authenticate.js';
import { base64ToBytes, bytesToBase64 } from '../../envelope/codec.js';
import type { EncryptionContext, KeyService } from '../../envelope/keyservice.js';
import { DATA_KEY_BYTES, openFields, withDataKey } from '../../envelope/seal.js';
import type { SecretRow, SecretStore } from '../../secretstore/types.js';
import { compareVersions } from './versions.js';

/** One version of one secret. */
export interface RowRef {
  name: string;
  version: string;
}

/** A row that failed, with a message safe to print (never a secret value). */
export interface RowFailure extends RowRef {
  error: KeystashError;
}

/** Order rows by name (code point), then version (numeric, {@link compareVersions}). */
export function byNameThenVersion(a: RowRef, b: RowRef): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return compareVersions(a.version, b.version);
}

/** Order rows by name (code point), then newest version first (as nodecredstash lists). */
export function byNameThenNewest(a: RowRef, b: RowRef): number {
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return newestFirst(a, b);
}

/** Order versions of one secret newest first (numeric, {@link compareVersions}). */
export function newestFirst(a: { version: string }, b: { version: string }): number {
  return compareVersions(b.version, a.version);
}

/** A string identifying a row (name and version), for sets and maps of rows. */
export function rowKey(row: RowRef): string {
  return `${row.name}\u0000${row.version}`;
}

/** "name vVERSION", how messages name one row. */
export function rowLabel(row: RowRef): string {
  return `${row.name} v${row.version}`;
}

/** True when two rows hold the same sealed value: equal contents and hmac (hex in either case). */
export function sameSealed(a: Pick<SecretRow, 'contents' | 'hmac'>, b: Pick<SecretRow, 'contents' | 'hmac'>): boolean {
  return a.contents === b.contents && a.hmac.toLowerCase() === b.hmac.toLowerCase();
}

/** Any thrown value as a KeystashError (unknown ones wrapped, the original kept as cause). */
export function asKeystashError(error: unknown): KeystashError {
  if (error instanceof KeystashError) return error;
  return new KeystashError(`unexpected failure: ${(error as Error)?.message ?? String(error)}`, { cause: error });
}

/** How many failures an error message spells out before "…". */
export const FAILURES_SHOWN = 5;

/** "label: message; label: message; …" — the first {@link FAILURES_SHOWN} failures, for one error line. */
export function describeFirstFailures<F extends { error: { message: string } }>(failures: readonly F[], label: (failure: F) => string): string {
  // One line, whatever the names hold: a name with a line break (a row another writer put there)
  // must not start a line of its own in a CI log, where it could pass for keystash's.
  const shown = failures.slice(0, FAILURES_SHOWN).map((f) => oneLine(`${label(f)}: ${f.error.message}`));
  return shown.join('; ') + (failures.length > FAILURES_SHOWN ? '; …' : '');
}

/** The stored row of `row`; SecretNotFoundError when it is gone. */
export async function readRow(store: SecretStore, row: RowRef): Promise<SecretRow> {
  const record = await store.getVersion(row.name, row.version);
  if (!record) throw new SecretNotFoundError(row.name, row.version);
  return record;
}

/**
 * Unwrap the base64 wrapped data key `key` through `keys` and run `fn` with the plaintext data
 * key and the ARN of the master key that wrapped it; the data key is zeroed once `fn` is done.
 */
export async function withUnwrappedKey<T>(keys: KeyService, key: string, context: EncryptionContext, fn: (dataKey: Uint8Array, keyArn: string) => T | Promise<T>): Promise<T> {
  const { plaintext, keyId } = await keys.decrypt({ ciphertextBlob: base64ToBytes(key, 'key'), context });
  return withDataKey(plaintext, (dataKey) => fn(dataKey, keyId));
}

/** The ARN of the master key that wrapped `key` (its data key is zeroed at once). */
export function wrappingKeyArn(keys: KeyService, key: string, context: EncryptionContext): Promise<string> {
  return withUnwrappedKey(keys, key, context, (_dataKey, keyArn) => keyArn);
}

/** Re-wrap `key`: unwrap through `from`, wrap under `keyId` through `to` (no value decrypted). */
export function rewrapKey(key: string, from: KeyService, to: KeyService, keyId: string, context: EncryptionContext): Promise<string> {
  return withUnwrappedKey(from, key, context, async (plaintext) => bytesToBase64((await to.encrypt({ keyId, plaintext, context })).ciphertextBlob));
}

/** Unwrap the row's data key through `keys` and check its HMAC; no value is decrypted. */
export function authenticateRecord(keys: KeyService, record: SecretRow, context: EncryptionContext): Promise<void> {
  return withUnwrappedKey(keys, record.key, context, (dataKey) => authenticateFields(record, dataKey)).catch(namingRow(record));
}

/** Decrypt one stored row (HMAC checked before decrypting; data key zeroed). */
export function openRecord(keys: KeyService, record: SecretRow, context: EncryptionContext = {}): Promise<string> {
  return withUnwrappedKey(keys, record.key, context, (dataKey) => openFields(record, dataKey)).catch(namingRow(record));
}

/**
 * The envelope says "Computed HMAC on %s does not match" in credstash's words, %s included (the
 * vectors hold credstash's text); where the row is known, the message names it instead.
 */
function namingRow(row: RowRef): (error: unknown) => never {
  return (error) => {
    if (error instanceof IntegrityError && error.message.includes('%s')) throw new IntegrityError(error.message.replace('%s', versionShown(row.version) ? rowLabel(row) : row.name), { cause: error });
    throw error;
  };
}

/**
 * Ask `keys` for one data key under `keyId` and zero it at once: proof the key exists and may
 * wrap data keys in `context`. Returns the key's ARN.
 */
export async function proveKeyUsable(keys: KeyService, keyId: string, context: EncryptionContext): Promise<string> {
  const dataKey = await keys.generateDataKey({ keyId, numberOfBytes: DATA_KEY_BYTES, context });
  return withDataKey(dataKey.plaintext, () => dataKey.keyId);
}
