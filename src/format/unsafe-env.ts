/**
 * The variables a secret must not set unless the user asks for it by name (varname.ts rule 6):
 * variables that change how a shell, the dynamic loader, an interpreter or a tool loads or runs
 * code, where it sends traffic or whose certificates it trusts. Anyone who may *write* a secret
 * named `app.ld_preload` would otherwise run code wherever `app.*` is *read* through `exec` or
 * `export`.
 *
 * Kept as data, one group per source. The first two groups are the maintained lists of others,
 * copied entry for entry (test/vectors/ holds the upstream text and a test compares them):
 * sudo's table of variables it removes from a command's environment, and glibc's list of
 * variables the dynamic loader clears for set-uid programs. The rest are the start-up and loader
 * variables of the runtimes and tools CI images carry, each group citing the documentation it
 * was read from, and the shapes that carry flags to a program (`*_OPTIONS`, `*_OPTS`, `*FLAGS`).
 *
 * Entries are upper case and are either a whole name, `PREFIX*` or `*SUFFIX`. Names are compared
 * upper-cased (npm reads `npm_config_*` in any case).
 */

/** One source of unsafe variable names. */
interface UnsafeEnvSource {
  /** Short identifier, used in tests and messages. */
  id: string;
  /** Where the entries come from (file and commit, or the documentation page). */
  source: string;
  /** `NAME`, `PREFIX*` or `*SUFFIX`. */
  entries: readonly string[];
  /** Names a pattern of this group would cover but that change nothing about what runs. */
  except?: readonly string[];
}

