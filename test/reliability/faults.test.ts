/**
 * Backend faults. The CLI runs with --backend aws against dynalite and the local KMS server, each
 * behind its own fault-injecting proxy (test/helpers/fault-proxy.ts): throttling, 500/503 and
 * dropped connections at ~15 %, then a backend "killed" part-way through a command. Every command
 * must either finish with exactly the fault-free result or exit non-zero with nothing on stdout —
 * never a silent partial result — and nothing stored may be lost.
 *
 * The CLI runs in-process (src/cli/main.ts `run` with a captured Io, as bin/keystash.cjs runs it):
 * what is under test is the SDK retry configuration and the commands' handling of what the retries
 * could not hide, not process start-up. The SDK reads the credentials from process.env (stubbed
 * here); everything else comes from the environment handed to the run. KEYSTASH_LONG_TESTS runs
 * 100 secrets instead of 20.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { startFaultProxy, type FaultKind, type FaultProxy } from '../helpers/fault-proxy.js';
import { inProcessHome, type InProcessResult as CliResult } from '../helpers/in-process.js';

const LONG = process.env.KEYSTASH_LONG_TESTS === '1';
const SECRETS = LONG ? 100 : 20;
const RATE = 0.15;
const TIMEOUT = 180_000;

const table = `faults-${Date.now().toString(36)}`;
const base = {
  AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
  AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
  AWS_REGION: 'us-east-1',
  AWS_EC2_METADATA_DISABLED: 'true',
};
const direct = { ...base, AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'), AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint') };
const h = inProcessHome();
let ddb: FaultProxy;
let kms: FaultProxy;
let proxied: Record<string, string>;

/** Run against the real backends, no proxy. */
const plain = (args: string[]): Promise<CliResult> => h.run(['--backend', 'aws', '-t', table, ...args], { env: direct });
/** Run through the fault proxies. */
const faulty = (args: string[]): Promise<CliResult> => h.run(['--backend', 'aws', '-t', table, ...args], { env: proxied });

async function ok(args: string[]): Promise<CliResult> {
  const r = await plain(args);
  expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r;
}

/** Latest value of every secret, as the test believes it is stored. */
const model = new Map<string, string>();
/** Version 1 of every secret (never rewritten by anything below). */
const firstValues = new Map<string, string>();
/** Exit code and faults injected of each command run under faults (for the summary). */
const outcomes: Array<{ what: string; code: number | null; injected: number }> = [];

const nameOf = (i: number): string => `flt.s${String(i).padStart(3, '0')}`;
const valueOf = (i: number, round: number): string => (i % 7 === 0 ? `multi\nline ${i} r${round} ✓` : `value-${i}-r${round}-ünï`);
const sortedObject = (m: Map<string, string>): Record<string, string> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

function importFile(label: string, pairs: Record<string, string>): string {
  const file = join(h.home, '..', `${label}.json`);
  writeFileSync(file, JSON.stringify(pairs));
  return file;
}

/** Faults injected by both proxies so far. */
const injectedTotal = (): number => ddb.injected() + kms.injected();

/**
 * Moderate faults on both proxies. The proxies are seeded once (beforeAll); each call continues
 * their PRNG sequences, so the whole file is one reproducible sequence of fault decisions.
 */
function moderate(weights?: Partial<Record<FaultKind, number>>): void {
  ddb.reset();
  kms.reset();
  ddb.setRate(RATE, weights);
  kms.setRate(RATE, weights);
}

function calm(): void {
  ddb.reset();
  kms.reset();
}

/**
 * Run `args` under faults; the universal rule: exit 0 with the expected stdout, or non-zero with
 * empty stdout. `failureStdout` admits a non-empty stdout on failure (verify, whose report IS the
 * output) and must then prove the report is explicit about what failed.
 */
