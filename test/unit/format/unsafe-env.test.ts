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

/** The names an independent attack review (round 5) found accepted: each runs code or loads chosen configuration. */
const ATTACK_ROUND_5 = [
  'COMPILER_PATH', 'PYTEST_ADDOPTS', 'KUBECTL_EXTERNAL_DIFF', 'KUBE_EDITOR', 'GH_PAGER', 'GH_EDITOR', 'GH_BROWSER', 'GLAB_EDITOR', 'SYSTEMD_EDITOR',
  'CCACHE_PREFIX', 'SCREENRC', 'GCC_EXEC_PREFIX', 'CPATH', 'LIBRARY_PATH', 'PYTEST_PLUGINS', 'IRBRC', 'GEMRC', 'IPYTHON_DIR', 'JUPYTER_CONFIG_DIR',
  'DJANGO_SETTINGS_MODULE', 'FLASK_APP', 'PYENV_ROOT', 'PYENV_VERSION', 'RBENV_ROOT', 'NVM_DIR', 'ASDF_DIR', 'VOLTA_HOME', 'COMPOSER_HOME',
  'PGSERVICEFILE', 'PGPASSFILE', 'NETRC', 'GNUPGHOME', 'CONTAINERS_CONF', 'REGISTRY_AUTH_FILE', 'LDAPRC', 'ODBCINI',
];

/**
 * Secret names CI pipelines and twelve-factor apps commonly set: none may be refused. (Some names
 * that look ordinary are refused on purpose and so are not here: KUBECONFIG, GITHUB_TOKEN (the
 * runner's GITHUB_ prefix), AWS_* and DOCKER_* (those tools' settings).)
 */
