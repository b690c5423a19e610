/**
 * A Kubernetes `Secret` manifest (core/v1, type Opaque) holding the secrets under `data:` as
 * base64 of their UTF-8 bytes, rendered with the `yaml` package. Keys are the secret names
 * unchanged, so they must already be valid Secret data keys — or, with `envKeys`, the variable
 * names of varname.ts (`stripPrefix`, dangerous names refused unless in `allowEnv`), so a pod's
 * `envFrom` sets exactly those variables; `metadata.name` comes from the `k8sName` option and must
 * be a DNS subdomain name, `metadata.namespace` (optional, `k8sNamespace`) a DNS label. These are
 * Kubernetes' API validation (`IsConfigMapKey`, `IsDNS1123Subdomain`, `IsDNS1123Label`), checked
 * here so `kubectl apply` cannot fail on them.
 */
import { stringify } from 'yaml';
import { UsageError } from '../errors.js';
import type { FormatOptions, SecretMap } from './types.js';
import { compareCodePoints, quoteName, secretEntries } from './types.js';
import { variableEntries } from './varname.js';

const DATA_KEY = /^[-._a-zA-Z0-9]+$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_NAME_LENGTH = 253;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_LABEL_LENGTH = 63;

/** Throws UsageError naming the secret unless `name` (the key made from `secretName`) is a valid Secret data key. */
function assertK8sDataKey(name: string, secretName = name): void {
  const problem =
    !DATA_KEY.test(name) ? 'only letters, digits, "-", "_" and "." are allowed'
    : name.length > MAX_NAME_LENGTH ? `it is longer than ${MAX_NAME_LENGTH} characters`
    : name === '.' || name === '..' || name.startsWith('..') ? 'it must not be "." or ".." or start with ".."'
    : undefined;
  if (problem !== undefined) throw new UsageError(`secret ${quoteName(secretName)} cannot be a Kubernetes Secret key: ${problem}`);
}

/**
 * Render secrets as one Secret manifest (`apiVersion`, `kind`, `metadata.name` [and `.namespace`],
 * `type`, `data`), data keys sorted by code point, ending with `\n`. UsageError when `k8sName` is
 * missing or not a DNS subdomain name, `k8sNamespace` is not a DNS label, or a key is refused
 * (not a valid data key; with `envKeys`, any refusal of varname.ts).
 */
export function renderK8sSecret(secrets: SecretMap, options: FormatOptions = {}): string {
  const name = options.k8sName;
  if (name === undefined || name === '') throw new UsageError('the k8s-secret format needs a name for the Secret (metadata.name)');
  if (name.length > MAX_NAME_LENGTH || !DNS_SUBDOMAIN.test(name)) {
    throw new UsageError(`--k8s-name (not shown, in case it is the secret) is not a valid Kubernetes Secret name: use lower-case letters, digits, "-" and ".", starting and ending with a letter or digit`);
  }
  const namespace = options.k8sNamespace;
  if (namespace !== undefined && (namespace.length > MAX_LABEL_LENGTH || !DNS_LABEL.test(namespace))) {
    throw new UsageError(`--k8s-namespace (not shown, in case it is the secret) is not a valid Kubernetes namespace: use at most ${MAX_LABEL_LENGTH} lower-case letters, digits and "-", starting and ending with a letter or digit`);
  }
  const keyed: Array<readonly [key: string, value: string, secretName: string]> = options.envKeys
    ? variableEntries(secrets, options.stripPrefix, options.allowEnv).map(([secretName, value, varName]) => [varName, value, secretName] as const)
    : secretEntries(secrets).map(([secretName, value]) => [secretName, value, secretName] as const);
  const entries = keyed.sort(([a], [b]) => compareCodePoints(a, b));
  const data = new Map<string, string>();
  for (const [key, value, secretName] of entries) {
    assertK8sDataKey(key, secretName);
    // Buffer stays internal: format/ may not import envelope/codec.ts (docs/architecture.md layers).
    data.set(key, Buffer.from(value, 'utf8').toString('base64'));
  }
  const manifest = new Map<string, unknown>([
    ['apiVersion', 'v1'],
    ['kind', 'Secret'],
    ['metadata', new Map(namespace === undefined ? [['name', name]] : [['name', name], ['namespace', namespace]])],
    ['type', 'Opaque'],
    ['data', data],
  ]);
  return stringify(manifest, { compat: 'yaml-1.1', lineWidth: 0 });
}