async function underFaults(
  what: string,
  args: string[],
  expectedStdout: string | ((stdout: string) => void),
  failureStdout?: (stdout: string, code: number | null) => void,
): Promise<CliResult> {
  const before = injectedTotal();
  const r = await faulty(args);
  const injected = injectedTotal() - before;
  calm();
  outcomes.push({ what, code: r.code, injected });
  expect(injected, `${what}: the proxies injected no fault`).toBeGreaterThan(0);
  if (r.code === 0) {
    if (typeof expectedStdout === 'string') expect(r.stdout, what).toBe(expectedStdout);
    else expectedStdout(r.stdout);
  } else {
    expect(r.code, r.stderr).not.toBe(1); // a clean, classified failure — not a crash
    if (failureStdout !== undefined && r.stdout !== '') failureStdout(r.stdout, r.code);
    else expect(r.stdout, `${what} failed (${r.code}) but printed: ${r.stderr}`).toBe('');
  }
  return r;
}

/** Everything stored still reads: verify (all versions) is clean, latest and version-1 values are as modelled. */
async function nothingLost(): Promise<void> {
  const verify = JSON.parse((await ok(['verify', '--json'])).stdout) as { checked: number; ok: number; failed: unknown[] };
  expect(verify.failed).toEqual([]);
  expect(verify.ok).toBe(verify.checked);
  expect(JSON.parse((await ok(['getall'])).stdout)).toEqual(sortedObject(model));
  expect(JSON.parse((await ok(['getall', '-v', '1'])).stdout)).toEqual(sortedObject(firstValues));
}

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', base.AWS_ACCESS_KEY_ID);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', base.AWS_SECRET_ACCESS_KEY);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  ddb = await startFaultProxy({ target: inject('dynamoEndpoint'), service: 'dynamodb', seed: 7001 });
  kms = await startFaultProxy({ target: inject('kmsEndpoint'), service: 'kms', seed: 7002 });
  proxied = { ...base, AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint, AWS_ENDPOINT_URL_KMS: kms.endpoint };
  await ok(['setup']);
  // Seed: every secret at version 1, then a third of them at version 2.
  const first: Record<string, string> = {};
  for (let i = 0; i < SECRETS; i++) first[nameOf(i)] = valueOf(i, 1);
  await ok(['import', importFile('seed1', first)]);
  for (const [k, v] of Object.entries(first)) {
    model.set(k, v);
    firstValues.set(k, v);
  }
  const second: Record<string, string> = {};
  for (let i = 0; i < SECRETS; i += 3) second[nameOf(i)] = valueOf(i, 2);
  await ok(['import', importFile('seed2', second)]);
  for (const [k, v] of Object.entries(second)) model.set(k, v);
}, TIMEOUT);

afterAll(async () => {
  const a = ddb.stats();
  const b = kms.stats();
  const throttle = a.throttle + b.throttle;
  const http5xx = a.http5xx + b.http5xx;
  const drop = a.drop + b.drop + a.lost + b.lost;
  // Final audit straight against the backends: every modelled value and every version still reads.
  let lost = 0;
  const verify = await plain(['verify', '--json']);
  if (verify.code !== 0) lost = Number.NaN;
  else lost += (JSON.parse(verify.stdout) as { failed: unknown[] }).failed.length;
  const all = await plain(['getall']);
  if (all.code !== 0) lost = Number.NaN;
  else {
    const stored = JSON.parse(all.stdout) as Record<string, string>;
    for (const [k, v] of model) if (stored[k] !== v) lost++;
  }
  console.log(`faults: ${throttle + http5xx + drop} injected (throttle ${throttle}, 5xx ${http5xx}, drop ${drop}), values lost ${lost}`);
  console.log(`faults: per command ${outcomes.map((o) => `${o.what}=${o.code}/${o.injected}`).join(', ')}; lost responses ${a.lost + b.lost}, refused while dead ${a.refused + b.refused}`);
  await ddb?.stop();
  await kms?.stop();
  h.cleanup();
  vi.unstubAllEnvs();
}, TIMEOUT);

