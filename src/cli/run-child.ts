/**
 * Run a child process for `keystash exec`: stdio inherited, environment given (secrets travel
 * only there, never on argv), SIGINT/SIGTERM/SIGHUP forwarded. Resolves to the status keystash
 * should exit with: the child's exit code, or 128 + signal number when a signal killed it.
 * With `mask`, the child's stdout and stderr are pipes read through a SecretMasker (core/mask.ts)
 * into keystash's own; stdin stays inherited.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { Transform, type Readable } from 'node:stream';
import { SecretMasker } from '../core/mask.js';
import { KeystashError } from '../errors.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Thrown to make keystash exit with `status` (main.ts): silently for a child's own status, with
 * `message` on stderr when the child could not start (127 not found, 126 not executable).
 */
export class ChildExit extends KeystashError {
  readonly status: number;
  readonly silent: boolean;
  constructor(status: number, message?: string) {
    super(message ?? `the command exited with status ${status}`, { code: 'exec.childExit' });
    this.status = status;
    this.silent = message === undefined;
  }
}

export interface RunChildOptions {
  /** Byte patterns to conceal in the child's stdout and stderr (core/mask.ts maskPatterns). */
  mask?: readonly Uint8Array[] | undefined;
}

/**
 * Spawn `command args` and wait for it (and, masking, for its output to be written); a command
 * that cannot start is a KeystashError.
 */
export function runChild(command: string, args: readonly string[], env: Record<string, string>, options: RunChildOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    const mask = options.mask;
    try {
      child = spawn(command, [...args], { stdio: mask ? ['inherit', 'pipe', 'pipe'] : 'inherit', env });
    } catch (error) {
      // Thrown, not emitted, for E2BIG: a secret over 128 KiB (Linux's limit for one variable).
      reject(cannotRun(command, error as NodeJS.ErrnoException, env));
      return;
    }
    const handlers = FORWARDED.map((signal) => {
      const handler = () => void child.kill(signal);
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(cannotRun(command, error, env));
    });
    const drained = mask && child.stdout && child.stderr ? Promise.all([relayMasked(child.stdout, process.stdout, mask), relayMasked(child.stderr, process.stderr, mask)]) : Promise.resolve();
    child.on('exit', (code, signal) => {
      cleanup();
      const status = code ?? (signal ? signalStatus(signal) : 128);
      void drained.then(() => resolve(status));
    });
  });
}

/**
 * Copy `source` to `target` through a masker; resolves when everything is handed to `target`. If
 * `target` fails (a closed pipe), the child's pipe is closed too, so it sees EPIPE as it would have.
 */
function relayMasked(source: Readable, target: NodeJS.WritableStream, patterns: readonly Uint8Array[]): Promise<void> {
  const masker = new SecretMasker(patterns);
  const transform = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, masker.write(chunk));
    },
    flush(done) {
      done(null, masker.end());
    },
  });
  return new Promise((resolve) => {
    const onError = () => {
      transform.unpipe(target);
      source.destroy();
      resolve();
    };
    target.once('error', onError);
    transform.on('end', () => {
      target.removeListener('error', onError);
      resolve();
    });
    source.pipe(transform).pipe(target, { end: false });
  });
}

/** The `count` largest variables of `env` by size (names and sizes only, never values). */
export function largestVariables(env: Record<string, string>, count = 3): string {
  const sized = Object.entries(env).map(([name, value]) => [name, Buffer.byteLength(name) + 1 + Buffer.byteLength(value)] as const);
  sized.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const kib = (bytes: number) => (bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} bytes`);
  return sized.slice(0, count).map(([name, bytes]) => `${name} (${kib(bytes)})`).join(', ');
}

/** The status of a process killed by `signal` (128 + its number), as the shell reports it. */
export function signalStatus(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/** Why `command` did not start, as the shell reports it: 127 not found, otherwise 126. */
function cannotRun(command: string, error: NodeJS.ErrnoException, env: Record<string, string> = {}): ChildExit {
  const why =
    error.code === 'ENOENT' ? 'command not found'
    : error.code === 'EACCES' ? 'permission denied'
    : error.code === 'E2BIG' ? `the environment is too large for the system (one variable may hold at most 128 KiB on Linux); the largest: ${largestVariables(env)}; give a large secret as a file instead: --file VAR=name`
    : error.message;
  return new ChildExit(error.code === 'ENOENT' ? 127 : 126, `cannot run '${command}': ${why}`);
}
