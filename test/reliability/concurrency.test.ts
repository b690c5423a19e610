/**
 * Concurrent writers of ONE name without -v, on SQLite (local backend) and on
 * DynamoDB (dynalite + the project's KMS server, `--backend aws`), while two reader processes keep
 * reading the latest version and the version list.
 *
 * Writers: 4 OS processes, each one `node` running the CLI's in-process entry (`run` from
 * dist/bundle/cli.cjs) PUTS times, reporting every version it was given. Readers: 2 OS processes on
 * the library (`createKeystash` from dist/index.js), one reading the latest, one listing versions
 * and reading some of them; any read error other than not-found before the first success fails.
 * KEYSTASH_LONG_TESTS runs 8 × 150 on both backends instead of 4 × 40 on SQLite and 4 × 15 on
 * DynamoDB (dynalite answers each request in milliseconds, not microseconds: 4 × 15 puts of one
 * name already give dozens of conflicting conditional writes; at least two writers must interleave).
 */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanEnv, cliHome } from '../helpers/run-cli.js';
import { fileURLToPath } from 'node:url';
import { awsTestEnv } from '../helpers/aws-env.js';

const LONG = Boolean(process.env.KEYSTASH_LONG_TESTS);
const WRITERS = LONG ? 8 : 4;
const PUTS = { sqlite: LONG ? 150 : 40, dynamodb: LONG ? 150 : 15 };
const NAME = 'race.one';
const CLI_BUNDLE = fileURLToPath(new URL('../../dist/bundle/cli.cjs', import.meta.url));
const LIB_URL = new URL('../../dist/index.js', import.meta.url).href;
/** Hard bound on every child (the readers also stop themselves after this). */
const CHILD_LIMIT_MS = LONG ? 540_000 : 200_000;

/** argv: workerId, count, name, JSON array of global CLI options. stdout: one JSON line per put. */
const WRITER = `
  const { run } = (await import('node:module')).createRequire(${JSON.stringify(CLI_BUNDLE)})(${JSON.stringify(CLI_BUNDLE)});
  const [w, count, name, globalsJson] = process.argv.slice(1);
  const globals = JSON.parse(globalsJson);
  for (let i = 0; i < Number(count); i++) {
    let err = '';
    const value = 'val-w' + w + '-i' + i + '-' + Math.random().toString(36).slice(2, 10) + ' ✓';
    const io = { stdout: { write() {} }, stderr: { write(c) { err += c; } }, stdin: process.stdin, stdoutIsTTY: false, stderrIsTTY: false, env: process.env };
    const code = await run([...globals, 'put', name, value], io);
    const m = / \\(version (\\d{19})\\)/.exec(err);
    if (code !== 0 || !m) { process.stderr.write('writer ' + w + ' put ' + i + ' failed (exit ' + code + '): ' + err); process.exit(1); }
    process.stdout.write(JSON.stringify({ version: m[1], value }) + '\\n');
  }`;

/**
 * argv: mode (latest|versions), name, JSON createKeystash options, limit ms. Reads until stdin
 * ends. stdout at the end: one JSON line {reads, notFoundAtStart, seen: {version: value}}.
 * Exits 1 (message on stderr) on any error other than not-found before the first success, on a
 * version read twice with different values, or on the latest version going backwards.
 */
const READER = `
  const { createKeystash, SecretNotFoundError } = await import(${JSON.stringify(LIB_URL)});
  const [mode, name, optionsJson, limitMs] = process.argv.slice(1);
  const ks = await createKeystash(JSON.parse(optionsJson));
  let stop = false;
  process.stdin.on('end', () => { stop = true; });
  process.stdin.resume();
  const deadline = Date.now() + Number(limitMs);
  const seen = new Map();
  let reads = 0, notFoundAtStart = 0, lastLatest = '';
  const fail = (msg) => { process.stderr.write('reader ' + mode + ': ' + msg + '\\n'); process.exit(1); };
  const record = (version, value) => {
    reads++;
    if (!/^val-w\\d+-i\\d+-[a-z0-9]+ ✓$/.test(value)) fail('torn value ' + JSON.stringify(value) + ' at ' + version);
    const before = seen.get(version);
    if (before !== undefined && before !== value) fail('version ' + version + ' read as ' + before + ' then ' + value);
    seen.set(version, value);
  };
  while (!stop && Date.now() < deadline) {
    // Yield to the event loop (SQLite and the local KMS answer synchronously, which would starve
    // stdin's 'end') and leave the two shared cores to the writers most of the time.
    await new Promise((r) => setTimeout(r, 3));
    try {
      if (mode === 'latest') {
        const rec = await ks.getRecord(name);
        if (rec.version < lastLatest) fail('latest went back from ' + lastLatest + ' to ' + rec.version);
        lastLatest = rec.version;
        record(rec.version, await ks.open(rec));
      } else {
        const metas = await ks.history(name); // newest first
        const pick = metas.slice(0, 3);
        if (metas.length > 3) pick.push(metas[Math.floor(Math.random() * metas.length)]);
        for (const meta of pick) record(meta.version, await ks.get(name, { version: meta.version }));
      }
    } catch (error) {
      if (error instanceof SecretNotFoundError && reads === 0) { notFoundAtStart++; continue; }
      fail((error && error.stack) || String(error));
    }
  }
  if (!stop) fail('stopped by its own time limit');
  ks.close();
  process.stdout.write(JSON.stringify({ reads, notFoundAtStart, seen: Object.fromEntries(seen) }) + '\\n');`;

