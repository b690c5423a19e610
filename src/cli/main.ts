/**
 * The CLI entry: build the program, parse, and the only catch that turns errors into a message
 * and an exit code (STYLE.md §8).
 */
import { CommanderError } from 'commander';
import { KeystashError, InternalError } from '../errors.js';
import { safeLines } from '../format/one-line.js';
import { auditLogPath, commandDeadline, openConfiguredKeys, openKeystash, openLocalKms } from '../wiring.js';
import type { CliWiring } from './deps.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { processIo, type Io } from './io.js';
import { createProgram } from './program.js';

/** The real backends: the composition root, each command's AWS requests under one deadline. */
const WIRING: CliWiring = {
  open: (config) => openKeystash(config, commandDeadline(config)),
  openKeys: (config) => openConfiguredKeys(config, commandDeadline(config)),
  openLocalKms,
  auditLogPath,
};

/**
 * Run keystash with `argv` (without node and script); resolves to the exit code. `wiring`
 * replaces any of the real backends (tests).
 */
export async function run(argv: readonly string[], io: Io, wiring: Partial<CliWiring> = {}): Promise<number> {
  const program = createProgram({ ...WIRING, ...wiring, io }, argv);
  if (argv.length === 0) {
    io.stdout.write(program.helpInformation());
    return EXIT.OK;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (error) {
    return report(error, io, argv.includes('--debug'), argv.includes('--no-color'));
  }
}

function report(error: unknown, io: Io, debug: boolean, noColor: boolean): number {
  if (error instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    return error.exitCode === 0 || error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.OK : EXIT.USAGE;
  }
  if (error instanceof KeystashError && error.code === 'exec.childExit') {
    // run-child.ts ChildExit (not imported here so start-up stays lean): exit as the child did.
    const { status, silent } = error as KeystashError & { status: number; silent: boolean };
    if (!silent) io.stderr.write(`keystash: error: ${safeLines(error.message)}\n`);
    return status;
  }
  const color = io.stderrIsTTY && !io.env.NO_COLOR && !noColor;
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

/** bin/keystash.js calls this. */
export async function main(): Promise<void> {
  // `keystash getall | head`: the reader closed the pipe. Exit quietly as a program killed by
  // SIGPIPE would, instead of crashing on an unhandled 'error' event with a stack trace.
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(EXIT.BROKEN_PIPE);
  };
  process.exitCode = await run(process.argv.slice(2), processIo(onStdoutError));
}
