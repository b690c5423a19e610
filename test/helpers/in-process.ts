/**
 * Run the CLI in-process (src/cli/main.ts `run`) with a captured Io: no spawn, no build needed.
 * `env` is the whole environment the program sees (config is resolved from it, not process.env).
 */
import { Readable } from 'node:stream';
import { run } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

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
