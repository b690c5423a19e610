/**
 * The audit log keeps its history (issue 24, item 1 and its Low items):
 *   - a flood of 10 000 requests that fail authentication (pipelined over loopback to the real
 *     server) becomes a few summary records per address and minute: the authenticated Decrypt
 *     before it stays readable, no claimed access key id or operation name is copied, `--verify`
 *     exits 0 (with a 64 KiB rotation size, so rotation happens if records were written per request);
 *   - a bulk in-process read of 10 000 names is one record per command and key (a lighter path:
 *     AuditedKms.bulk over the real LocalKms, 10 000 real Decrypts of one wrapped key; a real
 *     `getall` of 300 secrets checks the command path end to end);
 *   - nothing is deleted automatically; `kms audit --prune-before` removes old rotated files and
 *     records it; deleting a rotated file or the first line of the oldest makes `--verify` fail
 *     naming it, and a cut rotated file is a distinct finding;
 *   - records name the key used (ReEncrypt: source and destination; a denied Decrypt: the key in
 *     the blob), stay bounded with huge context keys, the text view quotes odd fields, and a key
 *     change whose record cannot be written is not made.
 * KEYSTASH_LONG_TESTS floods with 100 000 requests and reads 100 000 names. At 10 000 either would
 * still fill the 64 KiB log many times over if it wrote a record per request or per Decrypt.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { request as httpRequest } from 'node:http';
import { queryObjects } from 'node:v8';
import { connect } from 'node:net';
import { mkdirSync, readFileSync, renameSync, rmdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecryptCommand, DisableKeyCommand, EncryptCommand, KMSClient, ReEncryptCommand } from '@aws-sdk/client-kms';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { AuditLog, rotatedFiles } from '../../src/localkms/audit-log.js';
import { AuditedKms } from '../../src/localkms/audited-kms.js';
import { readAuditLog } from '../../src/localkms/audit-read.js';
import { startKmsServer } from '../../src/kmsserver/server.js';
import { UnauthenticatedSummary } from '../../src/kmsserver/audit-record.js';
import { inProcessHome } from '../helpers/in-process.js';

const MANY = process.env.KEYSTASH_LONG_TESTS ? 100_000 : 10_000;
const many = MANY.toLocaleString('en').replace(',', ' ');

const ACCESS_KEY = 'AKIAAUDITTESTKEY0001';
const SECRET_KEY = 'audit-test-secret-access-key-0123456789';
const REGION = 'us-east-1';

type Json = Record<string, unknown>;

/**
 * An AuditedKms over the keyring of `home` recording to `path`, and `decrypt`: one Decrypt of a
 * data key of alias/credstash (through `kms`, or another keyring), its plaintext wiped.
 */
async function auditedKeyring(home: string, path: string): Promise<{ kms: AuditedKms; decrypt: (through?: AuditedKms) => Promise<void> }> {
  const kms = new AuditedKms(LocalKms.open({ path: join(home, 'keyring.json') }), new AuditLog(path));
  const key = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
  key.plaintext.fill(0);
  const decrypt = async (through: AuditedKms = kms): Promise<void> => {
    (await through.decrypt({ ciphertextBlob: key.ciphertextBlob, context: {} })).plaintext.fill(0);
  };
  return { kms, decrypt };
}
const data = (r: Json) => (r['additionalEventData'] ?? {}) as Json;

