/** iam-policy with several regions (issue 23): statements valid in every region; kms:ReplicateKey only for admin. */
import { describe, expect, it } from 'vitest';
import { iamPolicy } from '../../../src/core/policy/iam-policy.js';

const regions = ['us-east-1', 'eu-west-1'];
const target = { region: 'us-east-1', accountId: '123456789012', table: 'credential-store', regions };
type Statement = { Sid: string; Action: string[]; Resource: string | string[] };
const statements = (p: Record<string, unknown>) => p.Statement as Statement[];
const sid = (p: Record<string, unknown>, id: string) => statements(p).find((s) => s.Sid === id)!;

describe('iam-policy over several regions', () => {
  it('the table and an mrk- key are named in every region', () => {
    const p = iamPolicy('reader', { ...target, keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab' });
    expect(sid(p, 'KeystashTable').Resource).toEqual(['arn:aws:dynamodb:us-east-1:123456789012:table/credential-store', 'arn:aws:dynamodb:eu-west-1:123456789012:table/credential-store']);
    expect(sid(p, 'KeystashKey').Resource).toEqual([
      'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
      'arn:aws:kms:eu-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab',
    ]);
    expect(sid(p, 'KeystashKey').Action).not.toContain('kms:ReplicateKey');
  });

  it('an alias is key/* in every region; a single-region key ARN stays one ARN', () => {
    expect(sid(iamPolicy('writer', { ...target, keyId: 'alias/credstash' }), 'KeystashKey').Resource).toEqual(['arn:aws:kms:us-east-1:123456789012:key/*', 'arn:aws:kms:eu-west-1:123456789012:key/*']);
    const single = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(sid(iamPolicy('writer', { ...target, keyId: single }), 'KeystashKey').Resource).toBe(single);
    const mrkArn = 'arn:aws:kms:us-east-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(sid(iamPolicy('writer', { ...target, keyId: mrkArn }), 'KeystashKey').Resource).toEqual([mrkArn, mrkArn.replace('us-east-1', 'eu-west-1')]);
  });

  it('admin may replicate (kms:ReplicateKey, CreateKey for the replica, table replicas); reader and writer may not', () => {
    const admin = iamPolicy('admin', { ...target, keyId: 'alias/credstash' });
    expect(sid(admin, 'KeystashKey').Action).toContain('kms:ReplicateKey');
    expect(sid(admin, 'KeystashCreateReplicaKey').Action).toEqual(['kms:CreateKey']);
    expect(sid(admin, 'KeystashTable').Action).toEqual(expect.arrayContaining(['dynamodb:UpdateTable', 'dynamodb:CreateTableReplica']));
    for (const role of ['reader', 'writer'] as const) {
      const p = iamPolicy(role, { ...target, keyId: 'alias/credstash' });
      expect(JSON.stringify(p)).not.toMatch(/ReplicateKey|CreateTableReplica|kms:CreateKey/);
    }
  });

  it('one region: the policy is as before (single Resource strings, no replication)', () => {
    const p = iamPolicy('admin', { ...target, regions: ['us-east-1'], keyId: 'alias/credstash' });
    expect(sid(p, 'KeystashTable').Resource).toBe('arn:aws:dynamodb:us-east-1:123456789012:table/credential-store');
    expect(JSON.stringify(p)).not.toContain('ReplicateKey');
  });
});
