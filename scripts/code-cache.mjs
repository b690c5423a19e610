// Writes V8 code caches for dist/bundle/*.cjs (bin/bundle-loader.cjs reads them): loads the CLI
// bundle, runs keystash's common commands in this process so V8 compiles the code they use,
// then saves what V8 compiled. Run by scripts/bundle.mjs at build time, in a process of its own
// with Node's default flags.
//
// The warm-up runs against a throw-away data directory (local backend) and, for the AWS SDK
// bundle, against a loopback peer that answers the handful of DynamoDB and KMS calls the
// commands make with canned data: no AWS account, no network. Nothing of the warm-up is kept
// but compiled code (the cache holds no heap data of the run).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

const require = createRequire(import.meta.url);
const loader = require('../bin/bundle-loader.cjs');
const cli = loader.load('cli.cjs');

const home = mkdtempSync(join(tmpdir(), 'keystash-code-cache-'));
const sink = { write: () => true };
const failures = [];

/** One CLI run in this process, output discarded; a failure is reported at the end. */
async function run(argv, env, expected = 0) {
  let said = '';
  const stderr = { write: (text) => ((said += text), true) };
  const io = { stdout: sink, stderr, stdin: process.stdin, stdoutIsTTY: false, stderrIsTTY: false, env };
  const code = await cli.run(argv, io);
  if (code !== expected) failures.push(`${argv.join(' ')} → exit ${code}: ${said.trim()}`);
}

/** A loopback stand-in for DynamoDB and KMS that remembers the rows put into it. */
function startPeer() {
  const rows = [];
  const dataKey = randomBytes(64).toString('base64');
  const keyId = 'arn:aws:kms:us-east-1:111122223333:key/00000000-0000-4000-8000-000000000000';
  const answers = {
    'DynamoDB_20120810.PutItem': (body) => (rows.push(body.Item), {}),
    'DynamoDB_20120810.Query': () => ({ Items: rows.slice(-1), Count: Math.min(rows.length, 1), ScannedCount: Math.min(rows.length, 1) }),
    'DynamoDB_20120810.Scan': () => ({ Items: rows, Count: rows.length, ScannedCount: rows.length }),
    'DynamoDB_20120810.GetItem': () => (rows.length ? { Item: rows.at(-1) } : {}),
    'TrentService.GenerateDataKey': () => ({ KeyId: keyId, CiphertextBlob: Buffer.from('warm-up').toString('base64'), Plaintext: dataKey }),
    'TrentService.Decrypt': () => ({ KeyId: keyId, Plaintext: dataKey, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' }),
  };
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const answer = answers[target];
      const json = target.startsWith('DynamoDB') ? 'application/x-amz-json-1.0' : 'application/x-amz-json-1.1';
      if (!answer) {
        res.writeHead(400, { 'content-type': json }).end(JSON.stringify({ __type: 'ValidationException', message: `warm-up peer: no ${target}` }));
        return;
      }
      res.writeHead(200, { 'content-type': json }).end(JSON.stringify(answer(JSON.parse(Buffer.concat(chunks).toString() || '{}'))));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

try {
  // The warm-up sees none of the builder's settings: no keystash/AWS variables, and HOME and
  // XDG_CONFIG_HOME in the throw-away directory (no ~/.config/keystash, no ~/.aws). process.env
  // itself, because the SDK's credential chain and region come from it, not from the Io.
  for (const k of Object.keys(process.env)) if (/^(AWS_|KEYSTASH_|CREDSTASH_)/.test(k)) delete process.env[k];
  Object.assign(process.env, { HOME: home, XDG_CONFIG_HOME: home });
  const local = { ...process.env, KEYSTASH_HOME: home };
  await run(['put', 'warm.up', 'value'], local);
  await run(['put', 'warm.up', 'value2'], local);
  await run(['get', 'warm.up'], local);
  await run(['get', 'warm.missing'], local, 3);
  await run(['getall'], local);
  await run(['list'], local);
  await run(['--help'], local);

  const peer = await startPeer();
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'AKIDWARMUP', AWS_SECRET_ACCESS_KEY: 'warm-up', AWS_REGION: 'us-east-1' });
  const aws = { ...process.env, KEYSTASH_HOME: home, KEYSTASH_BACKEND: 'aws', AWS_ENDPOINT_URL: `http://127.0.0.1:${peer.address().port}` };
  await run(['put', 'warm.up', 'value'], aws);
  await run(['get', 'warm.up'], aws);
  await run(['getall'], aws);
  peer.close();
} finally {
  rmSync(home, { recursive: true, force: true });
}

loader.writeCaches();
console.log(`code caches written for ${Object.keys(loader.cacheStatus()).join(', ')}`);
if (failures.length > 0) {
  // The caches are still good for what ran; a failure means a command changed shape: say so.
  console.warn(`code-cache warm-up: unexpected exits: ${failures.join('; ')}`);
}
process.exit(0);