function client(endpoint: string, accessKeyId = ACCESS_KEY, secretAccessKey = SECRET_KEY): KMSClient {
  return new KMSClient({ endpoint, region: REGION, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
}

/**
 * `total` requests with a claimed (unverifiable) access key id, pipelined on `sockets` loopback
 * connections; resolves once every response arrived. Bounded: each socket sends its share in
 * batches of 200 and waits for their answers before the next batch.
 */
async function flood(port: number, total: number, sockets: number, claimedId: string): Promise<void> {
  const body = '{"KeyId":"alias/credstash"}';
  const request = [
    'POST / HTTP/1.1', 'Host: 127.0.0.1', 'Content-Type: application/x-amz-json-1.1', 'X-Amz-Target: TrentService.Decrypt Forged Op',
    `Authorization: AWS4-HMAC-SHA256 Credential=${claimedId}/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
    'X-Amz-Date: 20260101T000000Z', `Content-Length: ${body.length}`, '', body,
  ].join('\r\n');
  const perSocket = Math.ceil(total / sockets);
  await Promise.all(Array.from({ length: sockets }, (_, s) => new Promise<void>((resolve, reject) => {
    const mine = Math.min(perSocket, total - s * perSocket);
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let answered = 0;
    let pendingText = '';
    const sendBatch = () => {
      const n = Math.min(200, mine - sent);
      sent += n;
      socket.write(request.repeat(n));
    };
    socket.on('connect', sendBatch);
    socket.on('data', (chunk: Buffer) => {
      pendingText += chunk.toString('latin1');
      let at: number;
      while ((at = pendingText.indexOf('HTTP/1.1 ', 1)) > 0) {
        answered++;
        pendingText = pendingText.slice(at);
      }
      // The last response of a batch: it is complete once its body (a JSON object) ended.
      if (answered + 1 === sent && /\r\n\r\n\{[^]*\}$/.test(pendingText)) {
        answered++;
        pendingText = '';
      }
      if (answered === mine) socket.end(resolve);
      else if (answered === sent) sendBatch();
    });
    socket.on('error', reject);
  })));
}

describe('a flood of unauthenticated requests', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);

  it(`${many} failed signatures leave every authenticated record and a log that verifies`, async () => {
    // A key created in-process (recorded), then the server over the same home.
    expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
    const kms = LocalKms.open({ path: join(h.home, 'keyring.json') });
    const path = join(h.home, 'kms-audit.jsonl');
    const server = await startKmsServer({ kms, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, audit: new AuditLog(path, { maxBytes: 64 * 1024 }), maxConnections: 64 });
    const claimed = `AKIA${'FORGED'.repeat(20)}`;
    try {
      const c = client(server.url);
      const { CiphertextBlob } = await c.send(new EncryptCommand({ KeyId: 'alias/credstash', Plaintext: Buffer.from('x') }));
      await c.send(new DecryptCommand({ CiphertextBlob }));
      c.destroy();
      await flood(server.port, MANY, 8, claimed);
    } finally {
      await server.close(); // writes the pending summaries
      kms.close();
    }
    const { records, malformed } = readAuditLog(path);
    expect(malformed).toEqual([]);
    const names = records.map((r) => r.eventName);
    expect(names.slice(0, 3)).toEqual(['CreateKey', 'Encrypt', 'Decrypt']);
    const decrypt = records[2]!;
    expect(decrypt.userIdentity.accessKeyId).toBe(ACCESS_KEY);
    expect(decrypt.outcome).toBe('ok');
    const summaries = records.filter((r) => r.eventName === 'UnauthenticatedRequests');
    // One per address and minute (the flood may straddle a minute or two).
    expect(summaries.length).toBeGreaterThanOrEqual(1);
    expect(summaries.length).toBeLessThanOrEqual(3);
    expect(records).toHaveLength(3 + summaries.length);
    expect(summaries.reduce((sum, r) => sum + Number(data(r as unknown as Json)['count']), 0)).toBe(MANY);
    for (const s of summaries) {
      expect(s.userIdentity).toEqual({ type: 'Unauthenticated', accessKeyId: '-' });
      expect(s.sourceIPAddress).toBe('127.0.0.1');
    }
    const text = readFileSync(path, 'utf8');
    expect(text).not.toContain('FORGED');
    expect(text).not.toContain('Forged');
    expect(rotatedFiles(path)).toEqual([]);
    const verify = await h.run(['kms', 'audit', '--verify']);
    expect(verify.code, verify.stderr).toBe(0);
  }, 120_000);
});

describe('bulk in-process reads', () => {
  it('a getall of 300 secrets is one Decrypt record (count, names digest); the log verifies', async () => {
    const h = inProcessHome();
    try {
      const file = JSON.stringify(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`b.s${String(i).padStart(3, '0')}`, `v${i}`])));
      const imported = await h.run(['import', '-', '--format', 'json'], { input: file });
      expect(imported.code, imported.stderr).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const before = readAuditLog(path).records.length;
      const r = await h.run(['getall', '-f', 'json']);
      expect(r.code, r.stderr).toBe(0);
      expect(Object.keys(JSON.parse(r.stdout) as Json)).toHaveLength(300);
      const added = readAuditLog(path).records.slice(before);
      expect(added).toHaveLength(1);
      expect(added[0]!.eventName).toBe('Decrypt');
      expect(data(added[0] as unknown as Json)).toMatchObject({ count: 300, command: 'getall', names: 300 });
      expect(String(data(added[0] as unknown as Json)['namesDigest'])).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
    } finally {
      h.cleanup();
    }
  }, 60_000);

  it('inject of a template naming 3 secrets is one Decrypt record', async () => {
    const h = inProcessHome();
    try {
      for (const name of ['i.a', 'i.b', 'i.c']) expect((await h.run(['put', name, `v-${name}`])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const before = readAuditLog(path).records.length;
      const tpl = join(h.dir, 't.tpl');
      writeFileSync(tpl, 'A={{ keystash:i.a }} B={{ keystash:i.b }} C={{ keystash:i.c }} A={{ keystash:i.a }}\n');
      const r = await h.run(['inject', '-i', tpl]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('A=v-i.a B=v-i.b C=v-i.c A=v-i.a\n');
      const added = readAuditLog(path).records.slice(before);
      expect(added.map((x) => [x.eventName, data(x as unknown as Json)['count'], data(x as unknown as Json)['command']])).toEqual([['Decrypt', 3, 'inject']]);
    } finally {
      h.cleanup();
    }
  });

  it('export, exec and getall SELECTOR name their own command in the record', async () => {
    const h = inProcessHome();
    try {
      for (const name of ['c.a', 'c.b']) expect((await h.run(['put', name, `v-${name}`])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      for (const [argv, command] of [
        [['export', '--all', '-f', 'json'], 'export'],
        [['export', 'c.*', '-f', 'dotenv'], 'export'],
        [['exec', '--all', '--', process.execPath, '-e', '0'], 'exec'],
        [['exec', 'c.a', 'c.b', '--', process.execPath, '-e', '0'], 'exec'],
        [['getall', 'c.*'], 'getall'],
        [['getall'], 'getall'],
      ] as const) {
        const before = readAuditLog(path).records.length;
        const r = await h.run(argv);
        expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0);
        const added = readAuditLog(path).records.slice(before);
        expect(added.map((x) => [x.eventName, data(x as unknown as Json)['count'], data(x as unknown as Json)['command']]), argv.join(' ')).toEqual([['Decrypt', 2, command]]);
      }
    } finally {
      h.cleanup();
    }
  });

  it('a bulk read that fails part-way records the decrypts it made; an operation that outlives its bulk is recorded on its own', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const { kms, decrypt } = await auditedKeyring(h.home, path);
      try {
        const before = readAuditLog(path).records.length;
        // Two decrypts, then the read stops on a set-up error (as mapSettled's stopOn does).
        const failing = kms.bulk('getall', ['f.a', 'f.b', 'f.c'], async () => {
          await decrypt();
          await decrypt();
          throw new Error('the keyring went away');
        });
        await expect(failing).rejects.toThrow('the keyring went away');
        const counted = readAuditLog(path).records.slice(before).map((r) => [r.eventName, data(r as unknown as Json)['command'], data(r as unknown as Json)['count']]);
        expect(counted).toEqual([['Decrypt', 'getall', 2]]);
        // Started inside the bulk, finished after it was written out: its own record.
        let late: Promise<void> | undefined;
        await kms.bulk('getall', ['f.a'], async () => {
          await decrypt();
          late = new Promise((resolve) => setTimeout(resolve, 20)).then(() => decrypt());
        });
        await late;
        const after = readAuditLog(path).records.slice(before + 1);
        expect(after.map((r) => [r.eventName, data(r as unknown as Json)['count'] ?? null])).toEqual([['Decrypt', 1], ['Decrypt', null]]);
      } finally {
        kms.close();
      }
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
    } finally {
      h.cleanup();
    }
  });

  it('fail closed: a getall whose log cannot be written prints nothing; a bulk read whose record cannot be written at the end fails', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['put', 'f.a', 'value-f-a'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      renameSync(path, `${path}.saved`);
      mkdirSync(path);
      const r = await h.run(['getall']);
      expect(r.code).toBe(7);
      expect(r.stdout).toBe('');
      rmdirSync(path);
      renameSync(`${path}.saved`, path);
      const kms = new AuditedKms(LocalKms.open({ path: join(h.home, 'keyring.json') }), new AuditLog(path));
      try {
        const key = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
        key.plaintext.fill(0);
        const run = kms.bulk('getall', ['f.a'], async () => {
          (await kms.decrypt({ ciphertextBlob: key.ciphertextBlob, context: {} })).plaintext.fill(0);
          // The log becomes unwritable while the command runs.
          await new Promise((resolve) => setImmediate(resolve));
          renameSync(path, `${path}.saved`);
          mkdirSync(path);
          return 'values';
        });
        await expect(run).rejects.toMatchObject({ code: 'kms.audit' });
      } finally {
        kms.close();
        rmdirSync(path);
        renameSync(`${path}.saved`, path);
      }
    } finally {
      h.cleanup();
    }
  });

  it('two audited keyrings, one bulk inside the other: each counts its own operations into one record of its own', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const [pathA, pathB] = [join(h.dir, 'a.jsonl'), join(h.dir, 'b.jsonl')];
      const { kms: a, decrypt } = await auditedKeyring(h.home, pathA);
      const b = new AuditedKms(LocalKms.open({ path: join(h.home, 'keyring.json') }), new AuditLog(pathB));
      try {
        await a.bulk('getall', ['x.a'], async () => {
          await decrypt(a);
          await b.bulk('export', ['x.b'], async () => {
            await decrypt(b);
            await decrypt(a); // a's bulk is still running around b's
            await decrypt(b);
          });
          await decrypt(a);
        });
        const counted = (path: string) => readAuditLog(path).records.filter((r) => r.eventName === 'Decrypt').map((r) => [data(r as unknown as Json)['command'], data(r as unknown as Json)['count']]);
        expect(counted(pathA)).toEqual([['getall', 3]]);
        expect(counted(pathB)).toEqual([['export', 2]]);
      } finally {
        a.close();
        b.close();
      }
    } finally {
      h.cleanup();
    }
  });

  it('opening many audited keyrings leaves no async-context storage behind (before Node 24 each one slowed every later promise)', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const keyring = join(h.home, 'keyring.json');
      const storages = (): number => queryObjects(AsyncLocalStorage, { format: 'count' });
      const before = storages();
      const opened: AuditedKms[] = [];
      for (let i = 0; i < 40; i++) {
        const kms = new AuditedKms(LocalKms.open({ path: keyring }), new AuditLog(join(h.dir, `l${i}.jsonl`)));
        opened.push(kms); // kept alive: a storage per instance would be counted whatever the Node version
        await kms.bulk('getall', [], async () => undefined);
      }
      expect(storages() - before).toBe(0);
      for (const kms of opened) kms.close();
    } finally {
      h.cleanup();
    }
  });

  it(`${many} decrypts in one bulk command are one record; every earlier record stays`, async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const kms = new AuditedKms(LocalKms.open({ path: join(h.home, 'keyring.json') }), new AuditLog(path, { maxBytes: 64 * 1024 }));
      try {
        const key = await kms.generateDataKey({ keyId: 'alias/credstash', numberOfBytes: 64, context: {} });
        key.plaintext.fill(0);
        const names = Array.from({ length: MANY }, (_, i) => `n${i}`);
        await kms.bulk('getall', names, async () => {
          for (let i = 0; i < names.length; i++) (await kms.decrypt({ ciphertextBlob: key.ciphertextBlob, context: {} })).plaintext.fill(0);
        });
      } finally {
        kms.close();
      }
      const { records, malformed } = readAuditLog(path);
      expect(malformed).toEqual([]);
      expect(records.map((r) => r.eventName)).toEqual(['CreateKey', 'GenerateDataKey', 'Decrypt']);
      expect(data(records[2] as unknown as Json)['count']).toBe(MANY);
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
    } finally {
      h.cleanup();
    }
  }, 120_000);
});

describe('rotated files are chained and never deleted on their own', () => {
  /** A home whose log has rotated into several files. */
  async function rotatedHome() {
    const h = inProcessHome();
    const path = join(h.home, 'kms-audit.jsonl');
    expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
    const log = new AuditLog(path, { maxBytes: 1500 });
    for (let i = 0; i < 40; i++) log.append({ eventName: 'Decrypt', accessKeyId: 'local', sourceIPAddress: 'local', keyId: `key-${i}`, outcome: 'ok' });
    const rotated = rotatedFiles(path);
    expect(rotated.length).toBeGreaterThanOrEqual(4);
    expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
    return { h, path, rotated };
  }

  it('deleting any rotated file fails --verify naming it', async () => {
    const { h, rotated } = await rotatedHome();
    try {
      for (const victim of rotated) {
        const saved = readFileSync(victim);
        unlinkSync(victim);
        const r = await h.run(['kms', 'audit', '--verify']);
        expect(r.code).toBe(5);
        const name = victim.slice(victim.lastIndexOf('/') + 1);
        expect(r.stderr).toContain(`follows the rotated file ${name}, which is missing`);
        writeFileSync(victim, saved, { mode: 0o600 });
      }
    } finally {
      h.cleanup();
    }
  });

  it('deleting the first line (or bytes) of the oldest file fails --verify (beginning missing); a cut rotated file is a different finding', async () => {
    const { h, path, rotated } = await rotatedHome();
    try {
      const oldest = rotated[0]!;
      const text = readFileSync(oldest, 'utf8');
      writeFileSync(oldest, text.slice(text.indexOf('\n') + 1));
      let r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('line 1: the beginning of the log is missing');
      // Cut in the middle of the first line: the same finding.
      writeFileSync(oldest, text.slice(50));
      r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      expect(r.stderr).toContain('line 1: the beginning of the log is missing');
      writeFileSync(oldest, text);
      const second = rotated[1]!;
      const cut = readFileSync(second, 'utf8').trimEnd().split('\n');
      writeFileSync(second, `${cut.slice(0, -1).join('\n')}\n`);
      r = await h.run(['kms', 'audit', '--verify']);
      expect(r.code).toBe(5);
      const name = second.slice(second.lastIndexOf('/') + 1);
      expect(r.stderr).toContain(`does not follow the end of ${name} (its last lines were cut or edited)`);
      expect(r.stderr).not.toContain('beginning of the log is missing');
      expect(r.stderr).not.toContain('which is missing');
      void path;
    } finally {
      h.cleanup();
    }
  });

  it('kms audit --prune-before removes old rotated files, records it, and the rest verifies', async () => {
    const { h, path, rotated } = await rotatedHome();
    try {
      const r = await h.run(['kms', 'audit', '--prune-before', '2999-01-01']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`removed ${rotated.length} rotated audit file(s)`);
      expect(rotatedFiles(path)).toEqual([]);
      const { records } = readAuditLog(path);
      const prune = records.find((x) => x.eventName === 'PruneAuditLog');
      expect(data(prune as unknown as Json)['prunedFiles']).toEqual(rotated.map((f) => f.slice(f.lastIndexOf('/') + 1)));
      const v = await h.run(['kms', 'audit', '--verify']);
      expect(v.code, v.stderr).toBe(0);
      // Nothing older than the cut-off: nothing removed.
      expect((await h.run(['kms', 'audit', '--prune-before', '2000-01-01'])).stderr).toContain('no rotated audit file is older');
    } finally {
      h.cleanup();
    }
  });
});

describe('what a record says', () => {
  it('ReEncrypt names its source and destination keys; a denied Decrypt names the key in the blob, not the KeyId sent', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/a'])).code).toBe(0);
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/b'])).code).toBe(0);
      const kms = LocalKms.open({ path: join(h.home, 'keyring.json') });
      const a = await kms.describeKey('alias/a');
      const b = await kms.describeKey('alias/b');
      const path = join(h.home, 'kms-audit.jsonl');
      const userB = { accessKeyId: 'AKIAAUDITUSERBBBB01', secretAccessKey: 'secret-b-0123456789abcdef', roles: new Set(['user' as const]), keys: ['alias/b'] };
      const server = await startKmsServer({ kms, principals: [{ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, roles: new Set(['user', 'manager'] as const) }, userB], audit: new AuditLog(path) });
      try {
        const c = client(server.url);
        const { CiphertextBlob } = await c.send(new EncryptCommand({ KeyId: 'alias/a', Plaintext: Buffer.from('x') }));
        await c.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: 'alias/b' }));
        const limited = client(server.url, userB.accessKeyId, userB.secretAccessKey);
        await expect(limited.send(new DecryptCommand({ CiphertextBlob, KeyId: 'alias/b' }))).rejects.toThrow();
        c.destroy();
        limited.destroy();
      } finally {
        await server.close();
        kms.close();
      }
      const records = readAuditLog(path).records;
      const re = records.find((r) => r.eventName === 'ReEncrypt')!;
      expect(re.requestParameters.keyId).toBe('alias/b');
      expect(re.requestParameters.sourceKeyId).toBe(a.keyId);
      expect(re.resources?.map((x) => x.ARN).sort()).toEqual([a.arn, b.arn].sort());
      // --key finds the ReEncrypt by its source key too.
      expect(readAuditLog(path, { keys: [a.keyId] }).records.map((r) => r.eventName)).toContain('ReEncrypt');
      const denied = records.find((r) => r.eventName === 'Decrypt' && r.outcome === 'denied')!;
      expect(denied.userIdentity.accessKeyId).toBe(userB.accessKeyId);
      expect(denied.requestParameters.keyId).toBe(a.keyId);
    } finally {
      h.cleanup();
    }
  });

  it('huge context keys are cut; the next writer still links to the record, and --verify passes', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const log = new AuditLog(path);
      const context = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${'"'.repeat(300)}${i}`, 'v']));
      log.append({ eventName: 'Decrypt', accessKeyId: 'AKIAAUDITUSERBBBB01', sourceIPAddress: '127.0.0.1', keyId: 'k', context, outcome: 'denied', errorCode: 'AccessDeniedException' });
      log.append({ eventName: 'Decrypt', accessKeyId: 'AKIAAUDITUSERBBBB01', sourceIPAddress: '127.0.0.1', keyId: 'k', outcome: 'ok' });
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      for (const line of lines) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(8 * 1024);
      expect(readAuditLog(path).malformed).toEqual([]);
      expect((await h.run(['kms', 'audit', '--verify'])).code).toBe(0);
    } finally {
      h.cleanup();
    }
  });

  it('the text view quotes a field with spaces, so a claimed id cannot fake a second column', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      new AuditLog(path).append({ eventName: 'Decrypt', accessKeyId: 'AKIAEVIL  127.0.0.1  alias/credstash  ok', sourceIPAddress: '10.0.0.1', keyId: 'k', outcome: 'denied', errorCode: 'AccessDeniedException' });
      const r = await h.run(['kms', 'audit']);
      expect(r.stdout).toContain('Decrypt  "AKIAEVIL  127.0.0.1  alias/credstash  ok"  10.0.0.1  k  denied AccessDeniedException');
    } finally {
      h.cleanup();
    }
  });

  it('kms disable with an audit log that cannot be written fails and leaves the key enabled', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      // A directory where the log should be: no one, root included, can append to it.
      renameSync(path, `${path}.saved`);
      mkdirSync(path);
      const r = await h.run(['kms', 'disable', 'alias/credstash']);
      expect(r.code, r.stderr).toBe(7);
      expect(r.stderr).toContain('cannot append to the KMS audit log');
      rmdirSync(path);
      renameSync(`${path}.saved`, path);
      const kms = LocalKms.open({ path: join(h.home, 'keyring.json') });
      try {
        expect((await kms.describeKey('alias/credstash')).enabled).toBe(true);
      } finally {
        kms.close();
      }
      expect(readAuditLog(path).records.map((x) => x.eventName)).toEqual(['CreateKey']);
    } finally {
      h.cleanup();
    }
  });
});

