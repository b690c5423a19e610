/**
 * The local KMS with an audit trail (audit-log.ts): a pass-through over LocalKms that appends one
 * record per key operation, as principal `local` from source `local` (in-process use: the CLI and
 * the library). The loopback server records its requests itself (it knows the access key id and
 * the client address), so it serves a bare LocalKms.
 *
 * Fail closed: when a successful operation cannot be recorded, its result is wiped and the
 * operation fails with KmsError 'kms.audit' — nothing is decrypted unrecorded. A key or alias
 * change is made only after the log was found writable (checked before the change).
 *
 * Bulk commands (`getall`, `export`, `exec`, `inject`): inside {@link AuditedKms.bulk} the
 * operations are counted, not recorded one by one, and one record per operation, key and outcome
 * is appended when the command's reads are done — whether they succeeded or failed part-way: its
 * count, the command, the key, and a SHA-256 over the sorted names the command read (CloudTrail
 * records calls; in-process there is one). The log is checked writable before the reads, and if
 * the records cannot be written the command fails and its values are discarded. An operation still
 * running when its bulk ends is recorded on its own.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { AuditLog, auditErrorCode, LOCAL_PRINCIPAL } from './audit-log.js';
import type { AuditEntry } from './audit-log.js';
import type { AliasEntry, KeyManager, KeyMetadata } from './key-manager.js';
import type {
  DataKey, DecryptRequest, DecryptResult, EncryptionContext, EncryptRequest, EncryptResult, GenerateDataKeyRequest,
  KeyService, ReEncryptRequest, ReEncryptResult,
} from '../envelope/keyservice.js';
import { wrappedKeyId } from './wrapped-key.js';
import { byCodeUnit } from '../order.js';

/** What LocalKms offers: KeyService, KeyManager and keyring administration. */
export interface LocalKeyring extends KeyService, KeyManager {
  readonly path: string;
  describeKeyArn(keyId: string): Promise<string>;
  sealKeyring(): Promise<void>;
  unsealKeyring(): Promise<void>;
  /** First run: create the keyring with alias/credstash's key; undefined when it existed. */
  createKeyringIfAbsent(): Promise<KeyMetadata | undefined>;
  /** Copy a multi-region key into another keyring as a replica (LocalKms.replicateKey). */
  replicateKey(keyId: string, targetPath: string, replicaRegion: string, passphrase?: string): Promise<KeyMetadata>;
  close(): void;
}

/**
 * Record a key LocalKms created without a CreateKey call (alias/credstash's, on first use or at
 * `kms serve`'s first start) as the in-process CreateKey it is (LocalKmsOptions.onDefaultKeyCreated).
 */
export function recordDefaultKeyCreated(log: AuditLog, meta: KeyMetadata): void {
  log.append({ eventName: 'CreateKey', accessKeyId: LOCAL_PRINCIPAL, sourceIPAddress: LOCAL_PRINCIPAL, keyId: meta.aliases[0], keyArn: meta.arn, outcome: 'ok' });
}

/** What an operation is about, for its record. */
interface Subject {
  keyId?: string | undefined;
  /** The alias name an alias operation (or CreateKey with an alias) creates, moves or deletes. */
  aliasName?: string | undefined;
  /** The ARN of `keyId`, resolved before an operation whose result names no key. */
  keyArn?: string | undefined;
  sourceKeyId?: string | undefined;
  /** UpdateAlias: the ARN of the key the alias pointed at before (its record names both keys). */
  sourceKeyArn?: string | undefined;
  context?: EncryptionContext | undefined;
}

const arnOfMeta = (meta: KeyMetadata): string => meta.arn;

/** One bulk command's counts, by operation, key and outcome. */
interface BulkScope {
  command: string;
  names: number;
  namesDigest: string;
  counts: Map<string, { entry: AuditEntry; count: number }>;
  /** Written out: an operation that ends after its bulk (started inside, awaited after) is recorded on its own. */
  closed: boolean;
}

/** `sha256:<hex>` over the names sorted by code point, one per line. */
function namesDigest(names: readonly string[]): string {
  const sorted = [...names].sort(byCodeUnit);
  const hash = createHash('sha256');
  for (const name of sorted) hash.update(`${JSON.stringify(name)}\n`);
  return `sha256:${hash.digest('hex')}`;
}

