#!/usr/bin/env node
// Multi-region fallback latency (issue 23; README "Multi-region"): how long a `get` takes when the
// home region is out and the fallback region answers. Two dynalite processes and two
// `keystash kms serve` processes (each on its own keyring, holding replicas of one mrk- key) stand
// in for us-east-1 and eu-west-1, on loopback. Region 1 is made unavailable two ways:
//   dead:    its endpoints refuse connections (a closed port): the SDK retries, then falls back;
//   stalled: its endpoints accept and never answer: the command's deadline (--timeout) ends it.
// Expected: stalled ≈ deadline + one region's get; dead ≈ the SDK's retries + one region's get.
// Figures are medians of BENCH_RUNS (default 5) cold runs of the built CLI with their min–max.
// Usage: npm run build && node bench/multiregion.mjs   → bench/results/multiregion-node<major>.json
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'keystash.cjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TIMEOUTS = [1, 2];
const work = mkdtempSync(join(tmpdir(), 'keystash-bench-mr-'));
const children = [];
const servers = [];
process.on('exit', () => {
  for (const c of children) c.kill('SIGTERM');
  for (const s of servers) s.close();
  rmSync(work, { recursive: true, force: true });
});
process.on('SIGINT', () => process.exit(130));
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|KEYSTASH_|CREDSTASH_)/.test(k)));

function freePort() {
  return new Promise((r) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => r(port));
    });
  });
}

function serve(argv, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = /(?:listening on|http:\/\/127\.0\.0\.1:)(\S*?)(\d{2,5})/.exec(buf);
      if (m) resolvePromise(Number(m[2]));
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${buf}`)));
  });
}

/** A port that accepts connections and never answers (a stalled region). */
function stallingPort() {
  return new Promise((r) => {
    const sockets = [];
    const server = createServer((s) => sockets.push(s)).listen(0, '127.0.0.1', () => r(server.address().port));
    servers.push({ close: () => { for (const s of sockets) s.destroy(); server.close(); } });
  });
}

function run(args, env, { ok = true } = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [BIN, ...args], { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (ok && r.status !== 0) throw new Error(`keystash ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return { ms, stdout: r.stdout, stderr: r.stderr };
}

function measure(label, args, env, check) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const r = run(args, env);
    check?.(r);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  const row = { label, medianMs: Math.round(times[Math.floor(times.length / 2)]), minMs: Math.round(times[0]), maxMs: Math.round(times.at(-1)) };
  console.error(`  ${label}: ${row.medianMs} ms (${row.minMs}–${row.maxMs})`);
  return row;
}

async function main() {
  const { LocalKms } = await import(join(ROOT, 'dist', 'localkms', 'local-kms.js'));
  const homes = [join(work, 'r1'), join(work, 'r2')];
  for (const h of homes) mkdirSync(h, { recursive: true, mode: 0o700 });
  const k1 = LocalKms.open({ path: join(homes[0], 'keyring.json'), region: 'us-east-1' });
  const mrk = await k1.createKey({ alias: 'alias/credstash', multiRegion: true });
  await k1.replicateKey(mrk.keyId, join(homes[1], 'keyring.json'), 'eu-west-1');
  const k2 = LocalKms.open({ path: join(homes[1], 'keyring.json') });
  await k2.createAlias('alias/credstash', mrk.keyId);
  k1.close();
  k2.close();
  const creds = { AWS_ACCESS_KEY_ID: 'AKIABENCHMARK0000001', AWS_SECRET_ACCESS_KEY: 'bench-secret-key', AWS_EC2_METADATA_DISABLED: 'true' };
  const ports = {};
  for (const [i, region] of [[0, 'US_EAST_1'], [1, 'EU_WEST_1']]) {
    const dyn = await freePort();
    await serve([join(ROOT, 'node_modules', 'dynalite', 'cli.js'), '--port', String(dyn), '--host', '127.0.0.1', '--createTableMs', '0'], baseEnv);
    const kms = await serve([BIN, 'kms', 'serve', '--port', '0'], { ...baseEnv, HOME: work, KEYSTASH_HOME: homes[i], KEYSTASH_KMS_ACCESS_KEY_ID: creds.AWS_ACCESS_KEY_ID, KEYSTASH_KMS_SECRET_ACCESS_KEY: creds.AWS_SECRET_ACCESS_KEY });
    ports[region] = { dyn, kms };
  }
  const endpoints = (r1) => ({
    KEYSTASH_DYNAMODB_ENDPOINT_US_EAST_1: `http://127.0.0.1:${r1.dyn}`,
    KEYSTASH_KMS_ENDPOINT_US_EAST_1: `http://127.0.0.1:${r1.kms}`,
    KEYSTASH_DYNAMODB_ENDPOINT_EU_WEST_1: `http://127.0.0.1:${ports.EU_WEST_1.dyn}`,
    KEYSTASH_KMS_ENDPOINT_EU_WEST_1: `http://127.0.0.1:${ports.EU_WEST_1.kms}`,
  });
  const envWith = (r1) => ({ ...baseEnv, ...creds, HOME: work, KEYSTASH_HOME: join(work, 'cli'), KEYSTASH_BACKEND: 'aws', KEYSTASH_REGIONS: 'us-east-1,eu-west-1', ...endpoints(r1) });
  const up = envWith(ports.US_EAST_1);
  run(['setup'], up);
  run(['--regions', 'eu-west-1', 'setup'], up);
  run(['put', 'bench.db', 'value'], up);
  run(['replicate', '--to-region', 'eu-west-1'], up);

  const fromRegion2 = (r) => {
    if (r.stdout !== 'value\n' || !r.stderr.includes('region eu-west-1 answered')) throw new Error(`unexpected: ${r.stdout} ${r.stderr}`);
  };
  const rows = [];
  rows.push(measure('get, home region up (2 regions configured)', ['get', 'bench.db'], up));
  rows.push(measure('get, region 2 alone (one region\'s latency)', ['--regions', 'eu-west-1', 'get', 'bench.db'], up));
  const closed = await freePort();
  rows.push(measure('get, region 1 dead (connection refused)', ['get', 'bench.db'], envWith({ dyn: closed, kms: closed }), fromRegion2));
  const stall = await stallingPort();
  for (const t of TIMEOUTS) {
    rows.push(measure(`get, region 1 stalled, --timeout ${t}`, ['--timeout', String(t), 'get', 'bench.db'], envWith({ dyn: stall, kms: stall }), fromRegion2));
  }
  const results = { date: new Date().toISOString(), node: process.version, runs: RUNS, rows };
  const major = process.version.slice(1).split('.')[0];
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `multiregion-node${major}.json`), `${JSON.stringify(results, null, 2)}\n`);
  console.log(['| case | median ms (min–max) |', '|---|---|', ...rows.map((r) => `| ${r.label} | ${r.medianMs} (${r.minMs}–${r.maxMs}) |`)].join('\n'));
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
