/**
 * The variable rule (varname.ts rule 6, src/format/unsafe-env.ts) against the lists it is derived
 * from: the upstream text of sudo's initial_badenv_table and glibc's UNSECURE_ENVVARS, vendored in
 * test/vectors/ (see its README) and parsed here, so the comparison is with a list these tests
 * did not write. Then every entry of every source, through the naming rule as a glob reaches it
 * (`src.<name>` with --strip-prefix src.), is refused with a UsageError (exit 2) naming the way out.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { UNSAFE_ENV_SOURCES, unsafeEnvSource } from '../../../src/format/unsafe-env.js';
import { isDangerousVariable, toVarNames } from '../../../src/format/varname.js';
import { glibcUnsecureEnvvars, instances, sudoBadenvTable } from '../../helpers/unsafe-env-lists.js';

/** Through the naming rule as `exec 'src.*' --strip-prefix src.` reaches it: the error thrown. */
function refusal(varName: string, allowEnv: string[] = []): unknown {
  const secret = `src.${varName.toLowerCase()}`;
  try {
    expect(toVarNames([secret], 'src.', allowEnv)).toEqual([varName]);
    return undefined;
  } catch (error) {
    return error;
  }
}

function expectRefused(varName: string): void {
  const error = refusal(varName);
  expect(error, varName).toBeInstanceOf(UsageError);
  const secret = `src.${varName.toLowerCase()}`;
  expect((error as Error).message).toBe(
    `secret "${secret}" would set ${varName}, which changes how programs load or run; map it explicitly (exec --env ${varName}=${secret}) or allow it with --allow-env ${varName}`,
  );
  // The way out stays: allowed by name, the same secret sets it.
  expect(refusal(varName, [varName]), varName).toBeUndefined();
}

const source = (id: string) => {
  const found = UNSAFE_ENV_SOURCES.find((s) => s.id === id);
  if (!found) throw new Error(`no source ${id}`);
  return found;
};

describe("sudo's initial_badenv_table (plugins/sudoers/env.c, vendored)", () => {
  const upstream = sudoBadenvTable();

  it('is read from the vendored text (a sanity check of the parser)', () => {
    expect(upstream.length).toBeGreaterThanOrEqual(50);
    expect(upstream).toContain('LD_*');
    expect(upstream).toContain('PYTHONSTARTUP');
  });

  it("is the rule's sudo group entry for entry; its one value pattern (*=()*, bash functions) is the only entry left out", () => {
    const names = upstream.filter((e) => /^[A-Z0-9_]+\*?$/.test(e));
    expect(upstream.filter((e) => !names.includes(e))).toEqual(['*=()*']);
    expect([...source('sudo').entries].sort()).toEqual([...names].sort());
  });

  it('every variable of it is refused through a glob, and allowed by name', () => {
    for (const entry of upstream.filter((e) => e !== '*=()*')) for (const name of instances(entry)) expectRefused(name);
  });
});

describe("glibc's UNSECURE_ENVVARS (sysdeps/generic/unsecvars.h, vendored)", () => {
  const upstream = glibcUnsecureEnvvars();

  it('is read from the vendored text (a sanity check of the parser)', () => {
    expect(upstream.length).toBeGreaterThanOrEqual(30);
    expect(upstream[0]).toBe('GCONV_PATH');
    expect(upstream.at(-1)).toBe('TZDIR');
  });

  it("is the rule's glibc group entry for entry", () => {
    expect([...source('glibc').entries].sort()).toEqual([...upstream].sort());
  });

  it('every variable of it is refused through a glob, and allowed by name', () => {
    for (const name of upstream) expectRefused(name);
  });
});

