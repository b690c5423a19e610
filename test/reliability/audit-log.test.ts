/**
 * The local KMS audit log under concurrency and crashes, and its reader:
 *   - 8 concurrent `getall` over 50 secrets, through a passphrase-sealed keyring, leave exactly 8
 *     new well-formed lines (one per command and key, counting 50);
 *   - a SIGKILL in the middle of a run leaves a log `kms audit --verify` reads whole, or with a
 *     last line cut short, which the next writer ends and --verify reports as a crash, not tampering;
 *   - a torn last line (a short write) is reported and skipped, and the next writer ends it so its
 *     own record stays readable;
 *   - rotation by size keeps every line whole and the newest files; `--since` / `--key` filter;
 *   - appends of one event-loop turn share one descriptor, closed when the turn ends, so the next
 *     turn writes to the current file after another writer rotated it;
 *   - no value, data key or passphrase in the log, byte-wise (plain, base64, hex).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, readdirSync, readlinkSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createKeystash } from '../../src/open.js';
import { AuditLog, rotatedFiles } from '../../src/localkms/audit-log.js';
import { readAuditLog } from '../../src/localkms/audit-read.js';
import { BIN, cleanEnv, runCli, tempDir } from '../helpers/run-cli.js';
import { inProcessHome } from '../helpers/in-process.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';

const tag = randomBytes(6).toString('hex');
const DIST_OPEN = resolve(import.meta.dirname, '../../dist/open.js');
const valueOf = (i: number) => `AUDIT-${tag}-value-${i}`;
const PASSPHRASE = `AUDIT-${tag}-passphrase`;
const READERS = 8;

/** How many whole records the log has (a fragment a kill left, ended by the next writer, is none). */
function wholeLines(path: string): number {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1).filter((line) => {
    try {
      JSON.parse(line);
      return true;
    } catch {
      return false;
    }
  }).length;
}

