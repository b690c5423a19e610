/**
 * The local KMS with an audit trail (audit-log.ts): a pass-through over LocalKms that appends one
 * record per key operation, as principal `local` from source `local` (in-process use: the CLI and
 * the library). The loopback server records its requests itself (it knows the access key id and
 * the client address), so it serves a bare LocalKms.
 *
 * Fail closed: when a successful operation cannot be recorded, its result is wiped and the
 * operation fails with KmsError 'kms.audit' — nothing is decrypted unrecorded.
 */
import { AuditLog, auditErrorCode, LOCAL_PRINCIPAL } from './audit-log.js';
import type { AuditEntry } from './audit-log.js';
import type { AliasEntry, KeyManager, KeyMetadata } from './key-manager.js';
import type {
  DataKey, DecryptRequest, DecryptResult, EncryptionContext, EncryptRequest, EncryptResult, GenerateDataKeyRequest,
  KeyService, ReEncryptRequest, ReEncryptResult,
} from '../envelope/keyservice.js';
import { parseWrappedKeyHeader } from './wrapped-key.js';

/** What LocalKms offers: KeyService, KeyManager and keyring administration. */
export interface LocalKeyring extends KeyService, KeyManager {
  readonly path: string;
  describeKeyArn(keyId: string): Promise<string>;
  sealKeyring(): Promise<void>;
  unsealKeyring(): Promise<void>;
  /** Copy a multi-region key into another keyring as a replica (LocalKms.replicateKey). */
  replicateKey(keyId: string, targetPath: string, replicaRegion: string, passphrase?: string): Promise<KeyMetadata>;
  close(): void;
}

/** What an operation is about, for its record. */
interface Subject {
  keyId?: string | undefined;
  context?: EncryptionContext | undefined;
}

/** The key id in a wrapped key's header (for records of failed decrypts), if it has one. */
function blobKeyId(blob: Uint8Array): string | undefined {
  try {
    return parseWrappedKeyHeader(blob).keyId;
  } catch {
    return undefined;
  }
}

const arnOfMeta = (meta: KeyMetadata): string => meta.arn;

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

  /** Run `operation`, then record it; a result that cannot be recorded is wiped (`discard`) and not returned. */
  async #audited<T>(eventName: string, subject: Subject, operation: () => Promise<T>, arnOf: (result: T) => string | undefined, discard?: (result: T) => void): Promise<T> {
    const entry: AuditEntry = { eventName, accessKeyId: LOCAL_PRINCIPAL, sourceIPAddress: LOCAL_PRINCIPAL, keyId: subject.keyId, context: subject.context, outcome: 'ok' };
    let result: T;
    try {
      result = await operation();
    } catch (err) {
      const errorCode = auditErrorCode(err);
      this.#log.append({ ...entry, outcome: errorCode === 'AccessDeniedException' ? 'denied' : 'error', errorCode });
      throw err;
    }
    try {
      this.#log.append({ ...entry, keyArn: arnOf(result) });
    } catch (err) {
      discard?.(result);
      throw err;
    }
    return result;
  }

  generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey> {
    return this.#audited('GenerateDataKey', { keyId: request.keyId, context: request.context }, () => this.#inner.generateDataKey(request), (r) => r.keyId, (r) => r.plaintext.fill(0));
  }

  decrypt(request: DecryptRequest): Promise<DecryptResult> {
    const subject = { keyId: blobKeyId(request.ciphertextBlob), context: request.context };
    return this.#audited('Decrypt', subject, () => this.#inner.decrypt(request), (r) => r.keyId, (r) => r.plaintext.fill(0));
  }

  encrypt(request: EncryptRequest): Promise<EncryptResult> {
    return this.#audited('Encrypt', { keyId: request.keyId, context: request.context }, () => this.#inner.encrypt(request), (r) => r.keyId);
  }

  reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult> {
    const subject = { keyId: request.destinationKeyId, context: { ...request.sourceContext, ...request.destinationContext } };
    return this.#audited('ReEncrypt', subject, () => this.#inner.reEncrypt(request), (r) => r.keyId);
  }

  describeKeyArn(keyId: string): Promise<string> {
    return this.#audited('DescribeKey', { keyId }, () => this.#inner.describeKeyArn(keyId), (arn) => arn);
  }

  replicateKey(keyId: string, targetPath: string, replicaRegion: string, passphrase?: string): Promise<KeyMetadata> {
    return this.#audited('ReplicateKey', { keyId }, () => this.#inner.replicateKey(keyId, targetPath, replicaRegion, passphrase), arnOfMeta);
  }
  createKey(options: { description?: string; alias?: string; multiRegion?: boolean } = {}): Promise<KeyMetadata> {
    return this.#audited('CreateKey', { keyId: options.alias }, () => this.#inner.createKey(options), arnOfMeta);
  }

  describeKey(keyId: string): Promise<KeyMetadata> {
    return this.#audited('DescribeKey', { keyId }, () => this.#inner.describeKey(keyId), arnOfMeta);
  }

  listKeys(): Promise<KeyMetadata[]> {
    return this.#audited('ListKeys', {}, () => this.#inner.listKeys(), () => undefined);
  }

  createAlias(aliasName: string, keyId: string): Promise<void> {
    return this.#audited('CreateAlias', { keyId }, () => this.#inner.createAlias(aliasName, keyId), () => undefined);
  }

  updateAlias(aliasName: string, keyId: string): Promise<void> {
    return this.#audited('UpdateAlias', { keyId }, () => this.#inner.updateAlias(aliasName, keyId), () => undefined);
  }

  deleteAlias(aliasName: string): Promise<void> {
    return this.#audited('DeleteAlias', { keyId: aliasName }, () => this.#inner.deleteAlias(aliasName), () => undefined);
  }

  listAliases(): Promise<AliasEntry[]> {
    return this.#audited('ListAliases', {}, () => this.#inner.listAliases(), () => undefined);
  }

  setKeyEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#audited(enabled ? 'EnableKey' : 'DisableKey', { keyId }, () => this.#inner.setKeyEnabled(keyId, enabled), arnOfMeta);
  }

  rotateKey(keyId: string): Promise<KeyMetadata> {
    return this.#audited('RotateKeyOnDemand', { keyId }, () => this.#inner.rotateKey(keyId), arnOfMeta);
  }

  setRotationEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#audited(enabled ? 'EnableKeyRotation' : 'DisableKeyRotation', { keyId }, () => this.#inner.setRotationEnabled(keyId, enabled), arnOfMeta);
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
