/**
 * Secret hygiene of the local backend.
 *   - a representative workload (put/get/getall/export/backup/restore/rotate/verify, failures
 *     included) leaves no plaintext marker (nor its base64 or hex) in any file under the data
 *     directory, in the backup file, or on stderr;
 *   - files are 0600 and directories 0700 even under umask 000; export -o and backup -o are 0600;
 *   - a keyring readable or writable by group/others is refused (exit 9, says chmod 600, prints
 *     nothing), for reads and writes alike; chmod 600 makes it usable again;
 *   - no secret value on the argv of any process while `keystash exec` runs its child or while
 *     `put -` holds a value read from stdin;
 *   - plaintext data keys are zeroed after use by put/get/getAll/rotate/verify (a pass-through
 *     wrapper around the real local KMS records the buffers it hands out); the AWS KMS key service
 *     zeroes a plaintext data key it cannot return (an answer without CiphertextBlob or KeyId).
 *     The envelope helper
 *     itself (withDataKey zeroing after sync/throw/async use) is covered by
 *     test/unit/envelope/seal.test.ts › withDataKey, not repeated here.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsKmsKeyService } from '../../src/envelope/aws-kms.js';
import { KmsError } from '../../src/errors.js';
import { BIN, cleanEnv, tempDir, type CliResult } from '../helpers/run-cli.js';
import { allCommandLines } from '../helpers/proc.js';

const LIB_URL = new URL('../../dist/index.js', import.meta.url).href;
const tag = randomBytes(6).toString('hex');
const marker = (n: string) => `HYGIENE-${tag}-${n}-plaintext`;
const M = {
  stdin: marker('stdin'),
  file: marker('atfile'),
  literal: marker('literal'),
  second: marker('second-version'),
  ctx: marker('context'),
  multi: `${marker('multiline')}\nline two ✓\n`,
};
const MARKERS = [...Object.values(M).map((v) => v.split('\n')[0]!), `HYGIENE-${tag}`];

const t = tempDir('keystash-hygiene-');
const home = join(t.dir, 'data');
const env = cleanEnv({ HOME: t.dir, KEYSTASH_HOME: home });
const backupFile = join(t.dir, 'backup.jsonl');
const exportFile = join(t.dir, 'export.env');
let stderrLog = '';

/** Run the CLI under umask 000, so only the modes keystash asks for protect its files. */
function ks(args: readonly string[], input?: string): Promise<CliResult> {
  return underUmask0([BIN, ...args], input);
}

function underUmask0(nodeArgs: readonly string[], input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', 'umask 000; exec "$0" "$@"', process.execPath, ...nodeArgs], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      const stderr = Buffer.concat(err).toString('utf8');
      stderrLog += stderr;
      resolve({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr, stdoutBytes });
    });
    child.stdin.end(input ?? '');
  });
}

async function ok(args: readonly string[], input?: string): Promise<CliResult> {
  const r = await ks(args, input);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** Markers (UTF-8, base64, hex) found in `bytes`. */
function leaks(bytes: Buffer): string[] {
  const found: string[] = [];
  for (const m of MARKERS) {
    const raw = Buffer.from(m, 'utf8');
    for (const [form, needle] of [['utf8', raw], ['base64', Buffer.from(raw.toString('base64'))], ['hex', Buffer.from(raw.toString('hex'))]] as const) {
      if (bytes.includes(needle)) found.push(`${m} (${form})`);
    }
  }
  return found;
}

function walk(dir: string): Array<{ path: string; isDir: boolean }> {
  const entries: Array<{ path: string; isDir: boolean }> = [{ path: dir, isDir: true }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) entries.push(...walk(path));
    else entries.push({ path, isDir: false });
  }
  return entries;
}

const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

beforeAll(async () => {
  // The representative workload.
  await ok(['put', 'hyg.stdin', '-'], M.stdin);
  const valueFile = join(t.dir, 'value.txt');
  writeFileSync(valueFile, M.file);
  await ok(['put', 'hyg.file', `@${valueFile}`]);
  await ok(['put', 'hyg.literal', M.literal, '-c', 'a comment']);
  await ok(['put', 'hyg.literal', '-'], M.second);
  await ok(['put', 'hyg.multi', '-'], M.multi);
  expect((await ok(['get', '-n', 'hyg.stdin'])).stdout).toBe(M.stdin);
  expect((await ok(['get', '-n', 'hyg.literal', '-v', '1'])).stdout).toBe(M.literal);
  expect(JSON.parse((await ok(['getall'])).stdout)['hyg.multi']).toBe(M.multi);
  expect(JSON.parse((await ok(['get', 'hyg.*', '-f', 'json'])).stdout)['hyg.file']).toBe(M.file);
  await ok(['export', '--all', '-f', 'dotenv', '-o', exportFile]);
  await ok(['list']);
  await ok(['rotate', '--all', '--reseal']);
  await ok(['kms', 'create-key', '--alias', 'alias/hyg2']);
  await ok(['rotate', '--all', '--key', 'alias/hyg2', '--all-versions']);
  await ok(['verify']);
  await ok(['put', 'hyg.ctx', '-', 'env=prod'], M.ctx);
  await ok(['backup', '-o', backupFile]);
  await ok(['-t', 'restored', 'restore', backupFile]);
  expect((await ok(['-t', 'restored', 'get', '-n', 'hyg.ctx', 'env=prod'])).stdout).toBe(M.ctx);
  // Failures print their errors on stderr: none of them may carry the value.
  for (const args of [['get', 'hyg.ctx'], ['get', 'hyg.ctx', 'env=dev', '--debug'], ['getall'], ['put', 'hyg.stdin', 'x', '-v', '1']]) {
    const r = await ks(args);
    expect(r.code, args.join(' ')).not.toBe(0);
    expect(r.stdout).toBe('');
  }
}, 120_000);

