/**
 * `keystash exec` as a faithful process wrapper, WITH and WITHOUT `--mask` in one table (built CLI,
 * real processes): the child's standard streams are pipes it can reopen (/dev/stdout, tee), a
 * closed reader is SIGPIPE (141) like without keystash, a concealed multi-line value keeps its
 * line breaks, every forwarded signal reaches the child exactly once (also Ctrl-C typed on a real
 * pseudo-terminal, and as PID 1 of a PID namespace), and the exit status is the child's.
 * Every row runs in both modes, a few at a time; every wait is bounded.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORWARDED_SIGNALS } from '../../src/cli/signals.js';
import { CONCEALED } from '../../src/core/process/mask.js';
import { inProcessOn } from '../helpers/in-process.js';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';

const h = cliHome();
const local = inProcessOn(h);
const TOKEN = 'tbl-token-5c2e9a7f';
const PEM = '-----BEGIN KEY-----\nMIIEvQIBADANBgkq\n-----END KEY-----';
const PTY_RUN = resolve(import.meta.dirname, '../helpers/pty_run.py');
const MODES = { plain: [] as string[], mask: ['--mask'] } as const;
type Mode = keyof typeof MODES;

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Node child: reports every forwarded signal it gets (after 300 ms for duplicates), exits 40. */
const SIGNAL_CHILD = `
const got = [];
for (const s of ${JSON.stringify(FORWARDED_SIGNALS)}) process.on(s, () => {
  got.push(s);
  if (got.length === 1) setTimeout(() => { process.stdout.write('got ' + got.join(',') + '\\n'); process.exit(40); }, 300);
});
process.stdout.write('ready\\n');
setTimeout(() => process.exit(99), 20000);
`;

/**
 * Node child for a sequence of signals: acknowledges each on its own line (the test sends the
 * next one only then), and once every one has come, waits 300 ms for duplicates, prints each
 * with its count when more than once, and exits 40.
 */
const sequenceChild = (signals: readonly NodeJS.Signals[]): string => `
const SIGNALS = ${JSON.stringify(signals)};
const got = new Map();
for (const s of SIGNALS) process.on(s, () => {
  got.set(s, (got.get(s) ?? 0) + 1);
  process.stdout.write('ack ' + s + '\\n');
  if (got.size === SIGNALS.length && got.get(s) === 1) setTimeout(() => {
    process.stdout.write('got ' + [...got].map(([name, n]) => (n === 1 ? name : name + ' x' + n)).join(',') + '\\n');
    process.exit(40);
  }, 300);
});
process.stdout.write('ready\\n');
setTimeout(() => process.exit(99), 20000);
`;
/** What {@link sequenceChild} prints when each signal came once, in order. */
const sequenceOutput = (signals: readonly NodeJS.Signals[]): string => `ready\n${signals.map((s) => `ack ${s}\n`).join('')}got ${signals.join(',')}\n`;

/** Python child in a process group of its own: counts SIGINTs (300 ms for duplicates), exits 40. */
const OWN_GROUP_CHILD = `
import os, signal, sys, time
os.setpgid(0, 0)
got = []
signal.signal(signal.SIGINT, lambda s, f: got.append(s))
print('ready', flush=True)
end = time.time() + 10
while not got and time.time() < end:
    time.sleep(0.05)
time.sleep(0.3)
print('got SIGINT x%d' % len(got), flush=True)
sys.exit(40)
`;

const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];
const pid1Works = spawnSync(UNSHARE[0] ?? '', [...UNSHARE.slice(1), 'true'], { stdio: 'ignore' }).status === 0;
const python = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

interface RunSpec {
  /** exec's arguments after the mode flag (selectors, --, command). */
  args: string[];
  pid1?: boolean;
  /** Once stdout shows `ready`: send this signal to keystash. */
  signal?: NodeJS.Signals;
  /** Once stdout shows `ready`, send the first of these to keystash; each next one once the child printed `ack` for the one before. */
  signals?: readonly NodeJS.Signals[];
  /** Close keystash's stdout after this many bytes (what `head` does). */
  closeAfter?: number;
}

/**
 * A real pipe (a FIFO, opened at both ends and unlinked) for keystash's stdout or stderr, as a
 * shell gives: Node's own 'pipe' stdio is a socket pair, which the child could not reopen through
 * /dev/stdout even without keystash in between.
 */
