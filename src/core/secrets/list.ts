/** `list`: the metadata of every version of every secret, nothing decrypted. */
import type { SecretMeta, SecretStore } from '../../secretstore/types.js';
import { byNameThenVersion } from './rows.js';

/** Metadata of every version of every secret, sorted by (name, version order). */
export async function listVersions(store: SecretStore): Promise<SecretMeta[]> {
  const rows: SecretMeta[] = [];
  for await (const meta of store.listAll()) rows.push(meta);
  return rows.sort(byNameThenVersion);
}
