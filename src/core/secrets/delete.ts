/** `delete`: every version of a secret, or one. */
import { SecretNotFoundError } from '../../errors.js';
import type { SecretMeta, SecretStore } from '../../secretstore/types.js';
import { parseReadVersion } from './versions.js';

/** Delete every version of `name`, or `version` (short or padded); SecretNotFoundError when nothing matched. */
export async function deleteSecret(store: SecretStore, name: string, version?: string): Promise<SecretMeta[]> {
  const padded = version === undefined ? undefined : parseReadVersion(version);
  const deleted = await store.deleteVersions(name, padded);
  if (deleted.length === 0) throw new SecretNotFoundError(name, padded);
  return deleted;
}
