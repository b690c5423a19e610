/**
 * `kms` lifecycle commands, `kms serve` through the AWS SDK, `config` and `iam-policy`, via the built CLI.
 */
import { spawn } from 'node:child_process';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome({ KEYSTASH_KMS_PASSPHRASE: undefined });
afterAll(() => h.cleanup());

describe('kms lifecycle', () => {
  it('create-key, list, describe, disable, enable, rotate; old wraps still decrypt', async () => {
    expect((await h.run(['put', 'kms.s', 'before-rotation'])).code).toBe(0);
    const created = JSON.parse((await h.run(['kms', 'create-key', '--alias', 'alias/k2', '--json'])).stdout);
    expect(created.aliases).toEqual(['alias/k2']);
    const list = JSON.parse((await h.run(['kms', 'list-keys', '--json'])).stdout) as Array<{ aliases: string[] }>;
    expect(list.flatMap((k) => k.aliases).sort()).toEqual(['alias/credstash', 'alias/k2']);
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
    const policy = JSON.parse((await h.run(['iam-policy', 'writer', '--account-id', '123456789012'])).stdout);
    expect(policy.Statement[0].Action).toContain('dynamodb:PutItem');
    expect((await h.run(['iam-policy', 'superuser'])).code).toBe(2);
  });
});

describe('kms serve', () => {
  it('serves the keyring to the AWS SDK and stops on SIGTERM', async () => {
    const env = cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home, KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTSERVE0000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'serve-secret' });
    const child = spawn(process.execPath, [BIN, 'kms', 'serve', '--port', '0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line: ${err}`)), 15_000);
        child.stderr.on('data', (d) => {
          err += d;
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
          if (m) (clearTimeout(timer), resolve(m[1]!));
        });
      });
      const client = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId: 'AKIATESTSERVE0000001', secretAccessKey: 'serve-secret' } });
      const dk = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64, EncryptionContext: { a: 'b' } }));
      const back = await client.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { a: 'b' } }));
      expect(Buffer.from(back.Plaintext!)).toEqual(Buffer.from(dk.Plaintext!));
      client.destroy();
      const code = await new Promise<number | null>((resolve) => {
        child.on('close', resolve);
        child.kill('SIGTERM');
      });
      expect(code).toBe(0);
      expect(err).not.toContain(Buffer.from(dk.Plaintext!).toString('base64'));
    } finally {
      child.kill('SIGKILL');
    }
  });
});
