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
 * Store one secret per variable under `prefix`, then run the variants in turn, each time allowing
 * what was refused before: every run but the last must be refused (exit 2, no output, no child)
 * naming a variable not named before, until every variable has been named once.
 */
async function everyOneRefused(prefix: string, varNames: readonly string[], home: InProcessHome = h): Promise<void> {
  expect(varNames.length).toBeGreaterThan(0);
  const secrets = Object.fromEntries(varNames.map((v) => [`${prefix}${v.toLowerCase()}`, `value-of-${v}`]));
  expect((await home.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
  const named = new Set<string>();
  for (let i = 0; i <= varNames.length; i++) {
    // The last run, with every variable allowed, is never exec: no child is started with PATH,
    // LD_PRELOAD … set to test strings (the export below checks what it would have set).
    const all = named.size === varNames.length;
    const variant = all && i % VARIANTS.length === 0 ? 1 : i % VARIANTS.length;
    const args = [...(VARIANTS[variant]?.(prefix) ?? []), ...[...named].flatMap((v) => ['--allow-env', v])];
    const r = await home.run(withChild(args));
    if (all) {
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(0);
      break;
    }
    expect(r.code, args.join(' ')).toBe(2);
    expect(r.stdout).toBe('');
    expect(existsSync(dump)).toBe(false);
    const match = /^keystash: error: secret "([^"]+)" would set ([A-Z0-9_]+), which changes how programs load or run; map it explicitly \(exec --env \2=\1\) or allow it with --allow-env \2\n$/.exec(r.stderr);
    expect(match, r.stderr).not.toBeNull();
    const varName = match?.[2] ?? '';
    expect(varNames).toContain(varName);
    expect(named.has(varName), `${varName} named twice`).toBe(false);
    named.add(varName);
  }
  expect([...named].sort()).toEqual([...varNames].sort());
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

/**
 * Each variable on its own: one secret per variable under `prefix`, each selected by its exact
 * name through the variants in turn (every variant sees every n-th name) and refused, then all of
 * them written by one export that allows each by name. Linear in the names, where a glob over all
 * of them for each refusal ({@link everyOneRefused}) is quadratic: the glob cases are above.
 */
async function eachRefusedAlone(prefix: string, varNames: readonly string[], home: InProcessHome): Promise<void> {
  expect(varNames.length).toBeGreaterThan(0);
  const secrets = Object.fromEntries(varNames.map((v) => [`${prefix}${v.toLowerCase()}`, `value-of-${v}`]));
  expect((await home.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
  for (const [i, varName] of varNames.entries()) {
    const secret = `${prefix}${varName.toLowerCase()}`;
    const args = (VARIANTS[i % VARIANTS.length]?.(prefix) ?? []).map((a) => (a === `${prefix}*` ? secret : a));
    const r = await home.run(withChild(args));
    expect([r.code, r.stderr], args.join(' ')).toEqual([2, `keystash: error: secret "${secret}" would set ${varName}, which changes how programs load or run; map it explicitly (exec --env ${varName}=${secret}) or allow it with --allow-env ${varName}\n`]);
    expect(r.stdout).toBe('');
    expect(existsSync(dump)).toBe(false);
  }
  const r = await home.run(['export', `${prefix}*`, '--strip-prefix', prefix, '-f', 'dotenv', ...varNames.flatMap((v) => ['--allow-env', v])]);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.split('\n').filter(Boolean).map((line) => line.slice(0, line.indexOf('='))).sort()).toEqual([...varNames].sort());
}

describe('every group of src/format/unsafe-env.ts', () => {
  // sudo and glibc are compared with their upstream text above; every other group here, entry by
  // entry (a PREFIX* or *SUFFIX entry through a few names it stands for), each selected by name;
  // the glob path is the same rule and is taken by the cases above.
  const groups = UNSAFE_ENV_SOURCES.filter((g) => g.id !== 'sudo' && g.id !== 'glibc');
  // A store of their own: the globs of the other cases would list all of these too.
  const own = inProcessHome();
  afterAll(own.cleanup);
  it.each(groups.map((g) => [g.id, g] as const))('%s: every entry refused by exec and every variable-writing export format (exit 2), each allowed by name', async (id, group) => {
    const names = [...new Set(group.entries.flatMap(instances))].filter((n) => !(group.except ?? []).includes(n));
    await eachRefusedAlone(`g-${id}.`, names, own);
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