afterAll(() => t.cleanup());

describe('no plaintext at rest or on stderr', () => {
  it('the scanner finds a marker where plaintext is expected (the export file)', () => {
    expect(leaks(readFileSync(exportFile)).length).toBeGreaterThan(0);
  });

  it('no marker (or its base64/hex) in any file under the data dir, the backup, or stderr', () => {
    const files = walk(home).filter((e) => !e.isDir).map((e) => e.path);
    expect(files.map((f) => f.slice(home.length + 1)).sort()).toEqual(expect.arrayContaining(['keyring.json', 'kms-audit.jsonl', 'store.db']));
    const found: string[] = [];
    for (const file of [...files, backupFile]) for (const leak of leaks(readFileSync(file))) found.push(`${file}: ${leak}`);
    for (const leak of leaks(Buffer.from(stderrLog))) found.push(`stderr: ${leak}`);
    expect(stderrLog.length).toBeGreaterThan(0);
    expect(found).toEqual([]);
  });
});

describe('file modes (umask 000)', () => {
  it('control: under this umask a plainly created file is 0666', async () => {
    const probe = join(t.dir, 'umask-probe');
    const r = await underUmask0(['-e', `require('fs').writeFileSync(${JSON.stringify(probe)}, 'x')`]);
    expect(r.code).toBe(0);
    expect(mode(probe)).toBe('666');
  });

  it('every file under the data dir is 0600, every directory 0700; export -o and backup -o are 0600', () => {
    const wrong = walk(home)
      .map((e) => ({ ...e, mode: mode(e.path) }))
      .filter((e) => e.mode !== (e.isDir ? '700' : '600'))
      .map((e) => `${e.path} ${e.mode}`);
    expect(wrong).toEqual([]);
    expect(mode(backupFile)).toBe('600');
    expect(mode(exportFile)).toBe('600');
  });
});

describe('keyring permissions', () => {
  const keyring = () => join(home, 'keyring.json');
  afterAll(() => chmodSync(keyring(), 0o600));

  for (const bad of [0o640, 0o604, 0o660, 0o620, 0o602]) {
    it(`mode ${bad.toString(8)} is refused for reads and writes: exit 9, chmod advice, nothing printed or written`, async () => {
      chmodSync(keyring(), bad);
      const get = await ks(['get', 'hyg.stdin']);
      expect(get.code).toBe(9);
      expect(get.stdout).toBe('');
      expect(get.stderr).toContain('accessible by other users');
      expect(get.stderr).toContain(`chmod 600 ${keyring()}`);
      const put = await ks(['put', 'hyg.refused', 'should-not-be-stored']);
      expect(put.code).toBe(9);
      expect(mode(keyring())).toBe(bad.toString(8)); // keystash does not silently "fix" it either
      chmodSync(keyring(), 0o600);
      expect((await ks(['get', 'hyg.refused'])).code).toBe(3);
      expect((await ok(['get', '-n', 'hyg.stdin'])).stdout).toBe(M.stdin);
    });
  }
});

