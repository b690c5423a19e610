/**
 * Run a child process for `keystash exec`: stdio inherited, environment given (secrets travel
 * only there, never on argv), every catchable signal forwarded once (signals.ts). Resolves to the
 * status keystash should exit with: the child's exit code, or 128 + signal number when a signal
 * killed it (what a shell shows for it).
 * With `mask`, the child's stdout and stderr are real pipes (FIFOs, see {@link fifoPair}) read
 * through a SecretMasker (core/process/mask.ts) into keystash's own; stdin stays inherited.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, Writable, type Readable } from 'node:stream';
import { SecretMasker } from '../core/process/mask.js';
import { ChildExit, OutputError } from '../errors.js';
import { fileWriter } from './io.js';
import { FORWARDED_SIGNALS, TERMINAL_SIGNALS } from './signals.js';

interface RunChildOptions {
  /** Byte patterns to conceal in the child's stdout and stderr (core/process/mask.ts maskPatterns). */
  mask?: readonly Uint8Array[] | undefined;
}

/**
 * Spawn `command args` and wait for it (and, masking, for its output to be written); a command
 * that cannot start is a KeystashError.
 */
export function runChild(command: string, args: readonly string[], env: Record<string, string>, options: RunChildOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    let child: ReturnType<typeof spawn> | undefined;
    const mask = options.mask !== undefined && options.mask.length > 0 ? options.mask : undefined;
    const pipes = mask ? fifoPair() : undefined;
    // The handlers go in before the child starts: installed after, a signal sent as soon as the
    // child showed it was up (on a busy machine, before keystash ran again) found no handler and
    // killed keystash, leaving the child orphaned without the signal. No handler can run before
    // spawn returns (they run from the event loop, and nothing here awaits), so each finds a child.
    const handlers = FORWARDED_SIGNALS.map((signal) => {
      const handler = () => {
        if (child === undefined) return;
        // The child runs in keystash's process group. A terminal's Ctrl-C/Ctrl-\/resize goes to the
        // whole foreground group, so when that group is ours the child already has the signal:
        // forwarding it too would deliver it twice. (tini and dumb-init instead give the child its
        // own group and the terminal; Node cannot setpgid/tcsetpgrp in the child before exec, and
        // setsid (`detached`) would take the terminal away from it.) Any other signal, or one sent
        // while we are not the terminal's foreground group (kill, systemd, docker stop, PID 1),
        // reached keystash alone and is passed on once.
        if (TERMINAL_SIGNALS.has(signal) && child.pid !== undefined && terminalDeliveredTo(child.pid)) return;
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      process.on(signal, handler);
      return [signal, handler] as const;
    });
    const cleanup = () => {
      for (const [signal, handler] of handlers) process.removeListener(signal, handler);
    };
    try {
      const stdio = !mask ? 'inherit' : pipes ? ['inherit', pipes.out.write, pipes.err.write] : ['inherit', 'pipe', 'pipe'];
      child = spawn(command, [...args], { stdio: stdio as 'inherit', env });
    } catch (error) {
      // Thrown, not emitted, for E2BIG: a secret over 128 KiB (Linux's limit for one variable).
      cleanup();
      pipes?.close();
      reject(cannotRun(command, error as NodeJS.ErrnoException, env));
      return;
    }
    const started = child;
    if (process.pid === 1) {
      // PID 1 (a container's entrypoint): every signal above is caught, so none is ignored as PID 1
      // ignores signals it has no handler for. But orphaned grandchildren are re-parented to PID 1
      // and only waitpid(-1) reaps them: Node cannot (libuv waits for its own children only, and
      // Node has no prctl(PR_SET_CHILD_SUBREAPER)), so their zombies stay until keystash exits.
      process.stderr.write('keystash: running as PID 1: orphaned grandchildren are not reaped; run the container with an init (docker run --init, tini)\n');
    }
    // Only the child holds the write ends now: when it (and whatever it started) is done, the
    // readers see the end; when a reader is closed, its next write gets SIGPIPE/EPIPE.
    pipes?.closeWriteEnds();
    started.on('error', (error: NodeJS.ErrnoException) => {
      cleanup();
      reject(cannotRun(command, error, env));
    });
    const [out, err] = pipes ? [pipes.out.reader(), pipes.err.reader()] : [started.stdout, started.stderr];
    const failed: NodeJS.ErrnoException[] = [];
    const drained =
      mask && out && err ? Promise.all([relayMasked(out, standardTarget(1), mask, failed), relayMasked(err, standardTarget(2), mask, failed)]) : Promise.resolve();
    started.on('exit', (code, signal) => {
      cleanup();
      const status = code ?? (signal ? signalStatus(signal) : 128);
      void drained.then(() => {
        // The child's write succeeded into our pipe, but its output was lost on the way out (a full
        // disk): say so and fail, as the child itself would have without --mask.
        const lost = failed.find((error) => error.code !== 'EPIPE');
        if (lost === undefined) return resolve(status);
        process.stderr.write(`keystash: error: the command's output was lost: ${new OutputError('standard output', lost).message}\n`);
        resolve(status === 0 || status === 141 ? 1 : status);
      });
    });
  });
}