describe('the start-up and loader variables of runtimes and tools', () => {
  it.each(UNSAFE_ENV_SOURCES.filter((s) => s.id !== 'sudo' && s.id !== 'glibc').map((s) => [s.id, s] as const))('%s: every entry is refused through a glob, and allowed by name', (_id, group) => {
    expect(group.entries.length).toBeGreaterThan(0);
    expect(group.source).not.toBe('');
    for (const entry of group.entries) for (const name of instances(entry)) if (!(group.except ?? []).includes(name)) expectRefused(name);
  });

  it('the variables of issue 24 and the sources the brief names, each refused', () => {
    for (const name of [
      'LESSOPEN', 'LESSCLOSE', 'JDK_JAVA_OPTIONS', 'NODE_COMPILE_CACHE', 'NODE_EXTRA_CA_CERTS', 'NODE_OPTIONS', 'NODE_PATH', 'PYTHONSTARTUP',
      'PYTHONPATH', 'PYTHONHOME', 'RUBYOPT', 'RUBYLIB', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'CLASSPATH',
      'DOTNET_STARTUP_HOOKS', 'CORECLR_PROFILER', 'CORECLR_ENABLE_PROFILING', 'COR_PROFILER', 'COR_PROFILER_PATH', 'GOFLAGS', 'GOPROXY',
      'GOPATH', 'GOTOOLCHAIN', 'RUSTC_WRAPPER', 'RUSTFLAGS', 'CARGO_HOME', 'CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER', 'PHPRC',
      'PHP_INI_SCAN_DIR', 'LUA_INIT', 'LUA_INIT_5_4', 'LUA_PATH', 'NPM_CONFIG_SCRIPT_SHELL', 'YARN_RC_FILENAME', 'PIP_INDEX_URL',
      'GIT_SSH_COMMAND', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_COUNT', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'SSH_ASKPASS', 'PAGER', 'MANPAGER',
      'EDITOR', 'VISUAL', 'CURL_HOME', 'WGETRC', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'CURL_CA_BUNDLE', 'REQUESTS_CA_BUNDLE',
      'ACTIONS_RUNTIME_TOKEN', 'GITHUB_ENV', 'GITHUB_PATH', 'RUNNER_TEMP', 'MAVEN_OPTS', 'GRADLE_OPTS', 'ANY_TOOL_OPTIONS', 'CFLAGS',
      'LDFLAGS', 'MAKEFLAGS', 'BASH_LOADABLES_PATH', 'PS0',
    ]) {
      expectRefused(name);
    }
  });

  it('the code-running variables an attack review found still produced, each refused', () => {
    for (const name of [
      'XDG_CONFIG_HOME', 'XDG_DATA_DIRS', 'MAKEFILES', 'VIMINIT', 'EXINIT', 'MYVIMRC', 'VIMRUNTIME', 'CONFIG_SITE', 'KUBECONFIG',
      'HGRCPATH', 'RSYNC_RSH', 'RSYNC_CONNECT_PROG', 'CVS_RSH', 'SVN_SSH', 'SUDO_ASKPASS', 'GRADLE_USER_HOME', 'MAVEN_ARGS',
      'TF_CLI_ARGS', 'TF_CLI_ARGS_PLAN', 'CMAKE_TOOLCHAIN_FILE', 'R_PROFILE_USER', 'DOCKER_HOST', 'DOCKER_CONFIG', 'GTK_MODULES',
      'QT_PLUGIN_PATH', 'GIO_EXTRA_MODULES', 'GST_PLUGIN_PATH', 'GST_PLUGIN_PATH_1_0', 'SASL_PATH', 'PSQLRC', 'JULIA_LOAD_PATH',
      'ERL_LIBS', 'GHC_ENVIRONMENT', 'UV_INDEX_URL', 'DENO_CERT', 'TCLLIBPATH', 'BOTO_CONFIG', 'CLOUDSDK_PYTHON', 'ANSIBLE_CONFIG',
      'HELM_PLUGINS', 'TF_CLI_CONFIG_FILE', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'ANT_ARGS',
    ]) {
      expectRefused(name);
    }
  });

  it('still refuses every name of the hand-picked list it replaces', () => {
    for (const name of ['PATH', 'NODE_OPTIONS', 'NODE_PATH', 'BASH_ENV', 'ENV', 'SHELLOPTS', 'BASHOPTS', 'PS4', 'IFS', 'CDPATH', 'PROMPT_COMMAND', 'ZDOTDIR', 'GCONV_PATH', 'PERLLIB', 'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'HOME', 'TMPDIR', 'SHELL']) {
      expectRefused(name);
    }
    for (const prefix of ['LD_', 'DYLD_', 'PYTHON', 'PERL5', 'RUBY', 'GIT_', 'SSH_', 'KEYSTASH_', 'AWS_']) expectRefused(`${prefix}X`);
  });

  it('leaves ordinary secret names alone (NODE_ENV included: Node itself does not read it)', () => {
    for (const name of ['DB_PASSWORD', 'API_KEY', 'DATABASE_URL', 'TOKEN', 'NODE_ENV', 'GOOGLE_APPLICATION_CREDENTIALS', 'SECRET_KEY_BASE', 'STRIPE_KEY', 'OPTION', 'FLAG', 'LOG_LEVEL']) {
      expect(isDangerousVariable(name), name).toBe(false);
      expect(unsafeEnvSource(name), name).toBeUndefined();
    }
  });

  it('compares names upper-cased (npm reads npm_config_* in any case)', () => {
    expect(unsafeEnvSource('npm_config_script_shell')).toBe('package-managers');
    expect(unsafeEnvSource('ld_preload')).toBe('glibc');
    expect(unsafeEnvSource('ld_anything')).toBe('sudo');
  });

  it('every entry is a whole name, PREFIX* or *SUFFIX in upper case', () => {
    for (const group of UNSAFE_ENV_SOURCES) for (const entry of group.entries) expect(entry, `${group.id}: ${entry}`).toMatch(/^(\*[A-Z0-9_]+|[A-Z0-9_]+\*?)$/);
  });
});

/** The variable names a program's help lists (one per line, first column, upper case). */
function helpListed(command: string, args: string[], section: RegExp): string[] | undefined {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return undefined;
  const start = r.stdout.search(section);
  if (start < 0) return [];
  return [...r.stdout.slice(start).matchAll(/^([A-Z][A-Z0-9_]+)\b/gm)].map((m) => m[1] ?? '');
}

describe('lists the runtimes themselves print (not written by these tests)', () => {
  it("every NODE_* variable of `node --help`'s Environment variables", () => {
    const listed = helpListed(process.execPath, ['--help'], /^Environment variables:/m) ?? [];
    const node = listed.filter((name) => name.startsWith('NODE_'));
    expect(node.length).toBeGreaterThanOrEqual(10);
    expect(node).toContain('NODE_PATH');
    for (const name of node) expectRefused(name);
  });

  const python = helpListed('python3', ['--help-env'], /PYTHON/);
  it.runIf(python !== undefined)("every PYTHON* variable of `python3 --help-env` (Python >= 3.11)", () => {
    const listed = (python ?? []).filter((name) => name.startsWith('PYTHON'));
    expect(listed.length).toBeGreaterThanOrEqual(10);
    for (const name of listed) expectRefused(name);
  });
});