describe('fail closed and per-minute summaries', () => {
  it('kms serve: DisableKey while the audit log cannot be written is KMSInternalException and the key stays enabled', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['kms', 'create-key', '--alias', 'alias/credstash'])).code).toBe(0);
      const path = join(h.home, 'kms-audit.jsonl');
      const kms = LocalKms.open({ path: join(h.home, 'keyring.json') });
      const server = await startKmsServer({ kms, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, audit: new AuditLog(path) });
      renameSync(path, `${path}.saved`);
      mkdirSync(path);
      try {
        const c = client(server.url);
        await expect(c.send(new DisableKeyCommand({ KeyId: 'alias/credstash' }))).rejects.toMatchObject({ name: 'KMSInternalException' });
        c.destroy();
        expect((await kms.describeKey('alias/credstash')).enabled).toBe(true);
      } finally {
        await server.close();
        kms.close();
        rmdirSync(path);
        renameSync(`${path}.saved`, path);
      }
    } finally {
      h.cleanup();
    }
  });

  it('one summary per address and minute: a minute is written when a later one starts, the rest at flush', async () => {
    const h = inProcessHome();
    try {
      const path = join(h.home, 'kms-audit.jsonl');
      let now = Date.UTC(2026, 0, 1, 12, 0, 5);
      const summary = new UnauthenticatedSummary(new AuditLog(path), { now: () => now });
      for (let i = 0; i < 5; i++) summary.note('127.0.0.1', 'InvalidSignatureException');
      summary.note('127.0.0.2', 'Bad Name With Spaces');
      now += 60_000;
      summary.note('127.0.0.1', 'UnrecognizedClientException');
      let records = readAuditLog(path).records;
      expect(records.map((r) => [r.sourceIPAddress, data(r as unknown as Json)])).toEqual([
        ['127.0.0.1', { count: 5, minute: '2026-01-01T12:00Z', errorCodes: { InvalidSignatureException: 5 } }],
        ['127.0.0.2', { count: 1, minute: '2026-01-01T12:00Z', errorCodes: { other: 1 } }],
      ]);
      summary.flush();
      records = readAuditLog(path).records;
      expect(records).toHaveLength(3);
      expect(data(records[2] as unknown as Json)).toEqual({ count: 1, minute: '2026-01-01T12:01Z', errorCodes: { UnrecognizedClientException: 1 } });
    } finally {
      h.cleanup();
    }
  });

  it('many source addresses (all of 127/8 is loopback) make at most 17 records a minute: 16 addresses, then one "other" that counts them', async () => {
    const h = inProcessHome();
    try {
      const path = join(h.home, 'kms-audit.jsonl');
      const now = Date.UTC(2026, 0, 1, 12, 0, 5);
      const summary = new UnauthenticatedSummary(new AuditLog(path), { now: () => now });
      for (let a = 0; a < 4000; a++) for (let i = 0; i < 2; i++) summary.note(`127.0.${a >> 8}.${a & 255}`, 'InvalidSignatureException');
      summary.flush();
      const records = readAuditLog(path).records;
      expect(records).toHaveLength(17);
      expect(records.slice(0, 16).map((r) => data(r as unknown as Json))).toEqual(Array.from({ length: 16 }, () => ({ count: 2, minute: '2026-01-01T12:00Z', errorCodes: { InvalidSignatureException: 2 } })));
      expect(records[16]!.sourceIPAddress).toBe('other');
      expect(data(records[16] as unknown as Json)).toEqual({ count: 2 * (4000 - 16), minute: '2026-01-01T12:00Z', errorCodes: { InvalidSignatureException: 2 * (4000 - 16) }, addresses: 4000 - 16 });
    } finally {
      h.cleanup();
    }
  });

  it('through kms serve: bad signatures from 40 loopback addresses are 17 records, written at shutdown', async () => {
    const h = inProcessHome();
    try {
      const path = join(h.home, 'kms-audit.jsonl');
      const kms = LocalKms.open({ path: join(h.home, 'keyring.json') });
      const server = await startKmsServer({ kms, accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY, audit: new AuditLog(path) });
      try {
        const { port } = new URL(server.url);
        for (let a = 1; a <= 40; a++) {
          const status = await new Promise<number>((resolve, reject) => {
            const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/', localAddress: `127.0.0.${a}`, agent: false, headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'TrentService.ListKeys', authorization: 'AWS4-HMAC-SHA256 Credential=AKIANOBODY0000000001/20260101/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00' } }, (res) => {
              res.resume();
              res.on('end', () => resolve(res.statusCode ?? 0));
            });
            req.setTimeout(10_000, () => req.destroy(new Error('timed out')));
            req.on('error', reject);
            req.end('{}');
          });
          expect(status).toBeGreaterThanOrEqual(400);
        }
      } finally {
        await server.close();
        kms.close();
      }
      const records = readAuditLog(path).records.filter((r) => r.eventName === 'UnauthenticatedRequests');
      // Summaries are per minute: the 40 requests normally fall in one, 16 addresses recorded one
      // by one and the other 24 in one record. On a slow machine they may straddle a minute
      // boundary: then each of the two minutes holds such a set of its own.
      const minutes = new Map<string, typeof records>();
      for (const r of records) {
        const minute = String(data(r as unknown as Json).minute);
        minutes.set(minute, [...(minutes.get(minute) ?? []), r]);
      }
      expect(minutes.size).toBeLessThanOrEqual(2);
      let counted = 0;
      for (const group of minutes.values()) {
        const own = group.filter((r) => r.sourceIPAddress !== 'other');
        const other = group.filter((r) => r.sourceIPAddress === 'other');
        expect(own.length).toBeLessThanOrEqual(16);
        expect(other.length).toBeLessThanOrEqual(1);
        if (other.length === 1) {
          expect(own).toHaveLength(16);
          expect(group.at(-1)).toBe(other[0]);
          const { count, addresses } = data(other[0] as unknown as Json) as { count: number; addresses: number };
          expect(count).toBe(addresses);
        }
        for (const r of group) counted += (data(r as unknown as Json) as { count: number }).count;
      }
      expect(counted).toBe(40);
      if (minutes.size === 1) {
        expect(records).toHaveLength(17);
        expect(records.at(-1)!.sourceIPAddress).toBe('other');
        expect(data(records.at(-1) as unknown as Json)).toMatchObject({ count: 24, addresses: 24 });
      }
    } finally {
      h.cleanup();
    }
  });
});
