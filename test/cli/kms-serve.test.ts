/**
 * `keystash kms serve` as a process: the AWS SDK against it, signals, credentials modes, loopback.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { chownSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  CreateKeyCommand, DecryptCommand, DeleteAliasCommand, DescribeKeyCommand, GenerateDataKeyCommand, KMSClient, ListKeysCommand,
} from '@aws-sdk/client-kms';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';
import { readAuditLog } from '../../src/localkms/audit-read.js';
import { rejection } from '../helpers/rejection.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';

const h = cliHome({ KEYSTASH_KMS_PASSPHRASE: undefined });
const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  h.cleanup();
});

interface Served {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** Spawn `kms serve` and wait for its listening line. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'kms', 'serve', ...args], { env: cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home, ...env }) });
  children.push(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => void (err += d.toString('utf8')));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listening line: ${err}`)), 20_000);
    child.stderr.on('data', () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) (clearTimeout(timer), resolve(m[1]!));
    });
    void exit.then((code) => (clearTimeout(timer), reject(new Error(`exited ${code}: ${err}`))));
  });
  return { child, url, stderr: () => err, exit };
}

function portClosed(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(true));
  });
}

const client = (url: string, accessKeyId: string, secretAccessKey: string) =>
  new KMSClient({ region: 'us-east-1', endpoint: url, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });

describe('kms serve', () => {
  it('serves the keyring to the AWS SDK (flag + key file pair), logs each request, stops on SIGTERM', async () => {
    const keyFile = join(h.home, '..', 'serve-secret.txt');
    writeFileSync(keyFile, 'serve-secret\n', { mode: 0o600 });
    const s = await serve(['--port', '0', '--access-key-id', 'AKIATESTSERVE0000001', '--secret-access-key-file', keyFile]);
    expect(s.stderr()).not.toContain('generated credentials');
    const kms = client(s.url, 'AKIATESTSERVE0000001', 'serve-secret');
    const keyId = (await kms.send(new CreateKeyCommand({ Description: 'served' }))).KeyMetadata!.KeyId!;
    const dk = await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, NumberOfBytes: 64, EncryptionContext: { a: 'b' } }));
    const back = await kms.send(new DecryptCommand({ CiphertextBlob: dk.CiphertextBlob, EncryptionContext: { a: 'b' } }));
    expect(Buffer.from(back.Plaintext!)).toEqual(Buffer.from(dk.Plaintext!));
    await expect(client(s.url, 'AKIATESTSERVE0000001', 'wrong').send(new DescribeKeyCommand({ KeyId: keyId }))).rejects.toThrow();
    kms.destroy();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    expect(await portClosed(s.url)).toBe(true);
    const log = s.stderr().split('\n').filter((l) => l.startsWith('kms op='));
    expect(log.map((l) => /op=(\w+)/.exec(l)![1])).toEqual(['CreateKey', 'GenerateDataKey', 'Decrypt', 'DescribeKey']);
    expect(s.stderr()).not.toContain(Buffer.from(dk.Plaintext!).toString('base64'));
    expect(s.stderr()).not.toContain('serve-secret');
  });

  it('takes the pair from KEYSTASH_KMS_* and stops on SIGINT', async () => {
    const s = await serve(['--port', '0'], { KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTENV000000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'env-secret' });
    const kms = client(s.url, 'AKIATESTENV000000001', 'env-secret');
    expect((await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Enabled).toBe(true);
    kms.destroy();
    s.child.kill('SIGINT');
    expect(await s.exit).toBe(0);
    expect(s.stderr()).toContain('keystash: warning: the secret access key of AKIATESTENV000000001 has only 10 characters: whoever guesses it can use and manage your keys; use a random one (openssl rand -hex 20)');
    expect(s.stderr()).not.toContain('env-secret');
  });

  it('warns about a placeholder secret, not about a random one', async () => {
    for (const [secret, warned] of [['change-me', true], ['0123456789abcdef0123456789abcdef01234567', false]] as const) {
      const s = await serve(['--port', '0'], { KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTWEAK00000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: secret });
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      expect(s.stderr().includes('is a placeholder: whoever guesses it'), s.stderr()).toBe(warned);
      expect(s.stderr()).not.toContain('has only');
    }
  });

  it.each([['SIGHUP'], ['SIGQUIT'], ['SIGUSR2'], ['SIGALRM'], ['SIGXCPU']] as const)('stops cleanly on %s, writing the current minute\'s unauthenticated summary', async (signal) => {
    const home = join(h.home, '..', `sig-${signal}`);
    const s = await serve(['--port', '0'], { KEYSTASH_HOME: home, KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTSIGNAL000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'signal-secret-0123456789' });
    const bad = client(s.url, 'AKIATESTSIGNAL000001', 'not-the-secret');
    await expect(bad.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).rejects.toThrow();
    bad.destroy();
    s.child.kill(signal);
    expect([await s.exit, s.child.signalCode]).toEqual([0, null]);
    const summaries = readAuditLog(join(home, 'kms-audit.jsonl')).records.filter((r) => r.eventName === 'UnauthenticatedRequests');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.additionalEventData).toMatchObject({ count: 1 });
  });

  it('without a pair generates one and prints it; that pair works', async () => {
    const s = await serve(['--port', '0']);
    const m = /AWS_ACCESS_KEY_ID=(\S+) AWS_SECRET_ACCESS_KEY=(\S+)/.exec(s.stderr());
    expect(m).not.toBeNull();
    const kms = client(s.url, m![1]!, m![2]!);
    expect((await kms.send(new CreateKeyCommand({}))).KeyMetadata!.KeyId).toEqual(expect.any(String));
    kms.destroy();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
  });

  it('an empty secret is never accepted: an empty variable means "generate"; the secret is never taken from argv', async () => {
    // Before the fix the server started with secret '' and served anyone signing with an empty secret.
    const s = await serve(['--port', '0'], { KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTEMPTY0000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: '' });
    const m = /generated credentials: AWS_ACCESS_KEY_ID=AKIATESTEMPTY0000001 AWS_SECRET_ACCESS_KEY=(\S+)/.exec(s.stderr());
    expect(m).not.toBeNull();
    const anonymous = client(s.url, 'AKIATESTEMPTY0000001', '');
    await expect(anonymous.send(new CreateKeyCommand({}))).rejects.toMatchObject({ name: 'InvalidSignatureException' });
    anonymous.destroy();
    const kms = client(s.url, 'AKIATESTEMPTY0000001', m![1]!);
    expect((await kms.send(new CreateKeyCommand({}))).KeyMetadata!.Enabled).toBe(true);
    kms.destroy();
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    for (const secret of ['', 'on-the-command-line']) {
      const r = await h.run(['kms', 'serve', '--port', '0', '--access-key-id', 'AKIATESTEMPTY0000001', '--secret-access-key', secret]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^keystash: error: the secret access key is never taken on the command line/);
    }
  });

  it('a missing key is NotFoundException, never created for the caller; the first start creates alias/credstash as CreateKey by local (issue 24 item 3)', async () => {
    const fresh = cliHome({ KEYSTASH_KMS_PASSPHRASE: undefined });
    try {
      const s = await serve(['--port', '0'], { KEYSTASH_HOME: fresh.home, KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTNOTFOUND0001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'nf-secret' });
      const kms = client(s.url, 'AKIATESTNOTFOUND0001', 'nf-secret');
      expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).KeyMetadata!.Enabled).toBe(true);
      await kms.send(new DeleteAliasCommand({ AliasName: 'alias/credstash' }));
      const err = await rejection(kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 })));
      expect(err.name).toBe('NotFoundException');
      expect(err.$metadata?.httpStatusCode).toBe(400);
      expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(1);
      await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).rejects.toMatchObject({ name: 'NotFoundException' });
      kms.destroy();
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      const created = readAuditLog(join(fresh.home, 'kms-audit.jsonl')).records.filter((r) => r.eventName === 'CreateKey');
      expect(created.map((r) => `${r.userIdentity.accessKeyId} ${r.outcome} ${r.requestParameters.keyId}`)).toEqual(['local ok alias/credstash']);
    } finally {
      fresh.cleanup();
    }
  });

  it('--secret-access-key-file follows the principals file rule: own regular file, no group/other bits, no symlink (issue 24 item 6)', async () => {
    // Before the fix a 0644 file (or one owned by another user) was accepted and the server started.
    const dir = join(h.home, '..');
    const open = join(dir, 'secret-0644.txt');
    writeFileSync(open, 'readable-by-all\n', { mode: 0o644 });
    const link = join(dir, 'secret-link.txt');
    const target = join(dir, 'secret-target.txt');
    writeFileSync(target, 'behind-a-link\n', { mode: 0o600 });
    symlinkSync(target, link);
    const cases: Array<[string, RegExp]> = [
      [open, /secret access key file .*secret-0644\.txt is accessible to other users \(mode 0644\); run: chmod 600/],
      [link, /secret access key file .*secret-link\.txt is not a regular file \(symbolic links are not followed\)/],
    ];
    const euid = process.geteuid?.();
    if (euid === 0) {
      // Only root can give a file away; elsewhere the ownership branch is the same function's (kms-principals tests).
      const foreign = join(dir, 'secret-foreign.txt');
      writeFileSync(foreign, 'owned-by-another\n', { mode: 0o600 });
      chownSync(foreign, 4242, 4242);
      cases.push([foreign, /secret access key file .*secret-foreign\.txt belongs to uid 4242, not to you \(uid 0\)/]);
    }
    for (const [file, message] of cases) {
      const r = await h.run(['kms', 'serve', '--port', '0', '--access-key-id', 'AKIATESTKEYFILE00001', '--secret-access-key-file', file], { timeoutMs: 15_000 });
      expect(r.code, r.stderr).toBe(9);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('listening on');
      expect(r.stderr).not.toMatch(/readable-by-all|behind-a-link|owned-by-another/);
    }
  });

  it('a sealed keyring unlocked once: kms serve holds it open and scripts read through it without the passphrase (README "Sealed keyrings in scripts")', async () => {
    const fresh = cliHome({ KEYSTASH_KMS_PASSPHRASE: undefined });
    try {
      expect((await fresh.run(['put', 'app.db', 'sealed-but-served'])).code).toBe(0);
      sealCheaply(join(fresh.home, 'keyring.json'), 'serve-passphrase');
      const pair = { KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIATESTSEALED000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'sealed-serve-secret' };
      const s = await serve(['--port', '0'], { KEYSTASH_HOME: fresh.home, KEYSTASH_KMS_PASSPHRASE: 'serve-passphrase', ...pair });
      const viaServer = {
        KEYSTASH_KMS: 'aws', AWS_ENDPOINT_URL_KMS: s.url, AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: pair.KEYSTASH_KMS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: pair.KEYSTASH_KMS_SECRET_ACCESS_KEY,
      };
      for (let i = 0; i < 2; i++) {
        const r = await fresh.run(['get', 'app.db'], { env: viaServer });
        expect(r.stderr).toBe('');
        expect(r.stdout.trim()).toBe('sealed-but-served');
      }
      // Without the server, the same script would need the passphrase (and pay scrypt each time).
      const direct = await fresh.run(['get', 'app.db']);
      expect(direct.code).toBe(9);
      s.child.kill('SIGTERM');
      expect(await s.exit).toBe(0);
      // The keyring is opened at start: without its passphrase the server does not start.
      const locked = await fresh.run(['kms', 'serve', '--port', '0'], { env: pair, timeoutMs: 15_000 });
      expect(locked.code).toBe(9);
      expect(locked.stderr).toContain('is protected by a passphrase; set KEYSTASH_KMS_PASSPHRASE');
      expect(locked.stderr).not.toContain('listening on');
    } finally {
      fresh.cleanup();
    }
  });

  it('refuses a non-loopback host unless --allow-remote', async () => {
    const r = await h.run(['kms', 'serve', '--host', '0.0.0.0', '--port', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--allow-remote');
  });

  it('a port in use is a clear usage error, not a crash', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = (blocker.address() as AddressInfo).port;
      const r = await h.run(['kms', 'serve', '--port', String(port)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(r.stderr).not.toContain('a bug');
    } finally {
      blocker.close();
    }
  });
});
