/**
 * Principals of the local KMS server and what each may do, in the spirit of KMS key policies:
 * a `user` may use keys (GenerateDataKey, Decrypt, Encrypt, ReEncrypt, DescribeKey), a `manager`
 * may administer them (create, alias, enable/disable, rotation, describe, list) and use none.
 * A principal may be limited to some keys (ids, ARNs or aliases, resolved on every request so an
 * alias follows its target) and, for cryptographic operations, to encryption-context pairs that
 * every request must carry (like the `kms:EncryptionContext:` condition keys).
 *
 * As in AWS, an alias is also a resource of its own for CreateAlias, UpdateAlias and DeleteAlias:
 * the caller needs permission on the alias name and on the key(s) it points at (before and after),
 * see https://docs.aws.amazon.com/kms/latest/developerguide/alias-access.html. A limited principal
 * has permission on an alias name only when its `keys` list names that alias literally (`alias/x`
 * or its ARN); a key id or ARN in the list grants no alias names.
 *
 * A refusal is `AccessDeniedException` in the shape AWS returns, so SDKs report it as AWS would.
 * The principals file format (JSON) is parsed here; reading it (and its secret references) is the
 * CLI's job (src/cli/kms-principals-file.ts).
 */
import { ConfigError } from '../errors.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { aliasNameOf } from '../localkms/keyring-format.js';
import { parseWrappedKeyHeader } from '../localkms/wrapped-key.js';
import type { LocalKeyStore } from './key-operations.js';
import { AwsError, readContext } from './protocol.js';
import type { JsonObject } from './protocol.js';

/** A role of a principal. */
type Role = 'user' | 'manager';

/** One access key the server accepts, and its permissions. */
export interface Principal {
  accessKeyId: string;
  secretAccessKey: string;
  roles: ReadonlySet<Role>;
  /** When set, only these keys (ids, ARNs, aliases); else every key. */
  keys?: readonly string[] | undefined;
  /** When set, cryptographic requests must carry each of these context pairs. */
  context?: EncryptionContext | undefined;
}

/** Operations of a key user (AWS's "Allow use of the key" policy statement). */
export const USER_OPERATIONS: ReadonlySet<string> = new Set([
  'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'Decrypt', 'Encrypt', 'ReEncrypt', 'DescribeKey',
]);

/** Operations of a key manager (AWS's "Allow access for Key Administrators"): no cryptographic one. */
export const MANAGER_OPERATIONS: ReadonlySet<string> = new Set([
  'CreateKey', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'EnableKey', 'DisableKey', 'DescribeKey', 'ListKeys', 'ListAliases',
  'EnableKeyRotation', 'DisableKeyRotation', 'GetKeyRotationStatus', 'RotateKeyOnDemand', 'ReplicateKey',
]);

/** Operations that name no key; a key-limited principal may only list. */
const KEYLESS_ALLOWED_WHEN_LIMITED: ReadonlySet<string> = new Set(['ListKeys', 'ListAliases']);

/** Members holding the encryption contexts of each cryptographic operation. */
const CONTEXT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  GenerateDataKey: ['EncryptionContext'],
  GenerateDataKeyWithoutPlaintext: ['EncryptionContext'],
  Encrypt: ['EncryptionContext'],
  Decrypt: ['EncryptionContext'],
  ReEncrypt: ['SourceEncryptionContext', 'DestinationEncryptionContext'],
};

/**
 * The members of each operation that name a key (aliases are resolved to their target), as the
 * operation uses them (AWS KMS API reference, each action's "Request Parameters"). A member the
 * operation ignores names nothing: a `KeyId` added to CreateKey, or an `AliasName` added to
 * Encrypt, must not make the request look as if it were about a key the caller may use.
 * CreateAlias's AliasName is the new name (a resource of its own, below), not a key;
 * UpdateAlias's and DeleteAlias's name the alias's current target.
 */
const KEY_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  CreateKey: [],
  ListKeys: [],
  ListAliases: ['KeyId'],
  DescribeKey: ['KeyId'],
  EnableKey: ['KeyId'],
  DisableKey: ['KeyId'],
  EnableKeyRotation: ['KeyId'],
  DisableKeyRotation: ['KeyId'],
  GetKeyRotationStatus: ['KeyId'],
  RotateKeyOnDemand: ['KeyId'],
  ReplicateKey: ['KeyId'],
  CreateAlias: ['TargetKeyId'],
  UpdateAlias: ['AliasName', 'TargetKeyId'],
  DeleteAlias: ['AliasName'],
  GenerateDataKey: ['KeyId'],
  GenerateDataKeyWithoutPlaintext: ['KeyId'],
  Encrypt: ['KeyId'],
  Decrypt: ['KeyId'],
  ReEncrypt: ['SourceKeyId', 'DestinationKeyId'],
};

