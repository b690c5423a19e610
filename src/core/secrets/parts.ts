/**
 * What the operations (rotate, migrate, restore, verify, backup, import, history, exec, inject)
 * take instead of a whole Keystash: the store, the key service and the concurrency bound, and
 * where they write or read values, the facade's writer or readers. A Keystash satisfies every
 * interface here, so library callers may pass one; the operations never import the facade.
 */
import type { SecretStore, SecretRow } from '../../secretstore/types.js';
import type { EncryptionContext, KeyService } from '../../envelope/keyservice.js';
import type { GetOptions } from './get.js';
import type { GetAllOptions, SecretPairs } from './get-all.js';

/** The store, the key service and the bulk concurrency bound of one keystash. */
export interface KeystashParts {
  readonly store: SecretStore;
  readonly keys: KeyService;
  /** At most this many rows in flight in a bulk pass. */
  readonly concurrency: number;
}

/** Options of {@link KeystashWriter.put} and {@link KeystashWriter.sealRecord}. */
export interface WriteOptions {
  keyId?: string | undefined;
  context?: EncryptionContext | undefined;
  comment?: string | undefined;
  /** Explicit version (short or padded); without it the next version is chosen. */
  version?: string | undefined;
}

/**
 * Parts plus the versioned writer, for operations that store new versions (rotate's re-seal,
 * import): sealing under a fresh data key and choosing the next version are Keystash's job.
 */
export interface KeystashWriter extends KeystashParts {
  /** Store a new version (the next one unless `options.version`); returns the version stored. */
  put(name: string, value: string, options?: WriteOptions): Promise<{ name: string; version: string }>;
  /** Seal `value` as row `name`@`version` without storing it. */
  sealRecord(name: string, value: string, version: string, options?: Omit<WriteOptions, 'version'>): Promise<SecretRow>;
}

/**
 * Parts plus the facade's reads, for operations that read values as every read does (exec,
 * export, inject): one secret, every name, and the all-or-nothing bulk read.
 */
export interface KeystashReader extends KeystashParts {
  get(name: string, options?: GetOptions): Promise<string>;
  getAll(options?: GetAllOptions): Promise<SecretPairs>;
  names(): Promise<string[]>;
}