function pipe(): { write: number; read: Socket } {
  const dir = mkdtempSync(join(tmpdir(), 'exec-table-'));
  try {
    const path = join(dir, 'p');
    expect(spawnSync('mkfifo', [path]).status).toBe(0);
    const read = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
    return { write: openSync(path, fsConstants.O_WRONLY), read: new Socket({ fd: read, readable: true, writable: false }) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Run keystash exec in its own session (never a terminal's foreground group); bounded to 20 s. */
function run(mode: Mode, spec: RunSpec): Promise<Outcome> {
  const ks = [process.execPath, BIN, 'exec', ...MODES[mode], ...spec.args];
  const argv = spec.pid1 ? [...UNSHARE, ...ks] : ks;
  return new Promise((resolvePromise, reject) => {
    const [out, err] = [pipe(), pipe()];
    const spawned = spawn(argv[0] ?? '', argv.slice(1), { env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }), stdio: ['ignore', out.write, err.write], detached: true });
    closeSync(out.write);
    closeSync(err.write);
    const child = Object.assign(spawned, { stdout: out.read, stderr: err.read });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    let sent = 0;
    const timer = setTimeout(() => killGroup(child.pid), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (spec.closeAfter !== undefined && stdout.length >= spec.closeAfter) child.stdout.destroy();
      if (spec.signal && !signalled && stdout.includes('ready\n')) {
        signalled = true;
        const target = spec.pid1 ? childOf(child.pid ?? 0) : child.pid;
        if (target) process.kill(target, spec.signal);
      }
      const sequence = spec.signals ?? [];
      // The next signal of the sequence once the one before was acknowledged (or, first, once ready).
      while (sent < sequence.length && stdout.includes(sent === 0 ? 'ready\n' : `ack ${sequence[sent - 1] ?? ''}\n`)) {
        const target = spec.pid1 ? childOf(child.pid ?? 0) : child.pid;
        if (target) process.kill(target, sequence[sent] ?? 'SIGKILL');
        sent++;
      }
    });
    child.stdout.on('error', () => undefined);
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    const streamsDone = Promise.all([new Promise((r) => child.stdout.once('close', r)), new Promise((r) => child.stderr.once('close', r))]);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      killGroup(child.pid);
      void streamsDone.then(() => resolvePromise({ code: code ?? 128 + (constants.signals[signal ?? 'SIGKILL'] ?? 0), stdout: spec.closeAfter === undefined ? stdout : '', stderr }));
    });
  });
}

/** Ctrl-C typed once on a pseudo-terminal whose foreground group is keystash's (pty_run.py). */
function runOnTerminal(mode: Mode, command: string[]): Promise<Outcome> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn('python3', [PTY_RUN, process.execPath, BIN, 'exec', ...MODES[mode], 'tbl.token', '--', ...command], {
      env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      // The terminal echoes ^C; keep what the child printed and the status.
      resolvePromise({ code, stdout: stdout.replace('^C', ''), stderr: '' });
    });
  });
}

function childOf(pid: number): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0]) || undefined;
  } catch {
    return undefined;
  }
}

