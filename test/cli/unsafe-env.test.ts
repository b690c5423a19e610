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
async function everyOneRefused(prefix: string, varNames: readonly string[]): Promise<void> {
  expect(varNames.length).toBeGreaterThan(0);
  const secrets = Object.fromEntries(varNames.map((v) => [`${prefix}${v.toLowerCase()}`, `value-of-${v}`]));
  expect((await h.run(['putall', '-'], { input: JSON.stringify(secrets) })).code).toBe(0);
  const named = new Set<string>();
  for (let i = 0; i <= varNames.length; i++) {
    const args = [...(VARIANTS[i % VARIANTS.length]?.(prefix) ?? []), ...[...named].flatMap((v) => ['--allow-env', v])];
    const r = await h.run(withChild(args));
    if (named.size === varNames.length) {
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
  const r = await h.run(['export', `${prefix}*`, '--strip-prefix', prefix, '-f', 'dotenv', ...varNames.flatMap((v) => ['--allow-env', v])]);
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

  it('export --allow-env LESSOPEN writes it', async () => {
    const r = await h.run(['export', 'out.*', '--strip-prefix', 'out.', '-f', 'dotenv', '--allow-env', 'LESSOPEN']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('LESSOPEN=');
  });
});
