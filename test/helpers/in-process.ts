/**
 * Run the CLI in-process (src/cli/main.ts `run`) with a captured Io: no spawn, no build needed,
 * much faster than the bundle for tests of messages and exit codes. `env` is the whole
 * environment the program sees (config is resolved from it, not process.env).
 */
import { run } from '../../src/cli/main.js';
import { memoryIo } from './io.js';
import { tempDir } from './run-cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `keystash ...argv` with `env` and optional stdin text; resolves with exit code and output. */
export async function runInProcess(argv: readonly string[], env: Record<string, string | undefined>, input = ''): Promise<InProcessResult> {
  const m = memoryIo({ env, stdin: input });
  const code = await run(argv, m.io);
  return { code, stdout: m.stdout(), stderr: m.stderr() };
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
