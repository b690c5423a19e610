/**
 * Issue "AWS backends": the CLI end to end with --backend aws against dynalite and the project's
 * KMS server (both from test/global-setup.ts), plus credstash-written rows read back.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { KMSClient, EncryptCommand, CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import vectors from '../vectors/credstash-vectors.json' with { type: 'json' };
import { cliHome } from '../helpers/run-cli.js';

const table = `e2e-${Date.now().toString(36)}`;
const credentials = { accessKeyId: inject('kmsAccessKeyId'), secretAccessKey: inject('kmsSecretAccessKey') };
const env = {
  AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
  AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const h = cliHome(env);
const aws = (args: string[], input?: string) => h.run(['--backend', 'aws', '-t', table, ...args], input === undefined ? {} : { input });
const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, credentials });
const kms = new KMSClient({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL_KMS, credentials });

afterAll(() => {
  ddb.destroy();
  kms.destroy();
  h.cleanup();
});

function quiet(stderr: string): void {
  expect(stderr).not.toMatch(/NodeVersionSupportWarning|Warning:|\n\s+at /);
}

describe('--backend aws end to end', () => {
  it('a missing table tells the user to run setup', async () => {
    const r = await aws(['get', 'x']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('keystash setup');
    expect(r.stdout).toBe('');
  });

  it('setup creates the table, then says it exists', async () => {
    const first = await aws(['setup']);
    expect(first.code).toBe(0);
    quiet(first.stderr);
    expect(first.stderr).toContain(`Created table ${table}`);
    const again = await aws(['setup']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  it('put, get, versions, getall, list, keys, delete', async () => {
    for (const v of ['aws-one', 'aws-two']) {
      const r = await aws(['put', 'svc.pw', v]);
      expect(r.code).toBe(0);
      quiet(r.stderr);
    }
    const get = await aws(['get', 'svc.pw']);
    expect(get.stdout).toBe('aws-two\n');
    quiet(get.stderr);
    expect((await aws(['get', 'svc.pw', '-v', '1'])).stdout).toBe('aws-one\n');
    expect((await aws(['put', 'svc.other', '-'], 'multi\nline ✓\n')).code).toBe(0);
    expect(JSON.parse((await aws(['getall'])).stdout)).toEqual({ 'svc.other': 'multi\nline ✓\n', 'svc.pw': 'aws-two' });
    expect((await aws(['keys'])).stdout).toBe('svc.other\nsvc.pw\n');
    expect(JSON.parse((await aws(['list', '--json'])).stdout)).toHaveLength(3);
    expect((await aws(['delete', 'svc.pw', '-v', '2'])).code).toBe(0);
    expect((await aws(['get', 'svc.pw'])).stdout).toBe('aws-one\n');
    expect((await aws(['delete', 'svc.pw'])).code).toBe(0);
    expect((await aws(['get', 'svc.pw'])).code).toBe(3);
  });

  it('context mismatch → exit 6 and empty stdout; version conflict → exit 4', async () => {
    expect((await aws(['put', 'ctx.pw', 'aws-ctx-value', 'env=prod'])).code).toBe(0);
    expect((await aws(['get', 'ctx.pw', 'env=prod'])).stdout).toBe('aws-ctx-value\n');
    const wrong = await aws(['get', 'ctx.pw', 'env=dev']);
    expect(wrong.code).toBe(6);
    expect(wrong.stdout).toBe('');
    expect((await aws(['put', 'conf.pw', 'a', '-v', '1'])).code).toBe(0);
    const conflict = await aws(['put', 'conf.pw', 'b', '-v', '1']);
    expect(conflict.code).toBe(4);
    expect((await aws(['get', 'conf.pw'])).stdout).toBe('a\n');
  });

  it('a missing alias and a disabled key give their own clear errors (exit 7)', async () => {
    const missing = await aws(['put', 'k.pw', 'v', '-k', 'alias/does-not-exist']);
    expect(missing.code).toBe(7);
    expect(missing.stderr).toContain('alias/does-not-exist');
    expect(missing.stderr).toMatch(/not found/i);
    const created = await kms.send(new CreateKeyCommand({ Description: 'to disable' }));
    const keyId = created.KeyMetadata!.KeyId!;
    await kms.send(new DisableKeyCommand({ KeyId: keyId }));
    const disabled = await aws(['put', 'k.pw', 'v', '-k', keyId]);
    expect(disabled.code).toBe(7);
    expect(disabled.stderr).toMatch(/disabled/i);
  });
});

describe('credstash rows in DynamoDB', () => {
  const picks = vectors.vectors.filter((v) => 'plaintext' in v && ['empty', 'ascii', 'utf8-multibyte', 'with-newlines'].includes(v.plaintext_name) && ['SHA', 'SHA256', 'MD5'].includes(v.digest));
  beforeAll(async () => {
    expect(picks.length).toBeGreaterThanOrEqual(12);
    expect((await aws(['setup'])).code).toBe(0);
  });

  it('rows written as credstash writes them (hmac as B and as S, digest missing) read back through keystash get', async () => {
    let n = 0;
    for (const v of picks) {
      const blob = await kms.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: Buffer.from(v.data_key_hex, 'hex'), EncryptionContext: {} }));
      for (const hmacType of ['B', 'S'] as const) {
        const name = `cs.${n++}`;
        const item: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> = {
          name: { S: name },
          version: { S: '0000000000000000001' },
          key: { S: Buffer.from(blob.CiphertextBlob!).toString('base64') },
          contents: { S: v.contents! },
          hmac: hmacType === 'B' ? { B: Buffer.from(v.hmac, 'ascii') } : { S: v.hmac },
        };
        if (!(v.digest === 'SHA256' && hmacType === 'S')) item.digest = { S: v.digest };
        await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
        const r = await aws(['get', '-n', name]);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(v.plaintext);
      }
    }
  });

  it('a row written by keystash is one credstash reads: hmac B of lower-case hex, padded version, digest', async () => {
    expect((await aws(['put', 'ks.written', 'for-credstash'])).code).toBe(0);
    const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: { name: { S: 'ks.written' }, version: { S: '0000000000000000001' } } }))).Item!;
    expect(item.hmac!.B).toBeDefined();
    expect(Buffer.from(item.hmac!.B!).toString('ascii')).toMatch(/^[0-9a-f]{64}$/);
    expect(item.digest!.S).toBe('SHA256');
    expect(item.key!.S).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});
