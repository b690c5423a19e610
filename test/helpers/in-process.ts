/**
 * Run the CLI in-process (src/cli/main.ts `run`) with a captured Io: no spawn, no build needed,
 * much faster than the bundle for tests of messages and exit codes. `env` is the whole
 * environment the program sees (config is resolved from it, not process.env).
 */
import { Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { tempDir } from './run-cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `keystash ...argv` with `env` and optional stdin text; resolves with exit code and output. */
export async function runInProcess(argv: readonly string[], env: Record<string, string | undefined>, input = ''): Promise<InProcessResult> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = {
    stdout: { write: (chunk: string | Uint8Array) => out.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    stdin: Readable.from([Buffer.from(input)]),
    stdoutIsTTY: false,
    stderrIsTTY: false,
    env,
  };
  const code = await run(argv, io);
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** A runner bound to one temporary home; `env` adds variables to every run. */
export function inProcessHome(env: Record<string, string | undefined> = {}): {
  dir: string;
  home: string;
  run: (args: readonly string[], options?: { input?: string; env?: Record<string, string | undefined> }) => Promise<InProcessResult>;
  cleanup: () => void;
} {
  const { dir, cleanup } = tempDir();
  const home = `${dir}/ks`;
  return {
    dir,
    home,
    cleanup,
    run: (args, options = {}) => runInProcess(args, { HOME: dir, KEYSTASH_HOME: home, PATH: process.env.PATH, ...env, ...options.env }, options.input ?? ''),
  };
}
