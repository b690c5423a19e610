/**
 * The library API: put / get / getAll / list / history / delete over a SecretStore and a
 * KeyService (docs/architecture.md "The flow of one secret"). Knows nothing of the CLI: returns data, throws
 * typed errors, never prints.
 */
import { DecryptError, hasErrorCode, IntegrityError, isSetupError, KmsError, PartialFailureError, SecretNotFoundError, UsageError, VersionConflictError, VersionExistsError, versionShown, type ErrorCode, type KeystashError } from '../../errors.js';
import { bytesToBase64 } from '../../envelope/codec.js';
import type { EncryptionContext, KeyService } from '../../envelope/keyservice.js';
import { DEFAULT_KEY } from '../../config.js';
import { DATA_KEY_BYTES, sealToFields, withDataKey } from '../../envelope/seal.js';
import { requireDigestName } from '../../envelope/digests.js';
import type { SecretMeta, SecretRecord, SecretStore, StoreSetupOptions, StoreSetupResult } from '../../secretstore/types.js';
import { mapSettled } from './concurrency.js';
import { latestOfEach, latestRecord, nextVersion, parseReadVersion, parseWriteVersion } from './versions.js';
import { asKeystashError, byNameThenVersion, describeFirstFailures, openRecord, proveKeyUsable, sameSealed } from './rows.js';
import type { KeystashWriter } from './parts.js';
import { createBackup, type BackupSource } from '../transfer/backup.js';
import { versionsNewestFirst } from './history.js';
import { migrate, type MigrateDestination, type MigrateOptions, type MigrateSummary } from '../transfer/migrate.js';
import { restoreBackup, type RestoreOptions, type RestoreSummary } from '../transfer/restore.js';
import { verifySecrets, type VerifyOptions, type VerifyReport } from '../transfer/verify.js';
import { expandWildcard, isPattern } from './wildcard.js';
import { storedNames, validateSecretName } from './names.js';
import { byCodeUnit } from '../../order.js';

export interface KeystashDeps {
  store: SecretStore;
  keys: KeyService;
  /** Default master key (alias/credstash). */
  defaultKeyId?: string;
  /** Bulk-operation concurrency (default 16). */
  concurrency?: number;
  clock?: () => Date;
}

export interface PutOptions {
  keyId?: string;
  context?: EncryptionContext;
  comment?: string;
  digest?: string;
  /** Explicit version (short or padded); without it the next version is chosen. */
  version?: string;
  /** Check-and-set: refuse unless the current latest version is this one. */
  expectVersion?: string;
  /** The local store takes a row larger than any DynamoDB table could hold (`put --allow-large`). */
  allowLarge?: boolean;
}

export interface GetOptions {
  version?: string;
  context?: EncryptionContext;
}

export type SecretPairs = Array<[name: string, value: string]>;

/** A secret a bulk read could not read, and why. */
export interface UnreadableSecret {
  name: string;
  error: KeystashError;
}

/** Options of {@link Keystash.getAll}. */
export interface GetAllOptions extends GetOptions {
  pattern?: string;
  names?: readonly string[];
  /**
   * Read what can be read (`--skip-unreadable`): a secret that fails to read (wrong context,
   * refused key, tampered row) is handed to this callback and left out instead of failing the
   * whole read. A name that does not exist is never skipped.
   */
  onUnreadable?: ((skipped: readonly UnreadableSecret[]) => void) | undefined;
}

/**
 * The advice added to a bulk read's failure when a secret failed on its encryption context: a
 * stored row cannot say which context it needs (credstash's row keeps name, version, wrapped key,
 * contents, HMAC and digest; the context is authenticated by KMS as additional data, never stored).
 */
const CONTEXT_ADVICE =
  'a row does not record the encryption context it was stored with (KMS authenticates the context but never stores it), so keystash cannot say which pairs it needs: give the key=value pairs it was put with, select the other secrets, or pass --skip-unreadable';

const MAX_AUTOVERSION_ATTEMPTS = 100;

