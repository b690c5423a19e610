/**
 * The local KMS (docs/architecture.md "Local KMS"): KMS's data-plane operations (GenerateDataKey, Decrypt,
 * Encrypt, ReEncrypt) and the control-plane subset keystash needs, over a keyring file
 * (keyring.ts). Wrapped keys are self-describing blobs (wrapped-key.ts) that bind the
 * encryption context as AES-256-GCM additional data. The loopback KMS server is a thin adapter
 * over this class.
 *
 * Errors follow KMS: a blob that cannot be unwrapped (wrong context, damage, unknown key or
 * backing key) is a DecryptError (InvalidCiphertextException); an unknown key id is KmsError
 * 'kms.notFound' (NotFoundException); a disabled key 'kms.disabled' (DisabledException); bad
 * arguments 'kms.validation' (ValidationException); an alias in use 'kms.aliasExists'
 * (AlreadyExistsException). No message contains key material or plaintext.
 */
import { equalConstantTime, randomBytes } from '../envelope/primitives.js';
import { DecryptError, KeyNotInKeyringError, KmsError } from '../errors.js';
import { base64ToBytes } from '../envelope/codec.js';
import type { AliasEntry, KeyManager, KeyMetadata } from './key-manager.js';
import { aliasNameOf, findKey, newBackingKey, newMasterKey, toMetadata } from './keyring-format.js';
import type { BackingKeyRecord, KeyringData, MasterKeyRecord } from './keyring-format.js';
import { KeyringFile } from './keyring.js';
import { DEFAULT_KEY } from '../defaults.js';
import type {
  DataKey, DecryptRequest, DecryptResult, EncryptionContext, EncryptRequest, EncryptResult, GenerateDataKeyRequest,
  KeyService, ReEncryptRequest, ReEncryptResult,
} from '../envelope/keyservice.js';
import { parseWrappedKeyHeader, unwrapKey, wrapKey, wrappedKeyId } from './wrapped-key.js';

/** KMS GenerateDataKey NumberOfBytes range. */
export const MAX_DATA_KEY_BYTES = 1024;
/** KMS Encrypt plaintext limit. */
const MAX_ENCRYPT_BYTES = 4096;
/** Region in ARNs when none is configured. */
const DEFAULT_REGION = 'local';
/** Account in ARNs when none is configured. */
const DEFAULT_ACCOUNT_ID = '000000000000';

/** Options of `LocalKms.open`. */
export interface LocalKmsOptions {
  /** Keyring file; created (0600, directory 0700) on first use. */
  path: string;
  /** Seals new keyrings and unlocks sealed ones (the CLI passes KEYSTASH_KMS_PASSPHRASE). */
  passphrase?: string;
  /** Region in new keys' ARNs; default 'local'. */
  region?: string;
  /** Account in new keys' ARNs; default '000000000000'. */
  accountId?: string;
  /** Clock for creation dates; default `new Date()`. */
  now?: () => Date;
  /**
   * Create alias/credstash's key (and the keyring) when a data key is first asked of it, and add it
   * to a keyring that CreateKey creates; default true (in-process first run). The KMS server's
   * keyring is opened with false: through the server a missing key is NotFoundException, never
   * created by whoever asks for it (issue 24 item 3).
   */
  createDefaultKey?: boolean;
  /** Told of every key created without a CreateKey call (alias/credstash's on first use), to record it. */
  onDefaultKeyCreated?: (meta: KeyMetadata) => void;
  /**
   * Called before a keyring is created where none exists; throws to refuse (the composition root
   * refuses when the store holds rows wrapped by local keys: the keyring was lost, see
   * {@link refuseNewKeyring}).
   */
  beforeCreate?: (() => Promise<void>) | undefined;
}

function validation(message: string): KmsError {
  return new KmsError(message, { code: 'kms.validation' });
}

/**
 * A blob names a key the keyring lacks (issue 22 item 11): the keyring was lost or replaced, and
 * only the original keyring.json can unwrap it; a new keyring never can. The key id comes from the
 * blob's unauthenticated header, parsed as a UUID (hex and dashes only).
 */
