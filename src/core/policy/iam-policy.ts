/**
 * Least-privilege IAM policies for one keystash table and key.
 * reader ⊂ writer ⊂ admin. Each action is one keystash makes:
 *  - reader: get/getall/list/keys (Query, GetItem, Scan) and unwrapping data keys (Decrypt);
 *  - writer: + put (PutItem, GenerateDataKey);
 *  - admin:  + setup (CreateTable, DescribeTable, TagResource, UpdateContinuousBackups; ListTables for credstash's setup),
 *            delete (DeleteItem), re-wrapping and migration (UpdateItem, ReEncrypt*, Encrypt, DescribeKey).
 * A key given as an alias cannot be a Resource in IAM; it becomes `key/*` restricted by the
 * kms:ResourceAliases condition (the alias must be attached to the key in that account/region).
 *
 * Scoped reader/writer policies: `context` adds a `kms:EncryptionContext:KEY` StringEquals
 * condition per pair (so only secrets stored with that context can be unwrapped or written);
 * `prefix` limits the item actions to partition keys (secret names) starting with it through
 * `dynamodb:LeadingKeys` and leaves out Scan, which cannot be limited that way — so globs,
 * `--all`, `list` and `keys` are not available to such a role (AWS IAM User Guide, "Using IAM
 * policy conditions for fine-grained access control"; KMS Developer Guide, "kms:EncryptionContext:context-key").
 */
import { UsageError } from '../../errors.js';

export type PolicyRole = 'reader' | 'writer' | 'admin';

/** The `--account-id` default: a placeholder the user fills in. */
export const ACCOUNT_PLACEHOLDER = 'ACCOUNT_ID';

/** Narrowing of a reader or writer policy (`iam-policy --context k=v --prefix P`). */
interface PolicyScope {
  context?: Readonly<Record<string, string>> | undefined;
  prefix?: string | undefined;
}

export interface PolicyTarget {
  region: string;
  /** Region of the KMS key when it differs (--kms-region); default `region`. */
  kmsRegion?: string;
  /** Account id, or a placeholder to fill in. */
  accountId: string;
  table: string;
  /** Key id, key ARN or alias (alias/x). */
  keyId: string;
  /**
   * Multi-region (`regions` of the config, home first): the table and key ARNs of every region
   * are listed, and admin may also replicate (global table replicas, kms:ReplicateKey).
   */
  regions?: readonly string[] | undefined;
}