/**
 * A keystash instance bound to one store and one key service: the library's facade over the core
 * operations (put/get/list/history/delete here; migrate, verify, backup and restore delegate to
 * their modules, which take only the parts they use).
 */
export class Keystash implements KeystashWriter {
  readonly store: SecretStore;
  readonly keys: KeyService;
  readonly defaultKeyId: string;
  readonly concurrency: number;
  private readonly clock: () => Date;

  constructor(deps: KeystashDeps) {
    this.store = deps.store;
    this.keys = deps.keys;
    this.defaultKeyId = deps.defaultKeyId ?? DEFAULT_KEY;
    this.concurrency = deps.concurrency ?? 16;
    this.clock = deps.clock ?? (() => new Date());
  }

  /**
   * Store a new version. Without `version`, the next version after the current latest is used
   * and a concurrent writer of the same name causes a retry, never an error or a lost version.
   */
  async put(name: string, value: string, options: PutOptions = {}): Promise<{ name: string; version: string }> {
    validateSecretName(name);
    const digest = checkedDigest(options.digest);
    const explicit = options.version === undefined ? undefined : parseWriteVersion(options.version);
    const expected = options.expectVersion === undefined ? undefined : parseReadVersion(options.expectVersion);
    const sealed = await this.seal(name, value, { ...options, digest });
    this.checkRowSize({ ...sealed, version: explicit ?? '0'.repeat(19) }, options.allowLarge);
    if (explicit !== undefined) {
      await this.putRow({ ...sealed, version: explicit });
      return { name, version: explicit };
    }
    for (let attempt = 0; ; attempt++) {
      const latest = await this.latestVersion(name);
      if (expected !== undefined && latest !== expected) {
        // A version that is not all digits is not quoted (versionShown): it may be a password given to --expect-version.
        const wanted = versionShown(expected) ? `version ${expected}` : 'version (the one given is not shown, in case it is the secret)';
        const actual = latest === undefined ? 'absent' : versionShown(latest) ? latest : 'a version that is not a number (not shown)';
        throw new VersionConflictError(`${name}: expected latest ${wanted} but it is ${actual}; nothing was written`);
      }
      const version = nextVersion(latest);
      try {
        await this.putRow({ ...sealed, version });
        return { name, version };
      } catch (error) {
        const retry = error instanceof VersionExistsError && expected === undefined && attempt < MAX_AUTOVERSION_ATTEMPTS;
        if (!retry) {
          if (error instanceof VersionExistsError && expected !== undefined) {
            throw new VersionConflictError(`${name}: another writer stored version ${version} first; nothing was written`, { cause: error });
          }
          throw error;
        }
        await sleep(2 + Math.random() * Math.min(50, 5 * (attempt + 1)));
      }
    }
  }

  /**
   * Seal `value` as row `name`@`version` without storing it, for writers that store many rows in
   * one transaction (import). The data key is zeroed before this returns.
   */
  async sealRecord(name: string, value: string, version: string, options: Omit<PutOptions, 'version' | 'expectVersion'> = {}): Promise<SecretRecord> {
    validateSecretName(name);
    const digest = checkedDigest(options.digest);
    const record = { ...(await this.seal(name, value, { ...options, digest })), version: parseWriteVersion(version) };
    this.checkRowSize(record, options.allowLarge);
    return record;
  }

  /** The store's item-size limit, before anything is written (UsageError, as DynamoDB's own refusal). */
  private checkRowSize(record: SecretRecord, allowOversize: boolean | undefined): void {
    const problem = this.store.rowProblem?.(record, { allowOversize });
    if (problem !== undefined) throw new UsageError(`${record.name}: ${problem}; nothing was stored`, { code: 'store.itemTooLarge' });
  }

  /**
   * Conditional put that tells "someone else holds this version" from "our own write landed but
   * its answer was lost and the SDK's retry then met it" (a dropped connection after PutItem was
   * applied): the wrapped key of every write is unique (fresh data key, random nonce), so a stored
   * row with our key, contents and hmac is ours and the put succeeded.
   */
  private async putRow(record: SecretRecord): Promise<void> {
    try {
      await this.store.putVersion(record);
    } catch (error) {
      if (!(error instanceof VersionExistsError)) throw error;
      const stored = await this.store.getVersion(record.name, record.version);
      if (stored && stored.key === record.key && sameSealed(stored, record)) return;
      throw error;
    }
  }

