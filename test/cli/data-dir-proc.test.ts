/**
 * A --data-dir that cannot be created under /proc fails at once instead of
 * spinning at 100 % CPU in Node's recursive mkdir. Spawned (the original loops synchronously,
 * which no in-process timeout could stop) and bounded by its own deadline.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/run-cli.js';

describe('--data-dir under /proc', () => {
  it.runIf(process.platform === 'linux')('fails with exit 9 naming the directory, within seconds', async () => {
    const started = Date.now();
    const r = await runCli(['--data-dir', '/proc/keystash-test/data', 'put', 'a', 'b'], { timeoutMs: 15_000 });
    expect(r.signal).toBeNull();
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/data directory \/proc\/keystash-test\/data cannot be created \(ENOENT\)/);
    expect(Date.now() - started).toBeLessThan(15_000);
  }, 30_000);
});
