/**
 * The storage interface. Records keep credstash's stored representation
 * (docs/format.md §1.2): base64 `key` and `contents`, the hex text of the HMAC, the zero-padded
 * `version` and the `digest` name, so a backend stores text and never sees key bytes.
 */

/** One version of one secret, as stored. */
export interface SecretRow {
  name: string;
  version: string;
  /** Standard base64 of the wrapped data key (KMS CiphertextBlob). */
  key: string;
  /** Standard base64 of the AES-256-CTR ciphertext ('' for an empty secret). */
  contents: string;
  /** Hex text of the HMAC (lower-case when written; either case when read). */
  hmac: string;
  /** Digest name; undefined when the row has none (legacy: read as SHA256). */
  digest?: string | undefined;
  comment?: string | undefined;
  /** ISO-8601 creation time (keystash extension; absent on rows written by credstash). */
  createdAt?: string | undefined;
  /** How `hmac` was stored: 'B' (credstash ≥ 1.13.1) or 'S' (legacy). Undefined = 'B'. */
  hmacType?: 'B' | 'S' | undefined;
}

/** Metadata of one version (what list/Scan returns). */
export interface SecretMeta {
  name: string;
  version: string;
  comment?: string | undefined;
  createdAt?: string | undefined;
}

export interface StoreSetupOptions {
  /** DynamoDB: provisioned capacity; default on-demand. */
  provisioned?: { read: number; write: number } | undefined;
  tags?: Readonly<Record<string, string>> | undefined;
  pitr?: boolean | undefined;
  /** Progress lines while waiting (stderr in the CLI). */
  onProgress?: ((message: string) => void) | undefined;
}

export interface StoreSetupResult {
  created: boolean;
}

/**
 * A versioned secret store. Writes never overwrite: putVersion is conditional and throws
 * VersionExistsError when (name, version) exists. Listing is paginated.
 */
export interface SecretStore {
  /** Conditional put; VersionExistsError if that version exists. */
  putVersion(record: SecretRow): Promise<void>;
  /**
   * All-or-nothing conditional insert of many rows in one transaction (VersionExistsError on the
   * first conflict, nothing stored); only backends with transactions offer it (SQLite).
   */
  putVersions?(records: Iterable<SecretRow>): Promise<void>;
  getVersion(name: string, version: string): Promise<SecretRow | undefined>;
  /** The greatest version in the store's byte order (DynamoDB order of S keys). */
  getLatest(name: string): Promise<SecretRow | undefined>;
  /** Every version of one name, greatest first (byte order). */
  listVersions(name: string): AsyncIterable<SecretMeta>;
  /** Every version of every name, page by page, in no particular order. */
  listAll(): AsyncIterable<SecretMeta>;
  /**
   * Every version of every name as full rows, page by page, in no particular order (one pass
   * for bulk reads: getall needs no per-name query). Consistent reads where the backend has them.
   */
  listRows(): AsyncIterable<SecretRow>;
  /** Delete one version, or every version when `version` is undefined; returns what was deleted. */
  deleteVersions(name: string, version?: string): Promise<SecretMeta[]>;
  /**
   * Replace the wrapped key of one version only if it still equals `expectedKey`
   * (conditional update used by rotate). Returns false when the row changed or vanished.
   */
  replaceKey(name: string, version: string, expectedKey: string, newKey: string): Promise<boolean>;
  /** Create the table / file if needed; idempotent. */
  setup(options?: StoreSetupOptions): Promise<StoreSetupResult>;
  /**
   * What keeps `record` out of this store (its item-size limit: item-size.ts), or undefined;
   * checked before a write, by dry runs and by pre-checks. `allowOversize`: the local store then
   * takes a row larger than any DynamoDB table could hold (it cannot be migrated to one).
   */
  rowProblem?(record: SecretRow, options?: { allowOversize?: boolean | undefined }): string | undefined;
  close(): void;
}