describe('moderate faults (~15 % throttle / 5xx / dropped connection on DynamoDB and KMS)', () => {
  let getall = '';
  let exported = '';
  let verified = '';

  beforeAll(async () => {
    // The fault-free outputs, through the proxies with no faults (also proves the proxy is transparent).
    calm();
    getall = (await faulty(['getall'])).stdout;
    expect(JSON.parse(getall)).toEqual(sortedObject(model));
    expect((await plain(['getall'])).stdout).toBe(getall);
    exported = (await faulty(['export', '--all', '-f', 'dotenv'])).stdout;
    expect(exported).toContain('FLT_S000=');
    verified = (await faulty(['verify', '--json'])).stdout;
    expect(JSON.parse(verified).failed).toEqual([]);
    expect(ddb.injected() + kms.injected()).toBe(0);
  }, TIMEOUT);

  it('getall: the fault-free output or nothing', async () => {
    for (const run of [1, 2]) {
      moderate();
      await underFaults(`getall#${run}`, ['getall'], getall);
    }
  }, TIMEOUT);

  it('export --all -f dotenv: the fault-free output or nothing', async () => {
    moderate();
    await underFaults('export', ['export', '--all', '-f', 'dotenv'], exported);
  }, TIMEOUT);

  it('verify --json: the fault-free report, or non-zero and nothing', async () => {
    moderate();
    const expected = JSON.parse(verified) as { checked: number };
    // verify reports per-row failures (exit 10) rather than printing nothing: allowed only if the
    // report names every failure and accounts for every row — never a clean-looking partial report.
    await underFaults('verify', ['verify', '--json'], verified, (stdout, code) => {
      const report = JSON.parse(stdout) as { checked: number; ok: number; failed: Array<{ code: string }> };
      expect(code).toBe(10);
      expect(report.checked).toBe(expected.checked);
      expect(report.failed.length).toBeGreaterThan(0);
      expect(report.ok + report.failed.length).toBe(report.checked);
      for (const f of report.failed) expect(f.code).toMatch(/^(kms|store)\./);
    });
  }, TIMEOUT);

  it('rotate --all --all-versions --key: every row rotated and readable, or a failure that a re-run completes', async () => {
    // Lost responses too: a write that landed but whose answer was cut must not break re-wrap.
    moderate({ throttle: 1, '5xx': 1, drop: 1, lost: 1 });
    const r = await underFaults('rotate', ['rotate', '--all', '--all-versions', '--key', 'alias/other'], '');
    if (r.code !== 0) await ok(['rotate', '--all', '--all-versions', '--key', 'alias/other']);
    const dry = await ok(['rotate', '--all', '--all-versions', '--key', 'alias/other', '--dry-run']);
    expect(dry.stderr).toMatch(/would rotate 0 of \d+ rows/);
    await nothingLost();
  }, TIMEOUT);

  it('import: the fault-free report and values, or nothing printed and a re-run completes', async () => {
    const pairs: Record<string, string> = {};
    const expected = new Map<string, string>();
    for (let i = 0; i < SECRETS; i++) {
      const name = nameOf(i);
      const value = i % 4 === 1 ? valueOf(i, 3) : model.get(name)!;
      pairs[name] = value;
      expected.set(name, i % 4 === 1 ? 'changed' : 'unchanged');
    }
    for (let i = SECRETS; i < SECRETS + 10; i++) {
      pairs[nameOf(i)] = valueOf(i, 1);
      expected.set(nameOf(i), 'added');
    }
    const file = importFile('faulty-import', pairs);
    moderate({ throttle: 1, '5xx': 1, drop: 1, lost: 1 });
    const r = await underFaults('import', ['import', file, '--json'], (stdout) => {
      const report = JSON.parse(stdout) as { results: Array<{ name: string; status: string; version?: string }> };
      expect(Object.fromEntries(report.results.map((x) => [x.name, x.status]))).toEqual(Object.fromEntries(expected));
      for (const x of report.results) expect(x.version !== undefined).toBe(x.status !== 'unchanged');
    });
    if (r.code !== 0) await ok(['import', file]);
    for (const [k, v] of Object.entries(pairs)) {
      model.set(k, v);
      if (!firstValues.has(k)) firstValues.set(k, v);
    }
    // Re-running is a no-op: every value is already there.
    expect((await ok(['import', file])).stderr).toContain(`added 0, changed 0, unchanged ${SECRETS + 10}`);
    await nothingLost();
  }, TIMEOUT);

  it('the retries were real: every command above ran under injected faults', () => {
    for (const o of outcomes) expect(o.injected, o.what).toBeGreaterThan(0);
    expect(outcomes.map((o) => o.what)).toEqual(['getall#1', 'getall#2', 'export', 'verify', 'rotate', 'import']);
    // And they were enough: with the SDK default of 3 attempts most of these runs failed (exit 10);
    // with DEFAULT_MAX_ATTEMPTS (6) a run fails with probability ~0.3 %, so allow one.
    expect(outcomes.filter((o) => o.code === 0).length).toBeGreaterThanOrEqual(outcomes.length - 1);
  });
});

