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