  /** Generate a data key, seal the value, and build the row (without its version). */
  private async seal(name: string, value: string, options: PutOptions & { digest: string }): Promise<SecretRecord> {
    const dataKey = await this.keys.generateDataKey({
      keyId: options.keyId ?? this.defaultKeyId,
      numberOfBytes: DATA_KEY_BYTES,
      context: options.context ?? {},
    });
    return withDataKey(dataKey.plaintext, (plaintext) => {
      const fields = sealToFields(value, plaintext, options.digest);
      return {
        name,
        version: '',
        key: bytesToBase64(dataKey.ciphertextBlob),
        contents: fields.contents,
        hmac: fields.hmac,
        digest: fields.digest,
        comment: options.comment === undefined || options.comment === '' ? undefined : options.comment,
        createdAt: this.clock().toISOString(),
      };
    });
  }

  /** Decrypt one stored row (HMAC checked before decrypting; data key zeroed). */
  async open(record: SecretRecord, context: EncryptionContext = {}): Promise<string> {
    return openRecord(this.keys, record, context);
  }

  /** The row of `name` at `version` (short or padded) or its latest; SecretNotFoundError if absent. */
  async getRecord(name: string, version?: string): Promise<SecretRecord> {
    if (version !== undefined) {
      const padded = parseReadVersion(version);
      const record = await this.store.getVersion(name, padded);
      if (!record) throw new SecretNotFoundError(name, padded);
      return record;
    }
    const record = await this.latestRecord(name);
    if (!record) throw new SecretNotFoundError(name);
    return record;
  }

  /** The plaintext of one secret. */
  async get(name: string, options: GetOptions = {}): Promise<string> {
    const record = await this.getRecord(name, options.version);
    return this.open(record, options.context);
  }

  /** The latest row of `name` (legacy unpadded versions compared numerically, {@link latestRecord}). */
  async latestRecord(name: string): Promise<SecretRecord | undefined> {
    return latestRecord(this.store, name);
  }

  /** The latest version string of `name`, or undefined. */
  async latestVersion(name: string): Promise<string | undefined> {
    return (await this.latestRecord(name))?.version;
  }

  /** Every distinct secret name, sorted by code point. */
  async names(): Promise<string[]> {
    return storedNames(this.store);
  }