/** Operations whose CiphertextBlob names the key that wrapped it. */
const BLOB_OPERATIONS: ReadonlySet<string> = new Set(['Decrypt', 'ReEncrypt']);

/** The members of `operation` that name keys (none for an operation that names no key, or an unknown one). */
export function keyMembersOf(operation: string): readonly string[] {
  return Object.hasOwn(KEY_MEMBERS, operation) ? KEY_MEMBERS[operation]! : [];
}

/** AWS's AccessDeniedException for a principal, operation and (when known) key ARN. */
export function accessDenied(accessKeyId: string, operation: string, resource: string | undefined, why: string): AwsError {
  const on = resource === undefined ? '' : ` on resource: ${resource}`;
  return new AwsError('AccessDeniedException', `User: ${accessKeyId} is not authorized to perform: kms:${operation}${on} because ${why}`);
}

/** A client-supplied alias name, bounded and without control characters, for an error message. */
function printableAlias(name: string): string {
  return name.replace(/[^\x21-\x7e]/g, '?').slice(0, 256);
}

/** ARN of a key reference, or undefined when it names no key. */
async function arnOf(kms: LocalKeyStore, ref: string): Promise<string | undefined> {
  try {
    return (await kms.describeKey(ref)).arn;
  } catch {
    return undefined;
  }
}

/** The key references a request names, including the key inside a ciphertext blob. */
function keyRefsOf(operation: string, input: JsonObject): string[] {
  const refs = keyMembersOf(operation).map((m) => input[m]).filter((v): v is string => typeof v === 'string');
  const blob = input['CiphertextBlob'];
  if (BLOB_OPERATIONS.has(operation) && typeof blob === 'string') {
    try {
      refs.push(parseWrappedKeyHeader(new Uint8Array(Buffer.from(blob, 'base64'))).keyId);
    } catch {
      // not a local wrapped key: the operation itself rejects it
    }
  }
  return refs;
}

/** The first context pair a request lacks, as `name`, or undefined when all are present. */
function missingContextPair(required: EncryptionContext, input: JsonObject, members: readonly string[]): string | undefined {
  for (const member of members) {
    const given = readContext(input, member);
    for (const [name, value] of Object.entries(required)) {
      if (!Object.hasOwn(given, name) || given[name] !== value) return name;
    }
  }
  return undefined;
}

/** Operations whose AliasName is a resource of its own (besides the key(s) it targets). */
const ALIAS_OPERATIONS: ReadonlySet<string> = new Set(['CreateAlias', 'UpdateAlias', 'DeleteAlias']);

/** The alias names a limited principal's list grants (aliases and alias ARNs, by name). */
function aliasNamesOf(keys: readonly string[]): Set<string> {
  return new Set(keys.map(aliasNameOf).filter((a): a is string => a !== undefined));
}

/** Throws AccessDeniedException unless `principal` may perform `operation` with `input`. */
export async function authorize(kms: LocalKeyStore, principal: Principal, operation: string, input: JsonObject): Promise<void> {
  const { accessKeyId } = principal;
  const allowed = (principal.roles.has('user') && USER_OPERATIONS.has(operation)) || (principal.roles.has('manager') && MANAGER_OPERATIONS.has(operation));
  if (!allowed) {
    const role = [...principal.roles].join('+');
    throw accessDenied(accessKeyId, operation, undefined, `its role (${role}) does not allow this action`);
  }
  if (principal.keys !== undefined) {
    const refs = keyRefsOf(operation, input);
    if (refs.length === 0 && !KEYLESS_ALLOWED_WHEN_LIMITED.has(operation)) {
      throw accessDenied(accessKeyId, operation, undefined, 'it is limited to some keys and this action names none');
    }
    const aliasName = input['AliasName'];
    if (ALIAS_OPERATIONS.has(operation) && typeof aliasName === 'string' && !aliasNamesOf(principal.keys).has(aliasNameOf(aliasName) ?? aliasName)) {
      throw accessDenied(accessKeyId, operation, printableAlias(aliasName), 'the alias name is not among the aliases it may manage');
    }
    const permitted = new Set((await Promise.all(principal.keys.map((k) => arnOf(kms, k)))).filter((a) => a !== undefined));
    for (const ref of refs) {
      const arn = await arnOf(kms, ref);
      if (arn === undefined || !permitted.has(arn)) throw accessDenied(accessKeyId, operation, arn, 'the key is not among the keys it may use');
    }
  }
  const members = CONTEXT_MEMBERS[operation];
  if (principal.context !== undefined && members !== undefined) {
    const missing = missingContextPair(principal.context, input, members);
    if (missing !== undefined) throw accessDenied(accessKeyId, operation, undefined, `the encryption context does not carry the required value of '${missing}'`);
  }
}

