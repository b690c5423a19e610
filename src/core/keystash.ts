/**
 * The library's facade (docs/architecture.md "The facade"): a Keystash binds one store and one key
 * service, and every command-level operation on their secrets is one of its methods, which only
 * delegates to the operation's module. Those modules take the parts they use (secrets/parts.ts),
 * never the facade, so each stays callable on its own. Knows nothing of the CLI: returns data,
 * throws typed errors, never prints.
 */
import type { KeyService } from '../envelope/keyservice.js';
import { DEFAULT_KEY } from '../defaults.js';
import type { SecretMeta, SecretRow, SecretStore, StoreSetupOptions, StoreSetupResult } from '../secretstore/types.js';
import { deleteSecret } from './secrets/delete.js';
import { getAll, getMatching, type GetAllOptions, type SecretPairs } from './secrets/get-all.js';
import { getSecret, readRecord, type GetOptions } from './secrets/get.js';
import { secretHistory, type HistoryEntry, type HistoryOptions } from './secrets/history.js';
import { listVersions } from './secrets/list.js';
import { storedNames } from './secrets/names.js';
import type { KeystashReader, KeystashWriter } from './secrets/parts.js';
import { putSecret, sealSecret, type PutOptions, type SealingParts } from './secrets/put.js';
import { rotateSecrets, type RotateOptions, type RotateSummary } from './secrets/rotate.js';
import { openRecord, proveKeyUsable } from './secrets/rows.js';
import { readSelection, type SecretSelection } from './secrets/select-secrets.js';
import { latestRecord } from './secrets/versions.js';
import { createBackup, type BackupSource } from './transfer/backup.js';
import { importSecrets, type ImportOptions, type ImportResult } from './transfer/import.js';
import { migrate, type MigrateDestination, type MigrateOptions, type MigrateSummary } from './transfer/migrate.js';
import { compareReplicas, replicate, type ReplicaComparison, type ReplicateOptions, type ReplicateSummary } from './transfer/replicate.js';
import { restoreBackup, type RestoreOptions, type RestoreSummary } from './transfer/restore.js';
import { verifySecrets, type VerifyOptions, type VerifyReport } from './transfer/verify.js';
import { resolveExecEnv, type EnvEntry, type ExecEnvOptions } from './process/exec-env.js';
import { renderTemplate, type InjectOptions } from './process/inject.js';

export interface KeystashDeps {
  store: SecretStore;
  keys: KeyService;
  /** Default master key (alias/credstash). */
  defaultKeyId?: string;
  /** Bulk-operation concurrency (default 16). */
  concurrency?: number;
  clock?: () => Date;
}

/** A keystash instance bound to one store and one key service; see the module comment. */
export class Keystash implements KeystashWriter, KeystashReader {
  readonly store: SecretStore;
  readonly keys: KeyService;
  readonly defaultKeyId: string;
  readonly concurrency: number;
  readonly #sealing: SealingParts;

  constructor(deps: KeystashDeps) {
    this.store = deps.store;
    this.keys = deps.keys;
    this.defaultKeyId = deps.defaultKeyId ?? DEFAULT_KEY;
    this.concurrency = deps.concurrency ?? 16;
    this.#sealing = { store: this.store, keys: this.keys, defaultKeyId: this.defaultKeyId, clock: deps.clock ?? (() => new Date()) };
  }

