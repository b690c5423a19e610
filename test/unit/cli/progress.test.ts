import { describe, expect, it } from 'vitest';
import { createProgress, progressReporter, PROGRESS_MIN_ITEMS } from '../../../src/cli/progress.js';
import type { Io } from '../../../src/cli/io.js';
import { memoryIo } from '../../helpers/io.js';

/** `err` lists stderr's writes one by one (a progress line is one write). */
function fakeIo(tty: boolean): { io: Io; err: string[] } {
  const m = memoryIo({ stderrIsTTY: tty });
  const err: string[] = [];
  const io: Io = { ...m.io, stderr: { write: (s: string) => err.push(s) } };
  return { io, err };
}

describe('createProgress', () => {
  it('not a TTY: one plain line per 10% step', () => {
    const { io, err } = fakeIo(false);
    let t = 0;
    const p = createProgress(io, 'rotate', 120, () => t);
    for (let i = 0; i < 120; i++) (t += 100), p.tick();
    p.done();
    expect(err).toHaveLength(10);
    expect(err[0]).toBe('rotate 12/120 10.0/s ETA 11s\n');
    expect(err[9]).toBe('rotate 120/120 10.0/s ETA 0s\n');
  });

  it('a TTY: one line redrawn with \\r at most every 100 ms, finished with a newline', () => {
    const { io, err } = fakeIo(true);
    let t = 0;
    const p = createProgress(io, 'rotate', 60, () => t);
    for (let i = 0; i < 60; i++) (t += 50), p.tick();
    p.done();
    expect(err.every((s) => s.startsWith('\r') || s === '\n')).toBe(true);
    expect(err.length).toBeLessThan(40);
    expect(err.at(-2)).toMatch(/^\rrotate 60\/60 20\.0\/s ETA 0s *$/);
    expect(err.at(-1)).toBe('\n');
  });

  it(`fewer than ${PROGRESS_MIN_ITEMS} items: nothing at all, on a TTY or not`, () => {
    for (const tty of [true, false]) {
      const { io, err } = fakeIo(tty);
      const p = createProgress(io, 'verify', PROGRESS_MIN_ITEMS - 1);
      for (let i = 0; i < PROGRESS_MIN_ITEMS - 1; i++) p.tick();
      p.done();
      expect(err).toEqual([]);
    }
  });
});

describe('progressReporter', () => {
  it('creates the reporter on the first event with its total, and done() finishes the TTY line', () => {
    const { io, err } = fakeIo(true);
    const r = progressReporter(io, 'import');
    for (let done = 1; done <= 80; done++) r.onProgress({ done, total: 80 });
    r.done();
    expect(err.at(-2)).toMatch(/^\rimport 80\/80 [\d.]+\/s ETA 0s *$/);
    expect(err.at(-1)).toBe('\n');
  });

  it('done() without any event writes nothing', () => {
    const { io, err } = fakeIo(true);
    progressReporter(io, 'restore').done();
    expect(err).toEqual([]);
  });
});
