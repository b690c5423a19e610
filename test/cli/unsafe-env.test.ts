/**
 * The variable rule through the CLI (issue 24 item 4): every variable of sudo's table and of
 * glibc's list (parsed from the vendored upstream text, test/vectors/), stored as secrets under a
 * prefix and reached through a glob, is refused by `exec` and by every variable-writing export
 * format with exit 2 and nothing written or started; `--allow-env` lets each through, and
 * `exec --env VAR=name` still sets one.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import type { InProcessHome } from '../helpers/in-process.js';
import { UNSAFE_ENV_SOURCES } from '../../src/format/unsafe-env.js';
import { glibcUnsecureEnvvars, instances, sudoBadenvTable } from '../helpers/unsafe-env-lists.js';

const h = inProcessHome();
afterAll(h.cleanup);
const dump = join(h.dir, 'env.json');
const child = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env))`];

/** The command lines a glob reaches variables through: exec and each variable-writing export format. */
const VARIANTS: ReadonlyArray<(prefix: string) => string[]> = [
  (p) => ['exec', `${p}*`, '--strip-prefix', p],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'dotenv'],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'github-env'],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'shell'],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'docker'],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'env-no-quotes'],
  (p) => ['export', `${p}*`, '--strip-prefix', p, '-f', 'k8s-secret', '--env-keys', '--k8s-name', 'app'],
];
const withChild = (args: string[]): string[] => (args[0] === 'exec' ? [...args, ...child] : args);

/**
 * Store one secret per variable under `prefix`, then run every variant through the glob: each is
 * refused (exit 2, nothing written, no child started) naming every variable once, with the
 * `--allow-env` each needs. With all but one allowed, that one, selected by its exact name, is
 * refused on its own; with all allowed, export writes every one of them.
 */
async function everyOneRefused(prefix: string, varNames: readonly string[], home: InProcessHome = h): Promise<void> {
  expect(varNames.length).toBeGreaterThan(1);
  const secretOf = (v: string): string => `${prefix}${v.toLowerCase()}`;
  const secrets = Object.fromEntries(varNames.map((v) => [secretOf(v), `value-of-${v}`]));
  expect((await home.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
  for (const variant of VARIANTS) {
    const args = variant(prefix);
    const r = await home.run(withChild(args));
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(dump)).toBe(false);
    const lines = r.stderr.split('\n');
    expect(lines.shift(), r.stderr).toBe(`keystash: error: ${varNames.length} secrets would set variables that change how programs load or run:`);
    expect(lines.pop()).toBe('');
    const way = lines.pop();
    const named = lines.map((line) => {
      const match = /^ {2}secret "([^"]+)" would set ([A-Z0-9_]+)$/.exec(line);
      expect(match, line).not.toBeNull();
      expect(match?.[1]).toBe(secretOf(match?.[2] ?? ''));
      return match?.[2] ?? '';
    });
    expect([...named].sort()).toEqual([...varNames].sort());
    expect(way).toBe('map each explicitly (exec --env VAR=NAME) or allow each one you mean with --allow-env VAR');
  }
  // All but one allowed: the one left, selected by name, is refused on its own (exec: no child).
  const left = varNames[varNames.length - 1] ?? '';
  const others = varNames.slice(0, -1).flatMap((v) => ['--allow-env', v]);
  const alone = await home.run(withChild(['exec', prefix + '*', '--strip-prefix', prefix, ...others]));
  expect([alone.code, alone.stdout, alone.stderr]).toEqual([
    2,
    '',
    `keystash: error: secret "${secretOf(left)}" would set ${left}, which changes how programs load or run; map it explicitly (exec --env ${left}=${secretOf(left)}) or allow it with --allow-env ${left}\n`,
  ]);
  expect(existsSync(dump)).toBe(false);
  const byName = await home.run(['export', secretOf(left), '--strip-prefix', prefix, '-f', 'dotenv']);
  expect([byName.code, byName.stdout]).toEqual([2, '']);
  expect(byName.stderr).toContain(`secret "${secretOf(left)}" would set ${left},`);
  // With every one allowed, export writes all of them (no child is run with them: LD_PRELOAD,
  // NODE_OPTIONS … set to test strings would disturb any program).
  const r = await home.run(['export', `${prefix}*`, '--strip-prefix', prefix, '-f', 'dotenv', ...varNames.flatMap((v) => ['--allow-env', v])]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf('='))).sort()).toEqual([...varNames].sort());
}

