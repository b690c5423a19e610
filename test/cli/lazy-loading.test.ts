/**
 * Start-up cost (issue: performance): a local-backend command loads no AWS SDK code, and an
 * AWS-only command loads no SQLite code. Every module the CLI resolves is logged by a hook.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliHome } from '../helpers/run-cli.js';

const HOOK = resolve(import.meta.dirname, '../helpers/module-log-hooks.mjs');
const h = cliHome();
afterAll(() => h.cleanup());

async function loaded(args: string[], env: Record<string, string> = {}): Promise<{ files: string[]; bytes: number; code: number | null }> {
  const log = join(h.home, '..', `modules-${Math.random().toString(36).slice(2)}.log`);
  const r = await h.run(args, { env: { NODE_OPTIONS: `--import ${HOOK}`, KEYSTASH_TEST_MODULE_LOG: log, ...env } });
  const files = [...new Set(readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:')).map((u) => fileURLToPath(u)))];
  return { files, bytes: files.reduce((n, f) => n + statSync(f).size, 0), code: r.code };
}

describe('lazy loading', () => {
  it('local get loads neither AWS SDK nor DynamoDB/KMS-client code', async () => {
    expect((await h.run(['put', 'lazy.s', 'lazy-value'])).code).toBe(0);
    const { files, bytes, code } = await loaded(['get', 'lazy.s']);
    expect(code).toBe(0);
    const names = files.map((f) => f.split('/').pop()!);
    expect(names.some((n) => n.startsWith('sqlite-'))).toBe(true);
    expect(names.filter((n) => /^(aws-kms|dynamodb|kms-client|dynamodb-client|aws-credentials)-/.test(n))).toEqual([]);
    expect(files.filter((f) => f.includes('node_modules/@aws-sdk') || f.includes('node_modules/@smithy'))).toEqual([]);
    // The whole SDK is megabytes; the local path stays small.
    expect(bytes).toBeLessThan(700_000);
  });

  it('an aws-backend command loads no SQLite code', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
      AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
      AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
      AWS_REGION: 'us-east-1',
    };
    const { files } = await loaded(['--backend', 'aws', '-t', 'lazy-missing-table', 'keys'], env);
    const names = files.map((f) => f.split('/').pop()!);
    expect(names.some((n) => n.startsWith('dynamodb-'))).toBe(true);
    expect(names.filter((n) => n.startsWith('sqlite-') || n.startsWith('local-kms-'))).toEqual([]);
    expect(files.filter((f) => f.includes('better-sqlite3'))).toEqual([]);
  });
});
