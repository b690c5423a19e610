/**
 * Wire compatibility with real AWS clients: credstash 1.17.1's own code path (re-implemented with
 * boto3 + cryptography in test/helpers/credstash_mini.py, since credstash cannot be installed
 * here) reads what `keystash --backend aws` writes and vice versa, against dynalite and the KMS
 * server from test/global-setup.ts; boto3 and the AWS CLI v1 talk to `keystash kms serve`
 * (SigV4 verified by the server, so a wrong secret is refused).
 *
 * Plaintexts never appear on a child's argv: values go to keystash (`put NAME -`) and to the
 * Python helper (`put`) on stdin, and come back on stdout.
 *
 * Speed: keystash runs in-process (its own process-level behaviour is tested elsewhere), and the
 * Python helper runs in one long-lived `credstash_mini.py serve` process (a boto3 import costs most
 * of a Python launch); each helper call is still a separate `main(argv)` with its own stdin,
 * credentials and output. The AWS CLI runs there too, a fresh driver per call (`awscli.clidriver`,
 * what the `aws` script runs), sparing a Python launch per call; `keystash kms serve` remains a
 * real process.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { inProcessHome, runInProcess } from '../helpers/in-process.js';
import { BIN, cleanEnv, tempDir, type CliResult } from '../helpers/run-cli.js';

const HELPER = resolve(import.meta.dirname, '../helpers/credstash_mini.py');

/** Can Python run the helper at all? Otherwise the whole suite is skipped, saying why. */
function probePython(): string | undefined {
  // Found, not imported (an import of boto3 costs half a second; the helper imports it once).
  const r = spawnSync('python3', ['-c', "import importlib.util as u, shutil, sys; print(','.join(m for m in ('boto3', 'cryptography', 'awscli') if u.find_spec(m) is None)); print(shutil.which('aws') or '')"], { encoding: 'utf8', env: cleanEnv() });
  if (r.error) return `python3 not runnable (${r.error.message})`;
  if (r.status !== 0) return `python3 could not look for boto3 and cryptography: ${r.stderr.trim().split('\n').pop() ?? ''}`;
  const [missing = '', aws = ''] = r.stdout.split('\n');
  const lacking = missing.split(',').filter((m) => m === 'boto3' || m === 'cryptography');
  if (lacking.length > 0) return `python3 has no ${lacking.join(' and ')}`;
  awsCliFound = aws.trim() !== '' && !missing.split(',').includes('awscli');
  return undefined;
}
let awsCliFound = false;
const pythonMissing = probePython();
const awsCliMissing = pythonMissing ?? (awsCliFound ? undefined : 'the AWS CLI (`aws`, awscli) is not installed');

const dynamoEndpoint = inject('dynamoEndpoint');
const kmsEndpoint = inject('kmsEndpoint');
const accessKeyId = inject('kmsAccessKeyId');
const secretAccessKey = inject('kmsSecretAccessKey');

const scratch = tempDir('keystash-pyinterop-');
const pyHome = join(scratch.dir, 'pyhome');
mkdirSync(pyHome, { recursive: true });

