/**
 * Run a child process for `keystash exec`: stdio inherited, environment given (secrets travel
 * only there, never on argv), SIGINT/SIGTERM/SIGHUP forwarded. Resolves to the status keystash
 * should exit with: the child's exit code, or 128 + signal number when a signal killed it.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
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

/** Spawn `command args` and wait for it; a command that cannot start is a KeystashError. */
export function runChild(command: string, args: readonly string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(command, [...args], { stdio: 'inherit', env });
    } catch (error) {
      // Thrown, not emitted, for E2BIG: a secret over 128 KiB (Linux's limit for one variable).
      reject(cannotRun(command, error as NodeJS.ErrnoException));
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
      reject(cannotRun(command, error));
    });
    child.on('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0));
    });
  });
}

/** Why `command` did not start, as the shell reports it: 127 not found, otherwise 126. */
function cannotRun(command: string, error: NodeJS.ErrnoException): ChildExit {
  const why =
    error.code === 'ENOENT' ? 'command not found'
    : error.code === 'EACCES' ? 'permission denied'
    : error.code === 'E2BIG' ? 'the environment is too large for the system (one variable may hold at most 128 KiB on Linux)'
    : error.message;
  return new ChildExit(error.code === 'ENOENT' ? 127 : 126, `cannot run '${command}': ${why}`);
}
