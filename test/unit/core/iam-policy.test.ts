import { describe, expect, it } from 'vitest';
import { iamPolicy } from '../../../src/core/iam-policy.js';

const target = { region: 'eu-west-1', accountId: '123456789012', table: 'credential-store', keyId: 'alias/credstash' };
const actions = (role: 'reader' | 'writer' | 'admin') => (iamPolicy(role, target).Statement as Array<{ Action: string[] }>).flatMap((s) => s.Action);

describe('iamPolicy', () => {
  it('reader: read the table and decrypt, nothing else', () => {
    expect(actions('reader').sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan', 'kms:Decrypt']);
  });
  it('writer adds PutItem and GenerateDataKey only', () => {
    const extra = actions('writer').filter((a) => !actions('reader').includes(a));
    expect(extra.sort()).toEqual(['dynamodb:PutItem', 'kms:GenerateDataKey']);
  });
  it('admin adds table and key management; resources are scoped', () => {
    const admin = actions('admin');
    for (const a of ['dynamodb:CreateTable', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'kms:ReEncryptFrom', 'kms:DescribeKey']) expect(admin).toContain(a);
    const [table, key] = iamPolicy('reader', target).Statement as Array<Record<string, unknown>>;
    expect(table!.Resource).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/credential-store');
    expect(key!.Condition).toEqual({ 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/credstash' } });
    const byArn = iamPolicy('reader', { ...target, keyId: 'arn:aws:kms:eu-west-1:123456789012:key/abc' }).Statement as Array<Record<string, unknown>>;
    expect(byArn[1]!.Resource).toBe('arn:aws:kms:eu-west-1:123456789012:key/abc');
  });
});
