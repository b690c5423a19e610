import { describe, expect, it } from 'vitest';
import { createProgress } from '../../../src/cli/progress.js';
import type { Io } from '../../../src/cli/io.js';

function fakeIo(tty: boolean): { io: Io; err: string[] } {
  const err: string[] = [];
  const io = { stdout: { write: () => true }, stderr: { write: (s: string) => err.push(s) }, stdin: process.stdin, stdoutIsTTY: false, stderrIsTTY: tty, env: {} } as Io;
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
    const p = createProgress(io, 'rotate', 37, () => t);
    for (let i = 0; i < 37; i++) (t += 50), p.tick();
    p.done();
    expect(err.every((s) => s.startsWith('\r') || s === '\n')).toBe(true);
    expect(err.length).toBeLessThan(25);
    expect(err.at(-2)).toMatch(/^\rrotate 37\/37 20\.0\/s ETA 0s *$/);
    expect(err.at(-1)).toBe('\n');
  });
});
