#!/usr/bin/env node
// keystash benchmark (`npm run bench`). Starts its own backends on loopback (SQLite + local KMS;
// dynalite + `keystash kms serve`), seeds 1 / 100 / 1 000 / 10 000 secrets, and times cold runs of
// the built CLI (and a 1 000-secret `import`, and aws `backup` vs `list` of 2 000 rows) against `node -e 0` measured in the same run. Figures are medians of N runs with
// their spread (min–max), reported as ratios to node's own start-up, with peak RSS.
// BENCH_NODE=/path/to/node runs keystash (and the `node -e 0` it is compared with) on that Node
// instead of the one running this harness. Writes bench/results/latest-node<major>.json and prints
// a table.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { createRequire } from 'node:module';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 21);
// BENCH_NODE: the whole harness runs again on that Node (its seeding opens the store through the
// SQLite driver of the Node it runs on, as keystash does).
if (process.env.BENCH_NODE && resolve(process.env.BENCH_NODE) !== process.execPath) {
  const again = spawnSync(resolve(process.env.BENCH_NODE), [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(again.status ?? 1);
}
/** The Node that runs keystash and the `node -e 0` baseline. */
const NODE = process.execPath;
const NODE_VERSION = process.version;
const NODE_MAJOR = Number(NODE_VERSION.slice(1).split('.')[0]);
const QUICK = process.env.BENCH_QUICK === '1';
/** Floors under the targets: the work each command cannot skip, without keystash's code (bench/floors.cjs). */
const FLOORS = join(ROOT, 'bench', 'floors.cjs');
const HAS_NODE_SQLITE = process.getBuiltinModule?.('node:sqlite') !== undefined;
/** Delay the latency proxy adds to every aws request in the extra getall rows (ms). */
const LATENCY_MS = Number(process.env.BENCH_LATENCY_MS ?? 5);
const work = mkdtempSync(join(tmpdir(), 'keystash-bench-'));
const children = [];
const cleanup = () => {
  for (const c of children) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
};
process.on('exit', cleanup);
process.on('SIGINT', () => process.exit(130));

const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AWS_|KEYSTASH_|CREDSTASH_)/.test(k)));

/** One timed run through /usr/bin/time: wall ms, CPU ms (user + system, 10 ms grain) and peak RSS (KiB). */
function timed(argv, env, input) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', ...argv], { env, input, maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${r.stderr.toString().slice(0, 500)}`);
  const [rss, user, sys] = r.stderr.toString().trim().split('\n').at(-1).split(' ').map(Number);
  return { ms, rssKiB: rss, cpuMs: (user + sys) * 1000 };
}

