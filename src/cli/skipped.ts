/**
 * `--skip-unreadable` and `--allow-partial` on the bulk reads (getall, export, exec): collect the
 * secrets Keystash.getAll left out, and once the output is written, list them on stderr — as an
 * error with its own exit code (SkippedUnreadableError, exit 11), or with `--allow-partial` as a
 * warning. Names come from the store: shown through oneLine, as every name on a terminal.
 */
import type { UnreadableSecret } from '../core/secrets/get-all.js';
import { DecryptError, SkippedUnreadableError, UsageError } from '../errors.js';
import { oneLine } from '../format/one-line.js';
import { say, type CliDeps } from './deps.js';

export interface SkipOptions {
  skipUnreadable?: boolean | undefined;
  allowPartial?: boolean | undefined;
}

/** The callback to hand to a bulk read (undefined: all-or-nothing) and what it collected. */
export function skipCollector(opts: SkipOptions): { onUnreadable: ((s: readonly UnreadableSecret[]) => void) | undefined; skipped: UnreadableSecret[] } {
  if (opts.allowPartial && !opts.skipUnreadable) throw new UsageError('--allow-partial goes with --skip-unreadable');
  const skipped: UnreadableSecret[] = [];
  return { onUnreadable: opts.skipUnreadable ? (s) => skipped.push(...s) : undefined, skipped };
}

/** "skipped 2 unreadable secrets: a (reason); b (reason)", with the context advice when it applies. */
function describeSkipped(skipped: readonly UnreadableSecret[]): string {
  const list = skipped.map((s) => `${oneLine(s.name)} (${s.error instanceof DecryptError ? 'wrong or missing encryption context' : oneLine(s.error.message)})`).join('; ');
  const context = skipped.some((s) => s.error instanceof DecryptError)
    ? '; a row does not record the encryption context it was stored with, so which pairs it needs cannot be told: read it with the pairs it was put with'
    : '';
  return `skipped ${skipped.length} unreadable secret${skipped.length === 1 ? '' : 's'}, left out of the output: ${list}${context}`;
}

/** After the output is written: nothing, a warning (--allow-partial), or SkippedUnreadableError. */
export function finishSkipped(deps: CliDeps, skipped: readonly UnreadableSecret[], opts: SkipOptions): void {
  if (skipped.length === 0) return;
  const message = describeSkipped(skipped);
  if (opts.allowPartial) say(deps, `keystash: warning: ${message}`);
  else throw new SkippedUnreadableError(`${message} (exit 11; --allow-partial makes this a warning)`, skipped.map((s) => s.name));
}