/** Environment for Python children (boto3, aws): only the given credentials; no config files, no IMDS. */
function pyEnv(creds: { id: string; secret: string }): Record<string, string> {
  return cleanEnv({
    HOME: pyHome,
    AWS_CONFIG_FILE: join(pyHome, 'no-such-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(pyHome, 'no-such-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ACCESS_KEY_ID: creds.id,
    AWS_SECRET_ACCESS_KEY: creds.secret,
    AWS_MAX_ATTEMPTS: '1',
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
  });
}

/** One `credstash_mini.py serve` process: requests one at a time, each `main(argv)` on its own. */
let pyServer: { child: ChildProcessWithoutNullStreams; next: (line: string) => Promise<string>; log: () => string } | undefined;
let pyQueue: Promise<unknown> = Promise.resolve();

function startPyServer(): NonNullable<typeof pyServer> {
  const child = spawn('python3', [HELPER, 'serve'], { env: pyEnv({ id: accessKeyId, secret: secretAccessKey }), cwd: scratch.dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => void (log += d.toString('utf8')));
  const waiting: ((line: string) => void)[] = [];
  let exited: string | undefined;
  const dead = () => JSON.stringify({ code: -1, stdout: '', stderr: `credstash_mini serve exited: ${exited ?? ''} ${log}` });
  createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
  child.stdin.on('error', () => undefined);
  child.on('close', (code, signal) => {
    exited = String(code ?? signal);
    for (const w of waiting.splice(0)) w(dead());
  });
  return {
    child,
    log: () => log,
    next: (line) =>
      new Promise<string>((resolveLine) => {
        if (exited !== undefined) return resolveLine(dead());
        // Bounded like a spawned helper was: a stuck request kills the server (and fails the call).
        const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
        waiting.push((reply) => (clearTimeout(timer), resolveLine(reply)));
        child.stdin.write(`${line}\n`);
      }),
  };
}

/**
 * `python3 credstash_mini.py ...args` (or, with `program: 'aws'`, `aws ...args`) with `input` on
 * stdin and the given credentials, in the serve process.
 */
function runHelper(args: readonly string[], opts: { input?: string; creds?: { id: string; secret: string }; program?: 'aws' } = {}): Promise<CliResult> {
  const creds = opts.creds ?? { id: accessKeyId, secret: secretAccessKey };
  const request = JSON.stringify({
    ...(opts.program === undefined ? {} : { program: opts.program }),
    argv: args,
    input: Buffer.from(opts.input ?? '', 'utf8').toString('base64'),
    env: { AWS_ACCESS_KEY_ID: creds.id, AWS_SECRET_ACCESS_KEY: creds.secret },
  });
  const result = pyQueue.then(async () => {
    pyServer ??= startPyServer();
    const reply = JSON.parse(await pyServer.next(request)) as { code: number; stdout: string; stderr: string };
    const stdoutBytes = Buffer.from(reply.stdout, 'base64');
    return { code: reply.code, signal: null, stdout: stdoutBytes.toString('utf8'), stderr: reply.stderr, stdoutBytes } satisfies CliResult;
  });
  pyQueue = result.catch(() => undefined);
  return result;
}

/** credstash_mini against dynalite + the global KMS server (or another KMS endpoint). */
const credstash = (args: readonly string[], input?: string, kms = kmsEndpoint) =>
  runHelper(['--region', 'us-east-1', '--dynamodb-endpoint', dynamoEndpoint, '--kms-endpoint', kms, ...args], { input });

const ksEnv = {
  AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
  AWS_ENDPOINT_URL_KMS: kmsEndpoint,
  AWS_ACCESS_KEY_ID: accessKeyId,
  AWS_SECRET_ACCESS_KEY: secretAccessKey,
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const h = inProcessHome(ksEnv);
const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamoEndpoint, credentials: { accessKeyId, secretAccessKey } });

let tableSeq = 0;
/** A fresh DynamoDB table created by `keystash --backend aws -t TABLE setup`; returns a runner bound to it. */
async function freshTable(): Promise<{ table: string; ks: (args: string[], input?: string, env?: Record<string, string>) => Promise<CliResult> }> {
  const table = `pyi-${Date.now().toString(36)}-${tableSeq++}`;
  const ks = (args: string[], input?: string, env: Record<string, string> = {}) => h.run(['--backend', 'aws', '-t', table, ...args], { input: input ?? '', env });
  const setup = await ks(['setup']);
  expect(setup.code, setup.stderr).toBe(0);
  return { table, ks };
}

function ok(r: CliResult, what: string): CliResult {
  expect(r.code, `${what}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r;
}

const pairs = (ctx: Record<string, string>) => Object.entries(ctx).map(([k, v]) => `${k}=${v}`);

/** The values both directions must carry byte for byte. */
const CASES: { label: string; value: string; context: Record<string, string> }[] = [
  { label: 'plain ASCII, no context', value: 'supersecretpassword1234', context: {} },
  { label: 'with an encryption context', value: 'ctx-bound value', context: { env: 'prod', app: 'web' } },
  { label: 'multi-line', value: 'line one\nline two\r\n\n  indented\ttab\nlast line with newline\n', context: {} },
  { label: 'non-ASCII (2-, 3- and 4-byte UTF-8)', value: 'pässwörd ✓ 日本語 🔐 — “quotes” \'single\' $HOME `x`', context: { team: 'ops' } },
  { label: 'empty', value: '', context: {} },
];

afterAll(async () => {
  if (pyServer) {
    const closed = new Promise((r) => pyServer!.child.on('close', r));
    pyServer.child.stdin.end();
    await closed;
  }
  ddb.destroy();
  h.cleanup();
  scratch.cleanup();
});

describe.skipIf(pythonMissing !== undefined)(`credstash (boto3) ↔ keystash --backend aws${pythonMissing ? ` — SKIPPED: ${pythonMissing}` : ''}`, () => {
  describe('keystash put → credstash getSecret', () => {
    it.each(CASES)('$label', async ({ value, context }) => {
      const { table, ks } = await freshTable();
      ok(await ks(['put', 'interop.secret', '-', ...pairs(context)], value), 'keystash put');
      const got = ok(await credstash(['get', table, 'interop.secret', ...pairs(context)]), 'credstash get');
      expect(got.stdoutBytes.equals(Buffer.from(value, 'utf8')), JSON.stringify(got.stdout)).toBe(true);
      expect(got.stderr).toBe('');
      // credstash's explicit-version lookup (GetItem on the padded version) finds it too.
      const byVersion = ok(await credstash(['get', table, 'interop.secret', ...pairs(context), '-v', '1']), 'credstash get -v 1');
      expect(byVersion.stdoutBytes.equals(Buffer.from(value, 'utf8'))).toBe(true);
      if (Object.keys(context).length > 0) {
        const wrong = await credstash(['get', table, 'interop.secret']);
        expect(wrong.code).toBe(1);
        expect(wrong.stdout).toBe('');
        expect(wrong.stderr).toBe(
          'KMS ERROR: Could not decrypt hmac key with KMS. The encryption context provided may not match the one used when the credential was stored.\n',
        );
      }
    });

    it('every digest, a comment, and the latest of several keystash versions', async () => {
      const { table, ks } = await freshTable();
      for (const digest of ['SHA', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'MD5']) {
        ok(await ks(['put', `dig.${digest}`, '-', '-d', digest, '-c', 'written by keystash'], `value-${digest} ✓`), `put -d ${digest}`);
        const got = ok(await credstash(['get', table, `dig.${digest}`]), `credstash get ${digest}`);
        expect(got.stdout).toBe(`value-${digest} ✓`);
      }
      ok(await ks(['put', 'multi', '-'], 'first'), 'put 1');
      ok(await ks(['put', 'multi', '-'], 'second'), 'put 2');
      ok(await ks(['put', 'multi', '-', '-v', '10'], 'tenth'), 'put -v 10');
      expect((await credstash(['get', table, 'multi'])).stdout).toBe('tenth');
      expect((await credstash(['get', table, 'multi', '-v', '2'])).stdout).toBe('second');
      expect((await credstash(['get', table, 'multi', '-v', '0000000000000000001'])).stdout).toBe('first');
      const missing = await credstash(['get', table, 'nope']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toBe("Item {'name': 'nope'} couldn't be found.\n");
    });
  });

  describe('credstash putSecret → keystash', () => {
    it.each(CASES)('$label', async ({ value, context }) => {
      const { table, ks } = await freshTable();
      ok(await credstash(['put', table, 'from.python', ...pairs(context)], value), 'credstash put');

      // The row is exactly credstash's: padded version, hmac as B of lower-case hex, digest.
      const item = (await ddb.send(new GetItemCommand({ TableName: table, Key: { name: { S: 'from.python' }, version: { S: '0000000000000000001' } }, ConsistentRead: true })))
        .Item!;
      expect(Object.keys(item).sort()).toEqual(['contents', 'digest', 'hmac', 'key', 'name', 'version']);
      expect(item.hmac!.B).toBeDefined();
      expect(Buffer.from(item.hmac!.B!).toString('latin1')).toMatch(/^[0-9a-f]{64}$/);
      expect(item.digest!.S).toBe('SHA256');
      expect(Buffer.from(item.contents!.S!, 'base64').length).toBe(Buffer.byteLength(value, 'utf8'));

      const got = ok(await ks(['get', '-n', 'from.python', ...pairs(context)]), 'keystash get');
      expect(got.stdoutBytes.equals(Buffer.from(value, 'utf8')), JSON.stringify(got.stdout)).toBe(true);
      const withNewline = ok(await ks(['get', 'from.python', ...pairs(context)]), 'keystash get');
      expect(withNewline.stdout).toBe(`${value}\n`);

      const verify = ok(await ks(['verify', 'from.python', ...pairs(context), '--json']), 'keystash verify');
      expect(JSON.parse(verify.stdout)).toEqual({ checked: 1, ok: 1, legacy: [], failed: [] });
      const verifyText = ok(await ks(['verify', ...pairs(context)]), 'keystash verify (all)');
      expect(verifyText.stdout).not.toMatch(/legacy\s+from\.python|FAILED/);
      expect(verifyText.stdout).toContain('checked 1, ok 1, legacy 0, failed 0');

      const list = JSON.parse(ok(await ks(['list', '--json']), 'keystash list').stdout) as { name: string; version: string; comment: string | null }[];
      expect(list).toEqual([expect.objectContaining({ name: 'from.python', version: expect.stringMatching(/^(0{18})?1$/), comment: null })]);
      expect(ok(await ks(['list']), 'keystash list').stdout).toContain('from.python');
      expect(ok(await ks(['keys']), 'keystash keys').stdout).toBe('from.python\n');
    });

    it('comment, digests, explicit versions; keystash continues the version sequence; a version conflict is refused', async () => {
      const { table, ks } = await freshTable();
      for (const digest of ['SHA', 'SHA512', 'MD5']) {
        ok(await credstash(['put', table, `d.${digest}`, '-d', digest, '-c', `py ${digest}`], `py-${digest} ✓`), `credstash put -d ${digest}`);
        expect(ok(await ks(['get', '-n', `d.${digest}`]), `keystash get ${digest}`).stdout).toBe(`py-${digest} ✓`);
      }
      const list = JSON.parse(ok(await ks(['list', '--json']), 'list').stdout) as { name: string; comment: string | null }[];
      expect(list.map((r) => [r.name, r.comment]).sort()).toEqual([
        ['d.MD5', 'py MD5'],
        ['d.SHA', 'py SHA'],
        ['d.SHA512', 'py SHA512'],
      ]);
      const verify = JSON.parse(ok(await ks(['verify', '--json']), 'verify').stdout) as { checked: number; ok: number; failed: unknown[]; legacy: { name: string }[] };
      expect(verify).toMatchObject({ checked: 3, ok: 3, failed: [] });
      // SHA/MD5 digests are flagged as legacy (weak); SHA512 is not.
      expect(verify.legacy.map((l) => l.name).sort()).toEqual(['d.MD5', 'd.SHA']);

      ok(await credstash(['put', table, 'seq', '-v', '2'], 'python v2'), 'credstash put -v 2');
      ok(await ks(['put', 'seq', '-'], 'keystash v3'), 'keystash put (auto)');
      expect((await credstash(['get', table, 'seq'])).stdout).toBe('keystash v3');
      expect((await credstash(['get', table, 'seq', '-v', '3'])).stdout).toBe('keystash v3');
      expect(ok(await ks(['get', '-n', 'seq', '-v', '2']), 'get -v 2').stdout).toBe('python v2');
      const conflict = await credstash(['put', table, 'seq', '-v', '3'], 'clash');
      expect(conflict.code).toBe(1);
      expect(conflict.stderr).toContain('ConditionalCheckFailedException');
      expect(ok(await ks(['get', '-n', 'seq']), 'get after conflict').stdout).toBe('keystash v3');
    });
  });

  describe('against a `keystash kms serve` process', () => {
    const served = { url: '', id: 'AKIAPYINTEROP0000001', secret: 'py-interop-served-secret', log: '' };
    let child: ChildProcessWithoutNullStreams | undefined;
    const serveHome = join(scratch.dir, 'serve-home');
    const good = () => ({ id: served.id, secret: served.secret });

    beforeAll(async () => {
      const env = { HOME: serveHome, KEYSTASH_HOME: serveHome, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
      const created = await runInProcess(['kms', 'create-key', '--alias', 'alias/credstash'], env);
      expect(created.code, created.stderr).toBe(0);
      const proc = spawn(process.execPath, [BIN, 'kms', 'serve', '--port', '0'], {
        env: cleanEnv({ ...env, KEYSTASH_KMS_ACCESS_KEY_ID: served.id, KEYSTASH_KMS_SECRET_ACCESS_KEY: served.secret }),
      });
      child = proc;
      proc.stderr.on('data', (d: Buffer) => void (served.log += d.toString('utf8')));
      served.url = await new Promise<string>((resolveUrl, reject) => {
        const timer = setTimeout(() => reject(new Error(`kms serve: no listening line: ${served.log}`)), 20_000);
        proc.stderr.on('data', () => {
          const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(served.log);
          if (m) (clearTimeout(timer), resolveUrl(m[1]!));
        });
        proc.on('close', (code) => (clearTimeout(timer), reject(new Error(`kms serve exited ${code}: ${served.log}`))));
      });
    });

    afterAll(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const closed = new Promise((r) => child!.on('close', r));
        child.kill('SIGTERM');
        await closed;
      }
    });

    const opsLogged = () => served.log.split('\n').filter((l) => l.startsWith('kms op='));

    it('boto3: ListAliases, DescribeKey, GenerateDataKey, Encrypt, Decrypt (with and without context)', async () => {
      const before = opsLogged().length;
      const r = await runHelper(['--region', 'us-east-1', '--kms-endpoint', served.url, 'kms-roundtrip'], { creds: good() });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as Record<string, unknown> & { describe: Record<string, unknown> };
      expect(out.aliases).toContain('alias/credstash');
      expect(out.describe).toMatchObject({ Enabled: true, KeyState: 'Enabled', KeyUsage: 'ENCRYPT_DECRYPT' });
      expect(out.describe.Arn).toMatch(/^arn:aws:kms:[^:]+:\d{12}:key\//);
      expect(out.generateDataKey).toEqual({ plaintextLength: 64, KeyId: out.describe.Arn });
      expect(out).toMatchObject({
        dataKeyRoundtrip: true,
        decryptKeyId: out.describe.Arn,
        wrongContextError: 'InvalidCiphertextException',
        encryptKeyId: out.describe.Arn,
        encryptRoundtrip: true,
        keyServiceRoundtrip: true,
      });
      // The server logs each call after answering it: give the last lines a moment to arrive (bounded).
      for (let waited = 0; opsLogged().length - before < 8 && waited < 5_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 50)); // and any line too many
      const ops = opsLogged().slice(before).map((l) => /op=(\w+) status=(\d+)/.exec(l)!.slice(1).join(' '));
      expect(ops).toEqual([
        'ListAliases 200',
        'DescribeKey 200',
        'GenerateDataKey 200',
        'Decrypt 200',
        'Decrypt 400',
        'Encrypt 200',
        'Decrypt 200',
        'Decrypt 200',
      ]);
      expect(served.log).not.toContain(served.secret);
    });

    it('boto3 with a wrong secret or an unknown access key is refused by the signature check', async () => {
      const wrongSecret = await runHelper(['--kms-endpoint', served.url, 'kms-roundtrip'], { creds: { id: served.id, secret: 'not-the-secret' } });
      expect(wrongSecret.code).toBe(1);
      expect(wrongSecret.stdout).toBe('');
      expect(wrongSecret.stderr).toContain('InvalidSignatureException');
      const wrongId = await runHelper(['--kms-endpoint', served.url, 'kms-roundtrip'], { creds: { id: 'AKIANOTKNOWN00000000', secret: served.secret } });
      expect(wrongId.code).toBe(1);
      expect(wrongId.stderr).toContain('UnrecognizedClientException');
    });

    it('keystash put through the served KMS → credstash get through it (and back)', async () => {
      const { table, ks } = await freshTable();
      const via = { AWS_ENDPOINT_URL_KMS: served.url, AWS_ACCESS_KEY_ID: served.id, AWS_SECRET_ACCESS_KEY: served.secret };
      ok(await ks(['put', 'served.pw', '-', 'tier=gold'], 'served ✓\nvalue', via), 'keystash put via kms serve');
      const cs = (args: string[], input?: string) =>
        runHelper(['--dynamodb-endpoint', dynamoEndpoint, '--kms-endpoint', served.url, ...args], { input, creds: good() });
      expect(ok(await cs(['get', table, 'served.pw', 'tier=gold']), 'credstash get via kms serve').stdout).toBe('served ✓\nvalue');
      ok(await cs(['put', table, 'served.py', 'tier=gold'], 'from boto3 ✓'), 'credstash put via kms serve');
      expect(ok(await ks(['get', '-n', 'served.py', 'tier=gold'], undefined, via), 'keystash get via kms serve').stdout).toBe('from boto3 ✓');
      // A data key from the served keyring is not one the global server can unwrap.
      const elsewhere = await ks(['get', 'served.py', 'tier=gold']);
      expect(elsewhere.code).not.toBe(0);
      expect(elsewhere.stdout).toBe('');
    });

    describe.skipIf(awsCliMissing !== undefined)(`the AWS CLI v1${awsCliMissing ? ` — SKIPPED: ${awsCliMissing}` : ''}`, () => {
      const awsCli = (args: string[], creds = good()) => runHelper(['--endpoint-url', served.url, '--region', 'us-east-1', '--output', 'json', 'kms', ...args], { creds, program: 'aws' });

      it('list-aliases, encrypt --plaintext fileb://, decrypt --ciphertext-blob fileb://', async () => {
        const aliases = await awsCli(['list-aliases']);
        expect(aliases.code, aliases.stderr).toBe(0);
        const names = (JSON.parse(aliases.stdout) as { Aliases: { AliasName: string; TargetKeyId?: string }[] }).Aliases.map((a) => a.AliasName);
        expect(names).toContain('alias/credstash');

        const blob = Buffer.concat([Buffer.from('small blob ✓ '), Buffer.from([0, 1, 2, 0xfe, 0xff])]);
        const plainFile = join(scratch.dir, 'plain.bin');
        writeFileSync(plainFile, blob, { mode: 0o600 });
        const enc = await awsCli(['encrypt', '--key-id', 'alias/credstash', '--plaintext', `fileb://${plainFile}`, '--encryption-context', 'purpose=cli']);
        expect(enc.code, enc.stderr).toBe(0);
        const encOut = JSON.parse(enc.stdout) as { CiphertextBlob: string; KeyId: string };
        expect(encOut.KeyId).toMatch(/^arn:aws:kms:[^:]+:\d{12}:key\//);
        const ctFile = join(scratch.dir, 'cipher.bin');
        writeFileSync(ctFile, Buffer.from(encOut.CiphertextBlob, 'base64'));

        const dec = await awsCli(['decrypt', '--ciphertext-blob', `fileb://${ctFile}`, '--encryption-context', 'purpose=cli']);
        expect(dec.code, dec.stderr).toBe(0);
        const decOut = JSON.parse(dec.stdout) as { Plaintext: string; KeyId: string };
        expect(Buffer.from(decOut.Plaintext, 'base64').equals(blob)).toBe(true);
        expect(decOut.KeyId).toBe(encOut.KeyId);
        expect(readFileSync(plainFile).equals(blob)).toBe(true);

        const noCtx = await awsCli(['decrypt', '--ciphertext-blob', `fileb://${ctFile}`]);
        expect(noCtx.code).not.toBe(0);
        expect(noCtx.stderr).toContain('InvalidCiphertextException');
      });

      it('fails with an auth error for a wrong secret or an unknown access key id', async () => {
        const wrong = await awsCli(['list-aliases'], { id: served.id, secret: 'wrong-secret' });
        expect(wrong.code).not.toBe(0);
        expect(wrong.stdout).toBe('');
        expect(wrong.stderr).toContain('InvalidSignatureException');
        expect(wrong.stderr).toMatch(/signature we calculated does not match/i);
        const unknown = await awsCli(['list-aliases'], { id: 'AKIANOTKNOWN00000000', secret: served.secret });
        expect(unknown.code).not.toBe(0);
        expect(unknown.stderr).toContain('UnrecognizedClientException');
      });
    });
  });
});
