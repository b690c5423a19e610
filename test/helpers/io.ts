/**
 * The in-memory Io every test uses (src/cli/io.ts): captured stdout/stderr, stdin from a string,
 * a Buffer or a given stream, TTY flags and the environment the program sees.
 */
import { Readable } from 'node:stream';
import type { Io } from '../../src/cli/io.js';

export interface MemoryIoOptions {
  env?: Record<string, string | undefined>;
  /** Text or bytes on stdin (ended), or a stream of your own (e.g. a PassThrough posing as a TTY). */
  stdin?: string | Uint8Array | Io['stdin'];
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
}

export interface MemoryIo {
  io: Io;
  /** Everything written to stdout so far, as UTF-8 text. */
  stdout(): string;
  /** Everything written to stdout so far, as bytes. */
  stdoutBytes(): Buffer;
  /** Everything written to stderr so far. */
  stderr(): string;
}

export function memoryIo(options: MemoryIoOptions = {}): MemoryIo {
  const out: Buffer[] = [];
  const err: string[] = [];
  const { stdin = '' } = options;
  const input = typeof stdin === 'string' || stdin instanceof Uint8Array ? Readable.from([Buffer.from(stdin)]) : stdin;
  const io: Io = {
    stdout: { write: (chunk: string | Uint8Array) => out.push(Buffer.from(chunk)) },
    stderr: { write: (chunk: string) => err.push(chunk) },
    stdin: input,
    stdoutIsTTY: options.stdoutIsTTY ?? false,
    stderrIsTTY: options.stderrIsTTY ?? false,
    env: options.env ?? {},
  };
  return {
    io,
    stdout: () => Buffer.concat(out).toString('utf8'),
    stdoutBytes: () => Buffer.concat(out),
    stderr: () => err.join(''),
  };
}
