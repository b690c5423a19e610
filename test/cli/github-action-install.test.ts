/**
 * The Action's install steps (action.yml) from a clean copy of this checkout, as a job would run
 * them: no registry package named keystash is ever asked for (npm's registry is a server on
 * 127.0.0.1 that answers 404 to everything and records what it was asked), the dependencies come
 * from the npm cache the `actions/cache` step restores (here a copy of this machine's npm cache)
 * and are pinned by package-lock.json: a package.json that asks for anything the lockfile does not
 * hold makes the step fail, installing nothing. The installed keystash is then on PATH through
 * GITHUB_PATH for the export step. npm ci and the build of dist/ take tens of seconds.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompositeJob, parseGithubEnvFile, type CompositeAction } from '../helpers/github-runner.js';
import { cleanEnv } from '../helpers/run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM_CACHE = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();
const haveCache = existsSync(join(NPM_CACHE, '_cacache'));
// The registry runs in its own process (the steps run with spawnSync, which blocks this one). It
// answers a package's metadata from the lockfile under test (package-lock.json here records
// integrity but no `resolved` URL, so npm asks the registry where each tarball is: at its usual
// npmjs.org address, which the restored npm cache holds, so no tarball is downloaded) and 404 to
// everything else: any tarball asked of it, and any name the lockfile does not hold, keystash included.
const REGISTRY = `
const { appendFileSync, readFileSync } = require('node:fs');
const [log, lockfile] = process.argv.slice(1);
const server = require('node:http').createServer((req, res) => {
  appendFileSync(log, req.method + ' ' + req.url + '\\n');
  const name = decodeURIComponent((req.url || '').slice(1));
  const versions = {};
  const lock = JSON.parse(readFileSync(lockfile, 'utf8'));
  for (const [path, e] of Object.entries(lock.packages)) {
    if (path === '' || (e.name || path.slice(path.lastIndexOf('node_modules/') + 13)) !== name) continue;
    const { version, integrity, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta, bin, engines, os, cpu, license } = e;
    versions[version] = { name, version, dependencies, optionalDependencies, peerDependencies, peerDependenciesMeta, bin, engines, os, cpu, license,
      dist: { integrity, tarball: 'https://registry.npmjs.org/' + name + '/-/' + name.split('/').pop() + '-' + version + '.tgz' } };
  }
  if (Object.keys(versions).length === 0 || req.url.includes('/-/')) {
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
    return;
  }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, 'dist-tags': {}, versions }));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;
let registry: ChildProcess | undefined;
let registryUrl = '';
let work = '';
let requestLog = '';
const asked = (): string[] => (existsSync(requestLog) ? readFileSync(requestLog, 'utf8').split('\n').filter((l) => l !== '') : []);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'ks-action-install-'));
  requestLog = join(work, 'registry-requests');
  const child = spawn(process.execPath, ['-e', REGISTRY, requestLog, join(ROOT, 'package-lock.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  registry = child;
  const port = await new Promise<string>((done, fail) => {
    child.stdout?.once('data', (chunk: Buffer) => done(chunk.toString().trim()));
    child.once('exit', (code) => fail(new Error(`the fake registry exited (${code})`)));
  });
  registryUrl = `http://127.0.0.1:${port}/`;
});
afterAll(async () => {
  if (registry && registry.exitCode === null) {
    const exited = new Promise((done) => registry?.once('exit', done));
    registry.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

const HAS_NODE_SQLITE = spawnSync(process.execPath, ['--no-warnings', '-e', "require('node:sqlite')"]).status === 0;

/**
 * Where Node has no node:sqlite (Node 20) the Action rebuilds better-sqlite3, whose install script
 * (prebuild-install) first looks in the npm cache's `_prebuilds` for the release asset it would
 * download from GitHub — which a runner's restored cache holds from an earlier run. The cache here
 * is given that asset, packed from this checkout's own build of the addon, under the name
 * prebuild-install looks for (the first 6 hex digits of SHA-512 of its URL, then the file name):
 * the job then installs as on a warm cache, without a network and without compiling for 90 s.
 */
function seedPrebuild(npmCache: string): void {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'better-sqlite3', 'package.json'), 'utf8')) as { version: string };
  const file = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  const url = `https://github.com/WiseLibs/better-sqlite3/releases/download/v${version}/${file}`;
  const digest = createHash('sha512').update(url).digest('hex').slice(0, 6);
  mkdirSync(join(npmCache, '_prebuilds'), { recursive: true });
  execFileSync('tar', ['-czf', join(npmCache, '_prebuilds', `${digest}-${file}`), '-C', join(ROOT, 'node_modules', 'better-sqlite3'), 'build/Release/better_sqlite3.node']);
}

/** A clean copy of the checkout's tracked files (as the runner downloads the action: no node_modules, no dist). */
function copyCheckout(into: string): string {
  const files = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter((f) => f !== '');
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    cpSync(join(ROOT, file), join(into, file));
  }
  return into;
}

/**
 * The npm cache as the restore step leaves it: a copy of the index (npm appends to it) and the
 * content linked, not copied (224 MB here; cacache writes content once, under its hash, and never
 * changes it). A copy where a link cannot be made (another file system).
 */
function restoreNpmCache(from: string, to: string): void {
  cpSync(join(from, 'index-v5'), join(to, 'index-v5'), { recursive: true });
  for (const entry of readdirSync(join(from, 'content-v2'), { recursive: true, withFileTypes: true })) {
    const source = join(entry.parentPath, entry.name);
    const target = join(to, 'content-v2', source.slice(join(from, 'content-v2').length));
    if (entry.isDirectory()) mkdirSync(target, { recursive: true });
    else if (entry.isFile()) {
      mkdirSync(dirname(target), { recursive: true });
      try {
        linkSync(source, target);
      } catch {
        cpSync(source, target);
      }
    }
  }
}

