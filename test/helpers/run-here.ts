/**
 * `keystash ...args` in-process (src/cli/main.ts `run` with a captured Io), with the result shaped
 * like a spawned run's (test/helpers/run-cli.ts `CliResult`, signal always null): for tables of
 * cases written against the spawned binary. The program sees exactly `env` (and PATH). The AWS SDK
 * reads credentials, ~/.aws and its switches from process.env, so for the run process.env carries
 * the same AWS_* variables and HOME as `env` (and no other AWS_* variable), as a spawned process's
 * environment would; process.env is restored afterwards (stubs of the caller's, vi.stubEnv, kept).
 */
import { run } from '../../src/cli/main.js';
import { memoryIo } from './io.js';
import type { CliResult } from './run-cli.js';

export async function runHere(args: readonly string[], env: Record<string, string | undefined>, input?: string | Uint8Array): Promise<CliResult> {
  const saved = new Map<string, string | undefined>();
  const set = (k: string, v: string | undefined): void => {
    if (!saved.has(k)) saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  };
  for (const k of Object.keys(process.env)) if (k.startsWith('AWS_') && !k.startsWith('AWS_SDK_')) set(k, undefined);
  for (const [k, v] of Object.entries(env)) if (k.startsWith('AWS_') || k === 'HOME') set(k, v);
  try {
    const m = memoryIo({ env: { PATH: process.env.PATH, ...env }, stdin: input ?? '' });
    const code = await run(args, m.io);
    return { code, signal: null, stdout: m.stdout(), stderr: m.stderr(), stdoutBytes: m.stdoutBytes() };
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}
