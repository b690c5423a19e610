/**
 * The one place an error becomes a message on stderr and an exit code (docs/conventions.md §8), for both
 * entries (main.ts adds commander's own errors, which commander has already printed).
 */
import { ChildExit, KeystashError, InternalError, OutputError } from '../errors.js';
import { safeLines } from '../format/one-line.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processIo, type Io } from './io.js';

/** Report `error` (anything a command threw) on `io.stderr`; returns the exit code. */
export function report(error: unknown, io: Io, argv: readonly string[]): number {
  const debug = argv.includes('--debug');
  if (error instanceof ChildExit) {
    // exec's child: exit as it did.
    const { status, silent } = error;
    if (!silent) io.stderr.write(`keystash: error: ${safeLines(error.message)}\n`);
    return status;
  }
  const color = io.stderrIsTTY && !io.env.NO_COLOR && !argv.includes('--no-color');
  const prefix = color ? '\u001b[31mkeystash: error:\u001b[39m' : 'keystash: error:';
  if (error instanceof KeystashError && !(error instanceof InternalError)) {
    // Messages name secrets, keys and file fields, which come from stores and files others write.
    io.stderr.write(`${prefix} ${safeLines(error.message)}\n`);
    if (debug && error.stack) io.stderr.write(`${safeLines(error.stack)}\n`);
    return exitCodeFor(error);
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`${prefix} unexpected failure (a bug in keystash): ${safeLines(message)}\n`);
  if (error instanceof Error && error.stack) io.stderr.write(`${safeLines(error.stack)}\n`);
  return EXIT.FAILURE;
}

/**
 * Run `run` against the process's streams and set the exit code. `keystash getall | head`: the
 * reader closed the pipe; exit quietly as a program killed by SIGPIPE would, instead of crashing
 * on an unhandled 'error' event with a stack trace.
 */
export async function runProcess(run: (io: Io) => Promise<number>): Promise<void> {
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code === 'EPIPE') process.exit(EXIT.BROKEN_PIPE);
    // Any other failure of a pipe or terminal (EIO): the output is incomplete, so say so and fail.
    process.stderr.write(`keystash: error: ${new OutputError('standard output', error).message}\n`);
    process.exit(EXIT.FAILURE);
  };
  process.exitCode = await run(processIo(onStdoutError));
}