/**
 * Copy `source` to `target` through a masker; resolves when everything is handed to `target`. If
 * `target` fails (a closed pipe), the child's pipe is closed too, so it sees EPIPE as it would have.
 */
export function relayMasked(source: Readable, target: NodeJS.WritableStream, patterns: readonly Uint8Array[], failed: NodeJS.ErrnoException[] = []): Promise<void> {
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
    // Kept for the rest of the process, not just until the end: a write handed over before the
    // end can still fail afterwards, and an 'error' with no listener would crash keystash with a
    // stack trace instead of the child's status.
    target.on('error', (error: NodeJS.ErrnoException) => {
      failed.push(error);
      transform.unpipe(target);
      source.destroy();
      resolve();
    });
    transform.on('end', () => resolve());
    source.pipe(transform).pipe(target, { end: false });
  });
}

/**
 * Where the masked output of the child goes: keystash's own stdout/stderr, through a writer that
 * reports a short write (io.ts fileWriter) when it is a file or device.
 */
function standardTarget(fd: 1 | 2): NodeJS.WritableStream {
  const file = fileWriter(fd, fd === 1 ? 'standard output' : 'standard error');
  if (file === undefined) return fd === 1 ? process.stdout : process.stderr;
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      try {
        file.write(chunk);
        done();
      } catch (error) {
        done((error as OutputError).cause as Error);
      }
    },
  });
}

interface Fifo {
  write: number;
  reader(): Readable;
}

/**
 * Two pipes for the child's stdout and stderr. Node's 'pipe' stdio gives the child a UNIX socket
 * pair, not a pipe: `echo hi > /dev/stdout` then fails with ENXIO and a closed reader shows up as
 * ECONNRESET instead of SIGPIPE. Node has no pipe(2), so each is a FIFO made by mkfifo(1) in a
 * fresh 0700 directory, opened at both ends (read end first, non-blocking, so opening the write end
 * does not wait) and removed from the file system at once. Undefined when mkfifo is unavailable
 * (then the socket pair is used, as before).
 */
function fifoPair(): { out: Fifo; err: Fifo; closeWriteEnds(): void; close(): void } | undefined {
  let dir: string | undefined;
  const fds: number[] = [];
  try {
    dir = mkdtempSync(join(tmpdir(), 'keystash-exec-'));
    const paths = [join(dir, 'out'), join(dir, 'err')] as const;
    const made = spawnSync('mkfifo', ['-m', '600', ...paths], { stdio: 'ignore' });
    if (made.status !== 0) return undefined;
    const open = (path: string) => {
      const read = openSync(path, fsConstants.O_RDONLY | fsConstants.O_NONBLOCK);
      fds.push(read);
      const write = openSync(path, fsConstants.O_WRONLY);
      fds.push(write);
      let consumed = false;
      return {
        write,
        reader: (): Readable => {
          consumed = true;
          return new Socket({ fd: read, readable: true, writable: false });
        },
        closeRead: () => void (consumed ? undefined : closeSync(read)),
      };
    };
    const out = open(paths[0]);
    const err = open(paths[1]);
    let writesOpen = true;
    const closeWriteEnds = () => {
      if (!writesOpen) return;
      writesOpen = false;
      closeSync(out.write);
      closeSync(err.write);
    };
    return {
      out,
      err,
      closeWriteEnds,
      close: () => {
        closeWriteEnds();
        out.closeRead();
        err.closeRead();
      },
    };
  } catch {
    for (const fd of fds) closeSync(fd);
    return undefined;
  } finally {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Whether a terminal's signal reached `childPid` already: keystash's process group is the
 * foreground group of its controlling terminal and the child is still in that group (it may have
 * made its own). Linux: pgrp and tpgid of /proc/PID/stat; false where that cannot be read (the
 * signal is then forwarded).
 */
function terminalDeliveredTo(childPid: number): boolean {
  const self = procStat('self');
  const child = procStat(String(childPid));
  return self !== undefined && child !== undefined && self.ttyNr !== 0 && self.tpgid > 0 && self.tpgid === self.pgrp && child.pgrp === self.pgrp;
}

function procStat(pid: string): { pgrp: number; ttyNr: number; tpgid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // After "pid (comm) ": state ppid pgrp session tty_nr tpgid …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pgrp: Number(fields[2]), ttyNr: Number(fields[4]), tpgid: Number(fields[5]) };
  } catch {
    return undefined;
  }
}

/** The `count` largest variables of `env` by size (names and sizes only, never values). */
function largestVariables(env: Record<string, string>, count = 3): string {
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
