/**
 * backup → restore into a new table and into the other backend reproduces every
 * version; the backup holds no plaintext; one flipped byte is refused before any write.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { awsTestEnv } from '../helpers/aws-env.js';

const awsEnv = awsTestEnv();
const h = inProcessHome(awsEnv);
const file = join(h.home, '..', 'backup.jsonl');
/** name, value, extra put args — several versions per name, a comment, other digests, a context. */
const PUTS: Array<[string, string, string[]]> = [
  ['db.password', 'first-password-AAAA', []],
  ['db.password', 'second-password-BBBB', ['-c', 'rotated']],
  ['db.password', 'third-password-CCCC', ['-d', 'SHA512']],
  ['api.token', 'token-with-newline\nand-more-DDDD', []],
  ['unicode', 'h\u00e9llo \u{1F600} EEEE', ['-d', 'SHA']],
  ['ctx.secret', 'needs-context-FFFF', ['env=prod']],
  ['ctx.secret', 'needs-context-GGGG', ['env=prod']],
];
const versionsOf = (name: string) => PUTS.filter(([n]) => n === name).map(([, v, extra]) => ({ value: v, context: extra.filter((e) => e.includes('=')) }));

beforeAll(async () => {
  for (const [name, value, extra] of PUTS) {
    const [first, ...rest] = extra;
    const args = first !== undefined && first.includes('=') ? ['put', name, '-', ...extra] : ['put', ...(first === undefined ? [] : [first, ...rest.slice(0, 1)]), name, '-', ...rest.slice(1)];
    const r = await h.run(args, { input: value });
    expect(r.code, r.stderr).toBe(0);
  }
  const backup = await h.run(['backup', '-o', file]);
  expect(backup.code, backup.stderr).toBe(0);
}, 60_000);
afterAll(() => h.cleanup());

async function expectEveryVersion(global: string[]): Promise<void> {
  for (const name of new Set(PUTS.map(([n]) => n))) {
    const versions = versionsOf(name);
    for (const [i, { value, context }] of versions.entries()) {
      const r = await h.run([...global, 'get', '-n', name, '-v', String(i + 1), ...context]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(value);
    }
  }
  const source = JSON.parse((await h.run(['list', '--json'])).stdout);
  const restored = JSON.parse((await h.run([...global, 'list', '--json'])).stdout);
  expect(restored).toEqual(source);
}

describe('backup', () => {
  it('is JSON Lines with header and checksum trailer, mode 0600, and holds no plaintext', () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const text = readFileSync(file, 'utf8');
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ format: 'keystash-backup', version: 1, source: { store: 'sqlite', table: 'credential-store' }, count: PUTS.length });
    expect(lines).toHaveLength(PUTS.length + 2);
    expect(lines.at(-1)).toMatchObject({ format: 'keystash-backup-end', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    for (const [, value] of PUTS) for (const part of value.split('\n')) expect(text).not.toContain(part);
  });
});

describe('restore', () => {
  it('into a new table reproduces every version (values, comments, digests, createdAt)', async () => {
    const r = await h.run(['-t', 'restored', 'restore', file]);
    expect(r.code, r.stderr).toBe(0);
    await expectEveryVersion(['-t', 'restored']);
    // Idempotent: a second restore skips the identical rows.
    const again = await h.run(['-t', 'restored', 'restore', file, '--json']);
    expect(JSON.parse(again.stdout)).toEqual({ total: PUTS.length, written: 0, skipped: PUTS.length, repaired: 0 });
  });

  it('into the other backend (DynamoDB + KMS server) re-wraps the data keys and reproduces every version', async () => {
    const aws = ['--backend', 'aws', '-t', `restore-${Date.now()}`];
    expect((await h.run([...aws, 'setup'])).code).toBe(0);
    // Contexts are not stored, so context-bound rows are re-wrapped in their own pass: the
    // others fail (exit 10, named) and are written by the second pass.
    const first = await h.run([...aws, 'restore', file, '--rewrap-from', 'local', 'env=prod']);
    expect(first.code).toBe(10);
    expect(first.stderr).toContain('5 of 7 rows failed');
    const r = await h.run([...aws, 'restore', file, '--rewrap-from', 'local']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('(2 already present)');
    await expectEveryVersion(aws);
  });

  it('a single flipped byte anywhere is refused before any write', async () => {
    const original = readFileSync(file);
    const damaged = join(h.home, '..', 'damaged.jsonl');
    const positions = [5, Math.floor(original.length / 3), Math.floor(original.length / 2), original.length - 20];
    for (const [i, pos] of positions.entries()) {
      const bytes = Buffer.from(original);
      bytes[pos] = (bytes[pos] ?? 0) ^ 0x01;
      writeFileSync(damaged, bytes);
      const table = `damaged-${i}`;
      const r = await h.run(['-t', table, 'restore', damaged]);
      expect(r.code, `flip at ${pos}`).not.toBe(0);
      expect(r.stderr).toMatch(/nothing was restored|not valid UTF-8|not a keystash backup/);
      expect(JSON.parse((await h.run(['-t', table, 'list', '--json'])).stdout)).toEqual([]);
    }
  });
});