export const UNSAFE_ENV_SOURCES: readonly UnsafeEnvSource[] = [
  {
    id: 'sudo',
    // Every entry of initial_badenv_table, including the ones compiled in only on some systems
    // (HP-UX, AIX, macOS, Kerberos, SecurID). Its last entry, `*=()*`, matches *values* that
    // start with `()` (bash functions exported the pre-2014 way); it is not a name, and the
    // naming rule never produces the `BASH_FUNC_name%%` names today's bash imports functions from.
    source: 'sudo plugins/sudoers/env.c initial_badenv_table, commit 7558270aec61b772a749409d62cb72ae0ef43296 (2026-05-17)',
    entries: [
      'IFS', 'CDPATH', 'LOCALDOMAIN', 'RES_OPTIONS', 'HOSTALIASES', 'NLSPATH', 'PATH_LOCALE', 'LD_*', '_RLD*',
      'SHLIB_PATH', 'LDR_*', 'LIBPATH', 'AUTHSTATE', 'DYLD_*', 'KRB5_CONFIG*', 'KRB5_KTNAME', 'VAR_ACE', 'USR_ACE', 'DLC_ACE',
      'TERMINFO', 'TERMINFO_DIRS', 'TERMPATH', 'TERMCAP', 'ENV', 'BASH_ENV', 'PS4', 'GLOBIGNORE', 'BASHOPTS', 'SHELLOPTS',
      'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'CLASSPATH', 'PERLIO_DEBUG', 'PERLLIB', 'PERL5LIB', 'PERL5OPT', 'PERL5DB',
      'FPATH', 'NULLCMD', 'READNULLCMD', 'ZDOTDIR', 'TMPPREFIX', 'PYTHONHOME', 'PYTHONPATH', 'PYTHONINSPECT',
      'PYTHONUSERBASE', 'PYTHONSTARTUP', 'RUBYLIB', 'RUBYOPT', 'NODE_OPTIONS', 'NODE_PATH', 'GIT_SSH_COMMAND',
      'GIT_CONFIG_*', 'GCONV_PATH',
    ],
  },
  {
    id: 'glibc',
    source: 'glibc sysdeps/generic/unsecvars.h UNSECURE_ENVVARS, commit 7b543dcdf97d07fd4346feb17916e08fe83ad0ae (2026-01-19)',
    entries: [
      'GCONV_PATH', 'GETCONF_DIR', 'GLIBC_TUNABLES', 'HOSTALIASES', 'LD_AUDIT', 'LD_BIND_NOT', 'LD_BIND_NOW', 'LD_DEBUG',
      'LD_DEBUG_OUTPUT', 'LD_DYNAMIC_WEAK', 'LD_LIBRARY_PATH', 'LD_ORIGIN_PATH', 'LD_PRELOAD', 'LD_PROFILE',
      'LD_PROFILE_OUTPUT', 'LD_SHOW_AUXV', 'LD_VERBOSE', 'LD_WARN', 'LOCALDOMAIN', 'LOCPATH', 'MALLOC_ARENA_MAX',
      'MALLOC_ARENA_TEST', 'MALLOC_MMAP_MAX_', 'MALLOC_MMAP_THRESHOLD_', 'MALLOC_PERTURB_', 'MALLOC_TOP_PAD_',
      'MALLOC_TRACE', 'MALLOC_TRIM_THRESHOLD_', 'NIS_PATH', 'NLSPATH', 'RESOLV_HOST_CONF', 'RES_OPTIONS', 'TMPDIR', 'TZDIR',
    ],
  },
  {
    id: 'shell',
    // bash(1) "Shell Variables" (BASH_ENV, BASH_LOADABLES_PATH, PROMPT_COMMAND, PS0–PS4 are
    // expanded or sourced, so they run commands), dash(1)/POSIX sh ENV, zsh(1) "STARTUP/SHUTDOWN
    // FILES" (ZDOTDIR); bash's own BASH_* settings as a prefix.
    source: 'bash(1) Shell Variables; zsh(1) Startup files; POSIX sh ENV',
    entries: ['PATH', 'HOME', 'SHELL', 'BASH_*', 'PROMPT_COMMAND', 'PS0', 'PS1', 'PS2', 'PS3', 'INPUTRC', 'FCEDIT', 'HISTFILE'],
  },
  {
    id: 'node',
    // Node.js https://nodejs.org/api/cli.html#environment-variables: every NODE_* variable, among them
    // NODE_OPTIONS, NODE_PATH, NODE_COMPILE_CACHE (load compiled code from a directory),
    // NODE_EXTRA_CA_CERTS, NODE_TLS_REJECT_UNAUTHORIZED, NODE_REPL_EXTERNAL_MODULE. NODE_ENV is
    // not read by Node itself (a framework convention) and stays settable.
    source: 'Node.js https://nodejs.org/api/cli.html#environment-variables',
    entries: ['NODE_*', 'UV_THREADPOOL_SIZE'],
    except: ['NODE_ENV'],
  },
  {
    id: 'python',
    // Python Doc/using/cmdline.rst "Environment variables": every PYTHON* variable.
    source: 'Python Doc/using/cmdline.rst, Environment variables',
    entries: ['PYTHON*', 'VIRTUAL_ENV'],
  },
  {
    id: 'ruby',
    // ruby(1) ENVIRONMENT; RubyGems and Bundler (GEM_HOME, GEM_PATH, BUNDLE_GEMFILE load code).
    source: 'ruby(1) ENVIRONMENT; RubyGems/Bundler configuration',
    entries: ['RUBY*', 'GEM_HOME', 'GEM_PATH', 'BUNDLE_*'],
  },
  {
    id: 'perl',
    // perlrun(1) ENVIRONMENT: PERL5LIB, PERL5OPT, PERLLIB, PERLIO*, PERL5DB, PERL_* …
    source: 'perlrun(1) ENVIRONMENT',
    entries: ['PERL*'],
  },
  {
    id: 'java',
    // JDK: the java launcher reads JDK_JAVA_OPTIONS, the JVM JAVA_TOOL_OPTIONS and _JAVA_OPTIONS;
    // CLASSPATH and JAVA_HOME choose what runs; build tools read the *_OPTS shape below.
    source: 'JDK java(1) "Using the JDK_JAVA_OPTIONS Launcher Environment Variable"; JVM TI JAVA_TOOL_OPTIONS',
    entries: ['JAVA_TOOL_OPTIONS', 'JDK_JAVA_OPTIONS', '_JAVA_OPTIONS', 'CLASSPATH', 'JAVA_HOME'],
  },
  {
    id: 'dotnet',
    // .NET docs "Environment variables used by the .NET SDK, .NET CLI, and .NET runtime":
    // DOTNET_STARTUP_HOOKS, DOTNET_ADDITIONAL_DEPS, DOTNET_ROOT …; CLR profiler variables
    // (CORECLR_PROFILER*, COR_PROFILER*, COR_ENABLE_PROFILING) load a native library; COMPlus_*
    // are the legacy runtime knobs.
    source: 'learn.microsoft.com dotnet/core/tools/dotnet-environment-variables; CLR profiling',
    entries: ['DOTNET_*', 'CORECLR_*', 'COR_*', 'COMPLUS_*'],
  },
  {
    id: 'go',
    // `go help environment`: GOFLAGS, GOPROXY, GOPATH, GOROOT, GOTOOLCHAIN (downloads and runs a
    // toolchain), GOSUMDB, GONOSUMDB, GOPRIVATE, GOINSECURE …, CGO_* (compiler and linker flags).
    source: 'go help environment (cmd/go/alldocs.go, Environment variables)',
    entries: [
      'GO111MODULE', 'GOARCH', 'GOAUTH', 'GOBIN', 'GOCACHE', 'GOCACHEPROG', 'GODEBUG', 'GOENV', 'GOEXPERIMENT', 'GOFIPS140', 'GOFLAGS',
      'GOINSECURE', 'GOMODCACHE', 'GONOPROXY', 'GONOSUMDB', 'GONOSUMCHECK', 'GOOS', 'GOPATH', 'GOPRIVATE', 'GOPROXY', 'GOROOT',
      'GOSUMDB', 'GOTELEMETRY', 'GOTELEMETRYDIR', 'GOTMPDIR', 'GOTOOLCHAIN', 'GOVCS', 'GOWORK', 'GCCGO', 'CGO_*',
      'CC', 'CXX', 'CPP', 'FC', 'AR', 'LD', 'PKG_CONFIG', 'PKG_CONFIG_PATH',
    ],
  },
  {
    id: 'rust',
    // The Cargo Book "Environment Variables" (CARGO_*, RUSTC, RUSTC_WRAPPER,
    // RUSTC_WORKSPACE_WRAPPER, RUSTDOC, RUSTFLAGS, RUSTDOCFLAGS) and rustup (RUSTUP_*).
    source: 'The Cargo Book, Environment Variables; rustup book, Environment variables',
    entries: ['CARGO_*', 'RUSTC*', 'RUSTDOC*', 'RUSTFLAGS', 'RUSTUP_*'],
  },
  {
    id: 'php',
    source: 'PHP manual, The configuration file (PHPRC, PHP_INI_SCAN_DIR)',
    entries: ['PHPRC', 'PHP_INI_SCAN_DIR'],
  },
  {
    id: 'lua',
    // lua(1): LUA_INIT (code run at start-up), LUA_PATH, LUA_CPATH, and their _5_x versions.
    source: 'lua(1) ENVIRONMENT VARIABLES',
    entries: ['LUA_INIT*', 'LUA_PATH*', 'LUA_CPATH*'],
  },
  {
    id: 'package-managers',
    // npm config (every npm_config_* is a setting, script-shell and node-options among them),
    // Yarn (YARN_*), Corepack (COREPACK_*), pnpm, pip (PIP_INDEX_URL, PIP_CERT …).
    source: 'npm docs, config ("Environment Variables"); Yarn configuration; pip user guide, Environment Variables',
    entries: ['NPM_CONFIG_*', 'YARN_*', 'COREPACK_*', 'PNPM_*', 'PIP_*'],
  },
  {
    id: 'git',
    // git(1) ENVIRONMENT VARIABLES: GIT_SSH_COMMAND, GIT_CONFIG_*, GIT_EXEC_PATH, GIT_ASKPASS, …
    source: 'git(1) ENVIRONMENT VARIABLES',
    entries: ['GIT_*'],
  },
  {
    id: 'ssh',
    // ssh(1) ENVIRONMENT: SSH_ASKPASS (a program run for passphrases), SSH_ASKPASS_REQUIRE,
    // SSH_AUTH_SOCK (the agent to ask).
    source: 'ssh(1) ENVIRONMENT',
    entries: ['SSH_*'],
  },
  {
    id: 'pagers-editors',
    // less(1) ENVIRONMENT VARIABLES (LESSOPEN/LESSCLOSE run an input preprocessor, LESSEDIT,
    // LESSKEY*, LESS); man(1) MANPAGER, MANOPT; PAGER, EDITOR, VISUAL, SUDO_EDITOR, BROWSER are
    // commands other programs run.
    source: 'less(1) ENVIRONMENT VARIABLES; man(1) ENVIRONMENT; environ(7)',
    entries: ['LESS*', 'PAGER', 'MANPAGER', 'MANOPT', 'MANROFFOPT', 'SYSTEMD_PAGER', 'EDITOR', 'VISUAL', 'SUDO_EDITOR', 'BROWSER'],
  },
  {
    id: 'network',
    // curl(1) (CURL_HOME, CURL_CA_BUNDLE, *_proxy), wget(1) (WGETRC, SYSTEM_WGETRC), OpenSSL
    // (SSL_CERT_FILE, SSL_CERT_DIR, OPENSSL_CONF, OPENSSL_MODULES), Python requests
    // (REQUESTS_CA_BUNDLE), SSLKEYLOGFILE (writes TLS session keys to a file): where traffic goes
    // and which certificates are trusted.
    source: 'curl(1) ENVIRONMENT; wget(1) FILES; OpenSSL openssl-env(7); requests docs, SSL Cert Verification',
    entries: [
      'CURL_HOME', 'CURL_CA_BUNDLE', 'WGETRC', 'SYSTEM_WGETRC', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'OPENSSL_*', 'REQUESTS_CA_BUNDLE',
      'SSLKEYLOGFILE', 'HTTP_PROXY', 'HTTPS_PROXY', 'ALL_PROXY', 'NO_PROXY', 'FTP_PROXY',
    ],
  },
  {
    id: 'ci-runner',
    // GitHub Actions "Variables": the GITHUB_ prefix is reserved for GitHub; the runner reads
    // ACTIONS_* and RUNNER_* (ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_URL, …).
    source: 'GitHub Actions docs, Store information in variables (Naming conventions; Default environment variables)',
    entries: ['ACTIONS_*', 'GITHUB_*', 'RUNNER_*'],
  },
  {
    id: 'xdg',
    // XDG Base Directory Specification: where programs read their configuration and data, e.g.
    // git reads $XDG_CONFIG_HOME/git/config, whose core.fsmonitor, core.hooksPath and
    // core.sshCommand run programs (git-config(1) FILES); XDG_DATA_DIRS lists where desktop
    // files, GIO modules and schemas are loaded from.
    source: 'XDG Base Directory Specification (specifications.freedesktop.org/basedir-spec); git-config(1) FILES',
    entries: ['XDG_*'],
  },
  {
    id: 'editors',
    // vim :help startup (VIMINIT and EXINIT are Ex commands run at start, `:!cmd` included;
    // MYVIMRC, MYGVIMRC, VIMRUNTIME, VIM choose the files sourced); GNU Emacs EMACSLOADPATH
    // (where Lisp, code, is loaded from).
    source: 'vim :help startup and :help $VIMRUNTIME; GNU Emacs manual, General Variables',
    entries: ['VIMINIT', 'GVIMINIT', 'EXINIT', 'MYVIMRC', 'MYGVIMRC', 'VIMRUNTIME', 'VIM', 'EMACSLOADPATH'],
  },
  {
    id: 'build-tools',
    // GNU make manual "The Variable MAKEFILES" (makefiles read before any other); Autoconf manual
    // "Setting Site Defaults" (CONFIG_SITE: shell scripts every configure sources);
    // cmake-env-variables(7) (CMAKE_TOOLCHAIN_FILE and the rest: CMake code run by every build);
    // Gradle "Build Environment" (GRADLE_USER_HOME/init.d scripts run by every build), Maven
    // (MAVEN_ARGS, MAVEN_HOME, M2_HOME choose what runs), Ant (ANT_HOME, ANT_ARGS).
    source: 'GNU make manual, The Variable MAKEFILES; Autoconf manual, Setting Site Defaults; cmake-env-variables(7); Gradle docs, Build Environment; Maven docs, Configuring Apache Maven',
    entries: ['MAKEFILES', 'CONFIG_SITE', 'CMAKE_*', 'GRADLE_*', 'MAVEN_*', 'M2_HOME', 'ANT_HOME'],
  },
  {
    id: 'remote-shells',
    // Programs other tools run to reach a remote host, and the askpass helpers they run for a
    // password: rsync(1) RSYNC_RSH, RSYNC_CONNECT_PROG; cvs CVS_RSH, CVS_SERVER; svn SVN_SSH,
    // SVN_EDITOR; Mercurial hg(1) HGRCPATH (hgrc [hooks] run commands), HGEDITOR; sudo(8)
    // SUDO_ASKPASS.
    source: 'rsync(1) ENVIRONMENT VARIABLES; CVS manual, All environment variables; svn book, Runtime Configuration; hg(1) ENVIRONMENT; sudo(8) ENVIRONMENT',
    entries: ['RSYNC_RSH', 'RSYNC_CONNECT_PROG', 'CVS_RSH', 'CVS_SERVER', 'SVN_SSH', 'SVN_EDITOR', 'HGRCPATH', 'HGEDITOR', 'SUDO_ASKPASS'],
  },
  {
    id: 'cloud-containers',
    // Kubernetes client-go kubeconfig (`users[].user.exec` runs a credential plugin): KUBECONFIG;
    // Helm (HELM_PLUGINS and the rest: plugins are programs); docker CLI "Environment variables"
    // (DOCKER_HOST chooses the daemon, DOCKER_CONFIG the credential helpers it runs); Terraform
    // (TF_CLI_CONFIG_FILE: provider installation and credential helpers; TF_CLI_ARGS*: flags;
    // TF_PLUGIN_CACHE_DIR: provider binaries); gcloud (CLOUDSDK_*: CLOUDSDK_PYTHON is the
    // interpreter it runs); Ansible (ANSIBLE_*: config, plugin and callback paths); boto
    // (BOTO_CONFIG, BOTO_PATH); Azure CLI (AZURE_CONFIG_DIR).
    source: 'kubernetes.io, Organizing Cluster Access Using kubeconfig Files; helm.sh docs, Helm environment variables; docs.docker.com, Use the Docker command line (Environment variables); developer.hashicorp.com terraform cli config environment-variables; cloud.google.com sdk docs properties; docs.ansible.com, Ansible Configuration Settings; boto config docs; Azure CLI configuration',
    entries: ['KUBECONFIG', 'HELM_*', 'DOCKER_*', 'TF_CLI_CONFIG_FILE', 'TF_CLI_ARGS*', 'TF_PLUGIN_CACHE_DIR', 'CLOUDSDK_*', 'ANSIBLE_*', 'BOTO_CONFIG', 'BOTO_PATH', 'AZURE_CONFIG_DIR'],
  },
  {
    id: 'modules-plugins',
    // Libraries and plugins a program loads from a search path: GTK (GTK_MODULES, GTK_PATH), Qt
    // (QT_PLUGIN_PATH, QT_QPA_PLATFORM_PLUGIN_PATH), GIO (GIO_EXTRA_MODULES), GStreamer
    // (GST_PLUGIN_PATH*, GST_PLUGIN_SYSTEM_PATH*), Cyrus SASL (SASL_PATH), psql (PSQLRC: psql
    // commands, `\!` shell escapes included, run at start).
    source: 'GTK docs, Running GTK Applications; Qt docs, Deploying Plugins; GIO docs, Running GIO applications; GStreamer docs, Running GStreamer Applications; Cyrus SASL options; psql(1) ENVIRONMENT',
    entries: ['GTK_MODULES', 'GTK_PATH', 'QT_PLUGIN_PATH', 'QT_QPA_PLATFORM_PLUGIN_PATH', 'GIO_EXTRA_MODULES', 'GST_PLUGIN_PATH*', 'GST_PLUGIN_SYSTEM_PATH*', 'SASL_PATH', 'PSQLRC'],
  },
  {
    id: 'more-runtimes',
    // Julia (JULIA_*: JULIA_LOAD_PATH, JULIA_DEPOT_PATH), Erlang erl(1) (ERL_LIBS, ERL_AFLAGS …),
    // GHC (GHC_ENVIRONMENT, GHC_PACKAGE_PATH), R (R_PROFILE, R_PROFILE_USER, R_ENVIRON*: R code
    // run at start; R_LIBS*), Tcl (TCLLIBPATH), Deno (DENO_*: DENO_CERT, DENO_DIR), Bun (BUN_*),
    // uv (UV_*: UV_INDEX_URL substitutes the package source), Poetry (POETRY_*), Conda (CONDARC,
    // CONDA_*).
    source: 'Julia manual, Environment Variables; erl(1); GHC user guide, Package environments; R docs, ?Startup; tclsh(1); Deno docs, Environment variables; Bun docs, Environment variables; uv docs, Environment variables; Poetry docs, Configuration; conda docs, Using the .condarc',
    entries: ['JULIA_*', 'ERL_*', 'GHC_ENVIRONMENT', 'GHC_PACKAGE_PATH', 'R_PROFILE', 'R_PROFILE_USER', 'R_ENVIRON', 'R_ENVIRON_USER', 'R_LIBS*', 'TCLLIBPATH', 'DENO_*', 'BUN_*', 'UV_*', 'POETRY_*', 'CONDARC', 'CONDA_*'],
  },
  {
    id: 'keystash-aws',
    // keystash's own settings and the AWS SDKs' (credentials, endpoints, AWS_CA_BUNDLE).
    source: 'keystash README, Configuration; AWS SDKs and Tools reference guide, Environment variables',
    entries: ['KEYSTASH_*', 'AWS_*'],
  },
  {
    id: 'flag-shapes',
    // Variables of these shapes carry options, flags or arguments to some program (MAVEN_OPTS,
    // GRADLE_OPTS, CFLAGS, LDFLAGS, MAKEFLAGS, ERL_AFLAGS, MAVEN_ARGS, TF_CLI_ARGS, ANT_ARGS, …):
    // refused by default, whatever program reads them.
    source: 'keystash default: names that carry flags or arguments to a program',
    entries: ['*_OPTIONS', '*_OPTS', '*FLAGS', '*_ARGS'],
  },
];

