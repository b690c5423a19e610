import { describe, expect, it } from 'vitest';
import { iamPolicy, type PolicyRole, type PolicyTarget } from '../../../src/core/policy/iam-policy.js';

const target: PolicyTarget = { region: 'eu-west-1', accountId: '123456789012', table: 'credential-store', keyId: 'alias/credstash' };
type Statement = { Sid: string; Action: string[]; Resource: string; Condition?: unknown };
const statements = (role: PolicyRole, t = target) => iamPolicy(role, t).Statement as Statement[];
const actions = (role: PolicyRole) => statements(role).flatMap((s) => s.Action).sort();
const added = (role: PolicyRole, base: PolicyRole) => actions(role).filter((a) => !actions(base).includes(a));

describe('iamPolicy', () => {
  it('reader: read the table and decrypt, nothing else', () => {
    expect(actions('reader')).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'kms:Decrypt']);
  });

  it('writer adds PutItem and GenerateDataKey only', () => {
    expect(added('writer', 'reader')).toEqual(['dynamodb:PutItem', 'kms:GenerateDataKey']);
    expect(actions('writer')).not.toContain('dynamodb:DeleteItem');
  });

  it('admin adds table and key management, exactly', () => {
    expect(added('admin', 'writer')).toEqual([
      'dynamodb:CreateTable', 'dynamodb:DeleteItem', 'dynamodb:DescribeTable', 'dynamodb:ListTables', 'dynamodb:TagResource',
      'dynamodb:UpdateContinuousBackups', 'dynamodb:UpdateItem',
      'kms:DescribeKey', 'kms:Encrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo',
    ]);
    const listTables = statements('admin').find((s) => s.Action.includes('dynamodb:ListTables'))!;
    expect(listTables.Action).toEqual(['dynamodb:ListTables']); // the only unscoped statement
  });

  it('resources are scoped to the table and key', () => {
    for (const role of ['reader', 'writer', 'admin'] as const) {
      const [table, key] = statements(role);
      expect(table!.Resource).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/credential-store');
      expect(key!.Resource).toBe('arn:aws:kms:eu-west-1:123456789012:key/*');
      expect(key!.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/credstash' } });
    }
  });

  it('a key ARN is the resource as given; a key id becomes an ARN in the KMS region', () => {
    const arn = 'arn:aws:kms:eu-west-1:123456789012:key/abc';
    expect(statements('reader', { ...target, keyId: arn })[1]).toMatchObject({ Resource: arn });
    expect(statements('reader', { ...target, keyId: arn })[1]!.Condition).toBeUndefined();
    expect(statements('reader', { ...target, keyId: 'abc', kmsRegion: 'us-east-2' })[1]!.Resource).toBe('arn:aws:kms:us-east-2:123456789012:key/abc');
  });
});

describe('iamPolicy: alias ARNs and account ids', () => {
  it('an alias ARN is never a Resource (KMS authorizes the key): key/* with the alias condition', () => {
    const key = statements('writer', { ...target, keyId: 'arn:aws:kms:us-west-2:210987654321:alias/app/prod' })[1]!;
    expect(key.Resource).toBe('arn:aws:kms:us-west-2:210987654321:key/*');
    expect(key.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/app/prod' } });
  });
  it('an account id must be 12 digits (or the placeholder)', () => {
    expect(() => iamPolicy('reader', { ...target, accountId: '12345' })).toThrow('invalid account id (not shown, in case it is the secret): expected 12 digits');
    expect(() => iamPolicy('reader', { ...target, accountId: 'ACCOUNT_ID' })).not.toThrow();
  });
});

describe('iamPolicy: scoped readers and writers', () => {
  const scoped = (role: PolicyRole, scope: Parameters<typeof iamPolicy>[2]) =>
    (iamPolicy(role, target, scope) as { Statement: Array<{ Action: string[]; Condition?: unknown }> }).Statement;

  it('--prefix: item actions limited by dynamodb:LeadingKeys, no Scan', () => {
    const [table] = scoped('writer', { prefix: 'web.' });
    expect(table!.Action).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem']);
    expect(table!.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['web.*'] } });
  });

  it('--context: one kms:EncryptionContext condition per pair, beside the alias condition', () => {
    const [, key] = scoped('reader', { context: { app: 'web', env: 'prod' } });
    expect(key!.Condition).toEqual({
      'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/credstash' },
      StringEquals: { 'kms:EncryptionContext:app': 'web', 'kms:EncryptionContext:env': 'prod' },
    });
  });

  it('refuses scoping admin, an empty prefix and a prefix with a wildcard', () => {
    expect(() => scoped('admin', { prefix: 'a' })).toThrow(/admin manages the whole table/);
    expect(() => scoped('reader', { prefix: '' })).toThrow(/non-empty/);
    expect(() => scoped('reader', { prefix: 'a*' })).toThrow(/without \* or \?/);
    expect(scoped('reader', {})).toEqual(scoped('reader', { context: {} }));
  });
});