  /**
   * Values of every secret (or those matching `pattern`), each at `version` or its latest, sorted by
   * name. All-or-nothing: any failure → PartialFailureError listing every failed name.
   */
  async getAll(options: GetAllOptions = {}): Promise<SecretPairs> {
    const latest = options.names === undefined && options.version === undefined ? await this.latestRecords(options.pattern) : undefined;
    let names = latest ? [...latest.keys()] : options.names ? [...options.names] : await this.names();
    if (!latest && options.pattern !== undefined) names = expandWildcard(options.pattern, names);
    const read = () => mapSettled(names, this.concurrency, (name) => {
      const record = latest?.get(name);
      return record ? this.open(record, options.context) : this.get(name, options);
    }, { stopOn: isSetupError });
    // One audit record per key for the whole read (a local KMS), not one per secret.
    const settled = this.keys.bulk ? await this.keys.bulk('getall', names, read) : await read();
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

  /**
   * The latest row of every name (matching `pattern`) in one pass over the store — no per-name
   * query — chosen exactly as latestRecord chooses: the store's byte-order greatest version when
   * it is canonical, else the numerically greatest. Undefined when a malformed row interrupts the
   * pass: the caller then reads name by name, so a damaged old version fails only its own name.
   */
  private async latestRecords(pattern?: string): Promise<Map<string, SecretRecord> | undefined> {
    let latest: Map<string, SecretRecord>;
    try {
      latest = await latestOfEach(this.store.listRecords());
    } catch (error) {
      if (error instanceof IntegrityError) return undefined;
      throw error;
    }
    const names = [...latest.keys()].sort(byCodeUnit);
    const wanted = pattern === undefined ? names : expandWildcard(pattern, names);
    return new Map(wanted.map((name) => [name, latest.get(name)!]));
  }

  /** Values of the names matching a glob (`get 'app.*'`). */
  async getMatching(pattern: string, options: GetOptions = {}): Promise<SecretPairs> {
    if (!isPattern(pattern)) throw new UsageError(`'${pattern}' is not a pattern`);
    return this.getAll({ ...options, pattern });
  }

  /** Metadata of every version of every secret, sorted by (name, version order). */
  async list(): Promise<SecretMeta[]> {
    const rows: SecretMeta[] = [];
    for await (const meta of this.store.listAll()) rows.push(meta);
    return rows.sort(byNameThenVersion);
  }

  /** Every version of one secret, newest first, with the key that wrapped it (ARN not resolved). */
  async history(name: string): Promise<SecretMeta[]> {
    return versionsNewestFirst(this, name);
  }

  /** Delete every version of `name`, or one version; SecretNotFoundError when nothing matched. */
  async delete(name: string, options: { version?: string } = {}): Promise<SecretMeta[]> {
    const version = options.version === undefined ? undefined : parseReadVersion(options.version);
    const deleted = await this.store.deleteVersions(name, version);
    if (deleted.length === 0) throw new SecretNotFoundError(name, version);
    return deleted;
  }

  /** Create the store (and table) if needed. */
  async setup(options?: StoreSetupOptions): Promise<StoreSetupResult> {
    return this.store.setup(options);
  }

  /**
   * Make sure `keyId` can wrap data keys (the local KMS creates alias/credstash on first use);
   * returns the key's ARN. Throws KmsError when it cannot.
   */
  async ensureKey(keyId: string = this.defaultKeyId): Promise<string> {
    return proveKeyUsable(this.keys, keyId, {});
  }

  /**
   * Copy every version of every secret into `dest` (wrapped data keys re-wrapped for dest's key
   * service, no value decrypted), then verify the copies; see {@link migrate}.
   */
  async migrate(dest: MigrateDestination, options: MigrateOptions = {}): Promise<MigrateSummary> {
    return migrate(this, dest, options);
  }

  /** Decrypt and MAC-check every version of every (matching) secret; see {@link verifySecrets}. */
  async verify(options: VerifyOptions = {}): Promise<VerifyReport> {
    return verifySecrets(this, options);
  }

  /**
   * The backup text of every stored row (still encrypted); `source` names the store in the
   * header. See {@link createBackup}.
   */
  async backup(source: BackupSource, now: Date = new Date()): Promise<string> {
    return createBackup(this, source, now);
  }

  /**
   * Write the rows of a parsed backup (parseBackup) into this keystash's store, everything
   * checkable checked before the first write; see {@link restoreBackup}.
   */
  async restore(rows: readonly SecretRecord[], options: RestoreOptions = {}): Promise<RestoreSummary> {
    return restoreBackup(this, rows, options);
  }

  close(): void {
    this.store.close();
    this.keys.close?.();
  }
}

/**
 * What `--skip-unreadable` may leave out: a failure of that one row — its context (DecryptError),
 * its contents (IntegrityError), or its key (refused, disabled, gone, not allowed by
 * --decrypt-key). A missing name, and anything about the setup (credentials, keyring, store,
 * endpoint, throttling), still fails the whole read.
 */
const ROW_KEY_CODES: readonly ErrorCode[] = ['kms.accessDenied', 'kms.disabled', 'kms.notFound', 'kms.keyNotAllowed'];
function isSkippable(error: KeystashError): boolean {
  return error instanceof DecryptError || error instanceof IntegrityError || (error instanceof KmsError && hasErrorCode(error, ROW_KEY_CODES));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The digest to write (SHA256 by default); UsageError for a name credstash does not know. */
function checkedDigest(digest = 'SHA256'): string {
  return requireDigestName(digest);
}
