/**
 * Rotation on the local backend: rotate killed with SIGKILL and run again (that run is the built
 * CLI as a process; everything else runs in-process), history, verify (legacy rows, tampered rows),
 * put --expect-version, migrate between tables.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Keystash } from '../../src/core/keystash.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { SqliteStore } from '../../src/secretstore/sqlite.js';
import type { SecretRow } from '../../src/secretstore/types.js';
import { inProcessHome } from '../helpers/in-process.js';
import { BIN, cleanEnv } from '../helpers/run-cli.js';

const h = inProcessHome();
const N = 150;
const PAD1 = '1'.padStart(19, '0');

/** The CLI's store and keyring opened in-process (for seeding and for inspecting rows). */
function openDirect(table = 'credential-store'): Keystash {
  return new Keystash({
    store: SqliteStore.open({ path: join(h.home, 'store.db'), table }),
    keys: LocalKms.open({ path: join(h.home, 'keyring.json') }),
  });
}

async function rows(ks: Keystash): Promise<Map<string, SecretRow>> {
  const out = new Map<string, SecretRow>();
  for await (const m of ks.store.listAll()) out.set(`${m.name}@${m.version}`, (await ks.store.getVersion(m.name, m.version))!);
  return out;
}

beforeAll(async () => {
  expect((await h.run(['kms', 'create-key', '--alias', 'alias/k2'])).code).toBe(0);
  const ks = openDirect();
  try {
    for (let i = 0; i < N; i++) await ks.put(`bulk.s${String(i).padStart(3, '0')}`, `bulk-value-${i}`);
  } finally {
    ks.close();
  }
});
afterAll(() => h.cleanup());

/** Start `rotate`, SIGKILL it as soon as its first progress line appears. */
function rotateAndKill(args: string[]): Promise<{ signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }), stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (/^rotate \d+\/\d+/m.test(stderr)) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => (clearTimeout(timer), resolve({ signal, stderr })));
  });
}

describe('rotate through the CLI', () => {
  it('rotate --all --key alias/k2, SIGKILLed part-way, then run again: every row readable, rotated exactly once', async () => {
    const ks = openDirect();
    try {
      const before = await rows(ks);
      const killed = await rotateAndKill(['--concurrency', '1', 'rotate', '--all', '--key', 'alias/k2']);
      expect(killed.signal).toBe('SIGKILL');
      expect(killed.stderr).toMatch(/^rotate \d+\/150 [\d.]+\/s ETA \d+s$/m);
      const middle = await rows(ks);
      const doneFirst = [...middle].filter(([id, r]) => r.key !== before.get(id)!.key).length;
      expect(doneFirst).toBeGreaterThan(0);
      expect(doneFirst).toBeLessThan(N);

      const again = await h.run(['rotate', '--all', '--key', 'alias/k2']);
      expect(again.code).toBe(0);
      expect(again.stdout).toBe('');
      expect(again.stderr).toContain(`rotated ${N - doneFirst} of ${N} rows under arn:`);
      expect(again.stderr).toContain(`skipped ${doneFirst}; failed 0; verified ${N - doneFirst}`);
      const after = await rows(ks);
      const k2 = await ks.keys.describeKeyArn!('alias/k2');
      for (const [id, record] of after) {
        const old = before.get(id)!;
        expect(record.key).not.toBe(old.key);
        // Rows the first run finished were left alone by the second.
        if (middle.get(id)!.key !== old.key) expect(record.key).toBe(middle.get(id)!.key);
        expect({ contents: record.contents, hmac: record.hmac }).toEqual({ contents: old.contents, hmac: old.hmac });
        const { plaintext, keyId } = await ks.keys.decrypt({ ciphertextBlob: Buffer.from(record.key, 'base64'), context: {} });
        plaintext.fill(0);
        expect(keyId).toBe(k2);
      }
      expect((await h.run(['kms', 'disable', 'alias/credstash'])).code).toBe(0);
      const all = await h.run(['getall', '-f', 'json']);
      expect(all.code).toBe(0);
      expect(Object.keys(JSON.parse(all.stdout) as object)).toHaveLength(N);
      expect((await h.run(['get', 'bulk.s042'])).stdout).toBe('bulk-value-42\n');
      expect((await h.run(['kms', 'enable', 'alias/credstash'])).code).toBe(0);
      const third = await h.run(['rotate', 'bulk.*', '--key', 'alias/k2', '--dry-run']);
      expect(third.stderr).toContain(`would rotate 0 of ${N} rows`);
    } finally {
      ks.close();
    }
  });

  it('usage errors: neither --key nor --reseal, nothing selected, unknown name', async () => {
    expect((await h.run(['rotate', '--all'])).code).toBe(2);
    expect((await h.run(['rotate', '--all', '--key', 'alias/k2', '--reseal', '--dry-run'])).code).toBe(0); // README: with --reseal, -k is the key to use
    expect((await h.run(['rotate', '--key', 'alias/k2'])).code).toBe(2);
    expect((await h.run(['rotate', 'no.such', '--key', 'alias/k2'])).code).toBe(3);
  });

  it('rotate NAME --reseal writes the next version with the same value', async () => {
    const r = await h.run(['rotate', 'bulk.s001', '--reseal']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/rotated 1 of 1 rows \(re-sealed as new versions under arn:aws:kms:local:\d+:key\/[0-9a-f-]+\)/);
    expect((await h.run(['get', 'bulk.s001'])).stdout).toBe('bulk-value-1\n');
    expect((await h.run(['get', 'bulk.s001', '-v', '1'])).stdout).toBe('bulk-value-1\n');
    expect(JSON.parse((await h.run(['history', 'bulk.s001', '--json'])).stdout)).toHaveLength(2);
  });
});