/** CPU time (user + system, ms) used so far by the processes `pids` (Linux /proc, 100 Hz ticks). */
function serversCpuMs(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks * 10;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median of RUNS cold runs, interleaved with `node -e 0` so both see the same machine load. */
function measure(label, argv, env, { runs = RUNS, input } = {}) {
  const own = [];
  const base = [];
  const envFor = typeof env === 'function' ? env : () => env; // a function: fresh state per run
  timed(argv, envFor(), input); // warm the page cache, not the process
  for (let i = 0; i < runs; i++) {
    const runEnv = envFor();
    base.push(timed([NODE, '-e', '0'], runEnv).ms);
    own.push(timed(argv, runEnv, input));
  }
  const ms = own.map((r) => r.ms);
  const row = {
    label,
    runs,
    medianMs: +median(ms).toFixed(1),
    minMs: +Math.min(...ms).toFixed(1),
    maxMs: +Math.max(...ms).toFixed(1),
    nodeMedianMs: +median(base).toFixed(1),
    ratio: +(median(ms) / median(base)).toFixed(2),
    peakRssMiB: +(Math.max(...own.map((r) => r.rssKiB)) / 1024).toFixed(1),
    cpuMedianMs: +median(own.map((r) => r.cpuMs)).toFixed(0),
  };
  console.error(`  ${label}: ${row.medianMs} ms (${row.minMs}–${row.maxMs}), node ${row.nodeMedianMs} ms, ×${row.ratio}, ${row.peakRssMiB} MiB`);
  return row;
}

/**
 * Start-up targets on Node 24 (the LTS users run), as ratios to its own `node -e 0`. Older Nodes
 * (20, end-of-life) must not get slower than 1.25 × the ratios this build had before the move to
 * Node 24 (bench/results/node20-before-node24.json).
 */
const NODE24_TARGETS = {
  'keystash --version': 1.15,
  'get (local, 1000 stored)': 1.5,
  'put (local)': 1.6,
  'get (aws, loopback)': 2.2,
  'getall (local, 1000)': 3,
};
const BASELINE = JSON.parse(readFileSync(join(ROOT, 'bench', 'results', 'node20-before-node24.json'), 'utf8'));

function targetFor(label) {
  if (label === 'getall (local, 10000)') return { text: 'peak RSS ≤ 200 MiB', met: (r) => r.peakRssMiB <= 200 };
  if (label === 'getall (aws, 1 000, concurrency 16)') return { text: '≥ 4 × faster than concurrency 1', met: (_, all) => all.awsGetallSpeedup >= 4 };
  if (label === 'backup (aws, 2 000)') return { text: '≤ 2 × list (aws, 2 000)', met: (_, all) => all.awsBackupVsList <= 2 };
  if (NODE_MAJOR >= 24) {
    const limit = NODE24_TARGETS[label];
    return limit === undefined ? undefined : { text: `≤ ${limit} × node`, met: (r) => r.ratio <= limit };
  }
  const before = BASELINE.rows.find((r) => r.label === label);
  if (before === undefined) return undefined;
  const limit = +(before.ratio * 1.25).toFixed(2);
  return { text: `≤ ${limit} × node (1.25 × ${before.ratio} before)`, met: (r) => r.ratio <= limit };
}

/**
 * The keystash to time. Where Node has node:sqlite (no native code needed), the registry shape:
 * this checkout packed (`npm pack`) and installed into an empty prefix with install scripts off,
 * as a user installs it. Elsewhere (Node 20 needs better-sqlite3's addon, which such an install
 * does not build) this checkout's bin. BENCH_INSTALL=checkout forces the latter.
 */
function keystashBin() {
  const checkout = join(ROOT, 'bin', 'keystash.cjs');
  if (process.env.BENCH_INSTALL === 'checkout' || process.getBuiltinModule?.('node:sqlite') === undefined) return { bin: checkout, shape: 'checkout' };
  const dir = join(work, 'install');
  mkdirSync(dir, { recursive: true });
  const npm = (args, cwd) => {
    const r = spawnSync('npm', args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' } });
    if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const packed = JSON.parse(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT));
  const { filename } = Array.isArray(packed) ? packed[0] : Object.values(packed)[0];
  npm(['install', '--prefix', join(dir, 'prefix'), '--ignore-scripts', '--prefer-offline', '--no-package-lock', join(dir, filename)], dir);
  return { bin: join(dir, 'prefix', 'node_modules', 'keystash', 'bin', 'keystash.cjs'), shape: 'packed tarball installed with --ignore-scripts' };
}

async function lib(path) {
  return import(join(ROOT, 'dist', path));
}

/** Seed `count` secrets into a store through the library (bulk, in-process). */
async function seedLocal(home, count) {
  const { SqliteStore } = await lib('secretstore/sqlite.js');
  const { LocalKms } = await lib('localkms/local-kms.js');
  const { Keystash } = await lib('core/keystash.js');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const store = SqliteStore.open({ path: join(home, 'store.db'), table: 'credential-store' });
  const keys = LocalKms.open({ path: join(home, 'keyring.json') });
  const ks = new Keystash({ store, keys });
  const rows = [];
  const capture = { ...store, putVersion: async (r) => void rows.push(r) };
  const sealer = new Keystash({ store: Object.assign(Object.create(Object.getPrototypeOf(store)), store, capture), keys });
  for (let i = 0; i < count; i++) await sealer.put(`bench.secret.${String(i).padStart(5, '0')}`, `value-${i}-${'x'.repeat(40)}`, { version: '1' });
  await store.putVersions(rows);
  ks.close();
}

function freePortServer(argv, env) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let buf = '';
    const onData = (d) => {
      buf += d;
      const m = /(?:listening on|http:\/\/127\.0\.0\.1:)(\S*?)(\d{2,5})/.exec(buf);
      if (m) resolvePromise({ child, port: Number(m[2]), output: () => buf });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}: ${buf}`)));
  });
}

async function main() {
  if (!existsSync(join(ROOT, 'dist', 'bundle', 'cli.cjs'))) throw new Error('run `npm run build` first');
  const results = { date: new Date().toISOString(), node: NODE_VERSION, runs: RUNS, rows: [], crypto: {} };
  const add = (row) => results.rows.push(row);
  const node = NODE;
  const { bin: BIN, shape } = keystashBin();
  results.install = shape;
  console.error(`keystash on Node ${NODE_VERSION} (${NODE}), ${RUNS} runs per case, ${shape}`);

  console.error('crypto: seal/open of a 400 KB value');
  const { sealToFields, openFields } = await lib('envelope/seal.js');
  const dk = new Uint8Array(64).map((_, i) => i);
  const value = 'v'.repeat(400 * 1024);
  const t0 = performance.now();
  let fields;
  for (let i = 0; i < 10; i++) fields = sealToFields(value, dk, 'SHA256');
  const t1 = performance.now();
  for (let i = 0; i < 10; i++) openFields(fields, dk);
  const t2 = performance.now();
  results.crypto = { valueBytes: value.length, sealMs: +((t1 - t0) / 10).toFixed(2), openMs: +((t2 - t1) / 10).toFixed(2) };
  console.error(`  seal ${results.crypto.sealMs} ms, open ${results.crypto.openMs} ms`);

  console.error('local backend (SQLite + local KMS)');
  const sizes = QUICK ? [1, 1000] : [1, 100, 1000, 10000];
  for (const n of sizes) {
    const home = join(work, `local-${n}`);
    await seedLocal(home, n);
    const env = { ...baseEnv, HOME: work, KEYSTASH_HOME: home };
    if (n === 1) add(measure('keystash --version', [node, BIN, '--version'], env));
    add(measure(`get (local, ${n} stored)`, [node, BIN, 'get', 'bench.secret.00000'], env));
    if (n === 1000 && HAS_NODE_SQLITE) {
      add(measure('get floor (no CLI, see bench/get-floor.cjs)', [node, join(ROOT, 'bench', 'get-floor.cjs'), 'bench.secret.00000'], env));
      add(measure('get floor, guarded (bench/floors.cjs)', [node, FLOORS, 'get', 'bench.secret.00000'], env));
    }
    if (n === 1) {
      add(measure('put (local)', [node, BIN, 'put', 'bench.put', '-'], env, { input: 'value' }));
      if (HAS_NODE_SQLITE) add(measure('put floor, guarded (bench/floors.cjs)', [node, FLOORS, 'put', 'bench.floor.put'], env, { input: 'value' }));
    }
    if (n >= 100) add(measure(`getall (local, ${n})`, [node, BIN, 'getall'], env, { runs: n >= 10000 ? Math.max(3, Math.floor(RUNS / 3)) : RUNS }));
    if (n === 1000 && HAS_NODE_SQLITE) {
      add(measure('getall floor, guarded (local, 1000; bench/floors.cjs)', [node, FLOORS, 'getall'], env));
      add(measure('getall floor, audit file held open, keyring checked once (FLOOR_LEAN=1)', [node, FLOORS, 'getall'], { ...env, FLOOR_LEAN: '1' }));
    }
  }

  // import: 1 000 secrets from a JSON file into an empty local store (keyring present, no
  // secrets), a fresh copy of that store for every run, copied outside the timed region.
  const importFile = join(work, 'import.json');
  writeFileSync(importFile, JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`imp.secret.${String(i).padStart(4, '0')}`, `value-${i}-${'x'.repeat(40)}`]))));
  const importTemplate = join(work, 'import-template');
  await seedLocal(importTemplate, 0);
  const { LocalKms } = await lib('localkms/local-kms.js');
  await LocalKms.open({ path: join(importTemplate, 'keyring.json') }).createKey({ alias: 'alias/credstash' });
  let importRun = 0;
  const freshImportEnv = () => {
    const home = join(work, `import-${importRun++}`);
    cpSync(importTemplate, home, { recursive: true });
    return { ...baseEnv, HOME: work, KEYSTASH_HOME: home };
  };
  add(measure('import 1 000 (local)', [node, BIN, 'import', importFile], freshImportEnv, { runs: Math.max(5, Math.ceil(RUNS / 2)) }));

  console.error('aws backend (dynalite + keystash kms serve, loopback)');
  const awsHome = join(work, 'aws');
  // dynalite runs in its own process: the harness blocks in spawnSync while timing.
  const dynPort = await new Promise((r) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => r(port));
    });
  });
  const dynalite = await freePortServer([join(ROOT, 'node_modules', 'dynalite', 'cli.js'), '--port', String(dynPort), '--host', '127.0.0.1', '--createTableMs', '0'], baseEnv);
  const kmsEnv = { ...baseEnv, HOME: work, KEYSTASH_HOME: awsHome, KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIABENCHMARK0000001', KEYSTASH_KMS_SECRET_ACCESS_KEY: 'bench-secret-key' };
  const kms = await freePortServer([BIN, 'kms', 'serve', '--port', '0'], kmsEnv);
  const awsEnv = {
    ...baseEnv,
    HOME: work,
    KEYSTASH_HOME: join(work, 'aws-client'),
    KEYSTASH_BACKEND: 'aws',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIABENCHMARK0000001',
    AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynalite.port}`,
    AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${kms.port}`,
  };
  const setup = spawnSync(node, [BIN, 'setup'], { env: awsEnv });
  if (setup.status !== 0) throw new Error(`aws setup failed: ${setup.stderr}`);
  const { run } = createRequire(import.meta.url)('../dist/bundle/cli.cjs');
  // The SDK's credential chain reads process.env, not the Io's env.
  Object.assign(process.env, awsEnv, { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' });
  const quietIo = { stdout: { write() {} }, stderr: { write() {} }, stdin: process.stdin, stdoutIsTTY: false, stderrIsTTY: false, env: awsEnv };
  const imp = join(work, 'aws-seed.json');
  writeFileSync(imp, JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`bench.secret.${String(i).padStart(5, '0')}`, `value-${i}`]))));
  if ((await run(['putall', `@${imp}`], quietIo)) !== 0) {
    for (let i = 0; i < 1000; i++) {
      const code = await run(['put', `bench.secret.${String(i).padStart(5, '0')}`, `value-${i}`], quietIo);
      if (code !== 0) throw new Error(`seeding the aws backend failed (exit ${code})`);
    }
  }
  add(measure('get (aws, loopback)', [node, BIN, 'get', 'bench.secret.00000'], awsEnv));
  add(measure('get floor (aws, loopback; SDK only, bench/floors.cjs)', [node, FLOORS, 'aws-get', 'bench.secret.00000'], awsEnv));
  const awsRuns = Math.max(3, Math.floor(RUNS / 2));
  const servers = [dynalite.child.pid, kms.child.pid];
  const before16 = serversCpuMs(servers);
  const c16 = measure('getall (aws, 1 000, concurrency 16)', [node, BIN, 'getall'], awsEnv, { runs: awsRuns });
  c16.serversCpuPerRunMs = Math.round((serversCpuMs(servers) - before16) / (awsRuns + 1));
  const before1 = serversCpuMs(servers);
  const c1 = measure('getall (aws, 1 000, concurrency 1)', [node, BIN, '--concurrency', '1', 'getall'], awsEnv, { runs: 3 });
  c1.serversCpuPerRunMs = Math.round((serversCpuMs(servers) - before1) / 4);
  add(c16);
  add(c1);
  results.awsGetallSpeedup = +(c1.medianMs / c16.medianMs).toFixed(2);
  // The client is one JavaScript thread: however many requests are in flight, a run cannot take
  // less wall time than the CPU time the client itself spends. So wall(concurrency 1) / CPU(client)
  // bounds the speed-up any concurrency can give on this machine.
  // What bounds it: at concurrency 16 the client and the two servers share this machine's cores.
  // A run cannot take less wall time than (CPU of client + servers) / cores, whatever the
  // concurrency, so wall(concurrency 1) divided by that is the most any concurrency can give.
  const cores = availableParallelism();
  results.awsGetallCpu = {
    cores,
    clientCpuMs: c16.cpuMedianMs,
    serversCpuMs: c16.serversCpuPerRunMs,
    speedupBound: +(c1.medianMs / ((c16.cpuMedianMs + c16.serversCpuPerRunMs) / cores)).toFixed(2),
  };

  // The same with LATENCY_MS added to every request by a proxy process: on loopback a round trip
  // costs ~0.3 ms, so the client's own CPU (SDK request building, signing, parsing) bounds
  // getall and concurrency has little latency to hide; with a network-like delay it does.
  const dynSlow = await freePortServer([join(ROOT, 'bench', 'latency-proxy.mjs'), String(dynalite.port), String(LATENCY_MS)], baseEnv);
  const kmsSlow = await freePortServer([join(ROOT, 'bench', 'latency-proxy.mjs'), String(kms.port), String(LATENCY_MS)], baseEnv);
  const slowEnv = { ...awsEnv, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynSlow.port}`, AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${kmsSlow.port}` };
  const s16 = measure(`getall (aws, 1 000, +${LATENCY_MS} ms per request, concurrency 16)`, [node, BIN, 'getall'], slowEnv, { runs: 3 });
  const s1 = measure(`getall (aws, 1 000, +${LATENCY_MS} ms per request, concurrency 1)`, [node, BIN, '--concurrency', '1', 'getall'], slowEnv, { runs: 3 });
  add(s16);
  add(s1);
  results.awsGetallSpeedupWithLatency = { latencyMs: LATENCY_MS, speedup: +(s1.medianMs / s16.medianMs).toFixed(2) };

  // backup vs list on 2 000 rows: backup reads whole rows page by page in one Scan (as
  // getall does), list a Scan of metadata; the same table, the same run. 1 000 more rows first.
  const imp2 = join(work, 'aws-seed-2.json');
  writeFileSync(imp2, JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`bench.secret.${String(1000 + i).padStart(5, '0')}`, `value-${1000 + i}`]))));
  if ((await run(['putall', `@${imp2}`], quietIo)) !== 0) throw new Error('seeding 2 000 rows in the aws backend failed');
  const list2k = measure('list (aws, 2 000)', [node, BIN, 'list'], awsEnv, { runs: awsRuns });
  const backup2k = measure('backup (aws, 2 000)', [node, BIN, 'backup'], awsEnv, { runs: awsRuns });
  add(list2k);
  add(backup2k);
  results.awsBackupVsList = +(backup2k.medianMs / list2k.medianMs).toFixed(2);

  for (const row of results.rows) {
    const t = targetFor(row.label);
    if (t) Object.assign(row, { target: t.text, met: t.met(row, results) });
  }
  mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench', 'results', `latest-node${NODE_MAJOR}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const table = [
    '| case | median ms (min–max) | node -e 0 ms | ratio | peak RSS MiB | target | met |',
    '|---|---|---|---|---|---|---|',
    ...results.rows.map((r) => `| ${r.label} | ${r.medianMs} (${r.minMs}–${r.maxMs}) | ${r.nodeMedianMs} | ${r.ratio} | ${r.peakRssMiB} | ${r.target ?? ''} | ${r.met === undefined ? '' : r.met ? 'yes' : 'no'} |`),
  ].join('\n');
  console.log(`keystash on Node ${NODE_VERSION} (${shape}): ratios to that Node's own \`node -e 0\` in the same run\n`);
  console.log(table);
  const cpu = results.awsGetallCpu;
  console.log(`\naws getall speed-up, concurrency 16 vs 1: ×${results.awsGetallSpeedup}; per run the client used ${cpu.clientCpuMs} ms of CPU and the servers ${cpu.serversCpuMs} ms, on ${cpu.cores} cores: no concurrency can beat ×${cpu.speedupBound} on this machine`);
  console.log(`aws getall speed-up with ${LATENCY_MS} ms added per request, concurrency 16 vs 1: ×${results.awsGetallSpeedupWithLatency.speedup}`);
  console.log(`aws backup of 2 000 rows / list of the same table: ×${results.awsBackupVsList}`);
  console.log(`seal / open 400 KB: ${results.crypto.sealMs} / ${results.crypto.openMs} ms`);
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
