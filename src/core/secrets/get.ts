/**
 * Reading one secret: its row (one version, or the latest) and its value (docs/architecture.md
 * "The flow of one secret").
 */
import { SecretNotFoundError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import type { SecretRow, SecretStore } from '../../secretstore/types.js';
import type { KeystashParts } from './parts.js';
import { openRecord } from './rows.js';
import { latestRecord, parseReadVersion } from './versions.js';

export interface GetOptions {
  version?: string;
  context?: EncryptionContext;
}

/** The row of `name` at `version` (short or padded) or its latest; SecretNotFoundError if absent. */
export async function readRecord(store: SecretStore, name: string, version?: string): Promise<SecretRow> {
  if (version !== undefined) {
    const padded = parseReadVersion(version);
    const record = await store.getVersion(name, padded);
    if (!record) throw new SecretNotFoundError(name, padded);
    return record;
  }
  const record = await latestRecord(store, name);
  if (!record) throw new SecretNotFoundError(name);
  return record;
}

/** The plaintext of one secret (HMAC checked before decrypting; data key zeroed). */
export async function getSecret({ store, keys }: Pick<KeystashParts, 'store' | 'keys'>, name: string, options: GetOptions = {}): Promise<string> {
  return openRecord(keys, await readRecord(store, name, options.version), options.context);
}
