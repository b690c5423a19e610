/**
 * Every AWS call is bounded (connect, request/socket, retries, and one
 * overall deadline per command: --timeout), and an endpoint that is not AWS is named as such.
 * Loopback servers that accept and stall, stall mid-body, answer slowly, or answer HTML. Each
 * test has its own deadline (the vitest timeout) well below the harness's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it, inject, vi } from 'vitest';
import { createDynamoDbClient } from '../../src/aws/dynamodb-client.js';
import { awsTestEnv } from '../helpers/aws-env.js';
import { runInProcess } from '../helpers/in-process.js';

type Closable = { endpoint: string; close: () => Promise<void> };

function track(server: Server | NetServer, sockets: Set<Socket>): Promise<Closable> {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        endpoint: `http://127.0.0.1:${port}`,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise<void>((r) => server.close(() => r()));
        },
      });
    });
  });
}

/** Accepts connections and never answers. */
const stallingServer = (): Promise<Closable> => track(createNetServer(() => undefined), new Set());

/** Sends headers and half a body, then nothing. */
const midBodyServer = (): Promise<Closable> =>
  track(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'content-length': '1000' });
        res.write('{"Item":{"name":');
      });
    }),
    new Set(),
  );

/** Forwards to `target` after `delayMs`. */
const slowProxy = (target: string, delayMs: number): Promise<Closable> =>
  track(
    createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        setTimeout(() => {
          const up = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          });
          up.on('error', () => res.destroy());
          up.end(Buffer.concat(chunks));
        }, delayMs);
      });
    }),
    new Set(),
  );

/** Answers every request with an HTML page and `status`. */
const htmlServer = (status: number): Promise<Closable> =>
  track(
    createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end('<html><body><h1>Not Found</h1></body></html>');
      });
    }),
    new Set(),
  );

let home: string;
let table: string;
const servers: Closable[] = [];
const start = async (server: Promise<Closable>): Promise<string> => {
  const s = await server;
  servers.push(s);
  return s.endpoint;
};

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'keystash-timeouts-'));
  table = `timeouts-${process.pid}-${Date.now()}`;
  expect((await runInProcess(['setup'], envFor({}))).code).toBe(0);
  expect((await runInProcess(['put', 'app.pw', 'hunter2'], envFor({}))).code).toBe(0);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

/** The aws backend on the loopback backends, with endpoints overridden. */
function envFor(overrides: Record<string, string>): Record<string, string> {
  const aws = awsTestEnv();
  for (const [k, v] of Object.entries(aws)) vi.stubEnv(k, v);
  return { ...aws, KEYSTASH_HOME: home, HOME: home, KEYSTASH_BACKEND: 'aws', KEYSTASH_TABLE: table, ...overrides };
}

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; seconds: number }> {
  const t0 = Date.now();
  const result = await fn();
  return { result, seconds: (Date.now() - t0) / 1000 };
}

describe('timeouts', () => {
  it('a per-attempt request timeout fires (throwOnRequestTimeout) against a server that accepts and stalls', async () => {
    const endpoint = await start(stallingServer());
    const client = createDynamoDbClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, requestTimeoutMs: 300, maxAttempts: 2 });
    try {
      const { result, seconds } = await timed(() => client.send(new GetItemCommand({ TableName: 't', Key: { name: { S: 'n' }, version: { S: '1' } } })).then(() => undefined, (e: unknown) => e));
      expect((result as Error).name).toBe('TimeoutError');
      expect(seconds).toBeLessThan(5);
    } finally {
      client.destroy();
    }
  }, 15_000);

  it('store that accepts and stalls: exit 8 at the --timeout deadline, naming the endpoint and the deadline', async () => {
    const endpoint = await start(stallingServer());
    const { result, seconds } = await timed(() => runInProcess(['--timeout', '1.5', 'get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_DYNAMODB: endpoint })));
    expect(result.code).toBe(8);
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toMatch(/deadline of 1\.5 s/);
    expect(result.stdout).toBe('');
    expect(seconds).toBeLessThan(6);
  }, 20_000);

  it('store that stalls mid-body: exit 8 at the deadline (config file `timeout`)', async () => {
    const endpoint = await start(midBodyServer());
    const configFile = join(home, 'config.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(configFile, JSON.stringify({ timeout: 1.5 }));
    const { result, seconds } = await timed(() => runInProcess(['get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_DYNAMODB: endpoint, KEYSTASH_CONFIG: configFile })));
    expect(result.code).toBe(8);
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toMatch(/in time/);
    expect(seconds).toBeLessThan(6);
  }, 20_000);

  it('KMS that accepts and stalls: exit 7 at the deadline (KEYSTASH_TIMEOUT), naming the KMS endpoint', async () => {
    const endpoint = await start(stallingServer());
    const { result, seconds } = await timed(() => runInProcess(['get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_KMS: endpoint, KEYSTASH_TIMEOUT: '1.5' })));
    expect(result.code).toBe(7);
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toMatch(/KMS at .* did not answer Decrypt in time: the command's overall deadline of 1\.5 s passed/);
    expect(seconds).toBeLessThan(6);
  }, 20_000);

  it('a slow answer within the deadline succeeds', async () => {
    const dynamo = await start(slowProxy(inject('dynamoEndpoint'), 400));
    const kms = await start(slowProxy(inject('kmsEndpoint'), 400));
    const result = await runInProcess(['--timeout', '10', 'get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_DYNAMODB: dynamo, AWS_ENDPOINT_URL_KMS: kms }));
    expect(result.stderr).toBe('');
    expect(result.stdout.trimEnd()).toBe('hunter2');
    expect(result.code).toBe(0);
  }, 20_000);

  it('--timeout must be a positive number of seconds', async () => {
    const result = await runInProcess(['--timeout', 'soon', 'get', 'app.pw'], envFor({}));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/invalid timeout \(not shown, in case it is the secret\)/);
    expect(result.stderr).not.toContain('soon');
  });
});

describe('an endpoint that is not AWS', () => {
  it('DynamoDB endpoint answering HTML 404: exit 8, the status, the endpoint, and that it is not DynamoDB', async () => {
    const endpoint = await start(htmlServer(404));
    const result = await runInProcess(['--timeout', '10', 'get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_DYNAMODB: endpoint }));
    expect(result.code).toBe(8);
    expect(result.stderr).toContain('HTTP 404');
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toMatch(/not a DynamoDB endpoint/);
    expect(result.stderr).not.toMatch(/\$response|UnknownError/);
  }, 20_000);

  it('KMS endpoint answering HTML 500: exit 7, the status, the endpoint, and that it is not KMS', async () => {
    const endpoint = await start(htmlServer(500));
    const result = await runInProcess(['--timeout', '20', 'get', 'app.pw'], envFor({ AWS_ENDPOINT_URL_KMS: endpoint }));
    expect(result.code).toBe(7);
    expect(result.stderr).toContain('HTTP 500');
    expect(result.stderr).toContain(endpoint);
    expect(result.stderr).toMatch(/not a KMS endpoint/);
    expect(result.stderr).not.toMatch(/\$response|UnknownError/);
  }, 30_000);
});