/** argv: name, JSON createKeystash options. stdout: {versions: [[version, value]...], latest}. */
const VERIFY = `
  const { createKeystash } = await import(${JSON.stringify(LIB_URL)});
  const [name, optionsJson] = process.argv.slice(1);
  const ks = await createKeystash(JSON.parse(optionsJson));
  const versions = [];
  for (const meta of await ks.history(name)) versions.push([meta.version, await ks.get(name, { version: meta.version })]);
  const latest = await ks.get(name);
  ks.close();
  process.stdout.write(JSON.stringify({ versions, latest }));`;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Child {
  done: Promise<ChildResult>;
  endInput: () => void;
}

function startNode(script: string, args: string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => {});
  const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_LIMIT_MS + 20_000);
  const done = new Promise<ChildResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { done, endInput: () => child.stdin.end() };
}

interface Backend {
  env: Record<string, string>;
  /** Global CLI options placed before the command. */
  globals: string[];
  /** createKeystash options (the environment supplies the rest). */
  library: Record<string, unknown>;
}

async function race(label: 'sqlite' | 'dynamodb', backend: Backend, run: (args: string[]) => Promise<{ code: number | null; stderr: string; stdout: string }>): Promise<void> {
  const puts = PUTS[label];
  const total = WRITERS * puts;
  const setup = await run([...backend.globals, 'setup']);
  expect(setup.code, setup.stderr).toBe(0);

  const started = Date.now();
  const readers = (['latest', 'versions'] as const).map((mode) =>
    startNode(READER, [mode, NAME, JSON.stringify(backend.library), String(CHILD_LIMIT_MS)], backend.env),
  );
  const writers = Array.from({ length: WRITERS }, (_, w) => startNode(WRITER, [String(w), String(puts), NAME, JSON.stringify(backend.globals)], backend.env));
  let writerResults: ChildResult[] = [];
  let readerResults: ChildResult[] = [];
  try {
    writerResults = await Promise.all(writers.map((c) => c.done));
  } finally {
    for (const r of readers) r.endInput();
    readerResults = await Promise.all(readers.map((c) => c.done));
  }
  const seconds = (Date.now() - started) / 1000;

  // No process reported an error.
  for (const [i, r] of writerResults.entries()) expect(r.code, `writer ${i}: ${r.stderr}`).toBe(0);
  for (const [i, r] of readerResults.entries()) expect(r.code, `reader ${i}: ${r.stderr}`).toBe(0);

  // Every put reported a distinct version: exactly `total` of them, 1..total.
  const reported = new Map<string, string>();
  let interleaved = 0;
  for (const r of writerResults) {
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { version: string; value: string });
    expect(lines).toHaveLength(puts);
    // The race is real only if writers interleave: count those whose versions are not one block.
    if (Number(lines.at(-1)!.version) - Number(lines[0]!.version) !== puts - 1) interleaved++;
    for (const { version, value } of lines) {
      expect(reported.has(version), `version ${version} reported twice`).toBe(false);
      reported.set(version, value);
    }
  }
  expect(reported.size).toBe(total);
  expect(interleaved).toBeGreaterThanOrEqual(2);
  expect([...reported.keys()].sort()).toEqual(Array.from({ length: total }, (_, i) => String(i + 1).padStart(19, '0')));

  // The store holds exactly those versions, each readable and equal to what was put. (Read in a
  // child: the library takes AWS credentials from process.env, not from createKeystash's env.)
  const verify = await startNode(VERIFY, [NAME, JSON.stringify(backend.library)], backend.env).done;
  expect(verify.code, verify.stderr).toBe(0);
  const { versions, latest } = JSON.parse(verify.stdout) as { versions: Array<[string, string]>; latest: string };
  expect(new Set(versions.map(([v]) => v)).size).toBe(total);
  expect(versions).toHaveLength(total);
  expect(new Map(versions)).toEqual(reported);
  expect(latest).toBe(reported.get(String(total).padStart(19, '0')));

  // What the readers saw was never torn: every (version, value) they read is one a writer put.
  let reads = 0;
  for (const r of readerResults) {
    const summary = JSON.parse(r.stdout.trim()) as { reads: number; notFoundAtStart: number; seen: Record<string, string> };
    expect(summary.reads).toBeGreaterThan(0);
    reads += summary.reads;
    for (const [version, value] of Object.entries(summary.seen)) expect(value, `reader saw ${version}`).toBe(reported.get(version));
  }
  console.log(`concurrency ${label}: ${WRITERS} processes x ${puts} puts -> ${reported.size} distinct versions, all read back, ${interleaved}/${WRITERS} writers interleaved; 2 readers made ${reads} reads, 0 errors (${seconds.toFixed(1)} s)`);
}

describe(`${WRITERS} writer processes × ${PUTS.sqlite} (SQLite) / ${PUTS.dynamodb} (DynamoDB) puts of one name without -v, 2 reader processes`, () => {
  it('SQLite (local backend)', { timeout: CHILD_LIMIT_MS + 60_000 }, async () => {
    const h = cliHome();
    try {
      const env = cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home });
      await race('sqlite', { env, globals: [], library: { dataDir: h.home } }, (args) => h.run(args));
    } finally {
      h.cleanup();
    }
  });

  it('DynamoDB (dynalite) + KMS server (--backend aws)', { timeout: CHILD_LIMIT_MS + 60_000 }, async () => {
    const awsEnv = { ...awsTestEnv(), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const h = cliHome(awsEnv);
    const table = `race-${Date.now().toString(36)}`;
    try {
      const env = cleanEnv({ HOME: h.home, KEYSTASH_HOME: h.home, ...awsEnv });
      await race('dynamodb', { env, globals: ['--backend', 'aws', '-t', table], library: { backend: 'aws', table } }, (args) => h.run(args));
    } finally {
      h.cleanup();
    }
  });
});
