/**
 * The README's quick start, exactly as a user types it in the repository after `npm install`:
 * `npx keystash put demo.secret hello && npx keystash get demo.secret` prints `hello`, with no
 * configuration (only a fresh HOME) and no network (npm is told to stay offline).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanEnv, tempDir } from '../helpers/run-cli.js';

const repo = resolve(import.meta.dirname, '../..');
const { dir, cleanup } = tempDir('keystash-quickstart-');
afterAll(cleanup);

describe('README quick start', () => {
  it('npx keystash put demo.secret hello && npx keystash get demo.secret → hello', () => {
    const env = cleanEnv({ HOME: dir, npm_config_offline: 'true', npm_config_update_notifier: 'false', npm_config_cache: `${dir}/npm-cache` });
    const r = spawnSync('sh', ['-c', 'npx keystash put demo.secret hello && npx keystash get demo.secret'], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('hello\n');
    expect(r.stderr).not.toMatch(/Warning|NodeVersionSupport/);
  });
});