describe('backend killed part-way through', () => {
  it('getall: DynamoDB dead during the read → non-zero, empty stdout; revived, the same data reads', async () => {
    // getall reads the table in one consistent, paginated Scan (one page here), so the store dies
    // before or during that Scan; dying between decrypts is the KMS case below.
    calm();
    ddb.dieAfter(0);
    const r = await faulty(['getall']);
    calm();
    outcomes.push({ what: 'getall-ddb-killed', code: r.code, injected: 0 });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/DynamoDB|could not be read/);
    expect(JSON.parse((await faulty(['getall'])).stdout)).toEqual(sortedObject(model));
  }, TIMEOUT);

  it('getall: KMS dies after some decrypts → non-zero, empty stdout', async () => {
    calm();
    kms.dieAfter(Math.floor(SECRETS / 3));
    const r = await faulty(['getall', '-f', 'dotenv']);
    calm();
    outcomes.push({ what: 'getall-kms-killed', code: r.code, injected: 0 });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/KMS|could not be read/);
  }, TIMEOUT);

  it('rotate: KMS, then DynamoDB, dies mid-rotation → non-zero; every version still reads; a re-run completes', async () => {
    // Rotation reads every row (DynamoDB), decrypts its key and re-wraps it (KMS), then writes.
    for (const [proxy, after] of [
      [kms, SECRETS],
      [ddb, SECRETS + Math.floor(SECRETS / 2)],
    ] as const) {
      calm();
      proxy.dieAfter(after);
      const r = await faulty(['rotate', '--all', '--all-versions', '--key', 'alias/credstash']);
      calm();
      outcomes.push({ what: `rotate-${proxy === kms ? 'kms' : 'ddb'}-killed`, code: r.code, injected: 0 });
      expect(r.code, r.stderr).not.toBe(0);
      expect(r.code).not.toBe(1);
      expect(r.stdout).toBe('');
      // Part of the table moved to the new key, part not: all of it must still read.
      await nothingLost();
    }
    const dryBefore = await ok(['rotate', '--all', '--all-versions', '--key', 'alias/credstash', '--dry-run']);
    expect(dryBefore.stderr).not.toMatch(/would rotate 0 of/); // the kills did interrupt it
    const rerun = await faulty(['rotate', '--all', '--all-versions', '--key', 'alias/credstash']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/failed 0/);
    expect((await ok(['rotate', '--all', '--all-versions', '--key', 'alias/credstash', '--dry-run'])).stderr).toMatch(/would rotate 0 of \d+ rows/);
    await nothingLost();
  }, TIMEOUT);

  it('import: DynamoDB dies during the writes → non-zero, empty stdout; nothing lost; a re-run completes', async () => {
    const pairs: Record<string, string> = {};
    for (let i = 0; i < SECRETS + 10; i++) pairs[nameOf(i)] = i % 2 === 0 ? valueOf(i, 4) : model.get(nameOf(i))!;
    const changed = Object.keys(pairs).filter((k) => pairs[k] !== model.get(k)).length;
    const file = importFile('killed-import', pairs);
    calm();
    // Planning reads each latest row (one Query each); each write is a Query and a PutItem.
    ddb.dieAfter(SECRETS + 10 + changed);
    const r = await faulty(['import', file]);
    calm();
    outcomes.push({ what: 'import-ddb-killed', code: r.code, injected: 0 });
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.code).not.toBe(1);
    expect(r.stdout).toBe('');
    // Each name now holds either its old or its new value as latest; every version reads.
    const verify = JSON.parse((await ok(['verify', '--json'])).stdout) as { failed: unknown[] };
    expect(verify.failed).toEqual([]);
    const now = JSON.parse((await ok(['getall'])).stdout) as Record<string, string>;
    let landed = 0;
    for (const [k, v] of Object.entries(pairs)) {
      expect([v, model.get(k)]).toContain(now[k]);
      if (now[k] === v && v !== model.get(k)) landed++;
    }
    expect(landed).toBeLessThan(changed); // it really was cut short
    const rerun = await faulty(['import', file]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toContain(`changed ${changed - landed}, unchanged ${SECRETS + 10 - (changed - landed)}`);
    for (const [k, v] of Object.entries(pairs)) model.set(k, v);
    await nothingLost();
  }, TIMEOUT);
});