/**
 * The bulk commands running in the current async context, by the AuditedKms that runs each. One
 * storage for the process, never one per instance: before Node 24 an AsyncLocalStorage that has
 * run stays registered with async_hooks for the life of the process and every promise created
 * afterwards visits it, so one per instance (a library user or a test opening many) leaked and
 * slowed every later promise.
 */
const bulkScopes = new AsyncLocalStorage<ReadonlyMap<AuditedKms, BulkScope>>();

/** LocalKms whose every key operation is appended to an audit log. */
export class AuditedKms implements LocalKeyring {
  readonly #inner: LocalKeyring;
  readonly #log: AuditLog;

  constructor(inner: LocalKeyring, log: AuditLog) {
    this.#inner = inner;
    this.#log = log;
  }

  get path(): string {
    return this.#inner.path;
  }

  /** Run `fn` as one bulk command over `names` (see the file comment). */
  async bulk<T>(command: string, names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const running = bulkScopes.getStore();
    if (running?.has(this) === true) return fn(); // already inside one
    this.#log.checkWritable();
    const scope: BulkScope = { command, names: names.length, namesDigest: namesDigest(names), counts: new Map(), closed: false };
    try {
      return await bulkScopes.run(new Map(running).set(this, scope), fn);
    } finally {
      // Also when the bulk fails part-way (a set-up error stops the reads after some values were
      // decrypted): recorded before the error goes on (an unwritable log fails it as kms.audit).
      this.#writeScope(scope);
    }
  }

