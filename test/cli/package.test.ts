/**
 * The published shape: what `npm pack` puts in the tarball (packed once), and the tarball installed
 * once the way users install a command-line tool, with dependencies' install scripts off: globally
 * with npm 12 (its default) where .ci/node24 has cached it, else into a project with
 * `--ignore-scripts`. On a Node with node:sqlite it works offline with no native code built; on
 * Node 20 it says exactly what to do (exit 9).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { npmEnv, runCli, tempDir } from '../helpers/run-cli.js';
import { SQLITE_DRIVERS } from '../helpers/sqlite.js';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
const t = tempDir('keystash-pack-');
afterAll(() => t.cleanup());

interface PackResult {
  filename: string;
  unpackedSize: number;
  files: Array<{ path: string; size: number }>;
}

/** The one package of `npm pack --json` output: an array up to npm 11, an object keyed by name from npm 12. */
function packResult(json: string): PackResult {
  const parsed = JSON.parse(json) as PackResult[] | Record<string, PackResult>;
  const result = Array.isArray(parsed) ? parsed[0] : parsed[pkg.name as string];
  if (result === undefined) throw new Error(`npm pack printed no result for ${String(pkg.name)}`);
  return result;
}

/** `npm …` in the repository, failing the test with npm's stderr when it fails. */
function npm(args: string[], cwd = ROOT): string {
  const r = spawnSync('npm', args, { cwd, encoding: 'utf8', timeout: 240_000, env: npmEnv({ ...process.env, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' }) });
  if (r.status !== 0) throw new Error(`npm ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr}`);
  return r.stdout;
}

/** The tarball `npm pack` writes into the scratch directory, packed once for the whole file. */
let packedOnce: PackResult | undefined;
const packed = (): PackResult => (packedOnce ??= packResult(npm(['pack', '--json', '--ignore-scripts', '--pack-destination', t.dir])));
const tarball = (): string => join(t.dir, packed().filename);
const paths = (): string[] => packed().files.map((f) => f.path);

describe('npm pack', () => {
  it('ships JavaScript, types and the documents: no cache, test, source or source-map file', () => {
    expect(paths()).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'SECURITY.md', 'package.json', 'bin/keystash.cjs', 'dist/bundle/cli.cjs', 'dist/index.js', 'dist/index.d.ts']));
    const unwanted = paths().filter((p) => /\.cache$|\.map$|(^|\/)test\/|\.test\.|^src\/|\.ts$/.test(p) && !p.endsWith('.d.ts'));
    expect(unwanted).toEqual([]);
    // Nothing but JavaScript, declarations, and the four documents.
    expect(paths().filter((p) => !/\.(c?js|d\.ts|txt)$/.test(p))).toEqual(['LICENSE', 'README.md', 'SECURITY.md', 'package.json']);
  });

  it('is at most 1 MB unpacked per 100 KB of JavaScript it needs', () => {
    const js = packed().files.filter((f) => /\.c?js$/.test(f.path)).reduce((sum, f) => sum + f.size, 0);
    expect(packed().unpackedSize).toBeLessThanOrEqual(10 * js);
  });

  it('declares its licence, repository, issues and engines; LICENSE is the licence it names', () => {
    expect(pkg.license).toBe('Apache-2.0');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//) });
    expect(pkg.bugs).toMatchObject({ url: expect.stringMatching(/^https:\/\//) });
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.engines).toEqual({ node: '>=20.19' });
    // better-sqlite3 is the Node 20 fallback only: an install without it (or without its build) still succeeds.
    expect(Object.keys(pkg.dependencies as object)).not.toContain('better-sqlite3');
    expect(Object.keys(pkg.optionalDependencies as object)).toEqual(['better-sqlite3']);
  });
});

// npm 12 (what users of Node 24 get) as .ci/node24 caches it; not downloaded by a test.
const ciNode24 = readFileSync(join(ROOT, '.ci', 'node24'), 'utf8');
const version = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(ciNode24)?.[1];
const tools = process.env.KEYSTASH_TOOLS ?? join(process.env.HOME ?? '', '.cache', 'keystash-ci');
const npm12Bin = join(tools, `node-${version('NODE_VERSION')}-npm-${version('NPM_VERSION')}`, 'bin');
const haveNpm12 = existsSync(join(npm12Bin, 'npm'));

interface Installed {
  /** keystash's bin/keystash.cjs in the install. */
  bin: string;
  /** The folders better-sqlite3 may have been put in. */
  driverDirs: string[];
  /** The rebuild advice keystash must give for this layout. */
  advice: string;
  /** What npm printed on stderr. */
  npmStderr: string;
}

/**
 * The tarball installed once for the file, the way a user installs a command-line tool: globally
 * with npm 12, whose default runs no dependency's install script, where .ci/node24 has cached it;
 * otherwise into a project with this npm and --ignore-scripts. Either way no native code is built.
 */
let installedOnce: Installed | undefined;
function installed(): Installed {
  if (installedOnce) return installedOnce;
  if (haveNpm12) {
    const dest = join(t.dir, 'global');
    mkdirSync(dest);
    // As a user types it: not the npm_config_* an npm running this test exports, not this
    // machine's ~/.npmrc (a fresh HOME), but its package cache (offline).
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
    const cache = process.env.npm_config_cache ?? join(process.env.HOME ?? '', '.npm');
    const env = { ...inherited, HOME: dest, PATH: `${npm12Bin}:${process.env.PATH}`, npm_config_cache: cache, npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };
    const prefix = join(dest, 'prefix');
    const r = spawnSync('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', tarball()], { cwd: dest, env: npmEnv(env), encoding: 'utf8', timeout: 540_000 });
    if (r.status !== 0) throw new Error(`npm 12 install -g failed (${r.status ?? r.signal}): ${r.stderr}`);
    const pkgDir = join(prefix, 'lib', 'node_modules', 'keystash');
    installedOnce = {
      bin: join(pkgDir, 'bin', 'keystash.cjs'),
      driverDirs: [join(pkgDir, 'node_modules', 'better-sqlite3'), join(prefix, 'lib', 'node_modules', 'better-sqlite3')],
      advice: 'npm rebuild -g better-sqlite3 --allow-scripts=better-sqlite3',
      npmStderr: r.stderr,
    };
  } else {
    const prefix = join(t.dir, 'prefix');
    npm(['install', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-package-lock', tarball()], t.dir);
    installedOnce = {
      bin: join(prefix, 'node_modules', 'keystash', 'bin', 'keystash.cjs'),
      driverDirs: [join(prefix, 'node_modules', 'better-sqlite3')],
      advice: `cd ${prefix} && npm rebuild better-sqlite3 (npm 12: run npm install-scripts approve better-sqlite3 there first)`,
      npmStderr: '',
    };
  }
  return installedOnce;
}

describe(`the packed tarball, installed ${haveNpm12 ? 'globally with npm 12' : 'with --ignore-scripts'}`, () => {
  it('puts, gets and lists offline with no native code built (or, without node:sqlite, says what to do)', { timeout: 600_000 }, async () => {
    const { bin, driverDirs, advice } = installed();
    const root = resolve(bin, '..', '..', '..', '..');
    // Nothing was compiled: no native addon anywhere in the install.
    const addons = readdirSync(root, { recursive: true }).map(String).filter((f) => f.endsWith('.node') && f.includes('build'));
    expect(addons).toEqual([]);
    const home = join(t.dir, 'home');
    const env = { HOME: home, KEYSTASH_HOME: join(home, 'data') };
    const put = await runCli(['put', 'demo.secret', 'hello'], { bin, env });
    if (SQLITE_DRIVERS[0] === 'node:sqlite') {
      expect(put.code, put.stderr).toBe(0);
      expect((await runCli(['get', 'demo.secret'], { bin, env })).stdout).toBe('hello\n');
      const all = await runCli(['getall'], { bin, env });
      expect(all.code).toBe(0);
      expect(JSON.parse(all.stdout)).toEqual({ 'demo.secret': 'hello' });
    } else {
      expect(put.code).toBe(9);
      expect(put.stdout).toBe('');
      expect(put.stderr).toMatch(/no SQLite driver: Node .* run keystash on Node 24 \(or 22\.13\+\), or build better-sqlite3 with its install script allowed/);
      // The advice rebuilds where keystash was installed, not in the current directory.
      expect(put.stderr).toContain(advice);
      expect(existsSync(join(home, 'data', 'keyring.json'))).toBe(false);
      // npm drops an optional dependency whose build failed: a rebuild would find nothing, so the
      // advice says what is missing instead.
      expect(driverDirs.some((d) => existsSync(d))).toBe(true);
      for (const dir of driverDirs) rmSync(dir, { recursive: true, force: true });
      const without = await runCli(['put', 'demo.secret', 'hello'], { bin, env });
      expect(without.code).toBe(9);
      expect(without.stderr).toMatch(/better-sqlite3 is not installed \(npm leaves it out when its build fails: it needs python3, make and a C\+\+ compiler\)/);
      expect(without.stderr).not.toContain('npm rebuild');
    }
  });
});

describe('installing is quiet (issue 22 item 16)', () => {
  const INSTALL_TIME = ['preinstall', 'install', 'postinstall', 'prepare'];

  it('the packed package.json has no install-time script: npm 12 blocks and lists any (the build runs on prepack, dist/ ships built)', { timeout: 300_000 }, () => {
    const dest = join(t.dir, 'manifest');
    mkdirSync(dest);
    const r = spawnSync('tar', ['-xzf', tarball(), '-C', dest, 'package/package.json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dest, 'package', 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    expect(Object.keys(manifest.scripts ?? {}).filter((s) => INSTALL_TIME.includes(s))).toEqual([]);
    expect(manifest.scripts?.prepack).toBe('npm run build');
    expect(paths()).toContain('dist/bundle/cli.cjs');
  });

  it('the tarball is ignored by git (npm pack writes it into the checkout)', () => {
    const r = spawnSync('git', ['check-ignore', '--no-index', 'keystash-0.1.0.tgz', 'keystash-9.9.9.tgz'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stdout.trim().split('\n')).toEqual(['keystash-0.1.0.tgz', 'keystash-9.9.9.tgz']);
  });

  it.skipIf(!haveNpm12)('a global install of the tarball with npm 12 warns about no script of keystash', { timeout: 600_000 }, () => {
    const stderr = installed().npmStderr;
    // npm 12 lists each package whose install script it blocked: only the optional Node 20 driver
    // may be there (its addon is its own business; README "Install and test"), never keystash.
    const blocked = [...stderr.matchAll(/^npm warn install-scripts\s+(\S+)@\S+ \(/gm)].map((m) => m[1]);
    expect(blocked.filter((name) => name !== 'better-sqlite3'), stderr).toEqual([]);
    expect(stderr).not.toMatch(/keystash@\S+ \(prepare/);
  });
});