export function keyNotInKeyring(path: string, what: string, noKeyring: boolean): KeyNotInKeyringError {
  // With a keyring present, a row's altered header names an unknown key too: say both causes.
  const text = noKeyring
    ? `${what} is not in the keyring (there is no keyring at ${path}); restore keyring.json from a backup: a new keyring cannot unwrap data keys wrapped by the old one`
    : `${what} is not in the keyring (the keyring ${path} does not hold it); restore keyring.json from a backup if it was lost or replaced (otherwise this row's wrapped data key was altered)`;
  return new KeyNotInKeyringError(text, {
    code: noKeyring ? 'config.noKeyring' : 'config.keyNotInKeyring',
  });
}

/**
 * Refuse to create a new keyring while `rows` (a store's rows) hold data keys wrapped by a local
 * key: the keyring that holds that key was lost (the store was restored alone), and secrets put
 * under a new keyring would hide the loss until the old rows are needed. Reads rows until the first
 * local-wrapped one; a row whose key does not even parse as a local blob is passed over.
 */
export async function refuseNewKeyring(path: string, rows: AsyncIterable<{ key: string }>): Promise<void> {
  for await (const row of rows) {
    let keyId: string;
    try {
      keyId = parseWrappedKeyHeader(base64ToBytes(row.key, 'key')).keyId;
    } catch {
      continue;
    }
    throw keyNotInKeyring(path, `key ${keyId}, which wrapped the data keys of stored secrets,`, true);
  }
}

function checkContext(context: EncryptionContext): void {
  if (typeof context !== 'object' || context === null) throw validation('encryption context must be an object of strings');
  for (const [name, value] of Object.entries(context)) {
    if (typeof value !== 'string') throw validation(`encryption context value of '${name}' must be a string`);
  }
}

function checkAliasName(alias: string): void {
  if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(alias) || alias.startsWith('alias/aws/')) {
    throw validation(`invalid alias name (not shown, in case it is the secret): use alias/ followed by letters, digits, '/', '_' or '-' (not alias/aws/)`);
  }
}

function currentBacking(key: MasterKeyRecord): BackingKeyRecord {
  const backing = key.backingKeys.find((b) => b.id === key.currentBackingKey);
  if (backing === undefined) throw new DecryptError(); // unreachable: keyring-format validates it
  return backing;
}

/** Same backing key material (compared in constant time; the decoded copies are wiped). */
function sameMaterial(a: BackingKeyRecord, b: BackingKeyRecord): boolean {
  return withMaterial(a, (x) => withMaterial(b, (y) => equalConstantTime(x, y)));
}

/** Run `use` with a backing key's material decoded, and wipe the decoded copy afterwards. */
function withMaterial<T>(backing: BackingKeyRecord, use: (material: Uint8Array) => T): T {
  const material = base64ToBytes(backing.material, 'backing key');
  try {
    return use(material);
  } finally {
    material.fill(0);
  }
}

function wrapUnder(key: MasterKeyRecord, plaintext: Uint8Array, context: EncryptionContext): Uint8Array {
  const backing = currentBacking(key);
  return withMaterial(backing, (material) => wrapKey({ keyId: key.keyId, backingKeyId: backing.id, material, plaintext, context }));
}

/** The local key service and key manager over one keyring file. */
export class LocalKms implements KeyService, KeyManager {
  /** Path of the keyring file. */
  readonly path: string;
  readonly #file: KeyringFile;
  readonly #arnPrefix: string;
  readonly #now: () => Date;
  readonly #createDefaultKey: boolean;
  readonly #onDefaultKeyCreated: (meta: KeyMetadata) => void;
  readonly #beforeCreate: (() => Promise<void>) | undefined;