describe('every variable of a cited source, reached through a glob', () => {
  it("sudo's initial_badenv_table: refused by exec, export -f dotenv|github-env|shell|docker|env-no-quotes|k8s-secret --env-keys (exit 2)", async () => {
    const names = sudoBadenvTable().filter((e) => e !== '*=()*').flatMap(instances);
    expect(names.length).toBeGreaterThanOrEqual(50);
    await everyOneRefused('sudo.', [...new Set(names)]);
  });

  it("glibc's UNSECURE_ENVVARS: the same", async () => {
    const names = glibcUnsecureEnvvars();
    expect(names.length).toBeGreaterThanOrEqual(30);
    await everyOneRefused('glibc.', names);
  });

  it('the variables issue 24 found set (LESSOPEN, JDK_JAVA_OPTIONS, NODE_COMPILE_CACHE) and some of each other source: the same', async () => {
    await everyOneRefused('i24.', [
      'LESSOPEN', 'JDK_JAVA_OPTIONS', 'NODE_COMPILE_CACHE', 'NODE_EXTRA_CA_CERTS', 'PYTHONSTARTUP', 'DOTNET_STARTUP_HOOKS', 'COR_PROFILER',
      'GOFLAGS', 'RUSTC_WRAPPER', 'PHPRC', 'LUA_INIT', 'NPM_CONFIG_SCRIPT_SHELL', 'PIP_INDEX_URL', 'GIT_EXEC_PATH', 'SSH_ASKPASS', 'PAGER',
      'EDITOR', 'CURL_HOME', 'SSL_CERT_FILE', 'REQUESTS_CA_BUNDLE', 'GITHUB_PATH', 'ACTIONS_RUNTIME_TOKEN', 'RUNNER_TEMP', 'MAVEN_OPTS', 'CFLAGS',
    ]);
  });
});

describe('the code-running variables an attack review found still produced', () => {
  it('XDG_CONFIG_HOME, MAKEFILES, VIMINIT, KUBECONFIG, DOCKER_HOST, TF_CLI_ARGS, MAVEN_ARGS … through a glob: each refused, each allowed by name', async () => {
    await everyOneRefused('atk.', [
      'XDG_CONFIG_HOME', 'MAKEFILES', 'VIMINIT', 'CONFIG_SITE', 'KUBECONFIG', 'HGRCPATH', 'RSYNC_RSH', 'SUDO_ASKPASS', 'GRADLE_USER_HOME',
      'MAVEN_ARGS', 'TF_CLI_ARGS', 'CMAKE_TOOLCHAIN_FILE', 'R_PROFILE_USER', 'DOCKER_HOST', 'GTK_MODULES', 'PSQLRC', 'ERL_LIBS', 'UV_INDEX_URL',
    ]);
  });
});

describe('every group of src/format/unsafe-env.ts', () => {
  // sudo and glibc are compared with their upstream text above; every other group here, entry by
  // entry (a PREFIX* or *SUFFIX entry through a few names it stands for).
  const groups = UNSAFE_ENV_SOURCES.filter((g) => g.id !== 'sudo' && g.id !== 'glibc');
  // A store of their own: the globs of the other cases would list all of these too.
  const own = inProcessHome();
  afterAll(own.cleanup);
  it.each(groups.map((g) => [g.id, g] as const))('%s: every entry refused by exec and every variable-writing export format (exit 2), each allowed by name', async (id, group) => {
    const names = [...new Set(group.entries.flatMap(instances))].filter((n) => !(group.except ?? []).includes(n));
    await everyOneRefused(`g-${id}.`, names, own);
  });
});

