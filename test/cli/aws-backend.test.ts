/**
 * The CLI with --backend aws against dynalite and the project's KMS server (both from
 * test/global-setup.ts), plus credstash-written rows read back. In-process: the SDK's Node-version
 * warning printed by the binary itself is checked in e2e-process.test.ts.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { KMSClient, EncryptCommand, CreateKeyCommand, DisableKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import vectors from '../vectors/credstash-vectors.json' with { type: 'json' };
import { inProcessHome } from '../helpers/in-process.js';
import { type CliResult } from '../helpers/run-cli.js';

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
const h = inProcessHome(env);
const aws = (args: string[], input?: string) => h.run(['--backend', 'aws', '-t', table, ...args], input === undefined ? {} : { input });
const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, credentials });
const kms = new KMSClient({ region: 'us-east-1', endpoint: env.AWS_ENDPOINT_URL_KMS, credentials });

afterAll(() => {
  ddb.destroy();
  kms.destroy();
  h.cleanup();
});

/** No AWS SDK noise (the Node-version warning, any other warning, a stack) on a successful command. */
function quiet(stderr: string): void {
  expect(stderr).not.toMatch(/NodeVersionSupportWarning|Warning|\n\s+at /);
}

/** Run a command that must succeed quietly. */
async function ok(args: string[], input?: string): Promise<CliResult> {
  const r = await aws(args, input);
  expect(r.code, r.stderr).toBe(0);
  quiet(r.stderr);
  return r;
}

describe('--backend aws end to end', () => {
  it('a missing table tells the user to run setup', async () => {
    const r = await aws(['get', 'x']);
    expect(r.code).toBe(8);
    expect(r.stderr).toContain('keystash setup');
    expect(r.stdout).toBe('');
  });

  it('setup creates the table, then says it exists', async () => {
    expect((await ok(['setup'])).stderr).toContain(`Created table ${table}`);
    expect((await ok(['setup'])).stderr).toContain('already exists');
  });

  it('put (auto versions and -v), get, getall, list, keys, delete', async () => {
    await ok(['put', 'svc.pw', 'aws-one']);
    await ok(['put', 'svc.pw', 'aws-two']);
    expect((await ok(['get', 'svc.pw'])).stdout).toBe('aws-two\n');
    expect((await ok(['get', 'svc.pw', '-v', '1'])).stdout).toBe('aws-one\n');
    await ok(['put', 'svc.pw', 'aws-five', '-v', '5']);
    await ok(['put', 'svc.pw', 'aws-six']);
    expect((await ok(['get', 'svc.pw'])).stdout).toBe('aws-six\n');
    expect((await ok(['get', 'svc.pw', '-v', '5'])).stdout).toBe('aws-five\n');
    await ok(['put', 'svc.other', '-'], 'multi\nline ✓\n');
    expect(JSON.parse((await ok(['getall'])).stdout)).toEqual({ 'svc.other': 'multi\nline ✓\n', 'svc.pw': 'aws-six' });
    expect(JSON.parse((await ok(['get', 'svc.*'])).stdout)).toEqual({ 'svc.other': 'multi\nline ✓\n', 'svc.pw': 'aws-six' });
    expect((await ok(['keys'])).stdout).toBe('svc.other\nsvc.pw\n');
    const list = JSON.parse((await ok(['list', '--json'])).stdout) as unknown[];
    expect(list).toHaveLength(5);
    expect((await ok(['list'])).stdout).toContain('svc.pw');
    await ok(['delete', 'svc.pw', '-v', '6']);
    expect((await ok(['get', 'svc.pw'])).stdout).toBe('aws-five\n');
    await ok(['delete', 'svc.pw']);
    const gone = await aws(['get', 'svc.pw']);
    expect(gone.code).toBe(3);
    expect(gone.stdout).toBe('');
  });

  it('context mismatch → exit 6 and empty stdout; version conflict → exit 4', async () => {
    await ok(['put', 'ctx.pw', 'aws-ctx-value', 'env=prod']);
    expect((await ok(['get', 'ctx.pw', 'env=prod'])).stdout).toBe('aws-ctx-value\n');
    for (const ctx of [['env=dev'], []]) {
      const wrong = await aws(['get', 'ctx.pw', ...ctx]);
      expect(wrong.code).toBe(6);
      expect(wrong.stdout).toBe('');
    }
    await ok(['put', 'conf.pw', 'a', '-v', '1']);
    const conflict = await aws(['put', 'conf.pw', 'b', '-v', '1']);
    expect(conflict.code).toBe(4);
    expect(conflict.stderr).toMatch(/version/i);
    expect((await ok(['get', 'conf.pw'])).stdout).toBe('a\n');
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

  it('rows written as credstash writes them (hmac as B and as S, context {} and env=prod, digest missing) read back through keystash get', async () => {
    let n = 0;
    for (const v of picks) {
      for (const hmacType of ['B', 'S'] as const) {
        const context: Record<string, string> = hmacType === 'B' ? {} : { env: 'prod' };
        const blob = await kms.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: Buffer.from(v.data_key_hex, 'hex'), EncryptionContext: context }));
        const name = `cs.${n++}`;
        const item: Record<string, AttributeValue> = {
          name: { S: name },
          version: { S: '0000000000000000001' },
          key: { S: Buffer.from(blob.CiphertextBlob!).toString('base64') },
          contents: { S: v.contents! },
          hmac: hmacType === 'B' ? { B: Buffer.from(v.hmac, 'ascii') } : { S: v.hmac },
        };
        // credstash < 1.13 wrote no digest; readers default to SHA256.
        if (!(v.digest === 'SHA256' && hmacType === 'S')) item.digest = { S: v.digest };
        await ddb.send(new PutItemCommand({ TableName: table, Item: item }));
        const r = await ok(['get', '-n', name, ...Object.entries(context).map(([k, val]) => `${k}=${val}`)]);
        expect(r.stdoutBytes.equals(Buffer.from(v.plaintext!, 'utf8')), `${v.id} hmac ${hmacType}`).toBe(true);
      }
    }
    const noContext = await aws(['get', 'cs.1']);
    expect(noContext.code).toBe(6);
    expect(noContext.stdout).toBe('');
  });

  it('a row written by keystash is one credstash reads: hmac B of lower-case hex, padded version, digest', async () => {
    await ok(['put', 'ks.written', 'for-credstash']);
    const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: { name: { S: 'ks.written' }, version: { S: '0000000000000000001' } } }))).Item!;
    expect(item.hmac!.B).toBeDefined();
    expect(Buffer.from(item.hmac!.B!).toString('ascii')).toMatch(/^[0-9a-f]{64}$/);
    expect(item.hmac!.S).toBeUndefined();
    expect(item.digest!.S).toBe('SHA256');
    expect(item.version!.S).toMatch(/^\d{19}$/);
    expect(item.contents!.S).toMatch(/^[A-Za-z0-9+/]+=*$/);
    expect(item.key!.S).toMatch(/^[A-Za-z0-9+/]+=*$/);
  });
});