  private constructor(options: LocalKmsOptions) {
    this.path = options.path;
    this.#file = new KeyringFile(options.path, options.passphrase);
    this.#arnPrefix = `arn:aws:kms:${options.region ?? DEFAULT_REGION}:${options.accountId ?? DEFAULT_ACCOUNT_ID}`;
    this.#now = options.now ?? (() => new Date());
    this.#createDefaultKey = options.createDefaultKey ?? true;
    this.#onDefaultKeyCreated = options.onDefaultKeyCreated ?? (() => {});
    this.#beforeCreate = options.beforeCreate;
  }

  /** Cheap: no I/O until the first operation; every operation sees the file's current state. */
  static open(options: LocalKmsOptions): LocalKms {
    return new LocalKms(options);
  }

  /** KMS GenerateDataKey: `numberOfBytes` (1..1024) random bytes and their wrap. Caller zeroes `plaintext`. */
  async generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey> {
    const { numberOfBytes, context } = request;
    if (!Number.isInteger(numberOfBytes) || numberOfBytes < 1 || numberOfBytes > MAX_DATA_KEY_BYTES) {
      throw validation(`numberOfBytes must be an integer from 1 to ${MAX_DATA_KEY_BYTES}`);
    }
    checkContext(context);
    const key = await this.#keyForWrapping(request.keyId);
    const plaintext = randomBytes(numberOfBytes);
    return { plaintext, ciphertextBlob: wrapUnder(key, plaintext, context), keyId: key.arn };
  }

  /** KMS Decrypt: the key named in the blob's header; context must equal the one used to wrap. */
  async decrypt(request: DecryptRequest): Promise<DecryptResult> {
    checkContext(request.context);
    const header = parseWrappedKeyHeader(request.ciphertextBlob);
    const data = this.#file.read();
    const key = findKey(data, header.keyId);
    if (key === undefined) throw keyNotInKeyring(this.path, `key ${header.keyId}`, data === undefined);
    this.#checkEnabled(key);
    const backing = key.backingKeys.find((b) => b.id === header.backingKeyId);
    if (backing === undefined) throw keyNotInKeyring(this.path, `backing key ${header.backingKeyId} of key ${header.keyId}`, false);
    const plaintext = withMaterial(backing, (material) => unwrapKey(request.ciphertextBlob, material, request.context));
    return { plaintext, keyId: key.arn };
  }

  /** KMS Encrypt: 1..4096 bytes of plaintext wrapped under the key's current backing key. */
  async encrypt(request: EncryptRequest): Promise<EncryptResult> {
    const { plaintext, context } = request;
    if (plaintext.length < 1 || plaintext.length > MAX_ENCRYPT_BYTES) {
      throw validation(`plaintext must be 1 to ${MAX_ENCRYPT_BYTES} bytes (got ${plaintext.length})`);
    }
    checkContext(context);
    const key = await this.#keyForWrapping(request.keyId);
    return { ciphertextBlob: wrapUnder(key, plaintext, context), keyId: key.arn };
  }

  /** KMS ReEncrypt: unwrap with the source context, wrap under the destination; the plaintext is wiped. */
  async reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult> {
    checkContext(request.destinationContext);
    const source = await this.decrypt({ ciphertextBlob: request.ciphertextBlob, context: request.sourceContext });
    try {
      const key = await this.#keyForWrapping(request.destinationKeyId);
      const ciphertextBlob = wrapUnder(key, source.plaintext, request.destinationContext);
      return { ciphertextBlob, keyId: key.arn, sourceKeyId: source.keyId };
    } finally {
      source.plaintext.fill(0);
    }
  }

  /** The key id a local blob's header names (wrapped-key.ts); undefined for any other blob. */
  async wrappingKeyId(ciphertextBlob: Uint8Array): Promise<string | undefined> {
    return wrappedKeyId(ciphertextBlob);
  }

  /** The ARN of a key id / ARN / alias; KmsError 'kms.notFound' if unknown. */
  async describeKeyArn(keyId: string): Promise<string> {
    return this.#existingKey(keyId).arn;
  }