describe('the code-running variables the fifth attack review found accepted', () => {
  it('COMPILER_PATH, PYTEST_ADDOPTS, KUBECTL_EXTERNAL_DIFF, GH_PAGER, CCACHE_PREFIX, NETRC, GNUPGHOME, ODBCINI … through a glob: each refused, each allowed by name', async () => {
    await everyOneRefused('atk5.', [
      'COMPILER_PATH', 'PYTEST_ADDOPTS', 'KUBECTL_EXTERNAL_DIFF', 'KUBE_EDITOR', 'GH_PAGER', 'GH_EDITOR', 'GH_BROWSER', 'GLAB_EDITOR', 'SYSTEMD_EDITOR',
      'CCACHE_PREFIX', 'SCREENRC', 'GCC_EXEC_PREFIX', 'CPATH', 'LIBRARY_PATH', 'PYTEST_PLUGINS', 'IRBRC', 'GEMRC', 'IPYTHON_DIR', 'JUPYTER_CONFIG_DIR',
      'DJANGO_SETTINGS_MODULE', 'FLASK_APP', 'PYENV_ROOT', 'PYENV_VERSION', 'RBENV_ROOT', 'NVM_DIR', 'ASDF_DIR', 'VOLTA_HOME', 'COMPOSER_HOME',
      'PGSERVICEFILE', 'PGPASSFILE', 'NETRC', 'GNUPGHOME', 'CONTAINERS_CONF', 'REGISTRY_AUTH_FILE', 'LDAPRC', 'ODBCINI',
    ]);
  });
});

