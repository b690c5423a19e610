/**
 * Writing command output to a file the user names (`export -o`, `backup -o`): created with mode
 * 0600 (it holds secrets or encrypted rows), whole text in one write, appended or replaced. A file
 * that already exists is narrowed to 0600 *before* anything is written when it is replaced, so
 * secrets never sit in a group- or world-readable file; an appended file (e.g. `$GITHUB_ENV`)
 * keeps its mode. Only a regular file is narrowed: `-o /dev/null` or `-o /dev/stdout` must never
 * change the mode of a device or terminal (as root, chmod of /dev/null would break every other
 * user of it).
 */
import { promises as fsPromises } from 'node:fs';
import { UsageError } from '../errors.js';

/** Write `text` to `path`; `append` adds to an existing file unchanged in mode. */
export async function writeOutputFile(path: string, text: string, append: boolean): Promise<void> {
  checkOutputPath(path);
  try {
    const file = await fsPromises.open(path, append ? 'a' : 'w', 0o600);
    try {
      if (!append && (await file.stat()).isFile()) await file.chmod(0o600);
      await file.writeFile(text);
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** `-o ''` (an unset shell variable) is a usage error that says so, not "cannot write : ENOENT". */
export function checkOutputPath(path: string | undefined): void {
  if (path === '') throw new UsageError("the output path is empty (-o ''): give a file name, or leave -o out to write to stdout");
}
