/**
 * Issue 24 ("flood"): capacity reserved for authenticated clients of the KMS server. Slow
 * unauthenticated connections are capped per address and in total; at a cap the oldest is closed
 * so a signed request still gets through, and an authenticated connection is never evicted.
 * The mechanism only: the failure rates under a real flood are measured by bench/kms-flood.mjs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer, type KmsServer } from '../../src/kmsserver/server.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-flood-'));
const kms = LocalKms.open({ path: join(dir, 'keyring.json'), region: 'us-east-1' });
const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const secretAccessKey = randomBytes(30).toString('base64');
const sockets: Socket[] = [];
let server: KmsServer;

beforeAll(async () => {
  await kms.createKey({ alias: 'alias/credstash' });
  // Deadlines far beyond the test: only the caps can close a connection here.
  server = await startKmsServer({
    kms, accessKeyId, secretAccessKey, headersTimeoutMs: 120_000, requestTimeoutMs: 120_000, maxConnections: 64, maxUnauthenticated: 8, maxUnauthenticatedPerAddress: 4,
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await server.close();
  kms.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A slow client from `localAddress` (any 127.x.y.z on Linux): connected, half a request sent, nothing more. */
function slowConnection(localAddress = '127.0.0.1'): Promise<{ socket: Socket; closed: Promise<void>; isClosed: () => boolean }> {
  return new Promise((resolve, reject) => {
    let done = false;
    const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', localAddress }, () => {
      socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      resolve({ socket, closed, isClosed: () => done });
    });
    sockets.push(socket);
    socket.on('error', () => undefined);
    const closed = new Promise<void>((r) => socket.once('close', () => ((done = true), r())));
    socket.once('error', reject);
  });
}

type Slow = Awaited<ReturnType<typeof slowConnection>>;

/** Wait (bounded) until `check` holds; the result says whether it did. */
async function eventually(check: () => boolean, rounds = 200): Promise<boolean> {
  for (let i = 0; i < rounds && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  return check();
}

describe('kms serve: unauthenticated connections cannot take the capacity of authenticated ones', () => {
  it('the per-address cap holds: the 5th slow connection from one address closes the oldest, not itself', async () => {
    const slow: Slow[] = [];
    for (let i = 0; i < 4; i++) slow.push(await slowConnection());
    const fifth = await slowConnection();
    expect(await eventually(() => slow[0]!.isClosed())).toBe(true);
    expect(slow.slice(1).map((s) => s.isClosed())).toEqual([false, false, false]);
    expect(fifth.isClosed()).toBe(false);
    for (const s of [...slow, fifth]) s.socket.destroy();
    await Promise.all([...slow, fifth].map((s) => s.closed));
  });

  it('a connection whose request headers are complete is evicted after those still sending headers', async () => {
    const underway = await slowConnection();
    underway.socket.write('Content-Type: application/x-amz-json-1.1\r\nContent-Length: 100\r\n\r\n{');
    await new Promise((r) => setTimeout(r, 100)); // let the server parse the headers (nothing asserted on time)
    const slow: Slow[] = [];
    for (let i = 0; i < 4; i++) slow.push(await slowConnection());
    expect(await eventually(() => slow[0]!.isClosed())).toBe(true);
    expect(underway.isClosed()).toBe(false);
    for (const s of [underway, ...slow]) s.socket.destroy();
    await Promise.all([underway, ...slow].map((s) => s.closed));
  });

  it('the total cap holds over source addresses (127.0.0.1, .2, .3): at most 8 stay open', async () => {
    const slow: Slow[] = [];
    for (let i = 0; i < 6; i++) slow.push(await slowConnection(i % 2 === 0 ? '127.0.0.1' : '127.0.0.2'));
    for (let i = 0; i < 6; i++) slow.push(await slowConnection('127.0.0.3'));
    expect(await eventually(() => slow.filter((s) => !s.isClosed()).length <= 8)).toBe(true);
    expect(slow.filter((s) => !s.isClosed()).length).toBe(8);
    for (const s of slow) s.socket.destroy();
    await Promise.all(slow.map((s) => s.closed));
  });

  it('a signed request gets through while slow connections fill the cap; its keep-alive connection is then never evicted', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const client = new KMSClient({
      region: 'us-east-1', endpoint: server.url, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ httpAgent: agent }),
    });
    const slow: Slow[] = [];
    try {
      for (let i = 0; i < 4; i++) slow.push(await slowConnection());
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).KeyMetadata?.Enabled).toBe(true);
      const [authenticated] = Object.values(agent.freeSockets).flat();
      expect(authenticated).toBeDefined();
      let evicted = false;
      authenticated!.once('close', () => void (evicted = true));
      for (let i = 0; i < 12; i++) slow.push(await slowConnection());
      expect(await eventually(() => slow.filter((s) => !s.isClosed()).length <= 4)).toBe(true);
      expect(evicted).toBe(false);
      expect((await client.send(new DescribeKeyCommand({ KeyId: 'alias/credstash' }))).KeyMetadata?.Enabled).toBe(true);
      expect(evicted).toBe(false);
    } finally {
      client.destroy();
      agent.destroy();
      for (const s of slow) s.socket.destroy();
    }
  });
});