  /** Append a bulk's counts, one record per operation, key and outcome, and close it. */
  #writeScope(scope: BulkScope): void {
    scope.closed = true;
    for (const { entry, count } of scope.counts.values()) {
      this.#log.append({ ...entry, additionalEventData: { count, command: scope.command, names: scope.names, namesDigest: scope.namesDigest } });
    }
  }

  /** Record `entry`, or count it when inside a bulk command. */
  #record(entry: AuditEntry): void {
    const scope = bulkScopes.getStore()?.get(this);
    if (scope === undefined || scope.closed) return this.#log.append(entry);
    const key = JSON.stringify([entry.eventName, entry.keyArn ?? entry.keyId ?? '', entry.sourceKeyArn ?? '', entry.outcome, entry.errorCode ?? '']);
    const seen = scope.counts.get(key);
    if (seen === undefined) scope.counts.set(key, { entry: { ...entry, context: undefined }, count: 1 });
    else seen.count++;
  }

  /** Run `operation`, then record it; a result that cannot be recorded is wiped (`discard`) and not returned. */
  async #audited<T>(eventName: string, subject: Subject, operation: () => Promise<T>, arnOf: (result: T) => string | undefined, discard?: (result: T) => void, extra: (result: T) => Partial<AuditEntry> = () => ({})): Promise<T> {
    const entry: AuditEntry = { eventName, accessKeyId: LOCAL_PRINCIPAL, sourceIPAddress: LOCAL_PRINCIPAL, keyId: subject.keyId, keyArn: subject.keyArn, aliasName: subject.aliasName, sourceKeyId: subject.sourceKeyId, sourceKeyArn: subject.sourceKeyArn, context: subject.context, outcome: 'ok' };
    let result: T;
    try {
      result = await operation();
    } catch (err) {
      const errorCode = auditErrorCode(err);
      this.#record({ ...entry, outcome: errorCode === 'AccessDeniedException' ? 'denied' : 'error', errorCode });
      throw err;
    }
    try {
      this.#record({ ...entry, keyArn: arnOf(result) ?? entry.keyArn, ...extra(result) });
    } catch (err) {
      discard?.(result);
      throw err;
    }
    return result;
  }

  /** A key or alias change: made only once the log is found writable, then recorded as any operation. */
  #change<T>(eventName: string, subject: Subject, operation: () => Promise<T>, arnOf: (result: T) => string | undefined): Promise<T> {
    this.#log.checkWritable();
    return this.#audited(eventName, subject, operation, arnOf);
  }

  generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey> {
    return this.#audited('GenerateDataKey', { keyId: request.keyId, context: request.context }, () => this.#inner.generateDataKey(request), (r) => r.keyId, (r) => r.plaintext.fill(0));
  }

  decrypt(request: DecryptRequest): Promise<DecryptResult> {
    // The key the blob names, so a failed decrypt's record says which key it was about.
    const subject = { keyId: wrappedKeyId(request.ciphertextBlob), context: request.context };
    return this.#audited('Decrypt', subject, () => this.#inner.decrypt(request), (r) => r.keyId, (r) => r.plaintext.fill(0));
  }

  encrypt(request: EncryptRequest): Promise<EncryptResult> {
    return this.#audited('Encrypt', { keyId: request.keyId, context: request.context }, () => this.#inner.encrypt(request), (r) => r.keyId);
  }

  reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult> {
    const subject = { keyId: request.destinationKeyId, sourceKeyId: wrappedKeyId(request.ciphertextBlob), context: { ...request.sourceContext, ...request.destinationContext } };
    return this.#audited('ReEncrypt', subject, () => this.#inner.reEncrypt(request), (r) => r.keyId, undefined, (r) => ({ sourceKeyArn: r.sourceKeyId }));
  }

  /** Read from the blob's header: no key operation, so nothing to record. */
  wrappingKeyId(ciphertextBlob: Uint8Array): Promise<string | undefined> {
    return this.#inner.wrappingKeyId(ciphertextBlob);
  }

  describeKeyArn(keyId: string): Promise<string> {
    return this.#audited('DescribeKey', { keyId }, () => this.#inner.describeKeyArn(keyId), (arn) => arn);
  }

  replicateKey(keyId: string, targetPath: string, replicaRegion: string, passphrase?: string): Promise<KeyMetadata> {
    return this.#change('ReplicateKey', { keyId }, () => this.#inner.replicateKey(keyId, targetPath, replicaRegion, passphrase), arnOfMeta);
  }
  createKey(options: { description?: string; alias?: string; multiRegion?: boolean } = {}): Promise<KeyMetadata> {
    return this.#change('CreateKey', { keyId: options.alias, aliasName: options.alias }, () => this.#inner.createKey(options), arnOfMeta);
  }

  describeKey(keyId: string): Promise<KeyMetadata> {
    return this.#audited('DescribeKey', { keyId }, () => this.#inner.describeKey(keyId), arnOfMeta);
  }

  listKeys(): Promise<KeyMetadata[]> {
    return this.#audited('ListKeys', {}, () => this.#inner.listKeys(), () => undefined);
  }

  /** The ARN of the key `keyId` names now (an alias operation's record names it), or undefined. */
  async #arnOf(keyId: string): Promise<string | undefined> {
    try {
      return await this.#inner.describeKeyArn(keyId);
    } catch {
      return undefined;
    }
  }

  async createAlias(aliasName: string, keyId: string): Promise<void> {
    const keyArn = await this.#arnOf(keyId);
    return this.#change('CreateAlias', { keyId, aliasName, keyArn }, () => this.#inner.createAlias(aliasName, keyId), () => undefined);
  }

  async updateAlias(aliasName: string, keyId: string): Promise<void> {
    const [keyArn, sourceKeyArn] = await Promise.all([this.#arnOf(keyId), this.#arnOf(aliasName)]);
    return this.#change('UpdateAlias', { keyId, aliasName, keyArn, sourceKeyArn }, () => this.#inner.updateAlias(aliasName, keyId), () => undefined);
  }

  /** Recorded with the key the alias pointed at before it was deleted. */
  async deleteAlias(aliasName: string): Promise<void> {
    const keyArn = await this.#arnOf(aliasName);
    return this.#change('DeleteAlias', { keyId: aliasName, aliasName, keyArn }, () => this.#inner.deleteAlias(aliasName), () => undefined);
  }

  listAliases(): Promise<AliasEntry[]> {
    return this.#audited('ListAliases', {}, () => this.#inner.listAliases(), () => undefined);
  }

  setKeyEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#change(enabled ? 'EnableKey' : 'DisableKey', { keyId }, () => this.#inner.setKeyEnabled(keyId, enabled), arnOfMeta);
  }

  rotateKey(keyId: string): Promise<KeyMetadata> {
    return this.#change('RotateKeyOnDemand', { keyId }, () => this.#inner.rotateKey(keyId), arnOfMeta);
  }

  setRotationEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#change(enabled ? 'EnableKeyRotation' : 'DisableKeyRotation', { keyId }, () => this.#inner.setRotationEnabled(keyId, enabled), arnOfMeta);
  }

  createKeyringIfAbsent(): Promise<KeyMetadata | undefined> {
    return this.#inner.createKeyringIfAbsent();
  }

  sealKeyring(): Promise<void> {
    return this.#inner.sealKeyring();
  }

  unsealKeyring(): Promise<void> {
    return this.#inner.unsealKeyring();
  }

  close(): void {
    this.#inner.close();
  }
}
