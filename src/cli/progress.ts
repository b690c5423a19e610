/**
 * Progress of a bulk command on stderr (docs/conventions.md §9): on a TTY one line redrawn with `\r`
 * (`rotate 37/120 12.3/s ETA 7s`), otherwise a plain line at every ~10% step. Runs of fewer than
 * {@link PROGRESS_MIN_ITEMS} items show nothing: they finish before progress would help.
 */
import type { Io } from './io.js';

export interface Progress {
  /** `n` more items done. */
  tick(n?: number): void;
  /** Finish: the TTY line is completed with a newline. */
  done(): void;
}

const REDRAW_MS = 100;

/** The smallest bulk run that shows progress. */
export const PROGRESS_MIN_ITEMS = 50;

const SILENT: Progress = { tick() {}, done() {} };

/** A progress reporter for `total` items labelled `label`. `now` is injectable for tests. */
export function createProgress(io: Io, label: string, total: number, now: () => number = Date.now): Progress {
  if (total < PROGRESS_MIN_ITEMS) return SILENT;
  const started = now();
  let count = 0;
  let lastDraw = 0;
  let lastStep = 0;
  let width = 0;
  const line = (): string => {
    const seconds = Math.max((now() - started) / 1000, 1e-3);
    const rate = count / seconds;
    const eta = rate > 0 ? Math.ceil((total - count) / rate) : 0;
    return `${label} ${count}/${total} ${rate.toFixed(1)}/s ETA ${eta}s`;
  };
  const draw = (): void => {
    const text = line();
    io.stderr.write(`\r${text.padEnd(width)}`);
    width = text.length;
    lastDraw = now();
  };
  return {
    tick(n = 1) {
      count += n;
      if (total <= 0) return;
      if (io.stderrIsTTY) {
        if (now() - lastDraw >= REDRAW_MS || count >= total) draw();
        return;
      }
      const step = Math.floor((count * 10) / total);
      if (step > lastStep) {
        lastStep = step;
        io.stderr.write(`${line()}\n`);
      }
    },
    done() {
      if (io.stderrIsTTY && width > 0) {
        draw();
        io.stderr.write('\n');
      }
    },
  };
}

/**
 * The `onProgress` callback a core bulk function takes, wired to a reporter created on the first
 * event (when the total is known); call `done()` when the command finishes or fails.
 */
export function progressReporter(io: Io, label: string): { onProgress: (event: { done: number; total: number }) => void; done: () => void } {
  let progress: Progress | undefined;
  let last = 0;
  return {
    onProgress: ({ done, total }) => {
      (progress ??= createProgress(io, label, total)).tick(done - last);
      last = done;
    },
    done: () => progress?.done(),
  };
}
