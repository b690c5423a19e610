/**
 * Multi-region keys of the local KMS (issue 23, item 5): `kms create-key --multi-region` makes an
 * `mrk-` key, `kms replicate-key --to DATA_DIR` copies it into another keyring (same id and key
 * material, its own aliases and enabled state), and the KMS server speaks AWS's shapes for it.
 * A data key wrapped in one keyring unwraps in the other, over the real SDK.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, DescribeKeyCommand, GenerateDataKeyCommand, KMSClient, ReplicateKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer } from '../../src/kmsserver/server.js';
import { inProcessHome } from '../helpers/in-process.js';
import { tempDir } from '../helpers/run-cli.js';

const h = inProcessHome();
const other = tempDir('keystash-mrk-');
afterAll(() => {
  h.cleanup();
  other.cleanup();
});

describe('local KMS multi-region keys', () => {
  it('create-key --multi-region, replicate-key --to: the replica unwraps what the primary wrapped', async () => {
    const created = await h.run(['kms', 'create-key', '--multi-region', '--alias', 'alias/app', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const meta = JSON.parse(created.stdout) as { keyId: string; multiRegion: boolean; multiRegionConfiguration: { keyType: string } };
    expect(meta.keyId).toMatch(/^mrk-[0-9a-f]{32}$/);
    expect(meta.multiRegion).toBe(true);
    expect(meta.multiRegionConfiguration.keyType).toBe('PRIMARY');

    const target = join(other.dir, 'region2');
    const replicated = await h.run(['kms', 'replicate-key', 'alias/app', '--to', target, '--replica-region', 'eu-west-1', '--json']);
    expect(replicated.code, replicated.stderr).toBe(0);
    const replica = JSON.parse(replicated.stdout) as { keyId: string; arn: string; aliases: string[]; multiRegionConfiguration: { keyType: string; primaryArn: string } };
    expect(replica.keyId).toBe(meta.keyId);
    expect(replica.arn).toContain(':eu-west-1:');
    expect(replica.aliases).toEqual([]);
    expect(replica.multiRegionConfiguration.keyType).toBe('REPLICA');

    // A region name that is not one (it would end up inside the replica's ARN) is refused.
    const bad = await h.run(['kms', 'replicate-key', 'alias/app', '--to', target, '--replica-region', 'eu:west/1']);
    expect(bad.code).toBe(7);
    expect(bad.stderr).toContain('invalid replica region');
    // Twice: nothing changes, no error (idempotent).
    expect((await h.run(['kms', 'replicate-key', meta.keyId, '--to', target, '--replica-region', 'eu-west-1'])).code).toBe(0);

    const primary = LocalKms.open({ path: join(h.home, 'keyring.json') });
    const second = LocalKms.open({ path: join(target, 'keyring.json') });
    const context = { app: 'x' };
    const dk = await primary.generateDataKey({ keyId: 'alias/app', numberOfBytes: 64, context });
    const back = await second.decrypt({ ciphertextBlob: dk.ciphertextBlob, context });
    expect(Buffer.from(back.plaintext).equals(Buffer.from(dk.plaintext))).toBe(true);
    // A replica is not rotated on its own.
    await expect(second.rotateKey(meta.keyId)).rejects.toThrow(/replica/);
    // Its own enabled state: disabling the replica does not disable the primary.
    await second.setKeyEnabled(meta.keyId, false);
    await expect(second.decrypt({ ciphertextBlob: dk.ciphertextBlob, context })).rejects.toThrow(/disabled/);
    await expect(primary.decrypt({ ciphertextBlob: dk.ciphertextBlob, context })).resolves.toBeDefined();
    primary.close();
    second.close();
    expect(readFileSync(join(target, 'keyring.json'), 'utf8')).toContain(meta.keyId);
  });

  it('replicate-key refuses a target keyring holding another key of the same mrk- id', async () => {
    const dir = tempDir('keystash-mrk-plant-');
    try {
      const a = LocalKms.open({ path: join(dir.dir, 'a', 'keyring.json'), region: 'us-east-1' });
      const b = LocalKms.open({ path: join(dir.dir, 'b', 'keyring.json'), region: 'us-east-1' });
      const key = await a.createKey({ multiRegion: true });
      // A planted key: same id, other material, claiming to be a replica of the primary.
      const planted = await b.createKey({ multiRegion: true });
      const text = readFileSync(join(dir.dir, 'b', 'keyring.json'), 'utf8').replaceAll(planted.keyId, key.keyId).replaceAll(planted.arn.replace(planted.keyId, key.keyId), key.arn);
      writeFileSync(join(dir.dir, 'b', 'keyring.json'), text, { mode: 0o600 });
      await expect(a.replicateKey(key.keyId, join(dir.dir, 'b', 'keyring.json'), 'eu-west-1')).rejects.toThrow(/other key material|not a replica/);
      a.close();
      b.close();
    } finally {
      dir.cleanup();
    }
  });

  it('a single-region key cannot be replicated, and the message names rotate --key', async () => {
    const made = await h.run(['kms', 'create-key', '--alias', 'alias/single', '--json']);
    expect(made.code).toBe(0);
    const r = await h.run(['kms', 'replicate-key', 'alias/single', '--to', join(other.dir, 'r3'), '--replica-region', 'eu-west-1']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('not a multi-region key');
    expect(r.stderr).toContain('rotate --key');
  });

  it('kms serve: CreateKey MultiRegion=true, DescribeKey MultiRegionConfiguration, ReplicateKey refused with the AWS shape; Decrypt in the replica keyring', async () => {
    const dir = tempDir('keystash-mrk-srv-');
    const one = LocalKms.open({ path: join(dir.dir, 'a', 'keyring.json'), region: 'us-east-1' });
    const two = LocalKms.open({ path: join(dir.dir, 'b', 'keyring.json'), region: 'eu-west-1' });
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const s1 = await startKmsServer({ kms: one, accessKeyId, secretAccessKey });
    const s2 = await startKmsServer({ kms: two, accessKeyId, secretAccessKey });
    const c1 = new KMSClient({ region: 'us-east-1', endpoint: s1.url, credentials: { accessKeyId, secretAccessKey } });
    const c2 = new KMSClient({ region: 'eu-west-1', endpoint: s2.url, credentials: { accessKeyId, secretAccessKey } });
    try {
      const created = await c1.send(new CreateKeyCommand({ MultiRegion: true, Description: 'mrk' }));
      const keyId = created.KeyMetadata?.KeyId ?? '';
      expect(keyId).toMatch(/^mrk-/);
      expect(created.KeyMetadata?.MultiRegion).toBe(true);
      const plain = await c1.send(new CreateKeyCommand({}));
      expect(plain.KeyMetadata?.MultiRegion).toBe(false);
      await expect(c1.send(new ReplicateKeyCommand({ KeyId: keyId, ReplicaRegion: 'eu-west-1' }))).rejects.toMatchObject({ name: 'UnsupportedOperationException' });
      await one.replicateKey(keyId, join(dir.dir, 'b', 'keyring.json'), 'eu-west-1');
      const described = await c1.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(described.KeyMetadata?.MultiRegionConfiguration).toMatchObject({
        MultiRegionKeyType: 'PRIMARY',
        PrimaryKey: { Region: 'us-east-1' },
        ReplicaKeys: [{ Region: 'eu-west-1' }],
      });
      const inTwo = await c2.send(new DescribeKeyCommand({ KeyId: keyId }));
      expect(inTwo.KeyMetadata?.MultiRegionConfiguration?.MultiRegionKeyType).toBe('REPLICA');
      const dk = await c1.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 64, EncryptionContext: { a: 'b' } }));
      const back = await c2.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { a: 'b' } }));
      expect(Buffer.from(back.Plaintext ?? []).equals(Buffer.from(dk.Plaintext ?? []))).toBe(true);
    } finally {
      c1.destroy();
      c2.destroy();
      await s1.close();
      await s2.close();
      one.close();
      two.close();
      dir.cleanup();
    }
  });
});