/** The one key pair of `kms serve` without a principals file: a `user` and `manager` limited to nothing. */
export function singlePrincipal(accessKeyId: string, secretAccessKey: string): Principal {
  return { accessKeyId, secretAccessKey, roles: new Set(['user', 'manager']) };
}

/** Principals by access key id; refuses an empty list, id or secret (an empty secret would let anyone sign). */
export function principalsByAccessKey(list: readonly Principal[]): Map<string, Principal> {
  if (list.length === 0 || list.some((p) => p.accessKeyId === '' || p.secretAccessKey === '')) {
    throw new Error('the KMS server needs a non-empty access key id and secret');
  }
  return new Map(list.map((p) => [p.accessKeyId, p]));
}

/** Where a principal's secret comes from in the principals file. */
export interface SecretReference {
  secretAccessKey?: string;
  secretAccessKeyFile?: string;
  secretAccessKeyEnv?: string;
}

function fail(where: string, message: string): never {
  throw new ConfigError(`${where}: ${message}`, { code: 'config.principals' });
}

function parseRoles(value: unknown, where: string): Set<Role> {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) fail(where, "role must be 'user', 'manager' or [\"user\", \"manager\"]");
  for (const role of list) if (role !== 'user' && role !== 'manager') fail(where, `unknown role ${JSON.stringify(role).slice(0, 40)}`);
  return new Set(list as Role[]);
}

function parseEntry(entry: unknown, where: string, resolveSecret: (ref: SecretReference, where: string) => string): Principal {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail(where, 'must be an object');
  const e = entry as JsonObject;
  const accessKeyId = e['accessKeyId'];
  if (typeof accessKeyId !== 'string' || !/^[A-Z0-9]{16,128}$/.test(accessKeyId)) fail(where, 'accessKeyId must be 16-128 upper-case letters or digits');
  const refs = ['secretAccessKey', 'secretAccessKeyFile', 'secretAccessKeyEnv'].filter((m) => e[m] !== undefined);
  if (refs.length !== 1 || refs.some((m) => typeof e[m] !== 'string' || e[m] === '')) fail(where, 'give exactly one of secretAccessKey, secretAccessKeyFile, secretAccessKeyEnv (non-empty)');
  const secretAccessKey = resolveSecret(e as SecretReference, where);
  if (secretAccessKey === '') fail(where, 'the secret access key is empty');
  const keys = e['keys'];
  if (keys !== undefined && (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string' || k === ''))) fail(where, 'keys must be a non-empty list of key ids, ARNs or aliases');
  let context: EncryptionContext | undefined;
  if (e['context'] !== undefined) {
    try {
      context = readContext(e, 'context');
    } catch {
      fail(where, 'context must be an object of strings, e.g. {"env": "prod"}');
    }
  }
  return { accessKeyId, secretAccessKey, roles: parseRoles(e['role'], where), keys: keys as string[] | undefined, context };
}

/**
 * Parse a principals file: `{"principals": [{"accessKeyId", "secretAccessKey" | "secretAccessKeyFile"
 * | "secretAccessKeyEnv", "role": "user" | "manager" | [both], "keys"?: [...], "context"?: {...}}]}`.
 * Access key ids must be unique. Throws ConfigError naming the entry (never a secret).
 */
export function parsePrincipals(text: string, resolveSecret: (ref: SecretReference, where: string) => string): Principal[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    fail('principals file', 'is not valid JSON');
  }
  const list = (doc as JsonObject | null)?.['principals'];
  if (!Array.isArray(list) || list.length === 0) fail('principals file', 'needs a non-empty "principals" list');
  const principals = list.map((entry, i) => parseEntry(entry, `principal #${i + 1}`, resolveSecret));
  const ids = new Set<string>();
  for (const p of principals) {
    if (ids.has(p.accessKeyId)) fail('principals file', `access key id ${p.accessKeyId} is listed twice`);
    ids.add(p.accessKeyId);
  }
  return principals;
}