/** Every line of the log parses as a record; returns them. */
function wellFormedLines(path: string): Array<Record<string, unknown>> {
  const text = readFileSync(path, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  return text.slice(0, -1).split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The audit log holds none of the values, nor the passphrase, in any common encoding. */
function expectNoSecrets(path: string, secrets: readonly string[]): void {
  const bytes = readFileSync(path);
  for (const secret of secrets) {
    for (const form of [secret, Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('hex')]) {
      expect(bytes.includes(form), `${form} in the audit log`).toBe(false);
    }
  }
}

async function putSecrets(dataDir: string, count: number, env: Record<string, string> = {}): Promise<void> {
  const ks = await createKeystash({ dataDir, env });
  try {
    for (let i = 0; i < count; i++) await ks.put(`app.s${String(i).padStart(3, '0')}`, valueOf(i), { context: { env: `ctx-${tag}` } });
  } finally {
    ks.close();
  }
}

describe('concurrent writers', () => {
  const t = tempDir('keystash-audit-');
  const home = join(t.dir, 'ks');
  const log = join(home, 'kms-audit.jsonl');
  afterAll(t.cleanup);

  it(`${READERS} processes × getall of 50 leave exactly ${READERS} more well-formed lines, one per command and key, each counting 50`, async () => {
    await putSecrets(home, 50);
    // Sealed at the cheapest cost a keyring may carry: each of the processes derives its key.
    sealCheaply(join(home, 'keyring.json'), PASSPHRASE);
    const before = wellFormedLines(log).length;
    expect(before).toBe(51); // 50 puts and the first put's CreateKey of alias/credstash (issue 24 item 3)
    const env = { HOME: t.dir, KEYSTASH_HOME: home, KEYSTASH_KMS_PASSPHRASE: PASSPHRASE };
    const runs = await Promise.all(Array.from({ length: READERS }, () => runCli(['getall', '-f', 'json', `env=ctx-${tag}`], { env, timeoutMs: 60_000 })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const lines = wellFormedLines(log);
    expect(lines.length - before).toBe(READERS);
    const added = lines.slice(before);
    expect(added.every((r) => r['eventName'] === 'Decrypt' && r['outcome'] === 'ok')).toBe(true);
    expect(added.map((r) => (r['additionalEventData'] as { count: number; command: string }).count)).toEqual(Array(READERS).fill(50));
    expect(new Set(added.map((r) => (r['additionalEventData'] as { namesDigest: string }).namesDigest)).size).toBe(1);
    expect(statSync(log).mode & 0o777).toBe(0o600);
    // Concurrent writers may link to the same line: the hash chain still verifies.
    const { records, malformed } = readAuditLog(log);
    expect(malformed).toEqual([]);
    expect(records).toHaveLength(51 + READERS); // 50 puts, the CreateKey of alias/credstash on first use, the getalls
    expectNoSecrets(log, [...Array.from({ length: 50 }, (_, i) => valueOf(i)), PASSPHRASE, `ctx-${tag}`]);
  }, 120_000);
});

describe('crashes', () => {
  const t = tempDir('keystash-audit-kill-');
  const home = join(t.dir, 'ks');
  const log = join(home, 'kms-audit.jsonl');
  afterAll(t.cleanup);

  it('SIGKILL in the middle of a run: every whole record reads; a cut last line is a crash, never tampering', async () => {
    await putSecrets(home, 200);
    const added: number[] = [];
    for (let round = 0; round < 3; round++) {
      const linesBefore = wholeLines(log);
      const start = statSync(log).size;
      // 200 single gets (one record each; a getall is one record for the whole command).
      const script = `const { createKeystash } = await import(${JSON.stringify(pathToFileURL(DIST_OPEN).href)}); const ks = await createKeystash({ dataDir: ${JSON.stringify(home)} }); for (let i = 0; i < 200; i++) await ks.get('app.s' + String(i).padStart(3, '0'), { context: { env: ${JSON.stringify(`ctx-${tag}`)} } }); ks.close();`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: cleanEnv({ HOME: t.dir, KEYSTASH_HOME: home }), stdio: 'ignore' });
      const closed = new Promise((resolve) => child.once('close', resolve));
      // Kill as soon as the log grows (bounded: 20 s), i.e. while decrypts are being recorded.
      for (let i = 0; i < 10_000 && statSync(log).size === start && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 2));
      child.kill('SIGKILL');
      await closed;
      added.push(wholeLines(log) - linesBefore);
    }
    // Killed while recording: some round stopped short of its 200 decrypts.
    expect(Math.min(...added)).toBeLessThan(200);
    const records = wholeLines(log);
    expect(records).toBeGreaterThan(200);
    const { run, cleanup } = inProcessHome({ KEYSTASH_HOME: home });
    try {
      // One write(2) per record: a kill may still cut the last one short (a write to a regular file
      // is not promised to be all-or-nothing). Then the next writer ends the fragment, and --verify
      // reports it as a line torn by a writer stopped mid-write — a crash — never as a broken
      // chain (tampering). Otherwise the log verifies whole.
      const cut = !readFileSync(log, 'utf8').endsWith('\n') || wholeLines(log) !== readFileSync(log, 'utf8').split('\n').length - 1;
      expect((await run(['get', 'app.s000', `env=ctx-${tag}`])).code).toBe(0);
      const r = await run(['kms', 'audit', '--verify', '--json']);
      const findings = r.stderr.split('\n').filter((l) => /^line \d+:|does not follow|hash chain/.test(l.replace(/^keystash: (warning|error): /, '')));
      if (cut) {
        expect(r.code).toBe(5);
        expect(findings.every((l) => l.includes('fragment of a line torn by a writer stopped mid-write')), r.stderr).toBe(true);
      } else {
        expect(r.code, r.stderr).toBe(0);
        expect(findings).toEqual([]);
      }
      expect(r.stderr).not.toContain('does not follow');
      expect(r.stdout.trim().split('\n')).toHaveLength(records + 1);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('a torn last line is reported and skipped; the record appended after it is recovered', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['put', 'torn.s', valueOf(1)])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      appendFileSync(path, '{"eventVersion":"1.0","eventTime":"2026-');
      let r = await h.run(['kms', 'audit']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('GenerateDataKey');
      // Line 1 is the first put's CreateKey of alias/credstash (issue 24 item 3).
      expect(r.stderr).toContain('line 3: fragment of a line torn by a writer stopped mid-write');
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(5);
      expect((await h.run(['get', 'torn.s'])).stdout).toBe(`${valueOf(1)}\n`);
      r = await h.run(['kms', 'audit', '--json']);
      expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { eventName: string }).eventName)).toEqual(['CreateKey', 'GenerateDataKey', 'Decrypt']);
      // The record written after the fragment is recovered; the fragment is still reported.
      expect(r.stderr).toContain('line 3: fragment of a line torn');
      expect(r.stderr).not.toContain('hash chain');
      expect(r.stderr).not.toContain('does not follow');
    } finally {
      h.cleanup();
    }
  });
});