describe('history, verify, put --expect-version', () => {
  it('history NAME lists versions newest first; --json; --keys shows the wrapping key', async () => {
    await h.run(['put', 'hist.s', 'one', '-c', 'first']);
    await h.run(['put', 'hist.s', 'two']);
    await h.run(['put', 'hist.s', 'three', '-k', 'alias/k2', '-c', 'third']);
    const text = await h.run(['history', 'hist.s']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^0000000000000000003 {2}\d{4}-\d\d-\d\dT[\d:.]+Z {2}third$/);
    expect(lines[1]).toMatch(/^0000000000000000002 {2}\S+$/);
    expect(lines[2]).toMatch(/ {2}first$/);
    const json = JSON.parse((await h.run(['history', 'hist.s', '--json', '--keys'])).stdout) as Array<Record<string, string>>;
    expect(json.map((r) => r.version)).toEqual(['0000000000000000003', '0000000000000000002', PAD1]);
    expect(json[0]!.comment).toBe('third');
    expect(json[0]!.keyArn).not.toBe(json[1]!.keyArn);
    expect(json[1]!.keyArn).toBe(json[2]!.keyArn);
    expect((await h.run(['history', 'hist.none'])).code).toBe(3);
  });

  it('put --expect-version: match stores, mismatch exits 4 and writes nothing', async () => {
    await h.run(['put', 'cas.s', 'v1']);
    const ok = await h.run(['put', 'cas.s', 'v2', '--expect-version', '1']);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain('version 0000000000000000002');
    const padded = await h.run(['put', 'cas.s', 'v3', '--expect-version', '0000000000000000002']);
    expect(padded.code).toBe(0);
    const stale = await h.run(['put', 'cas.s', 'lost-update', '--expect-version', '2']);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toContain('expected latest version 0000000000000000002 but it is 0000000000000000003; nothing was written');
    const absent = await h.run(['put', 'cas.new', 'x', '--expect-version', '1']);
    expect(absent.code).toBe(4);
    expect((await h.run(['get', 'cas.s'])).stdout).toBe('v3\n');
    expect(JSON.parse((await h.run(['history', 'cas.s', '--json'])).stdout)).toHaveLength(3);
    expect((await h.run(['get', 'cas.new'])).code).toBe(3);
  });

  it('verify: summary on stdout, legacy rows flagged, a tampered row exits 10', async () => {
    const ks = openDirect('verify-table');
    try {
      for (let i = 1; i <= 10; i++) {
        await ks.put('scratch', `legacy-${i}`);
        const sealed = await ks.getRecord('scratch');
        await ks.store.putVersion({ ...sealed, name: 'legacy', version: String(i), hmacType: 'S', digest: undefined });
      }
      await ks.delete('scratch');
      await ks.put('modern', 'fine');
      const clean = await h.run(['-t', 'verify-table', 'verify']);
      expect(clean.code).toBe(0);
      expect(clean.stdout).toContain('legacy  legacy version 10: unpadded version, hmac stored as S, no digest (read as SHA256)\n');
      expect(clean.stdout.endsWith('checked 11, ok 11, legacy 10, failed 0\n')).toBe(true);
      expect((await h.run(['-t', 'verify-table', 'get', 'legacy'])).stdout).toBe('legacy-10\n');

      const row = (await ks.store.getVersion('modern', PAD1))!;
      await ks.store.deleteVersions('modern');
      await ks.store.putVersion({ ...row, contents: Buffer.from('tampered').toString('base64') });
      const bad = await h.run(['-t', 'verify-table', 'verify', '--json']);
      expect(bad.code).toBe(10);
      const report = JSON.parse(bad.stdout) as { checked: number; ok: number; legacy: unknown[]; failed: Array<Record<string, string>> };
      expect(report).toMatchObject({ checked: 11, ok: 10 });
      expect(report.legacy).toHaveLength(10);
      expect(report.failed).toEqual([expect.objectContaining({ name: 'modern', version: PAD1, code: 'secret.integrity' })]);
      const only = await h.run(['-t', 'verify-table', 'verify', 'leg*']);
      expect(only.code).toBe(0);
      expect(only.stdout).toContain('checked 10, ok 10, legacy 10, failed 0');
    } finally {
      ks.close();
    }
  });

  it('migrate --from local --to local:copy copies every version; a re-run skips them', async () => {
    const first = await h.run(['migrate', '--from', 'local:hist-src', '--to', 'local:copy']);
    expect(first.code).toBe(0);
    expect(first.stderr).toContain('copied 0 of 0 rows');
    const m = await h.run(['migrate', '--from', 'local', '--to', 'local:copy', '--to-key', 'alias/k2']);
    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/copied (\d+) of \1 rows; skipped 0 already present; conflicts 0; failed 0; verified \1/);
    expect((await h.run(['-t', 'copy', 'get', 'hist.s', '-v', '1'])).stdout).toBe('one\n');
    const again = await h.run(['migrate', '--from', 'local', '--to', 'local:copy']);
    expect(again.stderr).toMatch(/copied 0 of (\d+) rows; skipped \1 already present/);
    expect((await h.run(['migrate', '--from', 'gcp', '--to', 'local'])).code).toBe(2);
  });

  it('migrate local → aws (dynalite + KMS server) → local through the CLI', async () => {
    const table = `ks-cli-${randomUUID()}`;
    const aws = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
      AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
      AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
      AWS_REGION: 'us-east-1',
    };
    const up = await h.run(['migrate', '--from', 'local:verify-table', '--to', `aws:${table}`], { env: aws });
    expect(up.stderr).toContain('copied 11 of 11 rows');
    expect(up.code).toBe(10); // the tampered row fails the verify pass through the destination
    expect(up.stderr).toContain('modern');
    const back = await h.run(['migrate', '--from', `aws:${table}`, '--to', 'local:round-trip', '--to-key', 'alias/k2', 'x=y'], { env: aws });
    expect(back.code).toBe(10); // wrong encryption context: no row can be unwrapped, none is written
    expect(back.stderr).toContain('copied 0 of 11 rows; skipped 0 already present; conflicts 0; failed 11');
    const ok = await h.run(['migrate', '--from', `aws:${table}`, '--to', 'local:round-trip'], { env: aws });
    expect(ok.stderr).toContain('copied 11 of 11 rows');
    expect((await h.run(['-t', 'round-trip', 'get', 'legacy'])).stdout).toBe('legacy-10\n');
    expect((await h.run(['--backend', 'aws', '-t', table, 'get', 'legacy', '-v', '0000000000000000003'], { env: aws })).code).toBe(3);
  });
});
