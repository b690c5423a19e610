/**
 * Key management operations of the local KMS (the subset of KMS's control plane keystash serves):
 * create, describe, list, aliases, enable/disable, rotation (a new backing key; old ones still
 * decrypt). Every `keyId` parameter accepts a key id, key ARN, alias name or alias ARN.
 */
export interface KeyMetadata {
  keyId: string;
  arn: string;
  description: string;
  enabled: boolean;
  /** ISO-8601 */
  createdAt: string;
  aliases: string[];
  /** Number of backing keys (1 + number of rotations). */
  backingKeyCount: number;
  /** Id of the backing key used for new wraps. */
  currentBackingKey: number;
  rotationEnabled: boolean;
  /** A multi-region key (id `mrk-…`): replicas in other keyrings share its id and key material. */
  multiRegion: boolean;
  /** Multi-region keys only: AWS DescribeKey's MultiRegionConfiguration. */
  multiRegionConfiguration?: { keyType: 'PRIMARY' | 'REPLICA'; primaryArn: string; replicaArns: string[] };
}

export interface AliasEntry {
  aliasName: string;
  aliasArn: string;
  targetKeyId: string;
}

export interface KeyManager {
  /** `multiRegion`: an `mrk-` key that `kms replicate-key` can copy into another keyring. */
  createKey(options?: { description?: string; alias?: string; multiRegion?: boolean }): Promise<KeyMetadata>;
  describeKey(keyId: string): Promise<KeyMetadata>;
  listKeys(): Promise<KeyMetadata[]>;
  /** Create (or, when it exists, fail with KmsError 'kms.aliasExists') an alias → key. */
  createAlias(aliasName: string, keyId: string): Promise<void>;
  listAliases(): Promise<AliasEntry[]>;
  /** Point an existing alias (`alias/…`) at another key; KmsError 'kms.notFound' if either is unknown. */
  updateAlias(aliasName: string, keyId: string): Promise<void>;
  /** Remove an alias; its key stays. */
  deleteAlias(aliasName: string): Promise<void>;
  setKeyEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata>;
  /** Add a backing key used for new wraps from now on; older wraps keep decrypting. */
  rotateKey(keyId: string): Promise<KeyMetadata>;
  setRotationEnabled(keyId: string, enabled: boolean): Promise<KeyMetadata>;
}
