/** Linux process inspection for the "no secret on any argv" tests. */
import { readdirSync, readFileSync } from 'node:fs';

/** The command line (arguments joined by spaces) of every process visible in /proc. */
export function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' '));
    } catch {
      /* process gone */
    }
  }
  return lines;
}

/**
 * A `node -e` statement that announces the running process's pid in `path`, whole or not at all
 * (written beside it and renamed), so a test that waits for the file never reads it half-written.
 */
export function announcePid(path: string): string {
  const tmp = JSON.stringify(`${path}.tmp`);
  return `require('fs').writeFileSync(${tmp}, String(process.pid)); require('fs').renameSync(${tmp}, ${JSON.stringify(path)});`;
}
