/**
 * Issue 22 item 10: limits are checked before the first write. A value over DynamoDB's 400 KB item
 * limit is refused by the local store unless --allow-large; `migrate --dry-run` counts it as a
 * failure and the real migrate writes nothing; `restore` writes no row when one cannot be stored.
 * In-process, real local backend and dynalite + the project's KMS server for the AWS side.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuick } from '../../src/cli/quick.js';
import { awsTestEnv } from '../helpers/aws-env.js';
import { inProcessHome } from '../helpers/in-process.js';
import { memoryIo } from '../helpers/io.js';

const awsEnv = awsTestEnv();
const h = inProcessHome(awsEnv);
const big = 'x'.repeat(320 * 1024); // 320 KB: 427 KB base64, over the 400 KB item limit
const file = join(h.home, '..', 'limits-backup.jsonl');
const freshTable = () => `limits-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  for (const [name, value] of [['a.one', 'one'], ['a.two', 'two']]) expect((await h.run(['put', name!, value!])).code).toBe(0);
});
afterAll(() => h.cleanup());

describe('the local store and put', () => {
  it('refuses a value no DynamoDB table could hold (exit 2, nothing stored), on both parsers', async () => {
    const r = await h.run(['put', 'huge', '-'], { input: big });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/too large for DynamoDB \(400 KB item limit\): a row may hold at most 409600 bytes in all and this one is \d+.*--allow-large/);
    expect((await h.run(['get', 'huge'])).code).toBe(3);
    const m = memoryIo({ env: { HOME: h.dir, KEYSTASH_HOME: h.home, ...awsEnv }, stdin: big });
    expect(await runQuick(['put', 'huge', '-'], m.io)).toBe(2);
    expect(m.stderr()).toBe(r.stderr);
  });

  it('stores it with --allow-large', async () => {
    const r = await h.run(['put', 'huge', '-', '--allow-large'], { input: big });
    expect(r.code, r.stderr).toBe(0);
    expect((await h.run(['get', 'huge', '-n'])).stdout).toBe(big);
    expect((await h.run(['backup', '-o', file])).code).toBe(0);
  });
});

describe('migrate to DynamoDB', () => {
  it('--dry-run counts the oversized row as failed, and the real run writes nothing', async () => {
    const table = freshTable();
    const dry = await h.run(['migrate', '--from', 'local', '--to', `aws:${table}`, '--dry-run', '--json']);
    expect(dry.code).toBe(10);
    const summary = JSON.parse(dry.stdout) as { copied: number; failed: Array<{ name: string; code: string }> };
    expect(summary.failed).toEqual([expect.objectContaining({ name: 'huge', code: 'store.itemTooLarge' })]);
    expect(summary.copied).toBe(2);
    const real = await h.run(['migrate', '--from', 'local', '--to', `aws:${table}`]);
    expect(real.code).toBe(10);
    expect(real.stderr).toMatch(/nothing was migrated.*huge.*too large/);
    const keys = await h.run(['--backend', 'aws', '-t', table, 'keys']);
    expect(keys.stdout).toBe('');
  });
});

describe('restore', () => {
  it('into DynamoDB writes no row when one is too large', async () => {
    const table = freshTable();
    const r = await h.run(['--backend', 'aws', '-t', table, 'restore', file, '--create-table', '--rewrap-from', 'local']);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/1 of 3 rows cannot be stored in the destination; nothing was restored.*huge/);
    expect((await h.run(['--backend', 'aws', '-t', table, 'keys'])).stdout).toBe('');
  });

  it('into a local store needs --allow-large for it, and then writes every row', async () => {
    const refused = await h.run(['-t', 'limits-copy', 'restore', file, '--create-table']);
    expect(refused.code).toBe(10);
    expect((await h.run(['-t', 'limits-copy', 'keys'])).stdout).toBe('');
    const allowed = await h.run(['-t', 'limits-copy', 'restore', file, '--create-table', '--allow-large']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((await h.run(['-t', 'limits-copy', 'keys'])).stdout).toBe('a.one\na.two\nhuge\n');
  });
});

describe('import', () => {
  it('into DynamoDB checks every value before the first write (a big one last wrote the others today)', async () => {
    const table = freshTable();
    expect((await h.run(['--backend', 'aws', '-t', table, 'setup'])).code).toBe(0);
    const json = join(h.dir, 'import-big.json');
    writeFileSync(json, JSON.stringify({ 'i.a': 'one', 'i.b': 'two', 'i.z': big }));
    const dry = await h.run(['--backend', 'aws', '-t', table, 'import', json, '--dry-run']);
    expect(dry.code).toBe(10);
    expect(dry.stderr).toMatch(/i\.z.*too large for DynamoDB/);
    const r = await h.run(['--backend', 'aws', '-t', table, 'import', json]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/nothing was written/);
    expect((await h.run(['--backend', 'aws', '-t', table, 'keys'])).stdout).toBe('');
  });
});