interface CompiledRule {
  exact: Map<string, string>;
  prefixes: Array<[prefix: string, id: string]>;
  suffixes: Array<[suffix: string, id: string]>;
  except: Map<string, Set<string>>;
}

function compile(sources: readonly UnsafeEnvSource[]): CompiledRule {
  const rule: CompiledRule = { exact: new Map(), prefixes: [], suffixes: [], except: new Map() };
  for (const { id, entries, except } of sources) {
    rule.except.set(id, new Set(except ?? []));
    for (const entry of entries) {
      if (entry.endsWith('*')) rule.prefixes.push([entry.slice(0, -1), id]);
      else if (entry.startsWith('*')) rule.suffixes.push([entry.slice(1), id]);
      else if (!rule.exact.has(entry)) rule.exact.set(entry, id);
    }
  }
  return rule;
}

const RULE = compile(UNSAFE_ENV_SOURCES);

/**
 * The id of a source that lists `varName` (compared upper-cased; a whole name before a prefix,
 * a prefix before a suffix), or undefined when no source does.
 */
export function unsafeEnvSource(varName: string): string | undefined {
  const upper = varName.toUpperCase();
  const exact = RULE.exact.get(upper);
  if (exact !== undefined) return exact;
  const excepted = (id: string) => RULE.except.get(id)?.has(upper) === true;
  for (const [prefix, id] of RULE.prefixes) if (upper.startsWith(prefix) && !excepted(id)) return id;
  for (const [suffix, id] of RULE.suffixes) if (upper.endsWith(suffix) && !excepted(id)) return id;
  return undefined;
}
