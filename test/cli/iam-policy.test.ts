/**
 * `iam-policy` documents: an alias ARN scoped by the kms:ResourceAliases condition, and a malformed
 * account id refused as a usage error. In-process (what the policies authorize: iam-scoped.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
afterAll(() => h.cleanup());

describe('iam-policy', () => {
  type Policy = { Statement: Array<{ Sid: string; Resource: string; Condition?: unknown }> };
  const keyStatement = (stdout: string) => (JSON.parse(stdout) as Policy).Statement.find((s) => s.Sid === 'KeystashKey')!;

  it('an alias ARN becomes key/* of its region and account with the kms:ResourceAliases condition', async () => {
    const r = await h.run(['iam-policy', 'reader', '-k', 'arn:aws:kms:eu-west-1:123456789012:alias/app']);
    expect(r.code).toBe(0);
    expect(keyStatement(r.stdout)).toEqual({
      Sid: 'KeystashKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/app' } },
    });
  });

  it('a malformed --account-id is a usage error, not an invalid ARN', async () => {
    const r = await h.run(['iam-policy', 'reader', '--account-id', '12x']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("keystash: error: invalid account id (not shown, in case it is the secret): expected 12 digits\n");
    expect((await h.run(['iam-policy', 'reader'])).code).toBe(0); // the placeholder stays the default
  });
});