function newJob(actionPath: string, jobDir: string): CompositeJob {
  const action = parseYaml(readFileSync(join(actionPath, 'action.yml'), 'utf8')) as CompositeAction;
  mkdirSync(join(jobDir, '_temp'), { recursive: true });
  // The cache step's restore, done by hand: actions/cache is not run here.
  const cache = join(jobDir, '_temp', 'keystash-npm-cache');
  restoreNpmCache(join(NPM_CACHE, '_cacache'), join(cache, '_cacache'));
  if (!HAS_NODE_SQLITE) seedPrebuild(cache);
  return new CompositeJob(action, { secrets: 'ci.*', 'strip-prefix': 'ci.' }, {
    dir: jobDir,
    actionPath,
    env: cleanEnv({
      HOME: jobDir,
      KEYSTASH_HOME: join(jobDir, 'ks-home'),
      PATH: process.env.PATH ?? '',
      npm_config_registry: registryUrl,
      npm_config_userconfig: join(jobDir, 'no-npmrc'),
      npm_config_update_notifier: 'false',
      // Keep the tarballs' npmjs.org addresses (npm would rewrite them to the registry above),
      // under which the restored cache holds them: nothing is downloaded.
      npm_config_replace_registry_host: 'never',
    }),
  });
}

describe.runIf(haveCache)('the install step', () => {
  it('refuses a package.json that disagrees with the lockfile: the step fails, the extra package is never installed nor its script run', () => {
    const actionPath = copyCheckout(join(work, 'mutated'));
    // A dependency npm could install without any registry (a local folder), absent from the lockfile.
    mkdirSync(join(actionPath, 'extra-dep'));
    writeFileSync(join(actionPath, 'extra-dep', 'package.json'), JSON.stringify({ name: 'extra-dep', version: '1.0.0', scripts: { install: 'touch ../EXTRA_DEP_RAN' } }));
    const pkg = JSON.parse(readFileSync(join(actionPath, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    pkg.dependencies['extra-dep'] = 'file:./extra-dep';
    writeFileSync(join(actionPath, 'package.json'), JSON.stringify(pkg, null, 2));
    const job = newJob(actionPath, join(work, 'job-mutated'));
    expect(job.run('Locate the npm cache')?.status).toBe(0);
    expect(job.run('Restore the npm cache')).toBeUndefined();
    expect(job.skipped).toEqual(['Restore the npm cache']);
    const install = job.run('Install keystash');
    expect(install?.status).not.toBe(0);
    expect(install?.stderr).toMatch(/can only install packages when your package\.json and package-lock\.json .*are in sync/s);
    expect(existsSync(join(actionPath, 'node_modules', 'extra-dep'))).toBe(false);
    expect(existsSync(join(actionPath, 'EXTRA_DEP_RAN'))).toBe(false);
    expect(existsSync(join(actionPath, 'dist'))).toBe(false);
    expect(install?.githubPath).toBe('');
  });

  it('installs from the checkout with its lockfile, asks the registry for nothing named keystash, and puts keystash on PATH', async () => {
    const actionPath = copyCheckout(join(work, 'clean'));
    const jobDir = join(work, 'job-clean');
    const job = newJob(actionPath, jobDir);
    const located = job.run('Locate the npm cache');
    expect(located?.status).toBe(0);
    const lockHash = execFileSync('sha256sum', [join(actionPath, 'package-lock.json')], { encoding: 'utf8' }).slice(0, 64);
    expect(job.outputs.get('npm-cache')).toEqual({ key: `keystash-npm-Linux-${process.version}-${lockHash}`, dir: join(jobDir, '_temp', 'keystash-npm-cache') });
    const install = job.run('Install keystash');
    expect([install?.status, install?.stderr]).toEqual([0, expect.not.stringMatching(/npm error|ERR!/)]);
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(install?.stdout.trim().split('\n').at(-1)).toBe(version);
    expect(install?.githubPath).toBe(`${join(jobDir, '_temp', 'keystash-bin')}\n`);
    expect(asked().filter((url) => url.includes('keystash') || url.includes('/-/'))).toEqual([]);
    // Every installed package is the lockfile's version.
    const lock = JSON.parse(readFileSync(join(actionPath, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '' || !existsSync(join(actionPath, path, 'package.json'))) continue;
      expect([path, (JSON.parse(readFileSync(join(actionPath, path, 'package.json'), 'utf8')) as { version: string }).version]).toEqual([path, entry.version]);
    }
    // No dependency's install script ran: better-sqlite3's addon was installed (from the cached
    // release asset) only where this Node has no node:sqlite (Node 20); on Node 22.13+ and 24 none.
    expect(existsSync(join(actionPath, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node'))).toBe(!HAS_NODE_SQLITE);
    // The next step finds keystash through GITHUB_PATH (no other keystash on PATH).
    expect(spawnSync('bash', ['-c', 'command -v keystash'], { env: cleanEnv({ PATH: process.env.PATH ?? '' }) }).status).not.toBe(0);
    const put = spawnSync(join(jobDir, '_temp', 'keystash-bin', 'keystash'), ['put', 'ci.token', 'from-the-clean-install'], { env: cleanEnv({ HOME: jobDir, KEYSTASH_HOME: join(jobDir, 'ks-home'), PATH: process.env.PATH ?? '' }), encoding: 'utf8' });
    expect(put.status).toBe(0);
    const exported = job.run('export');
    expect(exported?.stderr).toBe('');
    expect(exported?.status).toBe(0);
    expect(parseGithubEnvFile(exported?.githubEnv ?? '')).toEqual({ TOKEN: 'from-the-clean-install' });
  }, 600_000);
});
