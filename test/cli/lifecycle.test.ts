/**
 * The lifecycle commands (in-process): restore into a missing DynamoDB table,
 * migrate --dry-run into a table not created yet, migrate onto its own table, verify of an exact
 * name that does not exist, and rotate --reseal -k KEY as the README documents it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { awsTestEnv } from '../helpers/aws-env.js';

const awsEnv = awsTestEnv();
const h = inProcessHome(awsEnv);
const file = join(h.home, '..', 'qa-backup.jsonl');
const missingTable = () => `qa-missing-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  for (const [name, value] of [['qa.one', 'value-one'], ['qa two', 'value-two'], ['qa.ünï', 'value-three']]) {
    const r = await h.run(['put', name!, value!]);
    expect(r.code, r.stderr).toBe(0);
  }
  expect((await h.run(['kms', 'create-key', '--alias', 'alias/qa-k2'])).code).toBe(0);
  const b = await h.run(['backup', '-o', file]);
  expect(b.code, b.stderr).toBe(0);
});
afterAll(() => h.cleanup());

describe('restore / migrate against a DynamoDB table that does not exist', () => {
  it('restore into a missing table is a store error (exit 8), one line, not a conflict (exit 10)', async () => {
    const table = missingTable();
    const r = await h.run(['--backend', 'aws', '-t', table, 'restore', file]);
    expect(r.code, r.stderr).toBe(8);
    expect(r.stderr).toContain(`DynamoDB table '${table}' does not exist`);
    expect(r.stderr).not.toContain('conflict');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toBe('');
  });

  it('migrate --dry-run into a table not created yet counts every row as to be copied and creates nothing', async () => {
    const table = missingTable();
    const r = await h.run(['migrate', '--from', 'local', '--to', `aws:${table}`, '--dry-run', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dryRun: true, total: 3, copied: 3, skipped: 0, conflicts: [], failed: [] });
    // Still missing: the dry run wrote nothing.
    expect((await h.run(['--backend', 'aws', '-t', table, 'list'])).code).toBe(8);
  });
});

describe('migrate onto its own table', () => {
  it('is refused as a usage error instead of silently skipping every row (even with --to-key)', async () => {
    const r = await h.run(['migrate', '--from', 'local', '--to', 'local:credential-store', '--to-key', 'alias/qa-k2']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('same table');
    expect(r.stderr).toContain('rotate');
    // Another table of the same store is still fine.
    expect((await h.run(['migrate', '--from', 'local', '--to', 'local:qa-copy', '--dry-run'])).code).toBe(0);
  });
});

describe('verify of an exact name', () => {
  it('that does not exist exits 3 (a typo must not pass as "checked 0, failed 0")', async () => {
    const r = await h.run(['verify', 'qa.no-such-name']);
    expect(r.code, r.stderr).toBe(3);
    expect(r.stdout).toBe('');
    const json = await h.run(['verify', 'qa.no-such-name', '--json']);
    expect(json.code).toBe(3);
    expect(json.stdout).toBe('');
  });

  it('with spaces or unicode that does exist is checked; a glob matching nothing is still exit 0', async () => {
    expect((await h.run(['verify', 'qa two'])).stdout).toBe('checked 1, ok 1, legacy 0, failed 0\n');
    expect((await h.run(['verify', 'qa.ünï'])).stdout).toBe('checked 1, ok 1, legacy 0, failed 0\n');
    const glob = await h.run(['verify', 'nomatch.*']);
    expect(glob.code).toBe(0);
    expect(glob.stdout).toBe('checked 0, ok 0, legacy 0, failed 0\n');
  });
});

describe('rotate --reseal -k KEY (README: "-k is then the key to use")', () => {
  it('re-seals the new version under KEY', async () => {
    const r = await h.run(['rotate', 'qa.one', '--reseal', '-k', 'alias/qa-k2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('rotated 1 of 1 rows (re-sealed as new versions under alias/qa-k2)');
    const k2 = JSON.parse((await h.run(['kms', 'describe', 'alias/qa-k2', '--json'])).stdout) as { arn: string };
    const hist = JSON.parse((await h.run(['history', 'qa.one', '--keys', '--json'])).stdout) as Array<{ version: string; keyArn: string }>;
    expect(hist).toHaveLength(2);
    expect(hist[0]!.keyArn).toBe(k2.arn);
    expect(hist[1]!.keyArn).not.toBe(k2.arn);
    expect((await h.run(['get', 'qa.one'])).stdout).toBe('value-one\n');
  });

  it('with a key that does not exist fails once with exit 7, also in a dry run, writing nothing', async () => {
    for (const extra of [['--dry-run'], []]) {
      const r = await h.run(['rotate', 'qa two', '--reseal', '-k', 'alias/qa-nope', ...extra]);
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('alias/qa-nope');
    }
    expect(JSON.parse((await h.run(['history', 'qa two', '--json'])).stdout)).toHaveLength(1);
  });
});

describe('rotate --key with a disabled destination key', () => {
  it('fails once with exit 7 before any row, also in a dry run; every row keeps its key', async () => {
    expect((await h.run(['kms', 'create-key', '--alias', 'alias/qa-off'])).code).toBe(0);
    expect((await h.run(['kms', 'disable', 'alias/qa-off'])).code).toBe(0);
    const before = (await h.run(['history', 'qa.ünï', '--keys', '--json'])).stdout;
    for (const extra of [['--dry-run'], [], ['--reseal']]) {
      const args = extra[0] === '--reseal' ? ['rotate', '--all', '--reseal', '-k', 'alias/qa-off'] : ['rotate', '--all', '--all-versions', '--key', 'alias/qa-off', ...extra];
      const r = await h.run(args);
      expect(r.code, r.stderr).toBe(7);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/disabled/);
    }
    expect((await h.run(['history', 'qa.ünï', '--keys', '--json'])).stdout).toBe(before);
  });
});