describe('--allow-env in every variable-writing format', () => {
  const ALLOWED = ['LD_PRELOAD', 'NODE_OPTIONS', 'PATH'];
  const allowFlags = ALLOWED.flatMap((v) => ['--allow-env', v]);
  /** Refused (exit 2, nothing printed) without the flags; with them, every variable written. */
  async function allowedThrough(home: InProcessHome, args: string[]): Promise<void> {
    const refused = await home.run(args);
    expect([refused.code, refused.stdout], `${args.join(' ')}: ${refused.stderr}`).toEqual([2, '']);
    expect(refused.stderr, args.join(' ')).toContain('3 secrets would set variables that change how programs load or run:');
    const r = await home.run([...args, ...allowFlags]);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    for (const v of [...ALLOWED, 'DB_PASSWORD']) expect(r.stdout, `${args.join(' ')}: ${v}`).toContain(v);
  }

  it('export -f dotenv, github-env, shell, docker, env-no-quotes and k8s-secret --env-keys', async () => {
    const secrets = Object.fromEntries([...ALLOWED, 'DB_PASSWORD'].map((v) => [`allow.${v.toLowerCase()}`, `value-of-${v}`]));
    expect((await h.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
    const exports = VARIANTS.map((variant) => variant('allow.')).filter((args) => args[0] === 'export');
    expect(exports).toHaveLength(6);
    for (const args of exports) await allowedThrough(h, args);
  });

  // getall reads the whole store and neither it nor get strips a prefix: a store of bare names.
  const bare = inProcessHome();
  afterAll(bare.cleanup);
  it('getall -f dotenv and get PATTERN -f dotenv', async () => {
    const secrets = Object.fromEntries([...ALLOWED, 'DB_PASSWORD'].map((v) => [v.toLowerCase(), `value-of-${v}`]));
    expect((await bare.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
    await allowedThrough(bare, ['getall', '-f', 'dotenv']);
    await allowedThrough(bare, ['get', '*', '-f', 'dotenv']);
  });
});

describe('common secret names pass', () => {
  it('DB_PASSWORD, API_TOKEN, DATABASE_URL, STRIPE_KEY, JWT_SECRET, SENTRY_DSN, APP_CONFIG, DJANGO_SECRET_KEY, COMPOSER_AUTH … through exec and export', async () => {
    const names = ['DB_PASSWORD', 'API_TOKEN', 'DATABASE_URL', 'STRIPE_KEY', 'JWT_SECRET', 'SENTRY_DSN', 'APP_CONFIG', 'DJANGO_SECRET_KEY', 'FLASK_SECRET_KEY', 'COMPOSER_AUTH', 'PGPASSWORD', 'GH_TOKEN', 'SLACK_WEBHOOK_URL', 'NPM_TOKEN'];
    const secrets = Object.fromEntries(names.map((v) => [`ok.${v.toLowerCase()}`, `value-of-${v}`]));
    expect((await h.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
    let r = await h.run(['export', 'ok.*', '--strip-prefix', 'ok.', '-f', 'dotenv']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf('='))).sort()).toEqual([...names].sort());
    rmSync(dump, { force: true });
    r = await h.run(['exec', 'ok.*', '--strip-prefix', 'ok.', ...child]);
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    rmSync(dump);
    for (const v of names) expect(seen[v], v).toBe(`value-of-${v}`);
  });
});

describe('the ways out stay', () => {
  beforeAll(async () => {
    expect((await h.run(['put', 'out.lessopen', '|/tmp/x %s'])).code).toBe(0);
    expect((await h.run(['put', 'out.token', 't0k'])).code).toBe(0);
  });

  it('exec --env LESSOPEN=out.lessopen sets it; the same secret through the glob is refused', async () => {
    rmSync(dump, { force: true });
    let r = await h.run(['exec', 'out.token', '--strip-prefix', 'out.', '--env', 'LESSOPEN=out.lessopen', ...child]);
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    rmSync(dump);
    expect(seen.LESSOPEN).toBe('|/tmp/x %s');
    expect(seen.TOKEN).toBe('t0k');
    r = await h.run(['exec', 'out.*', '--strip-prefix', 'out.', ...child]);
    expect(r.code).toBe(2);
    expect(existsSync(dump)).toBe(false);
  });

  it('exec --env PYTEST_ADDOPTS=… and --allow-env COMPILER_PATH set them; exec --file KUBECONFIG=… gives a kubeconfig as a file', async () => {
    expect((await h.run(['put', 'way.pytest_addopts', 'tests/extra_test.py'])).code).toBe(0);
    expect((await h.run(['put', 'way.compiler_path', '/opt/cc/bin'])).code).toBe(0);
    expect((await h.run(['put', 'way.kubeconfig', 'apiVersion: v1'])).code).toBe(0);
    rmSync(dump, { force: true });
    let r = await h.run(['exec', 'way.compiler_path', '--strip-prefix', 'way.', '--allow-env', 'COMPILER_PATH', '--env', 'PYTEST_ADDOPTS=way.pytest_addopts', '--file', 'KUBECONFIG=way.kubeconfig', ...child]);
    expect(r.code, r.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;
    rmSync(dump);
    expect(seen.PYTEST_ADDOPTS).toBe('tests/extra_test.py');
    expect(seen.COMPILER_PATH).toBe('/opt/cc/bin');
    expect(seen.KUBECONFIG).toMatch(/keystash-files-[^/]+[/\\]way\.kubeconfig$/);
    // Without the way out, each is refused through the glob.
    r = await h.run(['exec', 'way.*', '--strip-prefix', 'way.', ...child]);
    expect(r.code).toBe(2);
    expect(existsSync(dump)).toBe(false);
  });

  it('export --allow-env LESSOPEN writes it', async () => {
    const r = await h.run(['export', 'out.*', '--strip-prefix', 'out.', '-f', 'dotenv', '--allow-env', 'LESSOPEN']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('LESSOPEN=');
  });
});