  /** Wipe passphrase-derived keys held in memory. The instance stays usable (re-derives). */
  /** Rewrite the keyring sealed under the passphrase it was opened with (`kms seal`). */
  async sealKeyring(): Promise<void> {
    await this.#file.seal();
  }

  /** Rewrite the sealed keyring as plain JSON (`kms unseal`); needs its passphrase. */
  async unsealKeyring(): Promise<void> {
    await this.#file.unseal();
  }

  close(): void {
    this.#file.forget();
  }

  /**
   * KMS CreateKey (+ CreateAlias). Creating the keyring also creates alias/credstash's key.
   * `multiRegion`: a multi-region primary key (`mrk-…`, KMS CreateKey MultiRegion=true).
   */
  async createKey(options: { description?: string; alias?: string; multiRegion?: boolean } = {}): Promise<KeyMetadata> {
    const { alias, description = '' } = options;
    if (alias !== undefined) checkAliasName(alias);
    const key = this.#newKey(description, alias, options.multiRegion === true);
    const defaultKey = alias === DEFAULT_KEY || !this.#createDefaultKey ? undefined : this.#newDefaultKey();
    if (this.#file.read() === undefined) await this.#beforeCreate?.();
    if (this.#file.createIfAbsent(() => ({ keys: defaultKey === undefined ? [key] : [defaultKey, key] }))) {
      if (defaultKey !== undefined) this.#onDefaultKeyCreated(toMetadata(defaultKey));
    } else {
      await this.#file.update((data) => {
        if (alias !== undefined && findKey(data, alias) !== undefined) throw this.#aliasExists(alias);
        data.keys.push(key);
      });
    }
    return toMetadata(key);
  }

  /**
   * First run: create the keyring with alias/credstash's key when no keyring exists (whatever
   * `createDefaultKey` says: this is the owner's explicit, in-process start, e.g. `kms serve`).
   * Returns the new key's metadata, or undefined when the keyring already existed.
   */
  async createKeyringIfAbsent(): Promise<KeyMetadata | undefined> {
    if (this.#file.read() !== undefined) return undefined;
    await this.#beforeCreate?.();
    const key = this.#newDefaultKey();
    if (!this.#file.createIfAbsent(() => ({ keys: [key] }))) return undefined;
    const meta = toMetadata(key);
    this.#onDefaultKeyCreated(meta);
    return meta;
  }

  /** KMS DescribeKey. */
  async describeKey(keyId: string): Promise<KeyMetadata> {
    return toMetadata(this.#existingKey(keyId));
  }

  /** KMS ListKeys, in creation order; empty when the keyring does not exist yet. */
  async listKeys(): Promise<KeyMetadata[]> {
    return (this.#file.read()?.keys ?? []).map(toMetadata);
  }

  /** KMS CreateAlias: `alias/…` (not `alias/aws/…`) → key; KmsError 'kms.aliasExists' if taken. */
  async createAlias(aliasName: string, keyId: string): Promise<void> {
    checkAliasName(aliasName);
    await this.#modifyKey(keyId, (key, data) => {
      if (findKey(data, aliasName) !== undefined) throw this.#aliasExists(aliasName);
      key.aliases.push(aliasName);
    });
  }

  /** KMS UpdateAlias: point an existing alias at another key. */
  async updateAlias(aliasName: string, keyId: string): Promise<void> {
    checkAliasName(aliasName);
    this.#existingKey(keyId);
    await this.#modifyKey(aliasName, (from, data) => {
      const to = findKey(data, keyId);
      if (to === undefined) throw this.#notFound(keyId);
      from.aliases.splice(from.aliases.indexOf(aliasName), 1);
      to.aliases.push(aliasName);
    });
  }

  /** KMS DeleteAlias: the alias goes, its key stays. */
  async deleteAlias(aliasName: string): Promise<void> {
    checkAliasName(aliasName);
    await this.#modifyKey(aliasName, (key) => void key.aliases.splice(key.aliases.indexOf(aliasName), 1));
  }

  /** KMS ListAliases; alias ARNs use the target key's region and account. */
  async listAliases(): Promise<AliasEntry[]> {
    return (this.#file.read()?.keys ?? []).flatMap((key) =>
      key.aliases.map((aliasName) => ({
        aliasName,
        aliasArn: key.arn.replace(/:key\/[^:]+$/, `:${aliasName}`),
        targetKeyId: key.keyId,
      })),
    );
  }

  /** KMS EnableKey / DisableKey. A disabled key refuses every data-plane operation. */
  async setKeyEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#modifyKey(keyId, (key) => {
      key.enabled = enabled;
    });
  }

  /**
   * KMS ReplicateKey, between keyrings: copy the multi-region key `keyId` (its id and backing keys,
   * not its aliases or enabled state) into the keyring at `targetPath` (created if absent, sealed
   * with the same passphrase if this one is opened with one), as a replica whose ARN names
   * `replicaRegion`. Run again after rotating the primary, it adds the new backing keys. A key of
   * that id with different material in the target is refused (KmsError 'kms.validation').
   */
  async replicateKey(keyId: string, targetPath: string, replicaRegion: string, passphrase?: string): Promise<KeyMetadata> {
    const primary = this.#existingKey(keyId);
    if (primary.multiRegion === undefined) {
      throw validation(`KMS key ${primary.arn} is not a multi-region key: only keys created with --multi-region (ids mrk-…) can be replicated; rows wrapped by it can move to one with: keystash rotate --key mrk-…`);
    }
    if (primary.multiRegion.primaryArn !== primary.arn) throw validation(`KMS key ${primary.arn} is a replica; replicate its primary ${primary.multiRegion.primaryArn}`);
    if (targetPath === this.path) throw validation('the target keyring is this keyring; name another data directory');
    if (!/^[a-z]{2}(-[a-z0-9]+){1,4}$|^local$/.test(replicaRegion)) throw validation(`invalid replica region '${replicaRegion.slice(0, 40)}' (expected a region name such as eu-west-1)`);
    const replicaArn = primary.arn.replace(/^(arn:aws[a-z-]*:kms:)[^:]*(:)/, `$1${replicaRegion}$2`);
    if (replicaArn === primary.arn) throw validation(`the replica region must differ from the primary's (${replicaRegion})`);
    const copyBacking = (): BackingKeyRecord[] => primary.backingKeys.map((b) => ({ ...b }));
    const replica: MasterKeyRecord = {
      keyId: primary.keyId, arn: replicaArn, description: primary.description, enabled: true, createdAt: this.#now().toISOString(),
      aliases: [], rotationEnabled: primary.rotationEnabled, backingKeys: copyBacking(), currentBackingKey: primary.currentBackingKey,
      multiRegion: { primaryArn: primary.arn, replicaArns: [] },
    };
    const target = new KeyringFile(targetPath, passphrase);
    let result: MasterKeyRecord = replica;
    try {
      if (!target.createIfAbsent(() => ({ keys: [replica] }))) {
        result = await target.update((data) => {
          const existing = data.keys.find((k) => k.keyId === primary.keyId);
          if (existing === undefined) {
            data.keys.push(replica);
            return replica;
          }
          if (existing.multiRegion?.primaryArn !== primary.arn) throw validation(`the target keyring ${targetPath} holds a key ${existing.arn} of the same id that is not a replica of ${primary.arn}; refused`);
          for (const backing of primary.backingKeys) {
            const held = existing.backingKeys.find((b) => b.id === backing.id);
            if (held === undefined) existing.backingKeys.push({ ...backing });
            else if (!sameMaterial(held, backing)) throw validation(`the replica of ${primary.keyId} in ${targetPath} holds other key material than its primary; refused`);
          }
          existing.currentBackingKey = primary.currentBackingKey;
          return existing;
        });
      }
    } finally {
      target.forget();
    }
    await this.#file.update((data) => {
      const key = findKey(data, primary.keyId);
      if (key?.multiRegion !== undefined && !key.multiRegion.replicaArns.includes(result.arn)) key.multiRegion.replicaArns.push(result.arn);
    });
    return toMetadata(result);
  }

  /** KMS RotateKeyOnDemand: backing key n+1 wraps from now on; wraps under 1..n still decrypt. */
  async rotateKey(keyId: string): Promise<KeyMetadata> {
    return this.#modifyKey(keyId, (key) => {
      this.#checkEnabled(key);
      if (key.multiRegion !== undefined && key.multiRegion.primaryArn !== key.arn) {
        throw validation(`KMS key ${key.arn} is a multi-region replica: rotate its primary ${key.multiRegion.primaryArn}, then run kms replicate-key again`);
      }
      const id = Math.max(...key.backingKeys.map((b) => b.id)) + 1;
      key.backingKeys.push(newBackingKey(id, this.#now().toISOString()));
      key.currentBackingKey = id;
    });
  }

  /** KMS EnableKeyRotation / DisableKeyRotation: a flag reported by describeKey (no scheduler). */
  async setRotationEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata> {
    return this.#modifyKey(keyId, (key) => {
      key.rotationEnabled = enabled;
    });
  }

  /**
   * A key that may wrap now; unless `createDefaultKey` is false, alias/credstash (and the keyring
   * itself) are created on first use and reported to `onDefaultKeyCreated`.
   */
  async #keyForWrapping(ref: string): Promise<MasterKeyRecord> {
    let data = this.#file.read();
    let key = findKey(data, ref);
    if (key === undefined && this.#createDefaultKey && (data === undefined || aliasNameOf(ref) === DEFAULT_KEY)) {
      if (data === undefined) await this.#beforeCreate?.();
      const fresh = this.#newDefaultKey();
      let created = this.#file.createIfAbsent(() => ({ keys: [fresh] }));
      if (!created) {
        created = await this.#file.update((current) => {
          if (findKey(current, DEFAULT_KEY) !== undefined) return false;
          current.keys.push(fresh);
          return true;
        });
      }
      if (created) this.#onDefaultKeyCreated(toMetadata(fresh));
      data = this.#file.read();
      key = findKey(data, ref);
    }
    if (key === undefined) throw this.#notFound(ref);
    this.#checkEnabled(key);
    return key;
  }

  #existingKey(ref: string): MasterKeyRecord {
    const key = findKey(this.#file.read(), ref);
    if (key === undefined) throw this.#notFound(ref);
    return key;
  }

  async #modifyKey(ref: string, change: (key: MasterKeyRecord, data: KeyringData) => void): Promise<KeyMetadata> {
    this.#existingKey(ref);
    return this.#file.update((data) => {
      const key = findKey(data, ref);
      if (key === undefined) throw this.#notFound(ref);
      change(key, data);
      return toMetadata(key);
    });
  }

  #checkEnabled(key: MasterKeyRecord): void {
    if (key.enabled) return;
    throw new KmsError(`KMS key ${key.arn} is disabled; enable it with: keystash kms enable ${key.keyId}`, { code: 'kms.disabled' });
  }

  #notFound(ref: string): KmsError {
    const alias = aliasNameOf(ref);
    const fix = alias !== undefined ? `create it with: keystash kms create-key --alias ${alias}` : 'list keys with: keystash kms list-keys';
    return new KmsError(`KMS key '${ref}' not found in the local keyring (${this.path}); ${fix}`, { code: 'kms.notFound' });
  }

  #aliasExists(alias: string): KmsError {
    return new KmsError(`alias ${alias} already exists in the local keyring (${this.path})`, { code: 'kms.aliasExists' });
  }

  #newKey(description: string, alias: string | undefined, multiRegion = false): MasterKeyRecord {
    return newMasterKey({ arnPrefix: this.#arnPrefix, description, alias, createdAt: this.#now().toISOString(), multiRegion });
  }

  #newDefaultKey(): MasterKeyRecord {
    return this.#newKey('keystash default key (credstash alias)', DEFAULT_KEY);
  }
}

