/**
 * `kms` lifecycle commands, `config` and `iam-policy`, in-process (`kms serve`: kms-serve.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome({ KEYSTASH_KMS_PASSPHRASE: undefined });
afterAll(() => h.cleanup());

describe('kms lifecycle', () => {
  it('create-key, list, describe, disable, enable, rotate; old wraps still decrypt', async () => {
    expect((await h.run(['put', 'kms.s', 'before-rotation'])).code).toBe(0);
    const created = JSON.parse((await h.run(['kms', 'create-key', '--alias', 'alias/k2', '--json'])).stdout);
    expect(created.aliases).toEqual(['alias/k2']);
    const list = JSON.parse((await h.run(['kms', 'list-keys', '--json'])).stdout) as Array<{ aliases: string[] }>;
    expect(list.flatMap((k) => k.aliases).sort()).toEqual(['alias/credstash', 'alias/k2']);
    const aliased = await h.run(['kms', 'alias', 'alias/k3', 'alias/k2']);
    expect(aliased.code).toBe(0);
    const described = JSON.parse((await h.run(['kms', 'describe', 'alias/k3', '--json'])).stdout);
    expect(described).toMatchObject({ keyId: created.keyId, enabled: true });
    expect(described.aliases.sort()).toEqual(['alias/k2', 'alias/k3']);
    expect((await h.run(['kms', 'describe', described.arn])).stdout).toContain(created.keyId);
    const text = await h.run(['kms', 'list']);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toMatch(/alias\/k2/);
    expect((await h.run(['kms', 'rotate', 'alias/credstash'])).stdout).toContain('backing keys: 2');
    expect((await h.run(['put', 'kms.s', 'after-rotation'])).code).toBe(0);
    expect((await h.run(['get', 'kms.s', '-v', '1'])).stdout).toBe('before-rotation\n');
    expect((await h.run(['get', 'kms.s'])).stdout).toBe('after-rotation\n');
    expect((await h.run(['kms', 'disable', 'alias/credstash'])).code).toBe(0);
    const refused = await h.run(['get', 'kms.s']);
    expect(refused.code).toBe(7);
    expect(refused.stderr).toMatch(/disabled/);
    expect((await h.run(['kms', 'enable', 'alias/credstash'])).code).toBe(0);
    expect((await h.run(['get', 'kms.s'])).stdout).toBe('after-rotation\n');
    const missing = await h.run(['kms', 'describe', 'alias/nope']);
    expect(missing.code).toBe(7);
    expect(missing.stderr).toContain('alias/nope');
  });

  it('config shows sources and hides the passphrase; iam-policy prints JSON', async () => {
    const config = JSON.parse((await h.run(['-t', 'flag-table', 'config', '--json'], { env: { KEYSTASH_KMS_PASSPHRASE: 'hidden-passphrase-x' } })).stdout) as Array<{ setting: string; value: string; source: string }>;
    expect(config.find((r) => r.setting === 'table')).toEqual({ setting: 'table', value: 'flag-table', source: 'flag' });
    expect(JSON.stringify(config)).not.toContain('hidden-passphrase-x');
    const text = (await h.run(['-t', 'flag-table', 'config'])).stdout.split('\n').filter(Boolean);
    expect(text.find((l) => l.startsWith('table '))).toMatch(/^table +flag-table +\(flag\)$/);
    expect(new Set(text.map((l) => l.search(/ {2}\S/))).size).toBe(1); // values aligned in one column
    expect(new Set(text.map((l) => l.lastIndexOf(' ('))).size).toBe(1); // and the sources in another
    expect(text.find((l) => l.startsWith('profile '))).toMatch(/^profile +- +\(default\)$/);
    const policy = JSON.parse((await h.run(['iam-policy', 'writer', '--account-id', '123456789012'])).stdout);
    expect(policy.Statement[0].Action).toContain('dynamodb:PutItem');
    expect((await h.run(['iam-policy', 'superuser'])).code).toBe(2);
  });
});
