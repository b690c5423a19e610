/**
 * Crash safety of the SQLite store. A child process runs a stream of puts and
 * deletes against one KEYSTASH_HOME (the library from dist/index.js), printing `begin …` before
 * and `ok …` after each operation reports success; the test SIGKILLs it at a random moment and
 * then checks:
 *   - `PRAGMA integrity_check` is ok (store.db opened read-only);
 *   - every put that reported success reads back with its value, unless a reported delete
 *     removed it; every reported delete is in effect;
 *   - nothing half-written is visible: every row present decrypts, and a row no reported put
 *     explains is exactly the put that was in flight at the kill (at most one);
 *   - the CLI (a fresh process) agrees on the latest values at the end.
 * The same KEYSTASH_HOME carries over from trial to trial, so each trial also starts from the
 * state the previous crash left. KEYSTASH_LONG_TESTS runs 100 trials instead of 8.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cleanEnv, cliHome } from '../helpers/run-cli.js';
import { rawDb } from '../helpers/sqlite.js';

const LONG = Boolean(process.env.KEYSTASH_LONG_TESTS);
const TRIALS = LONG ? 100 : 8;
/** The kill comes 0–MAX_DELAY_MS after the child says it is ready. */
const MAX_DELAY_MS = 400;
const NAMES = ['crash.a', 'crash.b', 'crash.c'];
const LIB_URL = new URL('../../dist/index.js', import.meta.url).href;

/**
 * argv: trial number, JSON names. Runs puts (60 %), single-version deletes (25 %) and
 * delete-all (15 %) until killed (bounded: 100 000 operations). Every value is unique.
 * Lines: `ready`, `begin put NAME VALUE` → `ok put NAME VERSION VALUE`,
 * `begin delete NAME VERSION|*` → `ok delete NAME VERSION|* DELETED_VERSIONS_CSV`.
 */
const CHILD = `
  const { createKeystash, SecretNotFoundError } = await import(${JSON.stringify(LIB_URL)});
  const [trial, namesJson] = process.argv.slice(1);
  const names = JSON.parse(namesJson);
  const ks = await createKeystash();
  const out = (line) => process.stdout.write(line + '\\n');
  out('ready');
  for (let i = 0; i < 100000; i++) {
    const name = names[Math.floor(Math.random() * names.length)];
    const roll = Math.random();
    if (roll < 0.6) {
      const value = 'crash-value-t' + trial + '-op' + i + '-' + Math.random().toString(36).slice(2, 10);
      out('begin put ' + name + ' ' + value);
      const { version } = await ks.put(name, value);
      out('ok put ' + name + ' ' + version + ' ' + value);
    } else {
      let version = '*';
      if (roll < 0.85) {
        const all = [];
        for await (const m of ks.store.listVersions(name)) all.push(m.version);
        if (all.length === 0) continue;
        version = all[Math.floor(Math.random() * all.length)];
      }
      out('begin delete ' + name + ' ' + version);
      try {
        const deleted = await ks.delete(name, version === '*' ? {} : { version });
        out('ok delete ' + name + ' ' + version + ' ' + deleted.map((m) => m.version).join(','));
      } catch (error) {
        if (!(error instanceof SecretNotFoundError)) throw error;
        out('ok delete ' + name + ' ' + version + ' ');
      }
    }
    // Let stdout flush and the kill land between as well as inside operations.
    if (i % 4 === 0) await new Promise((r) => setImmediate(r));
  }`;

type Op = { kind: 'put'; name: string; value: string } | { kind: 'delete'; name: string; version: string };

const h = cliHome();
const env = cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home });
/** What the store must hold: name → version → value, from reported operations only. */
const model = new Map<string, Map<string, string>>();

beforeAll(async () => {
  const setup = await h.run(['setup']);
  expect(setup.code, setup.stderr).toBe(0);
});
afterAll(() => h.cleanup());

function runTrial(trial: number): Promise<{ lines: string[]; killedAfterMs: number; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD, String(trial), JSON.stringify(NAMES)], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const delay = Math.floor(Math.random() * MAX_DELAY_MS);
    let killTimer: NodeJS.Timeout | undefined;
    // Bound: whatever happens, the child dies within 20 s.
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      const first = stdout === '';
      stdout += d.toString();
      if (first && stdout.startsWith('ready') && killTimer === undefined) killTimer = setTimeout(() => child.kill('SIGKILL'), delay);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(guard);
      if (killTimer) clearTimeout(killTimer);
      resolve({ lines: stdout.split('\n'), killedAfterMs: delay, signal, stderr });
    });
  });
}

