/**
 * Least-privilege IAM policies for one keystash table and key (issue: AWS backends).
 * reader ⊂ writer ⊂ admin; admin adds table and key management.
 */
export type PolicyRole = 'reader' | 'writer' | 'admin';

export interface PolicyTarget {
  region: string;
  /** Account id, or a placeholder to fill in. */
  accountId: string;
  table: string;
  /** Key id, key ARN or alias (alias/x). */
  keyId: string;
}

const TABLE_ACTIONS: Record<PolicyRole, string[]> = {
  reader: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
  writer: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem'],
  admin: [
    'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem',
    'dynamodb:CreateTable', 'dynamodb:DescribeTable', 'dynamodb:TagResource', 'dynamodb:ListTagsOfResource', 'dynamodb:UpdateContinuousBackups',
  ],
};

const KEY_ACTIONS: Record<PolicyRole, string[]> = {
  reader: ['kms:Decrypt'],
  writer: ['kms:Decrypt', 'kms:GenerateDataKey'],
  admin: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:DescribeKey', 'kms:Encrypt'],
};

/** The policy document. An alias is expressed with the kms:ResourceAliases condition. */
export function iamPolicy(role: PolicyRole, target: PolicyTarget): Record<string, unknown> {
  const tableArn = `arn:aws:dynamodb:${target.region}:${target.accountId}:table/${target.table}`;
  const alias = target.keyId.startsWith('alias/') ? target.keyId : undefined;
  const keyStatement: Record<string, unknown> = {
    Sid: 'KeystashKey',
    Effect: 'Allow',
    Action: KEY_ACTIONS[role],
    Resource: alias
      ? `arn:aws:kms:${target.region}:${target.accountId}:key/*`
      : target.keyId.startsWith('arn:')
        ? target.keyId
        : `arn:aws:kms:${target.region}:${target.accountId}:key/${target.keyId}`,
  };
  if (alias) keyStatement.Condition = { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } };
  const statements: Array<Record<string, unknown>> = [{ Sid: 'KeystashTable', Effect: 'Allow', Action: TABLE_ACTIONS[role], Resource: tableArn }, keyStatement];
  if (role === 'admin') statements.push({ Sid: 'KeystashListTables', Effect: 'Allow', Action: ['dynamodb:ListTables'], Resource: '*' });
  return { Version: '2012-10-17', Statement: statements };
}