function killGroup(pid: number | undefined): void {
  try {
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

interface Row {
  name: string;
  run: (mode: Mode) => Promise<Outcome>;
  expected: (mode: Mode) => Outcome;
  skip?: string | undefined;
}

const PID1_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'];
const PID1_WARNING = 'keystash: running as PID 1: orphaned grandchildren are not reaped; run the container with an init (docker run --init, tini)\n';
const sh = (script: string): string[] => ['tbl.*', '--', 'sh', '-c', script];
const byMode = (plain: string, mask: string) => (mode: Mode) => (mode === 'plain' ? plain : mask);

const ROWS: Row[] = [
  {
    name: 'the child reopens /dev/stdout and /dev/stderr; its exit status is keystash\'s',
    run: (mode) => run(mode, { args: sh('echo out > /dev/stdout && echo err > /dev/stderr; exit 3') }),
    expected: () => ({ code: 3, stdout: 'out\n', stderr: 'err\n' }),
  },
  {
    name: 'tee to /dev/stderr',
    run: (mode) => run(mode, { args: sh('echo teed | tee /dev/stderr') }),
    expected: () => ({ code: 0, stdout: 'teed\n', stderr: 'teed\n' }),
  },
  {
    name: 'SIGPIPE: yes with its reader closed after 4 bytes (yes | head -2) exits 141, silently',
    run: (mode) => run(mode, { args: ['tbl.token', '--', 'yes'], closeAfter: 4 }),
    expected: () => ({ code: 141, stdout: '', stderr: '' }),
  },
  {
    name: 'a concealed multi-line value keeps its line breaks (the next output is on its own line)',
    run: (mode) => run(mode, { args: sh('printf "%s\\nafter\\n" "$TBL_PEM"') }),
    expected: (mode) => ({ code: 0, stdout: byMode(`${PEM}\nafter\n`, `${CONCEALED}\n${CONCEALED}\n${CONCEALED}\nafter\n`)(mode), stderr: '' }),
  },
  {
    name: 'a child killed by the forwarded SIGTERM: 143',
    run: (mode) => run(mode, { args: sh('echo ready; exec sleep 30'), signal: 'SIGTERM' }),
    expected: () => ({ code: 143, stdout: 'ready\n', stderr: '' }),
  },
  // One keystash per mode for all of them: each signal is sent once the child acknowledged the one
  // before, so each arrives on its own and a duplicate shows as an extra line.
  {
    name: `every forwarded signal (${FORWARDED_SIGNALS.join(', ')}) reaches the child once`,
    run: (mode) => run(mode, { args: ['tbl.token', '--', process.execPath, '-e', sequenceChild(FORWARDED_SIGNALS)], signals: FORWARDED_SIGNALS }),
    expected: () => ({ code: 40, stdout: sequenceOutput(FORWARDED_SIGNALS), stderr: '' }),
  },
  {
    name: `PID 1 of a PID namespace: ${PID1_SIGNALS.join(', ')} (ignored by PID 1 without a handler) each reach the child once`,
    run: (mode) => run(mode, { args: ['tbl.token', '--', process.execPath, '-e', sequenceChild(PID1_SIGNALS)], signals: PID1_SIGNALS, pid1: true }),
    expected: () => ({ code: 40, stdout: sequenceOutput(PID1_SIGNALS), stderr: PID1_WARNING }),
    skip: pid1Works ? undefined : 'unshare --pid --fork --mount-proc is not permitted here',
  },
  {
    name: 'Ctrl-C typed on a terminal reaches the child once (not once from the terminal and once forwarded)',
    run: (mode) => runOnTerminal(mode, [process.execPath, '-e', SIGNAL_CHILD]),
    expected: () => ({ code: 0, stdout: 'ready\ngot SIGINT\nstatus=40\n', stderr: '' }),
    skip: python ? undefined : 'python3 with pty is not available',
  },
  {
    name: 'Ctrl-C on a terminal reaches a child that left keystash\'s process group once (forwarded: the terminal did not reach it)',
    run: (mode) => runOnTerminal(mode, ['python3', '-c', OWN_GROUP_CHILD]),
    expected: () => ({ code: 0, stdout: 'ready\ngot SIGINT x1\nstatus=40\n', stderr: '' }),
    skip: python ? undefined : 'python3 with pty is not available',
  },
];

const results = new Map<string, Record<Mode, Outcome>>();

beforeAll(async () => {
  expect((await local(['put', 'tbl.token', TOKEN])).code).toBe(0);
  expect((await local(['put', 'tbl.pem', '-'], { input: PEM })).code).toBe(0);
  const jobs = ROWS.filter((r) => !r.skip).flatMap((row) => (['plain', 'mask'] as const).map((mode) => ({ row, mode })));
  // A few at a time: the machine is shared.
  let next = 0;
  const worker = async () => {
    for (let job = jobs[next++]; job; job = jobs[next++]) {
      const outcome = await job.row.run(job.mode);
      const entry = results.get(job.row.name) ?? ({} as Record<Mode, Outcome>);
      entry[job.mode] = outcome;
      results.set(job.row.name, entry);
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}, 180_000);
afterAll(() => h.cleanup());

describe('exec with and without --mask: same streams, signals and exit codes', () => {
  for (const row of ROWS) {
    it.skipIf(row.skip !== undefined)(row.name, () => {
      const got = results.get(row.name);
      expect(got?.plain).toEqual(row.expected('plain'));
      expect(got?.mask).toEqual(row.expected('mask'));
    });
  }

});

describe('SIGUSR1 never opens Node\'s inspector', () => {
  it('exec: the child gets USR1, keystash prints no "Debugger listening"', () => {
    const r = results.get(ROWS.find((row) => row.name.startsWith('every forwarded signal'))?.name ?? '');
    expect(FORWARDED_SIGNALS).toContain('SIGUSR1');
    expect(r?.plain.code).toBe(40);
    expect(r?.plain.stderr).not.toContain('Debugger');
    expect(r?.mask.stderr).not.toContain('Debugger');
  });
});
