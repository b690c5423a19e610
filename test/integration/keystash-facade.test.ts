/**
 * Keystash's bulk methods (migrate, verify, backup, restore) do what the core functions they
 * delegate to do, on real local backends (SQLite file + local KMS keyring).
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Keystash } from '../../src/core/keystash.js';
import { MigrateFailedError } from '../../src/core/transfer/migrate.js';
import { parseBackup } from '../../src/core/transfer/backup-file.js';
import { IntegrityError, KmsError } from '../../src/errors.js';
import { SqliteStore } from '../../src/secretstore/sqlite.js';
import { localKeystash, type LocalKeystash } from '../helpers/local-keystash.js';

const opened: Array<{ cleanup(): void }> = [];
afterEach(() => {
  for (const o of opened.splice(0)) o.cleanup();
});

function local(): LocalKeystash {
  const l = localKeystash();
  opened.push(l);
  return l;
}

/** A second store in `l`'s directory, sharing its key service. */
function sameKeys(l: LocalKeystash, file: string): Keystash {
  const store = SqliteStore.open({ path: join(l.dir, file), table: 'credential-store' });
  const ks = new Keystash({ store, keys: l.keys });
  opened.unshift({ cleanup: () => store.close() });
  return ks;
}

async function seed(ks: Keystash): Promise<void> {
  await ks.put('app.db', 'hunter2');
  await ks.put('app.db', 'hunter3');
  await ks.put('app.key', '');
  await ks.put('other', 'pässwörd ✓', { comment: 'note' });
}

async function everyVersion(ks: Keystash): Promise<string[]> {
  const out: string[] = [];
  for (const m of await ks.list()) out.push(`${m.name}@${Number(m.version)}=${await ks.get(m.name, { version: m.version })}`);
  return out;
}

const SEEDED = ['app.db@1=hunter2', 'app.db@2=hunter3', 'app.key@1=', 'other@1=pässwörd ✓'];

describe('Keystash.backup and Keystash.restore', () => {
  it('round-trip every version into another store of the same key service', async () => {
    const a = local();
    await seed(a.ks);
    const text = await a.ks.backup({ store: 'sqlite', table: 'credential-store' }, new Date('2026-02-03T00:00:00Z'));
    const { header, rows } = parseBackup(text);
    expect(header).toMatchObject({ createdAt: '2026-02-03T00:00:00.000Z', count: 4, source: { store: 'sqlite', table: 'credential-store' } });
    expect(text).not.toContain('hunter2');
    const b = sameKeys(a, 'restored.db');
    expect(await b.restore(rows)).toEqual({ total: 4, written: 4, skipped: 0, repaired: 0 });
    expect(await everyVersion(b)).toEqual(SEEDED);
    expect((await b.history('other'))[0]?.comment).toBe('note');
    // Idempotent: a second restore writes nothing.
    expect(await b.restore(rows)).toEqual({ total: 4, written: 0, skipped: 4, repaired: 0 });
  });

  it('into another key service: refused without re-wrapping, round-trips with it', async () => {
    const a = local();
    const b = local();
    await seed(a.ks);
    const { rows } = parseBackup(await a.ks.backup({ store: 'sqlite', table: 'credential-store' }));
    await expect(b.ks.restore(rows)).rejects.toBeInstanceOf(KmsError);
    expect(await b.ks.names()).toEqual([]);
    const keyArn = await b.ks.ensureKey();
    expect(await b.ks.restore(rows, { rewrap: { from: a.keys, keyId: keyArn } })).toMatchObject({ total: 4, written: 4 });
    expect(await everyVersion(b.ks)).toEqual(SEEDED);
  });
});

describe('Keystash.verify', () => {
  it('reports every row ok, then the damaged one as failed', async () => {
    const a = local();
    await seed(a.ks);
    expect(await a.ks.verify()).toEqual({ checked: 4, ok: 4, legacy: [], failed: [] });
    expect(await a.ks.verify({ pattern: 'app.*' })).toMatchObject({ checked: 3, ok: 3 });
    const row = (await a.store.getVersion('app.key', '0000000000000000001'))!;
    await a.store.putVersion({ ...row, version: '0000000000000000002', contents: 'AAAA' });
    const report = await a.ks.verify();
    expect(report).toMatchObject({ checked: 5, ok: 4 });
    expect(report.failed.map((f) => [f.name, f.version])).toEqual([['app.key', '0000000000000000002']]);
    expect(report.failed[0]?.error).toBeInstanceOf(IntegrityError);
  });
});

describe('Keystash.migrate', () => {
  it('copies every row into another store and key service, verified, values intact', async () => {
    const a = local();
    const b = local();
    await seed(a.ks);
    await b.ks.ensureKey();
    const summary = await a.ks.migrate(b.ks, { setup: true });
    expect(summary).toEqual({ dryRun: false, total: 4, copied: 4, skipped: 0, conflicts: [], verified: 4, failed: [] });
    expect(await everyVersion(b.ks)).toEqual(SEEDED);
    // The copies are wrapped by b's key service: a's wrapped keys are not in b.
    const original = await a.store.getVersion('other', '0000000000000000001');
    const copy = await b.store.getVersion('other', '0000000000000000001');
    expect(copy?.contents).toBe(original?.contents);
    expect(copy?.key).not.toBe(original?.key);
    // Again: everything already there.
    expect(await a.ks.migrate(b.ks)).toMatchObject({ copied: 0, skipped: 4 });
  });

  it('a dry run copies nothing; a conflicting row is reported, not overwritten', async () => {
    const a = local();
    const b = local();
    await seed(a.ks);
    await b.ks.ensureKey();
    expect(await a.ks.migrate(b.ks, { dryRun: true })).toMatchObject({ dryRun: true, copied: 4, verified: 0 });
    expect(await b.ks.names()).toEqual([]);
    await b.ks.put('other', 'different');
    const error = await a.ks.migrate(b.ks).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrateFailedError);
    expect((error as MigrateFailedError).summary).toMatchObject({ copied: 3, conflicts: [{ name: 'other', version: '0000000000000000001' }] });
    expect(await b.ks.get('other')).toBe('different');
  });
});
