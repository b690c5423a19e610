/**
 * `history NAME`: every version of a secret, newest first, optionally with the ARN of
 * the master key that wrapped each data key (one KMS Decrypt per version; data keys zeroed).
 */
import { SecretNotFoundError } from '../../errors.js';
import type { EncryptionContext } from '../../envelope/keyservice.js';
import type { SecretMeta } from '../../secretstore/types.js';
import type { KeystashParts } from './parts.js';
import { newestFirst, wrappingKeyArn } from './rows.js';

export interface HistoryEntry extends SecretMeta {
  /** ARN of the wrapping master key (only when asked for). */
  keyArn?: string | undefined;
}

/** Options of {@link secretHistory}. */
export interface HistoryOptions {
  /** Add the ARN of the key that wrapped each version (one KMS Decrypt each). */
  keys?: boolean | undefined;
  /** The encryption context the versions were stored with (for `keys`). */
  context?: EncryptionContext | undefined;
}

/** Versions of `name` newest first (SecretNotFoundError when none); `keys` adds each key ARN. */
export async function secretHistory(keystash: Pick<KeystashParts, 'store' | 'keys'>, name: string, options: HistoryOptions = {}): Promise<HistoryEntry[]> {
  const rows: HistoryEntry[] = await versionsNewestFirst(keystash, name);
  if (!options.keys) return rows;
  const out: HistoryEntry[] = [];
  for (const row of rows) {
    const record = await keystash.store.getVersion(name, row.version);
    if (!record) continue;
    out.push({ ...row, keyArn: await wrappingKeyArn(keystash.keys, record.key, options.context ?? {}) });
  }
  return out;
}

/** Every version of one secret, newest first (ARN not resolved); SecretNotFoundError when none. */
async function versionsNewestFirst({ store }: Pick<KeystashParts, 'store'>, name: string): Promise<SecretMeta[]> {
  const rows: SecretMeta[] = [];
  for await (const meta of store.listVersions(name)) rows.push(meta);
  if (rows.length === 0) throw new SecretNotFoundError(name);
  return rows.sort(newestFirst);
}
