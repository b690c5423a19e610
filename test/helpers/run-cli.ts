/**
 * Spawn the built CLI (bin/keystash.cjs) with a temporary KEYSTASH_HOME and no AWS variables.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/keystash.cjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  stdoutBytes: Buffer;
}

export interface RunOptions {
  /** Another keystash entry point than this checkout's bin/keystash.cjs. */
  bin?: string;
  env?: Record<string, string | undefined>;
  input?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

/** An environment with nothing from the developer's AWS or keystash setup. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(AWS_|KEYSTASH_|CREDSTASH_|XDG_)/.test(k) || k === 'NO_COLOR') continue;
    env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/**
 * The environment for an npm child: `env`, with the NODE_EXTRA_CA_CERTS that vitest.config.ts took
 * out of the test run (npm may reach the registry through a proxy that needs it).
 */
export function npmEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const ca = process.env.KEYSTASH_TEST_NODE_EXTRA_CA_CERTS;
  return ca === undefined ? env : { ...env, NODE_EXTRA_CA_CERTS: ca };
}

/** Run `keystash ...args`; resolves with exit code, stdout and stderr. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [options.bin ?? BIN, ...args], {
      env: cleanEnv(options.env),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdoutBytes = Buffer.concat(out);
      resolvePromise({ code, signal, stdout: stdoutBytes.toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), stdoutBytes });
    });
    // A command that exits without reading stdin closes the pipe first: EPIPE here is no failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/** A fresh temporary directory; `cleanup` removes it. */
export function tempDir(prefix = 'keystash-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A runner bound to one temporary KEYSTASH_HOME (and HOME, so nothing leaks to the user's). */
export function cliHome(extraEnv: Record<string, string | undefined> = {}): {
  home: string;
  run: (args: readonly string[], options?: RunOptions) => Promise<CliResult>;
  cleanup: () => void;
} {
  const { dir, cleanup } = tempDir();
  const home = join(dir, 'ks');
  const env = { HOME: dir, KEYSTASH_HOME: home, ...extraEnv };
  return {
    home,
    run: (args, options = {}) => runCli(args, { ...options, env: { ...env, ...options.env } }),
    cleanup,
  };
}
