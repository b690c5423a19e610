/**
 * `history NAME`: every version of a secret, newest first, optionally with the ARN of
 * the master key that wrapped each data key (one KMS Decrypt per version; data keys zeroed).
 */
import { base64ToBytes } from '../envelope/codec.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import type { SecretMeta } from '../secretstore/types.js';
import type { Keystash } from './keystash.js';

export interface HistoryEntry extends SecretMeta {
  /** ARN of the wrapping master key (only when asked for). */
  keyArn?: string | undefined;
}

/** Versions of `name` newest first (SecretNotFoundError when none); `keys` adds each key ARN. */
export async function secretHistory(keystash: Keystash, name: string, options: { keys?: boolean; context?: EncryptionContext } = {}): Promise<HistoryEntry[]> {
  const rows: HistoryEntry[] = await keystash.history(name);
  if (!options.keys) return rows;
  const out: HistoryEntry[] = [];
  for (const row of rows) {
    const record = await keystash.store.getVersion(name, row.version);
    if (!record) continue;
    const { plaintext, keyId } = await keystash.keys.decrypt({ ciphertextBlob: base64ToBytes(record.key, 'key'), context: options.context ?? {} });
    plaintext.fill(0);
    out.push({ ...row, keyArn: keyId });
  }
  return out;
}