describe('put while the key service or the store answers 5xx', () => {
  it('KMS GenerateDataKey failing every attempt → put fails (exit 7) and stores nothing', async () => {
    calm();
    kms.setRate(0, undefined, /GenerateDataKey/);
    kms.failNext(50, '5xx');
    const r = await faulty(['put', 'flt.kms5xx', 'never-stored']);
    calm();
    expect(r.code, r.stderr).toBe(7);
    expect(r.stdout).toBe('');
    expect((await plain(['get', 'flt.kms5xx'])).code).toBe(3);
  }, TIMEOUT);

  it('KMS GenerateDataKey failing twice, then a lost answer → put retries and succeeds; the row reads', async () => {
    calm();
    kms.setRate(0, undefined, /GenerateDataKey/);
    kms.failNext(2, '5xx');
    kms.failNext(1, 'lost');
    const r = await faulty(['put', 'flt.kms5xx', 'stored-after-retries']);
    calm();
    expect(r.code, r.stderr).toBe(0);
    expect((await ok(['get', 'flt.kms5xx'])).stdout).toBe('stored-after-retries\n');
    model.set('flt.kms5xx', 'stored-after-retries');
    firstValues.set('flt.kms5xx', 'stored-after-retries');
  }, TIMEOUT);

  it('KMS 5xx on Decrypt during get → non-zero and nothing printed; nothing changed', async () => {
    calm();
    kms.setRate(0, undefined, /Decrypt/);
    kms.failNext(50, '5xx');
    const r = await faulty(['get', 'flt.kms5xx']);
    calm();
    expect(r.code).toBe(7);
    expect(r.stdout).toBe('');
  }, TIMEOUT);

  it('DynamoDB PutItem 5xx on every attempt → put fails (exit 8), nothing stored', async () => {
    calm();
    ddb.setRate(0, undefined, /PutItem/);
    ddb.failNext(50, '5xx');
    const r = await faulty(['put', 'flt.ddb5xx', 'never-stored']);
    calm();
    expect(r.code, r.stderr).toBe(8);
    expect(r.stdout).toBe('');
    expect((await plain(['get', 'flt.ddb5xx'])).code).toBe(3);
  }, TIMEOUT);

  it('DynamoDB PutItem executed but its answer lost → put still succeeds and every stored version reads', async () => {
    calm();
    ddb.setRate(0, undefined, /PutItem/);
    ddb.failNext(1, 'lost');
    const r = await faulty(['put', 'flt.ddblost', 'written-once']);
    calm();
    expect(r.code, r.stderr).toBe(0);
    expect((await ok(['get', 'flt.ddblost'])).stdout).toBe('written-once\n');
    // The retried PutItem met its own row; keystash recognises it (same wrapped key, contents and
    // hmac) instead of writing the value again as the next version.
    const versions = JSON.parse((await ok(['list', '--json'])).stdout) as Array<{ name: string }>;
    expect(versions.filter((v) => v.name === 'flt.ddblost').length).toBe(1);
    model.set('flt.ddblost', 'written-once');
    firstValues.set('flt.ddblost', 'written-once');

    // The same with an explicit version: success (exit 0), not "version exists" for its own write.
    ddb.setRate(0, undefined, /PutItem/);
    ddb.failNext(1, 'lost');
    const explicit = await faulty(['put', 'flt.ddblost.v', 'explicit', '-v', '1']);
    calm();
    expect(explicit.code, explicit.stderr).toBe(0);
    expect((await ok(['get', 'flt.ddblost.v', '-v', '1'])).stdout).toBe('explicit\n');
    const again = await faulty(['put', 'flt.ddblost.v', 'someone-else', '-v', '1']);
    expect(again.code).toBe(4);
    model.set('flt.ddblost.v', 'explicit');
    firstValues.set('flt.ddblost.v', 'explicit');
    await nothingLost();
  }, TIMEOUT);
});
