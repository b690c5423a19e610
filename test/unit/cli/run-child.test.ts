/**
 * relayMasked (exec --mask): the copy of the child's output into keystash's stdout. A write that
 * fails only after everything was handed over (a reader that closed the pipe while the last chunk
 * was in flight) must not surface as an unhandled 'error' event: keystash would crash with a
 * stack trace and exit 1 instead of the child's 141. A pipe cannot be made to fail at that exact
 * moment on demand, so the target here is a Writable whose callback reports EPIPE a tick late.
 */
import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { relayMasked } from '../../../src/cli/run-child.js';

function lateEpipe(): { target: Writable; written: Buffer[] } {
  const written: Buffer[] = [];
  const target = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk);
      setTimeout(() => done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })), 20);
    },
  });
  return { target, written };
}

describe('relayMasked', () => {
  it('a write that fails after the end is absorbed: no error event without a listener', async () => {
    const { target, written } = lateEpipe();
    const source = new PassThrough();
    const drained = relayMasked(source, target, [Buffer.from('s3cret-value')]);
    source.end('token=s3cret-value\n');
    await drained;
    // The failing callback fires 20 ms after the end; give it time to be emitted.
    const emitted = await new Promise<Error | undefined>((resolve) => {
      target.once('error', resolve);
      setTimeout(() => resolve(undefined), 200);
    });
    expect(emitted?.message).toBe('write EPIPE');
    expect(target.listenerCount('error')).toBeGreaterThanOrEqual(1);
    expect(Buffer.concat(written).toString()).not.toContain('s3cret-value');
  });

  it('a target that fails mid-stream stops the copy and closes the source (the child sees EPIPE)', async () => {
    const { target } = lateEpipe();
    const source = new PassThrough();
    const drained = relayMasked(source, target, [Buffer.from('s3cret-value')]);
    source.write('first\n');
    await drained;
    expect(source.destroyed).toBe(true);
  });
});
