/**
 * Secret-name rules. credstash accepts any string; keystash refuses names that cannot be
 * handled safely everywhere: empty, longer than 1024 bytes, containing control characters or
 * the wildcard `*` (reserved for patterns).
 */
import { UsageError } from '../../errors.js';
import type { SecretStore } from '../../secretstore/types.js';
import { byCodeUnit } from '../../order.js';

const MAX_NAME_BYTES = 1024;

/** Throws UsageError when `name` cannot be stored. */
export function validateSecretName(name: string): void {
  if (name === '') throw new UsageError('secret name must not be empty');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new UsageError('secret name must not contain control characters');
  if (name.includes('*')) throw new UsageError(`secret name '${name}' must not contain '*' (reserved for patterns)`);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_BYTES) throw new UsageError(`secret name is longer than ${MAX_NAME_BYTES} bytes`);
}

/** Every distinct secret name in `store`, sorted by code point. */
export async function storedNames(store: SecretStore): Promise<string[]> {
  const names = new Set<string>();
  for await (const meta of store.listAll()) names.add(meta.name);
  return [...names].sort(byCodeUnit);
}
