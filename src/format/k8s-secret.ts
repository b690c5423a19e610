/**
 * A Kubernetes `Secret` manifest (core/v1, type Opaque) holding the secrets under `data:` as
 * base64 of their UTF-8 bytes, rendered with the `yaml` package. Keys are the secret names
 * unchanged, so they must already be valid Secret data keys; `metadata.name` comes from the
 * `k8sName` option and must be a DNS subdomain name. Both rules are Kubernetes' API validation
 * (`IsConfigMapKey`, `IsDNS1123Subdomain`), checked here so `kubectl apply` cannot fail on them.
 */
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { compareCodePoints, quoteName, secretEntries } from './types.js';

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME_LENGTH = 253;

/** Throws UsageError naming the secret unless `name` is a valid Secret data key. */
export function assertK8sDataKey(name: string): void {
  const problem =
    !DATA_KEY.test(name) ? 'only letters, digits, "-", "_" and "." are allowed'
    : name.length > MAX_NAME_LENGTH ? `it is longer than ${MAX_NAME_LENGTH} characters`
    : name === '.' || name === '..' || name.startsWith('..') ? 'it must not be "." or ".." or start with ".."'
    : undefined;
  if (problem !== undefined) throw new UsageError(`secret ${quoteName(name)} cannot be a Kubernetes Secret key: ${problem}`);
}

/**
 * Render secrets as one Secret manifest (`apiVersion`, `kind`, `metadata.name`, `type`, `data`),
 * data keys sorted by code point, ending with `\n`. UsageError when `k8sName` is missing or not a
 * DNS subdomain name, or a secret name is not a valid data key.
 */
export function renderK8sSecret(secrets: SecretMap, options: FormatOptions = {}): string {
  const name = options.k8sName;
  if (name === undefined || name === '') throw new UsageError('the k8s-secret format needs a name for the Secret (metadata.name)');
  if (name.length > MAX_NAME_LENGTH || !DNS_SUBDOMAIN.test(name)) {
    throw new UsageError(`${quoteName(name)} is not a valid Kubernetes Secret name: use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`);
  }
  const entries = secretEntries(secrets).sort(([a], [b]) => compareCodePoints(a, b));
  const data = new Map<string, string>();
  for (const [key, value] of entries) {
    assertK8sDataKey(key);
    // Buffer stays internal: format/ may not import envelope/codec.ts (DESIGN.md layers).
    data.set(key, Buffer.from(value, 'utf8').toString('base64'));
  }
  const manifest = new Map<string, unknown>([
    ['apiVersion', 'v1'],
    ['kind', 'Secret'],
    ['metadata', new Map([['name', name]])],
    ['type', 'Opaque'],
    ['data', data],
  ]);
  return stringify(manifest, { compat: 'yaml-1.1', lineWidth: 0 });
}
