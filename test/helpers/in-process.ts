/**
 * Run the CLI in-process (src/cli/main.ts `run`) with a captured Io: no spawn, no build needed,
 * much faster than the bundle for tests of messages and exit codes. `env` is the whole
 * environment the program sees (config is resolved from it, not process.env).
 *
 * `inProcessHome` is a drop-in for run-cli.ts's `cliHome` (same `run(args, { input, env })`, same
 * result fields): what only a process shows (signals, EPIPE, start-up, the bundle) stays spawned.
 */
import { dirname } from 'node:path';
import { run } from '../../src/cli/main.js';
import { memoryIo } from './io.js';
import { tempDir } from './run-cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (for byte-exact comparisons). */
  stdoutBytes: Buffer;
  /** Always null: nothing in-process is killed by a signal (kept for `CliResult` compatibility). */
  signal: null;
}

/**
 * The AWS SDK's default credential chain reads process.env, not the Io's environment: while runs
 * are active, the AWS_* variables given in the run's `env` are set in process.env too (others are
 * left alone; all restored when the last active run ends). Concurrent runs must therefore agree
 * on the AWS_* variables they give.
 */
const SDK_OWN = new Set(['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED']);
let active = 0;
let saved: Record<string, string | undefined> = {};

function enterAwsEnv(env: Record<string, string | undefined>): void {
  if (active++ === 0) {
    saved = {};
    for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !SDK_OWN.has(k)) saved[k] = process.env[k];
  }
  for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_') && !SDK_OWN.has(k) && v !== undefined) process.env[k] = v;
}

function leaveAwsEnv(): void {
  if (--active > 0) return;
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !SDK_OWN.has(k)) delete process.env[k];
  for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
}

/** `keystash ...argv` with `env` and optional stdin text; resolves with exit code and output. */
export async function runInProcess(argv: readonly string[], env: Record<string, string | undefined>, input: string | Uint8Array = ''): Promise<InProcessResult> {
  const m = memoryIo({ env, stdin: input });
  enterAwsEnv(env);
  let code: number;
  try {
    code = await run(argv, m.io);
  } finally {
    leaveAwsEnv();
  }
  const stdoutBytes = m.stdoutBytes();
  return { code, stdout: stdoutBytes.toString('utf8'), stderr: m.stderr(), stdoutBytes, signal: null };
}

export interface InProcessRunOptions {
  input?: string | Uint8Array;
  env?: Record<string, string | undefined>;
}

export interface InProcessHome {
  dir: string;
  home: string;
  run: (args: readonly string[], options?: InProcessRunOptions) => Promise<InProcessResult>;
  cleanup: () => void;
}

/** A runner bound to one temporary home; `env` adds variables to every run. */
export function inProcessHome(env: Record<string, string | undefined> = {}): InProcessHome {
  const { dir, cleanup } = tempDir();
  const home = `${dir}/ks`;
  return {
    dir,
    home,
    cleanup,
    run: (args, options = {}) => runInProcess(args, { HOME: dir, KEYSTASH_HOME: home, PATH: process.env.PATH, ...env, ...options.env }, options.input ?? ''),
  };
}

/**
 * An in-process runner on the home of a spawned runner (run-cli.ts `cliHome`): set-up and checks
 * run in-process, the runs where the process matters stay spawned, both on the same store.
 */
export function inProcessOn(cli: { home: string }, env: Record<string, string | undefined> = {}): InProcessHome['run'] {
  const dir = dirname(cli.home);
  return (args, options = {}) => runInProcess(args, { HOME: dir, KEYSTASH_HOME: cli.home, PATH: process.env.PATH, ...env, ...options.env }, options.input ?? '');
}
