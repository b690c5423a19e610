/**
 * Everything the CLI reads from or writes to the outside world goes through an Io, so tests can
 * run the program in-process and capture it (docs/conventions.md §9).
 */
import { fstatSync, promises as fsPromises, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { CancelledError, OutputError, UsageError } from '../errors.js';
import { terminalText } from '../format/one-line.js';

export interface Io {
  stdout: { write(chunk: string | Uint8Array): unknown };
  stderr: { write(chunk: string): unknown };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  env: Readonly<Record<string, string | undefined>>;
}

/**
 * The real process streams, each created on first use: building process.stdout/stderr (a pipe's
 * socket, or a TTY) costs milliseconds of every cold start, and a successful `get` never writes to
 * stderr. `onStdoutError` is attached to process.stdout when it is first created.
 */
export function processIo(onStdoutError?: (error: NodeJS.ErrnoException) => void): Io {
  let stdoutIsTTY: boolean | undefined;
  let stderrIsTTY: boolean | undefined;
  let stdout: { write(chunk: string | Uint8Array): unknown } | undefined;
  const openStdout = () => {
    const file = fileWriter(1, 'standard output');
    if (file !== undefined) return file;
    if (onStdoutError !== undefined) process.stdout.on('error', onStdoutError);
    return isTerminal(1) ? terminalWriter(process.stdout, process.stderr) : process.stdout;
  };
  return {
    stdout: { write: (chunk) => (stdout ??= openStdout()).write(chunk) },
    stderr: { write: (chunk) => process.stderr.write(chunk) },
    // creating process.stdin builds a stream (and loads fs/net stream code) most commands never read
    get stdin() {
      return process.stdin;
    },
    get stdoutIsTTY() {
      return (stdoutIsTTY ??= isTerminal(1));
    },
    get stderrIsTTY() {
      return (stderrIsTTY ??= isTerminal(2));
    },
    env: process.env,
  };
}

/**
 * A writer for `fd` when it is a file or a device that is not a terminal (`> out.json`,
 * `> /dev/full`), else undefined (a pipe, socket or terminal: process.stdout serves). Node's own
 * stream for a file ignores a short write, so on a full disk `keystash get big > out` left a
 * truncated file and exited 0; this one writes every byte or throws an OutputError.
 */
export function fileWriter(fd: 1 | 2, stream: 'standard output' | 'standard error'): { write(chunk: string | Uint8Array): true } | undefined {
  let stat;
  try {
    stat = fstatSync(fd);
  } catch {
    return undefined; // closed: process.stdout reports it
  }
  if (!(stat.isFile() || stat.isBlockDevice() || (stat.isCharacterDevice() && !isTerminal(fd)))) return undefined;
  return {
    write(chunk) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      for (let offset = 0; offset < bytes.length; ) {
        try {
          offset += writeSync(fd, bytes, offset);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') continue; // a non-blocking descriptor another process shares
          throw new OutputError(stream, error as NodeJS.ErrnoException);
        }
      }
      return true;
    },
  };
}

/**
 * Standard output when it is a terminal: whoever may write a secret is not always whoever reads it,
 * and a value holding an escape sequence (retitle the window, write the clipboard with OSC 52,
 * redraw the screen to hide the next lines) would drive the reader's terminal. Control characters
 * other than line feed and tab are shown as escapes (`\u001b`, as for names: one-line.ts), with one
 * note on stderr the first time; a pipe or a file gets the bytes exactly.
 */
function terminalWriter(out: { write(chunk: string | Uint8Array): unknown }, err: { write(chunk: string): unknown }): { write(chunk: string | Uint8Array): unknown } {
  let told = false;
  return {
    write(chunk) {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const shown = terminalText(text);
      if (shown !== text && !told) {
        told = true;
        err.write('keystash: the output holds terminal control characters, shown escaped; pipe or redirect it for the exact bytes\n');
      }
      return out.write(shown);
    },
  };
}
/**
 * Whether file descriptor `fd` is a terminal. Only a character device can be one: pipes and files
 * (scripts, CI) are told apart by one fstat, without loading node:tty (which loads node:net).
 */
function isTerminal(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice() && process.getBuiltinModule('node:tty').isatty(fd);
  } catch {
    return false; // a closed descriptor
  }
}

// ignoreBOM: a leading U+FEFF is part of the value (Python's utf-8 codec keeps it too).
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new UsageError(`${what} is not valid UTF-8 text (binary secrets are not supported; base64-encode them first)`);
  }
}

/** Read all of stdin as strict UTF-8 text (trailing newline kept, as credstash does). */
export async function readStdin(io: Io): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return decodeUtf8(Buffer.concat(chunks), 'standard input');
}

/** Errors of a path that names no file: it may well be a value that starts with '@'. */
const NO_SUCH_FILE = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

/**
 * Read `path` (with `~` expanded) as strict UTF-8 text; unreadable → usage error. With `asValue`
 * (`put NAME @FILE`) a path that names no file is not echoed: `@hunter2` is more likely a value
 * starting with '@' than a file name. A file that exists but cannot be read is named.
 */
export async function readValueFile(path: string, asValue = false): Promise<string> {
  const expanded = path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
  let bytes: Uint8Array;
  try {
    // fs.promises on use, not at load: node:fs/promises costs ~1.4 ms of every start-up.
    bytes = await fsPromises.readFile(expanded);
  } catch (error) {
    if (asValue && NO_SUCH_FILE.has((error as NodeJS.ErrnoException).code ?? '')) {
      throw new UsageError("Unable to read file: no such file (the path after '@' is not shown, in case it is the value; to store a value starting with '@', pipe it: printf %s VALUE | keystash put NAME -)");
    }
    throw new UsageError(`Unable to read file ${path}`);
  }
  return decodeUtf8(bytes, `file ${path}`);
}

/** A value argument: `-` = stdin, `@file` = file contents, anything else literal. */
export async function readValueArg(io: Io, value: string): Promise<string> {
  if (value === '-') return readStdin(io);
  if (value.startsWith('@')) return readValueFile(value.slice(1), true);
  // Node decodes argv as UTF-8 and turns each invalid byte into U+FFFD without a word: the value
  // stored would not be the one typed. Through stdin or a file the bytes are checked (decodeUtf8).
  if (value.includes('\uFFFD')) throw new UsageError('the value on the command line is not valid UTF-8 text (binary secrets are not supported: base64-encode them first; a value that really holds U+FFFD goes through - or @FILE)');
  return value;
}

/** Prompt for a value without echo (on stderr). Requires a terminal on stdin. */
export async function promptHidden(io: Io, label: string): Promise<string> {
  const stdin = io.stdin;
  if (!stdin.isTTY || !stdin.setRawMode) {
    throw new UsageError('--prompt needs a terminal; pipe the value with "-" instead');
  }
  io.stderr.write(`${label}: `);
  stdin.setRawMode(true);
  stdin.resume();
  try {
    return await new Promise<string>((resolve, reject) => {
      let value = '';
      const onData = (chunk: Buffer | string) => {
        for (const ch of chunk.toString()) {
          if (ch === '\r' || ch === '\n') return finish(() => resolve(value));
          if (ch === '\u0003') return finish(() => reject(new CancelledError('cancelled at the prompt; nothing was stored')));
          if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
          else value += ch;
        }
      };
      const finish = (done: () => void) => {
        stdin.removeListener('data', onData);
        done();
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    io.stderr.write('\n');
  }
}
