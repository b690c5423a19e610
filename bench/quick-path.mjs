#!/usr/bin/env node
/**
 * Whether the quick path (src/cli/quick.ts) still pays: a local `keystash get NAME` started on it
 * against the same line started straight on commander's CLI (issue 25 item 2: keep the quick path
 * only while it saves start-up). Not a test: numbers depend on the machine. Runs of the two
 * alternate, so load on the machine falls on both alike.
 *
 *   npm run build && node bench/quick-path.mjs                 # 30 runs each, on this Node
 *   BENCH_NODE=/path/to/node node bench/quick-path.mjs 60      # on that Node, 60 runs each
 *
 * "commander" runs bin/keystash.cjs as it is except that it offers no line to the quick path (a
 * copy in a temporary directory, beside this checkout's dist/). Prints, for each, the medians of
 * the wall time (spawn to exit) and of the process's own CPU time (reported at exit by a
 * preloaded hook).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE = process.env.BENCH_NODE ? resolve(process.env.BENCH_NODE) : process.execPath;
const RUNS = Number(process.argv[2] ?? 30);
if (!existsSync(join(ROOT, 'dist', 'bundle', 'quick.cjs'))) throw new Error('run `npm run build` first');

const work = mkdtempSync(join(tmpdir(), 'keystash-quick-bench-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

// The launcher without the quick path: the same file with an empty set of quick commands.
const launcher = readFileSync(join(ROOT, 'bin', 'keystash.cjs'), 'utf8');
const withoutQuick = launcher.replace(/const QUICK_COMMANDS = new Set\(\[[^\]]*\]\);/, 'const QUICK_COMMANDS = new Set();');
if (withoutQuick === launcher) throw new Error('bin/keystash.cjs no longer declares QUICK_COMMANDS: update this benchmark');
mkdirSync(join(work, 'full', 'bin'), { recursive: true });
writeFileSync(join(work, 'full', 'bin', 'keystash.cjs'), withoutQuick);
copyFileSync(join(ROOT, 'bin', 'compile-cache.cjs'), join(work, 'full', 'bin', 'compile-cache.cjs'));
symlinkSync(join(ROOT, 'dist'), join(work, 'full', 'dist'));

const hook = join(work, 'cpu-hook.cjs');
const report = join(work, 'cpu.txt');
writeFileSync(hook, `process.on('exit', () => { const { user, system } = process.cpuUsage(); require('node:fs').appendFileSync(${JSON.stringify(report)}, (user + system) / 1000 + '\\n'); });\n`);
const env = {
  PATH: process.env.PATH,
  HOME: work,
  KEYSTASH_HOME: join(work, 'data'),
  KEYSTASH_CACHE_DIR: join(work, 'cache'),
  NODE_OPTIONS: `--require ${hook}`,
};

/** One run of `bin` with `args`: [wall ms, own CPU ms]. */
function run(bin, args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(NODE, [bin, ...args], { env });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return [ms, Number(readFileSync(report, 'utf8').trim().split('\n').at(-1))];
}

const variants = [
  { name: 'quick path', bin: join(ROOT, 'bin', 'keystash.cjs'), wall: [], cpu: [] },
  { name: 'commander', bin: join(work, 'full', 'bin', 'keystash.cjs'), wall: [], cpu: [] },
];
run(variants[0].bin, ['put', 'bench.pw', 'value']);
for (let i = 0; i < 5; i++) for (const v of variants) run(v.bin, ['get', 'bench.pw']); // fill the compile cache
for (let i = 0; i < RUNS; i++) {
  for (const v of i % 2 === 0 ? variants : [...variants].reverse()) {
    const [wall, cpu] = run(v.bin, ['get', 'bench.pw']);
    v.wall.push(wall);
    v.cpu.push(cpu);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
console.log(`keystash get, local backend, Node ${spawnSync(NODE, ['--version']).stdout.toString().trim()}: medians of ${RUNS} runs each`);
for (const v of variants) console.log(`  ${v.name.padEnd(11)} wall ${median(v.wall).toFixed(1)} ms   own CPU ${median(v.cpu).toFixed(1)} ms`);
const [quick, full] = variants;
console.log(`  the quick path saves ${(median(full.wall) - median(quick.wall)).toFixed(1)} ms wall, ${(median(full.cpu) - median(quick.cpu)).toFixed(1)} ms CPU`);
