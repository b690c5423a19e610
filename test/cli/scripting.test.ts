/**
 * Scripting comfort: `--json` on every listing and report command (one JSON document on stdout,
 * nothing else there), and progress on stderr for bulk commands of 50 or more rows only.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
const dir = join(h.home, '..');
const BULK = 60;
const bulkJson = JSON.stringify(Object.fromEntries(Array.from({ length: BULK }, (_, i) => [`bulk.${String(i).padStart(3, '0')}`, `value-${i}`])));
const PROGRESS = (label: string) => new RegExp(`^${label} \\d+/\\d+ [\\d.]+/s ETA \\d+s$`, 'm');

async function json(args: string[]): Promise<unknown> {
  const r = await h.run(args);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

beforeAll(async () => {
  const puts: Array<[name: string, value: string, comment: string]> = [
    ['db.pw', 'hunter2', 'first'],
    ['db.pw', 'hunter3', 'second'],
    ['api.token', 'tok', 'only'],
  ];
  for (const [name, value, comment] of puts) {
    const r = await h.run(['put', name, value, '-c', comment]);
    expect(r.code, r.stderr).toBe(0);
  }
}, 60_000);
afterAll(() => h.cleanup());

describe('--json on listing commands', () => {
  it('keys --json: a JSON array of distinct names', async () => {
    expect(await json(['keys', '--json'])).toEqual(['api.token', 'db.pw']);
  });

  it('list --json: every version with name, version, comment, createdAt', async () => {
    const rows = (await json(['list', '--json'])) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.name, Number(r.version), r.comment])).toEqual([
      ['api.token', 1, 'only'],
      ['db.pw', 1, 'first'],
      ['db.pw', 2, 'second'],
    ]);
    for (const r of rows) expect(r.createdAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('history --json: newest first', async () => {
    const rows = (await json(['history', 'db.pw', '--json'])) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [Number(r.version), r.comment])).toEqual([
      [2, 'second'],
      [1, 'first'],
    ]);
  });

  it('verify --json: the report', async () => {
    expect(await json(['verify', '--json'])).toEqual({ checked: 3, ok: 3, legacy: [], failed: [] });
  });

  it('kms list --json (and its alias list-keys): the local master keys', async () => {
    const keys = (await json(['kms', 'list', '--json'])) as Array<Record<string, unknown>>;
    expect(keys.some((k) => (k.aliases as string[]).includes('alias/credstash') && k.enabled === true)).toBe(true);
    expect(await json(['kms', 'list-keys', '--json'])).toEqual(keys);
  });

  it('rotate --json: the summary on stdout; on failure too, with exit 10 and the failed rows named', async () => {
    expect((await h.run(['kms', 'create-key', '--alias', 'alias/k2'])).code).toBe(0);
    const dry = (await json(['rotate', '--all', '--key', 'alias/k2', '--dry-run', '--json'])) as Record<string, unknown>;
    expect(dry).toMatchObject({ mode: 'rewrap', dryRun: true, selected: 2, rotated: 2, skipped: 0, verified: 0, failed: [] });
    expect(dry.keyArn).toMatch(/^arn:aws:kms:/);
    expect(await json(['rotate', 'db.pw', '--reseal', '--json'])).toEqual({ mode: 'reseal', dryRun: false, keyArn: null, selected: 1, rotated: 1, skipped: 0, verified: 1, keys: [expect.stringMatching(/^arn:aws:kms:/)], failed: [] });
    expect((await h.run(['put', 'ctx.only', 'x', 'env=prod'])).code).toBe(0);
    const bad = await h.run(['rotate', '--all', '--key', 'alias/k2', '--json']);
    expect(bad.code).toBe(10);
    const summary = JSON.parse(bad.stdout) as { rotated: number; failed: Array<Record<string, string>> };
    expect(summary.rotated).toBe(2);
    expect(summary.failed).toEqual([{ name: 'ctx.only', version: '0000000000000000001', code: 'kms.decrypt', error: expect.stringContaining('encryption context') }]);
    expect((await h.run(['delete', 'ctx.only'])).code).toBe(0);
  });

  it('migrate --json: the summary on stdout', async () => {
    const summary = (await json(['migrate', '--from', 'local', '--to', 'local:json-copy', '--json'])) as Record<string, unknown>;
    expect(summary).toMatchObject({ dryRun: false, copied: summary.total, skipped: 0, conflicts: [], failed: [] });
    expect(summary.verified).toBe(summary.total);
  });
});

describe('progress on stderr', () => {
  it(`bulk commands of ${BULK} rows report progress on stderr (never stdout); small ones stay quiet`, async () => {
    const other = inProcessHome();
    try {
      const small = await other.run(['putall', '{"a.one": "1", "a.two": "2"}']);
      expect(small.code, small.stderr).toBe(0);
      expect(small.stderr).not.toMatch(PROGRESS('putall'));

      const file = join(dir, 'bulk.json');
      writeFileSync(file, bulkJson);
      const imported = await other.run(['import', file, '--json']);
      expect(imported.code, imported.stderr).toBe(0);
      expect(imported.stderr).toMatch(PROGRESS('import'));
      expect(imported.stderr).toMatch(/^import 60\/60 /m); // names, each counted once
      expect((JSON.parse(imported.stdout) as { results: unknown[] }).results).toHaveLength(BULK);

      const verified = await other.run(['verify', '--json']);
      expect(verified.stderr).toMatch(/^verify 62\/62 /m);
      expect(JSON.parse(verified.stdout)).toMatchObject({ checked: BULK + 2 });

      const backup = join(dir, 'bulk.jsonl');
      expect((await other.run(['backup', '-o', backup])).code).toBe(0);
      const restored = await other.run(['-t', 'bulk-restored', 'restore', backup, '--json']);
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stderr).toMatch(/^restore 62\/62 /m);
      expect(JSON.parse(restored.stdout)).toEqual({ total: BULK + 2, written: BULK + 2, skipped: 0, repaired: 0 });

      const putall = await other.run(['putall', '-', '--dry-run'], { input: bulkJson });
      expect(putall.stderr).toMatch(/^putall 60\/60 /m);
      expect(putall.stdout).not.toMatch(PROGRESS('putall'));
    } finally {
      other.cleanup();
    }
  });
});