describe('hash chain', () => {
  it('kms audit --verify finds a line removed or edited in the middle; an intact log verifies', async () => {
    const h = inProcessHome();
    try {
      for (const name of ['c.1', 'c.2', 'c.3']) expect((await h.run(['put', name, 'v'])).code).toBe(0);
      expect((await h.run(['get', 'c.2'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const intact = readFileSync(path, 'utf8');
      expect(intact.trim().split('\n')).toHaveLength(5); // CreateKey of alias/credstash on first use, 3 puts, 1 get
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
      const lines = intact.split('\n');
      writeFileSync(path, [lines[0], lines[2], lines[3], lines[4], ''].join('\n'));
      let r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('line 2: does not follow the lines before it');
      writeFileSync(path, intact.replace('"outcome":"ok"', '"outcome":"error"'));
      r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('line 2: does not follow');
    } finally {
      h.cleanup();
    }
  });
});

describe('replays and alias names (2026-12 audit findings)', () => {
  it('kms audit --verify finds a record copied in twice (line 12 duplicated)', async () => {
    const h = inProcessHome();
    try {
      for (let i = 0; i < 6; i++) expect((await h.run(['put', `r.${i}`, 'v'])).code).toBe(0);
      for (let i = 0; i < 6; i++) expect((await h.run(['get', `r.${i}`])).code).toBe(0);
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const lines = readFileSync(path, 'utf8').slice(0, -1).split('\n');
      expect(lines.length).toBeGreaterThanOrEqual(13);
      writeFileSync(path, `${[...lines.slice(0, 12), lines[11]!, ...lines.slice(12)].join('\n')}\n`);
      const r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('line 13: repeats the eventID of an earlier record');
    } finally {
      h.cleanup();
    }
  });

  it('kms alias, then kms audit --key alias/NEW finds the creation by the new name, which the record names', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['put', 'a.s', 'v'])).code).toBe(0);
      expect((await h.run(['kms', 'alias', 'alias/newname', 'alias/credstash'])).code).toBe(0);
      const r = await h.run(['kms', 'audit', '--key', 'alias/newname', '--json']);
      expect(r.code).toBe(0);
      const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { eventName: string; requestParameters: Record<string, unknown> });
      const created = records.filter((rec) => rec.eventName === 'CreateAlias');
      expect(created).toHaveLength(1);
      expect(created[0]!.requestParameters).toMatchObject({ aliasName: 'alias/newname', keyId: 'alias/credstash' });
      expect((await h.run(['kms', 'audit'])).stdout).toMatch(/CreateAlias {2}local {2}local {2}alias\/credstash {2}alias alias\/newname {2}ok/);
      // The record holds the target key's ARN too, whatever name the command used for it.
      const path = join(h.home, 'kms-audit.jsonl');
      const arn = readAuditLog(path).records.find((rec) => rec.eventName === 'CreateKey')!.resources![0]!.ARN;
      const byId = readAuditLog(path, { keys: [arn.replace(/^.*:key\//, '')] }).records.map((rec) => rec.eventName);
      expect(byId).toContain('CreateAlias');
    } finally {
      h.cleanup();
    }
  });
});

/** How many of this process's descriptors are open on `path` (Linux /proc). */
function openDescriptors(path: string): number {
  return readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === path;
    } catch {
      return false; // closed while listing
    }
  }).length;
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe.runIf(process.platform === 'linux')('one descriptor per event-loop turn', () => {
  const t = tempDir('keystash-audit-turn-');
  afterAll(t.cleanup);
  const entry = (i: number) => ({ eventName: 'Decrypt', accessKeyId: 'local', sourceIPAddress: 'local', keyId: `key-${i}`, outcome: 'ok' as const });

  it('shares one descriptor within a turn and closes it when the turn ends', async () => {
    const path = join(t.dir, 'turn.jsonl');
    const log = new AuditLog(path);
    for (let i = 0; i < 50; i++) log.append(entry(i));
    expect(openDescriptors(path)).toBe(1);
    expect(wellFormedLines(path)).toHaveLength(50); // written at once, not when the descriptor closes
    await nextTurn();
    expect(openDescriptors(path)).toBe(0);
    log.append(entry(50));
    await nextTurn();
    expect(openDescriptors(path)).toBe(0);
    expect(readAuditLog(path).records.map((r) => r.requestParameters.keyId)).toEqual(Array.from({ length: 51 }, (_, i) => `key-${i}`));
  });

  it("writes the next turn's lines to the current file after another writer renamed it", async () => {
    const path = join(t.dir, 'rotated.jsonl');
    const log = new AuditLog(path);
    log.append(entry(0));
    await nextTurn();
    renameSync(path, `${path}.00000000000000001-aaaaaaaa`); // another process's rotation
    log.append(entry(1));
    await nextTurn();
    expect(wellFormedLines(path).map((r) => (r.requestParameters as { keyId: string }).keyId)).toEqual(['key-1']);
    expect(readAuditLog(path).malformed).toEqual([]);
  });
});