/** Apply the reported lines to the model; return the operation in flight at the kill, if any. */
function applyReported(lines: string[]): { inFlight: Op | undefined; reported: number } {
  let inFlight: Op | undefined;
  let reported = 0;
  for (const line of lines) {
    const [state, kind, name, a, b] = line.split(' ') as [string, string, string, string, string | undefined];
    if (state === 'begin') {
      inFlight = kind === 'put' ? { kind, name, value: a } : { kind: 'delete', name, version: a };
    } else if (state === 'ok') {
      reported++;
      inFlight = undefined;
      const versions = model.get(name) ?? new Map<string, string>();
      model.set(name, versions);
      if (kind === 'put') {
        expect(versions.has(a), `reported put reused ${name} ${a}`).toBe(false);
        versions.set(a, b!);
      } else {
        const deleted = (b ?? '').split(',').filter(Boolean);
        // What the delete reported removing is what the model held (one version, or all).
        const expected = a === '*' ? [...versions.keys()] : versions.has(a) ? [a] : [];
        expect(deleted.sort(), `delete ${name} ${a}`).toEqual(expected.sort());
        for (const v of deleted) versions.delete(v);
      }
    }
  }
  return { inFlight, reported };
}

/** Every row in the store, decrypted (throws on any row that does not decrypt). */
async function readStore(): Promise<Map<string, Map<string, string>>> {
  const { createKeystash } = (await import(LIB_URL)) as typeof import('../../src/index.js');
  const ks = await createKeystash({ dataDir: h.home, env });
  try {
    const rows = new Map<string, Map<string, string>>();
    for (const meta of await ks.list()) {
      const value = await ks.get(meta.name, { version: meta.version });
      if (!rows.has(meta.name)) rows.set(meta.name, new Map());
      rows.get(meta.name)!.set(meta.version, value);
    }
    return rows;
  } finally {
    ks.close();
  }
}

function integrityCheck(): string {
  const db = rawDb(join(h.home, 'store.db'), { readonly: true });
  try {
    return (db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}

it(`${TRIALS} SIGKILLs at random moments: store intact, every reported put readable, no half-written row`, { timeout: TRIALS * 15_000 }, async () => {
  const started = Date.now();
  const failures: string[] = [];
  let survived = 0;
  let reportedOps = 0;
  let killedMidOp = 0;
  let inFlightApplied = 0;
  let rowsChecked = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    const result = await runTrial(trial);
    try {
      expect(result.signal, `trial ${trial} did not die by SIGKILL: ${result.stderr}`).toBe('SIGKILL');
      expect(result.stderr).toBe('');
      const { inFlight, reported } = applyReported(result.lines);
      reportedOps += reported;
      if (inFlight) killedMidOp++;

      expect(integrityCheck()).toBe('ok');
      const stored = await readStore(); // every present row decrypts, or this throws
      let unexplained = 0;
      for (const name of new Set([...model.keys(), ...stored.keys()])) {
        const want = model.get(name) ?? new Map<string, string>();
        const have = stored.get(name) ?? new Map<string, string>();
        for (const [version, value] of want) {
          if (have.has(version)) {
            expect(have.get(version), `${name} ${version}`).toBe(value);
          } else {
            // Only the in-flight delete may have removed a reported put.
            const covered = inFlight?.kind === 'delete' && inFlight.name === name && (inFlight.version === '*' || inFlight.version === version);
            expect(covered, `reported put ${name} ${version} is missing`).toBe(true);
          }
        }
        for (const [version, value] of have) {
          if (want.has(version)) continue;
          // A row no reported put explains must be the in-flight put, complete.
          unexplained++;
          expect(inFlight?.kind === 'put' && inFlight.name === name && inFlight.value === value, `unexplained row ${name} ${version} = ${value}`).toBe(true);
        }
        rowsChecked += have.size;
      }
      expect(unexplained).toBeLessThanOrEqual(1);
      if (inFlight && (unexplained === 1 || (inFlight.kind === 'delete' && [...(model.get(inFlight.name)?.keys() ?? [])].some((v) => !stored.get(inFlight.name)?.has(v))))) inFlightApplied++;
      // The next trial starts from what is actually stored (the in-flight operation's effect, if it landed).
      model.clear();
      for (const [name, versions] of stored) model.set(name, new Map(versions));
      survived++;
    } catch (error) {
      failures.push(`trial ${trial} (kill after ${result.killedAfterMs} ms): ${(error as Error).message}`);
      model.clear();
      for (const [name, versions] of await readStore().catch(() => new Map<string, Map<string, string>>())) model.set(name, new Map(versions));
    }
  }

  // A fresh CLI process agrees on every latest value.
  for (const name of NAMES) {
    const versions = [...(model.get(name)?.keys() ?? [])].sort();
    const r = await h.run(['get', '-n', name]);
    if (versions.length === 0) {
      expect(r.code).toBe(3);
    } else {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe(model.get(name)!.get(versions.at(-1)!));
    }
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `crash: ${survived}/${TRIALS} SIGKILL trials survived (${reportedOps} operations reported, ${killedMidOp} kills inside an operation, ${inFlightApplied} of those landed whole, ${rowsChecked} rows checked, integrity_check ok) in ${seconds} s`,
  );
  expect(failures).toEqual([]);
  expect(survived).toBe(TRIALS);
  expect(reportedOps).toBeGreaterThan(TRIALS);
});