describe('no secret on any argv', () => {
  it('while `keystash exec` runs its child (which does receive the secret)', async () => {
    const ready = join(t.dir, 'exec-ready');
    const script = `const c = require('crypto'); require('fs').writeFileSync(${JSON.stringify(ready)}, process.pid + ' ' + c.createHash('sha256').update(process.env.HYG_STDIN || '').digest('hex')); setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, 'exec', 'hyg.stdin', 'hyg.literal', 'hyg.multi', '--', process.execPath, '-e', script], { env, stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
    let grandchild = 0;
    try {
      await waitFor(() => existsSync(ready) && readFileSync(ready, 'utf8').includes(' '), 20_000);
      const [pid, digest] = readFileSync(ready, 'utf8').split(' ');
      grandchild = Number(pid);
      expect(digest).toBe(createHash('sha256').update(M.stdin).digest('hex'));
      const argvs = allCommandLines();
      expect(argvs.some((a) => a.includes(BIN) && a.includes('exec'))).toBe(true);
      expect(argvs.flatMap((a) => leaks(Buffer.from(a)))).toEqual([]);
    } finally {
      if (grandchild > 0) killQuietly(grandchild);
      child.kill('SIGKILL');
      await exited;
    }
  });

  it('while `put -` holds a value read from stdin', async () => {
    const child = spawn(process.execPath, [BIN, 'put', 'hyg.pending', '-'], { env, stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const value = marker('pending-stdin');
    try {
      child.stdin.write(value);
      // Give it time to start and read what was written (stdin stays open, so it keeps waiting).
      await waitFor(() => allCommandLines().some((a) => a.includes('hyg.pending')), 10_000);
      await new Promise((r) => setTimeout(r, 500));
      const argvs = allCommandLines();
      expect(argvs.some((a) => a.includes('put hyg.pending -'))).toBe(true);
      for (const argv of argvs) expect(argv.includes(value)).toBe(false);
      expect(argvs.flatMap((a) => leaks(Buffer.from(a)))).toEqual([]);
      child.stdin.end();
      expect(await exited, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    expect((await ok(['get', '-n', 'hyg.pending'])).stdout).toBe(value);
  });
});

describe('plaintext data keys are zeroed after use', () => {
  it('put, get, getAll, rotate --reseal and verify leave every data key they were handed all zero', async () => {
    const lib = (await import(LIB_URL)) as typeof import('../../src/index.js');
    const verifyMod = (await import(new URL('../../dist/core/transfer/verify.js', import.meta.url).href)) as typeof import('../../src/core/transfer/verify.js');
    const real = await lib.createKeystash({ dataDir: join(t.dir, 'zero'), env });
    const handedOut: Uint8Array[] = [];
    const nonZeroWhenHanded: boolean[] = [];
    const track = <T extends { plaintext: Uint8Array }>(result: T): T => {
      handedOut.push(result.plaintext);
      nonZeroWhenHanded.push(result.plaintext.some((b) => b !== 0));
      return result;
    };
    // A pass-through: every call goes to the real local KMS; only the returned buffers are noted.
    const keys: import('../../src/index.js').KeyService = {
      generateDataKey: async (req) => track(await real.keys.generateDataKey(req)),
      decrypt: async (req) => track(await real.keys.decrypt(req)),
      encrypt: (req) => real.keys.encrypt(req),
      reEncrypt: (req) => real.keys.reEncrypt(req),
      describeKeyArn: real.keys.describeKeyArn?.bind(real.keys),
      wrappingKeyId: (blob) => real.keys.wrappingKeyId(blob),
    };
    const k = new lib.Keystash({ store: real.store, keys });
    try {
      await k.setup();
      await k.put('z.one', M.literal);
      await k.put('z.two', M.second, { context: { env: 'prod' } });
      await k.put('z.one', M.stdin);
      expect(await k.get('z.one')).toBe(M.stdin);
      expect(await k.get('z.two', { context: { env: 'prod' } })).toBe(M.second);
      expect(await k.getAll({ pattern: 'z.one' })).toEqual([['z.one', M.stdin]]);
      await lib.rotateSecrets(k, { mode: 'reseal', names: ['z.one'] });
      expect(await k.get('z.one', { version: '3' })).toBe(M.stdin);
      await verifyMod.verifySecrets(k, { pattern: 'z.one' });
    } finally {
      real.close();
    }
    // put ×3 + get ×3 + getAll + reseal (decrypt + new key) + get + verify (3 versions) at least.
    expect(handedOut.length).toBeGreaterThanOrEqual(12);
    expect(nonZeroWhenHanded.every(Boolean)).toBe(true);
    const notZeroed = handedOut.map((b, i) => (b.every((x) => x === 0) ? -1 : i)).filter((i) => i >= 0);
    expect(notZeroed).toEqual([]);
  });
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('AwsKmsKeyService zeroes a plaintext it cannot return', () => {
  function answering(out: Record<string, unknown>): KMSClient {
    return { send: async () => out, config: { region: async () => 'eu-west-1' } } as unknown as KMSClient;
  }

  it('GenerateDataKey without CiphertextBlob', async () => {
    const plaintext = new Uint8Array(64).fill(0xab);
    const service = new AwsKmsKeyService({ client: answering({ Plaintext: plaintext, KeyId: 'arn:aws:kms:eu-west-1:1:key/x' }) });
    await expect(service.generateDataKey({ keyId: 'alias/x', numberOfBytes: 64, context: {} })).rejects.toBeInstanceOf(KmsError);
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });

  it('Decrypt without KeyId', async () => {
    const plaintext = new Uint8Array(64).fill(0xcd);
    const service = new AwsKmsKeyService({ client: answering({ Plaintext: plaintext }) });
    await expect(service.decrypt({ ciphertextBlob: new Uint8Array(8), context: {} })).rejects.toBeInstanceOf(KmsError);
    expect(plaintext.every((b) => b === 0)).toBe(true);
  });
});
