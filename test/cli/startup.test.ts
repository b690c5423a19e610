/**
 * Start-up through Node's own compile cache (bin/compile-cache.cjs): a private per-user directory,
 * created 0700, refused when someone else could write it; Node 20 has no compile cache. And what
 * an install whose build is missing says.
 */
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliHome, runCli, tempDir } from '../helpers/run-cli.js';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
/** module.enableCompileCache exists from Node 22.1. */
const hasCompileCache = major > 22 || (major === 22 && minor >= 1);
const h = cliHome();
const t = tempDir('keystash-startup-');
// A store to read: read commands (`keys`) never create one (issue 22 item 12).
beforeAll(async () => {
  expect((await h.run(['put', 'cc.setup', 'v'], { env: { KEYSTASH_NO_COMPILE_CACHE: '1' } })).code).toBe(0);
});
afterAll(() => {
  h.cleanup();
  t.cleanup();
});

/** Every file below `dir`, relative. */
const filesUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String) : []);

describe('compile cache', () => {
  it.runIf(hasCompileCache)('is created 0700 under KEYSTASH_CACHE_DIR and filled by a run', async () => {
    const dir = join(t.dir, 'fresh', 'cache');
    const r = await h.run(['put', 'cc.one', 'v'], { env: { KEYSTASH_CACHE_DIR: dir } });
    expect(r.code).toBe(0);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(filesUnder(dir).length).toBeGreaterThan(0);
    // A second run, now from the cache, still works.
    expect((await h.run(['get', 'cc.one'], { env: { KEYSTASH_CACHE_DIR: dir } })).stdout).toBe('v\n');
  });

  it.runIf(hasCompileCache)('defaults to $XDG_CACHE_HOME/keystash, created 0700', async () => {
    const xdg = join(t.dir, 'xdg');
    expect((await h.run(['keys'], { env: { XDG_CACHE_HOME: xdg } })).code).toBe(0);
    expect(lstatSync(join(xdg, 'keystash')).mode & 0o777).toBe(0o700);
    expect(filesUnder(join(xdg, 'keystash')).length).toBeGreaterThan(0);
  });

  it.runIf(hasCompileCache)('is not used when the directory is group- or other-writable, or a symlink', async () => {
    const open = join(t.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const target = join(t.dir, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = join(t.dir, 'link');
    symlinkSync(target, link);
    for (const dir of [open, link]) {
      const r = await h.run(['put', 'cc.two', 'v', '-v', dir === open ? '1' : '2'], { env: { KEYSTASH_CACHE_DIR: dir } });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toBe('cc.two has been stored (version 000000000000000000' + (dir === open ? '1' : '2') + ')\n');
    }
    expect(filesUnder(open)).toEqual([]);
    expect(filesUnder(target)).toEqual([]);
    expect(lstatSync(open).mode & 0o777).toBe(0o777); // left as it was, not "fixed" behind the user's back
  });

  it.runIf(hasCompileCache)('is not used below a directory others can write (no sticky bit): they could swap it', async () => {
    const open = join(t.dir, 'open-parent');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const dir = join(open, 'cache');
    mkdirSync(dir, { mode: 0o700 });
    const r = await h.run(['put', 'cc.below-open', 'v'], { env: { KEYSTASH_CACHE_DIR: dir } });
    expect(r.code, r.stderr).toBe(0);
    expect(filesUnder(dir)).toEqual([]);
    // Nor is anything created there: not even the missing levels of a cache below it.
    const deeper = join(open, 'a', 'b');
    expect((await h.run(['get', 'cc.below-open'], { env: { KEYSTASH_CACHE_DIR: deeper } })).stdout).toBe('v\n');
    expect(existsSync(join(open, 'a'))).toBe(false);
  });

  // Issue 24 item 5: NODE_COMPILE_CACHE turns Node's cache on in its directory before keystash
  // runs. keystash cannot undo that; it must say so and never report its own directory as in use.
  it.runIf(hasCompileCache)('NODE_COMPILE_CACHE elsewhere: a warning naming the directory in use, keystash\'s own neither created nor reported', async () => {
    const planted = join(t.dir, 'planted'); // as another user would leave it: writable by all
    mkdirSync(planted);
    chmodSync(planted, 0o777);
    const mine = join(t.dir, 'mine');
    const r = await h.run(['put', 'cc.three', 'v'], { env: { KEYSTASH_CACHE_DIR: mine, NODE_COMPILE_CACHE: planted } });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toMatch(/^keystash: warning: Node's compile cache is in use at ".*\/planted\/[^"]+" \(set by NODE_COMPILE_CACHE before keystash started\), not in a directory keystash checked: whoever can write there chooses the code keystash runs; unset NODE_COMPILE_CACHE/);
    expect(lines[0]).toContain(JSON.stringify(planted).slice(1, -1));
    expect(r.stderr).not.toContain(mine);
    expect(lines.slice(1)).toEqual(['cc.three has been stored (version 0000000000000000001)', '']);
    expect(existsSync(mine)).toBe(false); // not checked, not created, not claimed
    expect(filesUnder(planted).length).toBeGreaterThan(0); // Node did use the planted directory
    // What compile-cache.cjs reports in such a process: the directory in use, never its own.
    const script = `const r = require(${JSON.stringify(resolve(import.meta.dirname, '../../bin/compile-cache.cjs'))}).enableCompileCache(process.env); process.stdout.write(JSON.stringify(r));`;
    const report = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, KEYSTASH_CACHE_DIR: mine, NODE_COMPILE_CACHE: planted, KEYSTASH_NO_COMPILE_CACHE: '' }, encoding: 'utf8' });
    const result = JSON.parse(report.stdout) as { status: string; dir?: string; checked?: string; warning?: string };
    expect(result.status).toBe('unchecked');
    expect(result.dir?.startsWith(`${planted}/`)).toBe(true);
    expect(JSON.stringify(result)).not.toContain(mine);
    // Asking for no cache does not make one already in use go unmentioned.
    const off = await h.run(['keys'], { env: { KEYSTASH_NO_COMPILE_CACHE: '1', NODE_COMPILE_CACHE: planted } });
    expect(off.code).toBe(0);
    expect(off.stderr).toContain("keystash: warning: Node's compile cache is in use at ");
  });

  it.runIf(hasCompileCache)('NODE_COMPILE_CACHE naming the directory keystash checks: no warning, as without it', async () => {
    const mine = join(t.dir, 'same');
    mkdirSync(mine, { mode: 0o700 });
    const r = await h.run(['put', 'cc.four', 'v'], { env: { KEYSTASH_CACHE_DIR: mine, NODE_COMPILE_CACHE: mine } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('cc.four has been stored (version 0000000000000000001)\n');
    // …unless that directory fails keystash's check: then it is in use unchecked, and said so.
    chmodSync(mine, 0o777);
    const open = await h.run(['put', 'cc.four', 'w'], { env: { KEYSTASH_CACHE_DIR: mine, NODE_COMPILE_CACHE: mine } });
    expect(open.code).toBe(0);
    expect(open.stderr).toMatch(/^keystash: warning: Node's compile cache is in use at .* \(set by NODE_COMPILE_CACHE before keystash started\), in keystash's cache directory, which its check refuses \(group\/other-writable\): /);
  });

  it('is off with KEYSTASH_NO_COMPILE_CACHE=1, and on Node 20 (which has none)', async () => {
    const dir = join(t.dir, 'off');
    expect((await h.run(['keys'], { env: { KEYSTASH_CACHE_DIR: dir, KEYSTASH_NO_COMPILE_CACHE: '1' } })).code).toBe(0);
    expect(existsSync(dir)).toBe(false);
    if (!hasCompileCache) {
      expect((await h.run(['keys'], { env: { KEYSTASH_CACHE_DIR: dir } })).code).toBe(0);
      expect(existsSync(dir)).toBe(false);
    }
  });
});

describe('--version', () => {
  it('prints the version and a newline on stdout (no CLI loaded), exit 0, nothing on stderr', async () => {
    const { VERSION } = await import('../../src/version.js');
    for (const flag of ['--version', '-V']) {
      const r = await h.run([flag]);
      expect(r).toMatchObject({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    }
  });
});

describe('an install without its build', () => {
  it('says so in one line with exit 1', async () => {
    const root = join(t.dir, 'unbuilt');
    cpSync(resolve(import.meta.dirname, '../../bin'), join(root, 'bin'), { recursive: true });
    const r = await runCli(['get', 'x'], { bin: join(root, 'bin', 'keystash.cjs') });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^keystash: error: keystash is not built \(.*dist is incomplete\); run `npm install` or `npm run build` in .*\n$/);
  });
});