const READ_TABLE = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'];
const WRITE_TABLE = [...READ_TABLE, 'dynamodb:PutItem'];
const ADMIN_TABLE = [...WRITE_TABLE, 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:TagResource', 'dynamodb:UpdateContinuousBackups'];
const TABLE_ACTIONS: Record<PolicyRole, string[]> = { reader: READ_TABLE, writer: WRITE_TABLE, admin: ADMIN_TABLE };

const KEY_ACTIONS: Record<PolicyRole, string[]> = {
  reader: ['kms:Decrypt'],
  writer: ['kms:Decrypt', 'kms:GenerateDataKey'],
  admin: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:Encrypt', 'kms:DescribeKey'],
};

/** The policy document. An alias is expressed with the kms:ResourceAliases condition. */
export function iamPolicy(role: PolicyRole, target: PolicyTarget, scope: PolicyScope = {}): Record<string, unknown> {
  if (target.accountId !== ACCOUNT_PLACEHOLDER && !/^\d{12}$/.test(target.accountId)) {
    throw new UsageError('invalid account id (not shown, in case it is the secret): expected 12 digits');
  }
  const contextPairs = Object.entries(scope.context ?? {});
  const scoped = contextPairs.length > 0 || scope.prefix !== undefined;
  if (scoped && role === 'admin') throw new UsageError('--context and --prefix scope a reader or writer policy; admin manages the whole table (setup, rotate, migrate)');
  if (scope.prefix === '' || (scope.prefix !== undefined && /[*?]/.test(scope.prefix))) throw new UsageError('--prefix needs a non-empty name prefix without * or ?');
  const regions = target.regions !== undefined && target.regions.length > 1 ? target.regions : undefined;
  // One Resource per region when several are configured (a string for one, as before).
  const perRegion = (arnIn: (region: string) => string, single: string): string | string[] => (regions === undefined ? single : regions.map(arnIn));
  const tableArnIn = (region: string) => `arn:aws:dynamodb:${region}:${target.accountId}:table/${target.table}`;
  const tableArn = perRegion(tableArnIn, tableArnIn(target.region));
  const keyArnIn = (region: string, id: string) => `arn:aws:kms:${region}:${target.accountId}:key/${id}`;
  const keyArn = (id: string) => perRegion((region) => keyArnIn(region, id), keyArnIn(target.kmsRegion ?? target.region, id));
  // An alias ARN (arn:aws:kms:REGION:ACCOUNT:alias/NAME) authorizes nothing as a Resource of
  // Decrypt/GenerateDataKey (KMS checks the key's ARN): it becomes key/* in its own region and
  // account, restricted to the alias like a bare alias is.
  const aliasArn = /^(arn:[^:]+:kms:[^:]*:[^:]*:)(alias\/.+)$/.exec(target.keyId);
  // A key id or key ARN: an mrk- key is named in every region (its replicas share the id); a
  // single-region key exists in one region only, so it is named once, as before.
  const keyIdResource = (): string | string[] => {
    const arn = /^(arn:[^:]+:kms:)[^:]*(:[^:]*:key\/)(.+)$/.exec(target.keyId);
    if (arn !== null) return arn[3]!.startsWith('mrk-') ? perRegion((r) => `${arn[1]}${r}${arn[2]}${arn[3]}`, target.keyId) : target.keyId;
    return target.keyId.startsWith('mrk-') ? keyArn(target.keyId) : keyArnIn(target.kmsRegion ?? target.region, target.keyId);
  };
  const alias = target.keyId.startsWith('alias/') ? target.keyId : aliasArn?.[2];
  const keyStatement: Record<string, unknown> = {
    Sid: 'KeystashKey',
    Effect: 'Allow',
    Action: KEY_ACTIONS[role],
    Resource: aliasArn ? perRegion((r) => `${aliasArn[1]!.replace(/:kms:[^:]*:/, `:kms:${r}:`)}key/*`, `${aliasArn[1]}key/*`) : alias ? keyArn('*') : keyIdResource(),
  };
  const keyCondition: Record<string, Record<string, string>> = {};
  if (alias) keyCondition['ForAnyValue:StringEquals'] = { 'kms:ResourceAliases': alias };
  if (contextPairs.length > 0) keyCondition.StringEquals = Object.fromEntries(contextPairs.map(([k, v]) => [`kms:EncryptionContext:${k}`, v]));
  if (Object.keys(keyCondition).length > 0) keyStatement.Condition = keyCondition;
  const tableStatement: Record<string, unknown> = { Sid: 'KeystashTable', Effect: 'Allow', Action: TABLE_ACTIONS[role], Resource: tableArn };
  if (scope.prefix !== undefined) {
    tableStatement.Action = TABLE_ACTIONS[role].filter((action) => action !== 'dynamodb:Scan');
    tableStatement.Condition = { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${scope.prefix}*`] } };
  }
  const statements: Array<Record<string, unknown>> = [tableStatement, keyStatement];
  if (regions !== undefined && role === 'admin') {
    // setup --replica-region: global table replicas (UpdateTable ReplicaUpdates needs
    // CreateTableReplica) and key replicas (ReplicateKey on the primary, CreateKey in the replica's region).
    tableStatement.Action = [...(tableStatement.Action as string[]), 'dynamodb:UpdateTable', 'dynamodb:CreateTableReplica'];
    keyStatement.Action = [...KEY_ACTIONS.admin, 'kms:ReplicateKey'];
    statements.push({ Sid: 'KeystashCreateReplicaKey', Effect: 'Allow', Action: ['kms:CreateKey'], Resource: '*' });
  }
  // ListTables cannot be scoped to a table; credstash's own setup lists tables before creating one.
  if (role === 'admin') statements.push({ Sid: 'KeystashListTables', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: '*' });
  return { Version: '2012-10-17', Statement: statements };
}