const COMMON_SECRET_NAMES = [
  'DB_PASSWORD', 'DB_USER', 'DB_HOST', 'DB_NAME', 'DB_PORT', 'DATABASE_URL', 'REDIS_URL', 'MONGODB_URI', 'AMQP_URL', 'API_KEY', 'API_TOKEN',
  'API_SECRET', 'STRIPE_KEY', 'STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET', 'JWT_SECRET', 'SESSION_SECRET', 'SECRET_KEY', 'SECRET_KEY_BASE',
  'DJANGO_SECRET_KEY', 'FLASK_SECRET_KEY', 'SENTRY_DSN', 'APP_CONFIG', 'APP_ENV', 'NODE_ENV', 'LOG_LEVEL', 'PORT', 'SLACK_WEBHOOK_URL',
  'SLACK_BOT_TOKEN', 'SMTP_PASSWORD', 'SMTP_USER', 'OPENAI_API_KEY', 'NPM_TOKEN', 'PYPI_TOKEN', 'TWILIO_AUTH_TOKEN', 'SENDGRID_API_KEY',
  'ENCRYPTION_KEY', 'PRIVATE_KEY', 'PGPASSWORD', 'PGHOST', 'PGUSER', 'PGDATABASE', 'MYSQL_PASSWORD', 'MYSQL_ROOT_PASSWORD', 'POSTGRES_PASSWORD',
  'GOOGLE_APPLICATION_CREDENTIALS', 'FIREBASE_CONFIG', 'COMPOSER_AUTH', 'GH_TOKEN', 'GITLAB_TOKEN', 'CODECOV_TOKEN', 'SONAR_TOKEN', 'DD_API_KEY',
  'LDAP_PASSWORD', 'LDAP_BIND_DN', 'OAUTH_CLIENT_ID', 'OAUTH_CLIENT_SECRET', 'WEBHOOK_SECRET', 'HMAC_KEY', 'SIGNING_KEY', 'LICENSE_KEY',
];

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

  it('the code-running and config-loading variables the fifth attack review found accepted, each refused', () => {
    for (const name of ATTACK_ROUND_5) expectRefused(name);
  });

  it('the code-running variables the seventh attack review found accepted (APT_CONFIG and LDSHARED ran code as root), each refused', () => {
    const names = [
      'APT_CONFIG', 'LDSHARED', 'COMSPEC', 'PSMODULEPATH', 'PATHEXT', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'TARGET_CC', 'HOST_CC', 'TARGET_AR', 'CROSS_COMPILE',
      'LIBCLANG_PATH', 'CLANG_PATH', 'PROTOC', 'PYO3_PYTHON', 'RUST_TARGET_PATH', 'TERRAFORM_CONFIG', 'NIX_CONFIG', 'NIX_PATH', 'MAGICK_CONFIGURE_PATH',
      'MAGICK_CODER_MODULE_PATH', 'GDK_PIXBUF_MODULE_FILE', 'GUILE_LOAD_PATH', 'EMACSPATH', 'CHROME_BIN', 'CHROME_PATH', 'PUPPETEER_EXECUTABLE_PATH',
      'CYPRESS_RUN_BINARY', 'ELECTRON_RUN_AS_NODE', 'ELECTRON_MIRROR', 'SASS_BINARY_SITE', 'HOMEBREW_BOTTLE_DOMAIN', 'TMP', 'TEMP', 'MAKEOVERRIDES',
    ];
    expect(names.filter((n) => !isDangerousVariable(n))).toEqual([]);
  });

  it('the same class swept from CI images: compilers, make, caches, test runners, version managers, language homes, credential files', () => {
    for (const name of [
      'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'OBJC_INCLUDE_PATH', 'DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES', 'COLLECT_LTO_WRAPPER',
      'CCC_OVERRIDE_OPTIONS', 'CCC_CC', 'MAKEFLAGS', 'MFLAGS', 'GNUMAKEFLAGS', 'MAKEFILES', 'MAKE', 'AS', 'CC', 'CXX', 'YACC', 'RANLIB',
      'CONFIG_SHELL', 'PKG_CONFIG_PATH', 'PKG_CONFIG_LIBDIR', 'CCACHE_PREFIX_CPP', 'CCACHE_COMPILER', 'CCACHE_CONFIGPATH', 'CCACHE_DIR',
      'SCCACHE_CONF', 'DISTCC_HOSTS', 'PYTEST_DISABLE_PLUGIN_AUTOLOAD', 'TOX_OVERRIDE', 'TOX_USER_CONFIG_FILE', 'NOXPYTHON',
      'COVERAGE_PROCESS_START', 'COVERAGE_RCFILE', 'GIT_PAGER', 'GIT_EDITOR', 'KUBERC', 'SYSTEMD_LESS', 'SYSSCREENRC', 'IPYTHONDIR',
      'JUPYTER_PATH', 'FLASK_DEBUG', 'MPLBACKEND', 'CELERY_CONFIG_MODULE', 'PYENV_HOOK_PATH', 'RBENV_VERSION', 'NODENV_ROOT',
      'GOENV_ROOT', 'NVM_NODEJS_ORG_MIRROR', 'N_PREFIX', 'FNM_DIR', 'ASDF_DATA_DIR', 'ASDF_CONFIG_FILE', 'MISE_DATA_DIR', 'SDKMAN_DIR',
      'JAVA_HOME', 'GOROOT', 'CARGO_HOME', 'RUSTUP_HOME', 'GRADLE_USER_HOME', 'MAVEN_HOME', 'ANDROID_HOME', 'ANDROID_SDK_ROOT',
      'ANDROID_NDK_HOME', 'ORACLE_HOME', 'MYSQL_HOME', 'COMPOSER', 'COMPOSER_VENDOR_DIR', 'PGSYSCONFDIR', 'PGSSLROOTCERT', 'DOCKER_CONFIG',
      'CONTAINERS_REGISTRIES_CONF', 'CONTAINERS_STORAGE_CONF', 'CONTAINER_HOST', 'LDAPCONF', 'LDAPTLS_CACERT', 'ODBCSYSINI',
      'ODBCINSTINI', 'TNS_ADMIN', 'RIPGREP_CONFIG_PATH', 'CMAKE_C_COMPILER_LAUNCHER', 'RDOCOPT', 'RAKEOPT', 'JVMARGS',
    ]) {
      expectRefused(name);
    }
  });

  it('the shapes catch names no named group lists, whatever program reads them', () => {
    const byShape: Record<string, string[]> = {
      'flag-shapes': ['ANYTOOL_ADDOPTS', 'RDOCOPT', 'RAKEOPT', 'JVMARGS', 'MOCHA_OPTIONS', 'ANYTOOL_FLAGS', 'ANYTOOL_ARGS'],
      'program-shapes': ['BAT_PAGER', 'DELTA_PAGER', 'TIG_EDITOR', 'ANYTOOL_BROWSER', 'ANYTOOL_EXTERNAL_DIFF', 'ANYTOOL_DIFF', 'ANYTOOL_DIFFTOOL', 'ANYTOOL_ASKPASS', 'ANYTOOL_WRAPPER', 'ANYTOOL_LAUNCHER', 'ANYTOOL_COMMAND', 'ANYTOOL_CMD', 'ANYTOOL_SHELL'],
      'config-pointer-shapes': ['ORACLE_HOME', 'MYSQL_HOME', 'SPARK_HOME', 'RIPGREP_CONFIG_PATH', 'HTTPIE_CONFIG_DIR', 'ANYTOOL_CONFIG_FILE', 'REDISCLI_RCFILE', 'CELERY_CONFIG_MODULE', 'ANYTOOL_SETTINGS_MODULE'],
    };
    for (const [id, names] of Object.entries(byShape)) {
      for (const name of names) {
        expect(unsafeEnvSource(name), name).toBe(id);
        expectRefused(name);
      }
    }
  });

  it('KUBECONFIG stays refused through a glob (a kubeconfig\'s users[].user.exec runs a program); exec --file KUBECONFIG=… is the way to give one', () => {
    expectRefused('KUBECONFIG');
    expect(unsafeEnvSource('KUBECONFIG')).toBe('cloud-containers');
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

  it('leaves the common secret names of CI and twelve-factor apps alone: none is caught by a shape or a new group', () => {
    expect(COMMON_SECRET_NAMES.length).toBeGreaterThanOrEqual(40);
    const caught = COMMON_SECRET_NAMES.filter((name) => unsafeEnvSource(name) !== undefined).map((name) => `${name} (${unsafeEnvSource(name) ?? ''})`);
    expect(caught).toEqual([]);
    // Through the naming rule as a glob reaches them, too.
    for (const name of COMMON_SECRET_NAMES) expect(refusal(name), name).toBeUndefined();
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
