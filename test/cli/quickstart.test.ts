/**
 * The README's quick start, exactly as a user types it in the repository after `npm install`:
 * `npx keystash put demo.secret hello && npx keystash get demo.secret` prints `hello`, with no
 * configuration (only a fresh HOME) and no network (npm is told to stay offline).
 *
 * Its verdict never depends on machine load: `npx` in the checkout runs the built bin and nothing
 * else — no lifecycle script rebuilds dist/ (a checkout builds from npm's `dependencies` script,
 * which runs only when `npm install` changed node_modules; `prepare`, used before, ran on every
 * npx call: minutes on a busy machine, and a rebuild of dist/ under the other spawned tests).
 * The bound on the run is about a hang, not speed.
 */
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, tempDir } from '../helpers/run-cli.js';

const repo = resolve(import.meta.dirname, '../..');
const { dir, cleanup } = tempDir('keystash-quickstart-');
afterAll(cleanup);

/** A hung npx, not a slow one: far above any run on a loaded machine. */
const HANG_MS = 600_000;

describe('README quick start', () => {
  it('npx keystash put demo.secret hello && npx keystash get demo.secret → hello, without rebuilding the checkout', { timeout: HANG_MS + 60_000 }, () => {
    // build.mjs swaps a new dist/ in by rename: a rebuild changes the directory's inode.
    const before = statSync(join(repo, 'dist', 'bundle', 'cli.cjs'), { bigint: true });
    const env = cleanEnv({ HOME: dir, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_cache: `${dir}/npm-cache`, npm_config_loglevel: 'info' });
    const r = spawnSync('sh', ['-c', 'npx keystash put demo.secret hello && npx keystash get demo.secret'], { cwd: repo, env, encoding: 'utf8', timeout: HANG_MS });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).not.toMatch(/Warning|NodeVersionSupport/);
    // No lifecycle script ran (npm logs each at loglevel info), and dist/ is the one built before.
    expect(r.stderr).not.toMatch(/npm info run keystash/);
    const after = statSync(join(repo, 'dist', 'bundle', 'cli.cjs'), { bigint: true });
    expect(after.ino).toBe(before.ino);
  });
});