  /** Store a new version (the next one unless `options.version`); see {@link putSecret}. */
  async put(name: string, value: string, options: PutOptions = {}): Promise<{ name: string; version: string }> {
    return putSecret(this.#sealing, name, value, options);
  }

  /** Seal `value` as row `name`@`version` without storing it; see {@link sealSecret}. */
  async sealRecord(name: string, value: string, version: string, options: Omit<PutOptions, 'version' | 'expectVersion'> = {}): Promise<SecretRow> {
    return sealSecret(this.#sealing, name, value, version, options);
  }

  /** Decrypt one stored row (HMAC checked before decrypting; data key zeroed). */
  async open(record: SecretRow, context: GetOptions['context'] = {}): Promise<string> {
    return openRecord(this.keys, record, context);
  }

  /** The row of `name` at `version` (short or padded) or its latest; SecretNotFoundError if absent. */
  async getRecord(name: string, version?: string): Promise<SecretRow> {
    return readRecord(this.store, name, version);
  }

  /** The plaintext of one secret. */
  async get(name: string, options: GetOptions = {}): Promise<string> {
    return getSecret(this, name, options);
  }

  /** The latest row of `name` (legacy unpadded versions compared numerically, {@link latestRecord}). */
  async latestRecord(name: string): Promise<SecretRow | undefined> {
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

  /** Values of every secret (or a pattern's, or `names`), all-or-nothing; see {@link getAll}. */
  async getAll(options: GetAllOptions = {}): Promise<SecretPairs> {
    return getAll(this, options);
  }

  /** Values of the names matching a glob (`get 'app.*'`). */
  async getMatching(pattern: string, options: GetOptions = {}): Promise<SecretPairs> {
    return getMatching(this, pattern, options);
  }

  /** The values of a selection (names, globs or all) as `export`, `exec` and `getall` read it; see {@link readSelection}. */
  async select(selection: SecretSelection): Promise<SecretPairs> {
    return readSelection(this, selection);
  }

  /** The variables of `exec`'s child, every error thrown before any is returned; see {@link resolveExecEnv}. */
  async execEnvironment(options: ExecEnvOptions): Promise<EnvEntry[]> {
    return resolveExecEnv(this, options);
  }

  /** A template with every secret reference replaced (`inject`); see {@link renderTemplate}. */
  async inject(template: string, options: InjectOptions = {}): Promise<string> {
    return renderTemplate(this, template, options);
  }

  /** Metadata of every version of every secret, sorted by (name, version order). */
  async list(): Promise<SecretMeta[]> {
    return listVersions(this.store);
  }

  /** Every version of one secret, newest first; with `keys`, the ARN of the key that wrapped each. See {@link secretHistory}. */
  async history(name: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
    return secretHistory(this, name, options);
  }

  /** Delete every version of `name`, or one version; SecretNotFoundError when nothing matched. */
  async delete(name: string, options: { version?: string } = {}): Promise<SecretMeta[]> {
    return deleteSecret(this.store, name, options.version);
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

  /** Re-wrap data keys under another master key, or re-seal values under fresh data keys; see {@link rotateSecrets}. */
  async rotate(options: RotateOptions): Promise<RotateSummary> {
    return rotateSecrets(this, options);
  }

  /** Store name/value pairs as new versions where the value changed; see {@link importSecrets}. */
  async import(pairs: ReadonlyArray<readonly [string, string]>, options: ImportOptions = {}): Promise<ImportResult[]> {
    return importSecrets(this, pairs, options);
  }

  /**
   * Copy every version of every secret into `dest` (wrapped data keys re-wrapped for dest's key
   * service, no value decrypted), then verify the copies; see {@link migrate}.
   */
  async migrate(dest: MigrateDestination, options: MigrateOptions = {}): Promise<MigrateSummary> {
    return migrate(this, dest, options);
  }

  /** Copy the versions `dest` lacks (another region or data directory), no value decrypted; see {@link replicate}. */
  async replicate(dest: Keystash, options: ReplicateOptions = {}): Promise<ReplicateSummary> {
    return replicate(this, dest, options);
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
  async restore(rows: readonly SecretRow[], options: RestoreOptions = {}): Promise<RestoreSummary> {
    return restoreBackup(this, rows, options);
  }

  /** The versions that diverged or are missing across the keystashes of several regions; see {@link compareReplicas}. */
  static async compareReplicas(replicas: ReadonlyArray<{ name: string; keystash: Keystash }>): Promise<ReplicaComparison> {
    return compareReplicas(replicas.map((r) => ({ name: r.name, store: r.keystash.store })));
  }

  close(): void {
    this.store.close();
    this.keys.close?.();
  }
}
