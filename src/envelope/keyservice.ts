/**
 * The key-service interface: a mirror of the KMS operations keystash needs
 * (GenerateDataKey, Decrypt, Encrypt, ReEncrypt). Implementations: LocalKms (keyring file) and
 * AwsKmsKeyService (@aws-sdk/client-kms). Byte values are Uint8Array; callers zero plaintext
 * data keys after use.
 */

/** KMS encryption context: string → string pairs bound to a wrapped key. Order is irrelevant. */
export type EncryptionContext = Readonly<Record<string, string>>;

export interface GenerateDataKeyRequest {
  /** Key id, key ARN, alias name (`alias/x`) or alias ARN. */
  keyId: string;
  /** 64 for credstash rows. */
  numberOfBytes: number;
  context: EncryptionContext;
}

export interface DataKey {
  /** Plaintext data key; the caller zeroes it after use. */
  plaintext: Uint8Array;
  /** Wrapped data key (KMS CiphertextBlob). */
  ciphertextBlob: Uint8Array;
  /** ARN (or id) of the master key that wrapped it. */
  keyId: string;
}

export interface DecryptRequest {
  ciphertextBlob: Uint8Array;
  context: EncryptionContext;
}

export interface DecryptResult {
  plaintext: Uint8Array;
  keyId: string;
}

export interface EncryptRequest {
  keyId: string;
  plaintext: Uint8Array;
  context: EncryptionContext;
}

export interface EncryptResult {
  ciphertextBlob: Uint8Array;
  keyId: string;
}

export interface ReEncryptRequest {
  ciphertextBlob: Uint8Array;
  sourceContext: EncryptionContext;
  destinationKeyId: string;
  destinationContext: EncryptionContext;
}

export interface ReEncryptResult {
  ciphertextBlob: Uint8Array;
  keyId: string;
  sourceKeyId: string;
}

/**
 * What every key service offers. Errors: DecryptError for a wrong context or corrupt blob,
 * KmsError (key not found, disabled, access denied, throttled) otherwise.
 */
export interface KeyService {
  generateDataKey(request: GenerateDataKeyRequest): Promise<DataKey>;
  decrypt(request: DecryptRequest): Promise<DecryptResult>;
  encrypt(request: EncryptRequest): Promise<EncryptResult>;
  reEncrypt(request: ReEncryptRequest): Promise<ReEncryptResult>;
  /** Resolve a key id / ARN / alias to the key's ARN, or throw KmsError if unknown. */
  describeKeyArn?(keyId: string): Promise<string>;
  /**
   * The id of the master key a wrapped data key names, read from the blob without a KMS call,
   * or undefined when this service's blobs do not say (AWS KMS's are opaque) or the blob is not
   * one of its own. Restore needs it to prove one row per wrapping key and to tell a row bound to
   * another encryption context (its key held here) from a row of another key service, without
   * knowing any service's blob format itself.
   */
  wrappingKeyId(ciphertextBlob: Uint8Array): Promise<string | undefined>;
  /**
   * Run `fn`, one bulk command (`getall` of `names`), whose key operations a service that records
   * them records as one record per operation and key (count, key, digest of the names) instead of
   * one each; fails, with `fn`'s result discarded, when that record cannot be written.
   */
  bulk?<T>(command: string, names: readonly string[], fn: () => Promise<T>): Promise<T>;
  close?(): void;
}
