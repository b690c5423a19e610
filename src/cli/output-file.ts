/**
 * Writing command output to a file the user names (`export -o`): created with mode 0600 (it
 * holds secrets), whole text in one write, appended or replaced.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { UsageError } from '../errors.js';

/** Write `text` to `path`; `append` adds to an existing file (e.g. `$GITHUB_ENV`) unchanged in mode. */
export async function writeOutputFile(path: string, text: string, append: boolean): Promise<void> {
  try {
    await writeFile(path, text, { mode: 0o600, flag: append ? 'a' : 'w' });
    if (!append) await chmod(path, 0o600);
  } catch (error) {
    throw new UsageError(`cannot write ${path}: ${(error as Error).message}`, { cause: error });
  }
}
