/**
 * Run the CLI in-process (src/cli/main.ts `run`) against a temporary KEYSTASH_HOME with the real
 * backends: much faster than spawning the bundle, for tests of messages and exit codes.
 */
import { PassThrough } from 'node:stream';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { tempDir } from './run-cli.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
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
    run: async (args, options = {}) => {
      let stdout = '';
      let stderr = '';
      const stdin = new PassThrough();
      stdin.end(options.input ?? '');
      const io: Io = {
        stdout: { write: (s) => (stdout += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
        stderr: { write: (s) => (stderr += s) },
        stdin,
        stdoutIsTTY: false,
        stderrIsTTY: false,
        env: { HOME: dir, KEYSTASH_HOME: home, PATH: process.env.PATH, ...env, ...options.env },
      };
      const code = await run(args, io);
      return { code, stdout, stderr };
    },
  };
}
