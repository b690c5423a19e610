#!/usr/bin/env node
/**
 * Unauthenticated slow-connection flood (slowloris) against the local KMS server, and how many
 * legitimate signed calls fail meanwhile (issue 24, "flood"). Not a test: numbers depend on the
 * machine. The server runs in its own process (this script with --serve) from a built dist/, so
 * an older build can be compared:
 *
 *   npm run build && node bench/kms-flood.mjs                       # this checkout's dist/
 *   node bench/kms-flood.mjs --dist /path/to/old/dist               # another build
 *   node bench/kms-flood.mjs --slow 1000 --seconds 30 --calls 400 --keep-alive
 *
 * The flood keeps --slow connections open (each sends one header byte per second and is reopened
 * as soon as the server closes it); the legitimate client makes --calls GenerateDataKey calls,
 * --concurrency at a time, with the SDK's default retries (3 attempts), each on a new connection
 * unless --keep-alive. Prints one JSON line.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: opt } = parseArgs({
  options: {
    serve: { type: 'boolean', default: false },
    dist: { type: 'string', default: resolve(fileURLToPath(new URL('..', import.meta.url)), 'dist') },
    slow: { type: 'string', default: '1000' },
    calls: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '4' },
    seconds: { type: 'string', default: '60' },
    'keep-alive': { type: 'boolean', default: false },
  },
});

if (opt.serve) {
  // Child: a server over a fresh keyring, defaults as `kms serve` uses them.
  const dir = mkdtempSync(join(tmpdir(), 'keystash-flood-bench-'));
  const { LocalKms } = await import(pathToFileURL(join(opt.dist, 'localkms/local-kms.js')).href);
  const { startKmsServer } = await import(pathToFileURL(join(opt.dist, 'kmsserver/server.js')).href);
  const kms = LocalKms.open({ path: join(dir, 'keyring.json'), region: 'us-east-1' });
  await kms.createKey({ alias: 'alias/credstash' });
  const pair = JSON.parse(process.env.FLOOD_PAIR);
  const server = await startKmsServer({ kms, ...pair });
  process.send({ url: server.url });
  process.on('disconnect', () => {
    void server.close().finally(() => {
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    });
  });
} else {
  const { KMSClient, GenerateDataKeyCommand } = await import('@aws-sdk/client-kms');
  const { NodeHttpHandler } = await import('@smithy/node-http-handler');
  const pair = { accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(30).toString('base64') };
  const child = fork(fileURLToPath(import.meta.url), ['--serve', '--dist', opt.dist], { env: { ...process.env, FLOOD_PAIR: JSON.stringify(pair) } });
  const { url } = await new Promise((res, rej) => {
    child.once('message', res);
    child.once('exit', (code) => rej(new Error(`server exited ${code}`)));
  });
  const port = Number(new URL(url).port);
  const deadline = Date.now() + Number(opt.seconds) * 1000;

  // The flood: N slow connections, each reopened when closed, until the legitimate calls end.
  let stop = false;
  let opened = 0;
  const open = new Set();
  const slowOne = () => {
    if (stop) return;
    opened += 1;
    const socket = connect(port, '127.0.0.1');
    open.add(socket);
    let timer;
    socket.on('connect', () => {
      socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      timer = setInterval(() => socket.write('X'), 1000);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      open.delete(socket);
      setTimeout(slowOne, 5);
    });
  };
  for (let i = 0; i < Number(opt.slow); i++) slowOne();
  await new Promise((r) => setTimeout(r, 2000)); // let the flood fill up

  const agent = new Agent({ keepAlive: opt['keep-alive'], maxSockets: Number(opt.concurrency) });
  const client = new KMSClient({ region: 'us-east-1', endpoint: url, credentials: pair, requestHandler: new NodeHttpHandler({ httpAgent: agent, connectionTimeout: 5000, requestTimeout: 10000 }) });
  let ok = 0;
  let failed = 0;
  const errors = {};
  let next = 0;
  const worker = async () => {
    while (next < Number(opt.calls) && Date.now() < deadline) {
      next += 1;
      try {
        await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/credstash', NumberOfBytes: 64 }));
        ok += 1;
      } catch (err) {
        failed += 1;
        const name = err?.name ?? 'Error';
        errors[name] = (errors[name] ?? 0) + 1;
      }
    }
  };
  const started = Date.now();
  await Promise.all(Array.from({ length: Number(opt.concurrency) }, worker));
  const seconds = (Date.now() - started) / 1000;
  stop = true;
  for (const s of open) s.destroy();
  client.destroy();
  agent.destroy();
  child.disconnect();
  console.log(JSON.stringify({
    dist: opt.dist, slow: Number(opt.slow), keepAlive: opt['keep-alive'], calls: ok + failed, ok, failed,
    failedPercent: Math.round((1000 * failed) / Math.max(1, ok + failed)) / 10, errors, seconds, slowConnectionsOpened: opened, node: process.version,
  }));
}