describe('rotation and queries', () => {
  const t = tempDir('keystash-audit-rot-');
  afterAll(t.cleanup);

  it('rotates by size into whole files, deletes none, reads them oldest first', () => {
    const path = join(t.dir, 'kms-audit.jsonl');
    const log = new AuditLog(path, { maxBytes: 2000 });
    for (let i = 0; i < 60; i++) log.append({ eventName: 'Decrypt', accessKeyId: 'local', sourceIPAddress: 'local', keyId: `key-${i}`, outcome: 'ok' });
    const rotated = rotatedFiles(path);
    expect(rotated.length).toBeGreaterThan(5); // more than the 5 once kept: none is deleted
    for (const file of [...rotated, path]) {
      expect(statSync(file).size).toBeLessThanOrEqual(2000);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    }
    const { records, malformed } = readAuditLog(path);
    expect(malformed).toEqual([]);
    const ids = records.map((r) => Number(r.requestParameters.keyId!.slice(4)));
    expect(ids).toEqual(Array.from({ length: 60 }, (_, i) => i));
  });

  it('kms audit --since and --key filter; the human form is one escaped line per record', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/other'])).code).toBe(0);
      expect((await h.run(['put', 'a.s', 'v1', 'env=x'])).code).toBe(0);
      expect((await h.run(['put', '-k', 'alias/other', 'b.s', 'v2'])).code).toBe(0);
      expect((await h.run(['get', 'b.s'])).code).toBe(0);
      const byKey = await h.run(['kms', 'audit', '--key', 'alias/other', '--json']);
      const names = byKey.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { eventName: string }).eventName);
      expect(names).toEqual(['CreateKey', 'GenerateDataKey', 'Decrypt']);
      expect((await h.run(['kms', 'audit', '--since', '2999-01-01'])).stdout).toBe('');
      // 4 operations and the CreateKey of alias/credstash made with the keyring (issue 24 item 3).
      expect((await h.run(['kms', 'audit', '--since', '1h'])).stdout.trim().split('\n')).toHaveLength(5);
      expect((await h.run(['kms', 'audit', '--since', 'yesterday'])).code).toBe(2);
      const human = await h.run(['kms', 'audit']);
      expect(human.stdout).toMatch(/GenerateDataKey {2}local {2}local {2}alias\/credstash {2}ok {2}context keys: env\n/);
    } finally {
      h.cleanup();
    }
  });
});
