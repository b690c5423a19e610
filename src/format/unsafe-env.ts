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
 * was read from, and the shapes that carry flags to a program (`*OPTIONS`, `*OPTS`, `*FLAGS`,
 * `*ARGS`), name a program to run (`*_EDITOR`, `*_PAGER`, `*_BROWSER`, `*_DIFF`, `*_COMMAND`, …)
 * or point a program at its installation or configuration (`*_HOME`, `*_CONFIG_FILE`, …).
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
    id: 'compilers',
    // GCC manual "Environment Variables Affecting GCC": COMPILER_PATH and GCC_EXEC_PREFIX are
    // where the driver finds the programs it runs (cc1, as, collect2, ld), LIBRARY_PATH where the
    // linker finds libraries (and, with COMPILER_PATH, startfiles), CPATH / C_INCLUDE_PATH /
    // CPLUS_INCLUDE_PATH / OBJC_INCLUDE_PATH the headers compiled in, DEPENDENCIES_OUTPUT and
    // SUNPRO_DEPENDENCIES files it writes; collect2 reads COLLECT_GCC and COLLECT_LTO_WRAPPER (the
    // programs it runs). clang: CCC_OVERRIDE_OPTIONS edits every command line, scan-build's
    // CCC_CC / CCC_CXX / CCC_ANALYZER_* name the compiler it runs.
    source: 'GCC manual, Environment Variables Affecting GCC (gcc.gnu.org/onlinedocs/gcc/Environment-Variables.html); GCC internals, Collect2; clang Driver docs (CCC_OVERRIDE_OPTIONS); scan-build',
    entries: [
      'COMPILER_PATH', 'GCC_EXEC_PREFIX', 'LIBRARY_PATH', 'CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'OBJC_INCLUDE_PATH',
      'OBJCPLUS_INCLUDE_PATH', 'DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES', 'GCC_COMPARE_DEBUG', 'COLLECT_GCC', 'COLLECT_GCC_OPTIONS',
      'COLLECT_LTO_WRAPPER', 'CCC_*',
    ],
  },
  {
    id: 'make-autotools',
    // GNU make manual "Variables from the Environment" (every variable of the environment is a make
    // variable) and "Variables Used by Implicit Rules" (the programs implicit rules run: AR, AS,
    // CC, CXX, CPP, FC, M2C, PC, CO, GET, LEX, YACC, LINT, MAKEINFO, TEX, TEXI2DVI, WEAVE, CWEAVE,
    // TANGLE, CTANGLE, RM; their flags are the *FLAGS shape), "Communicating Options to a
    // Sub-make" (MAKEFLAGS, MFLAGS, GNUMAKEFLAGS), MAKE (the make a recipe's $(MAKE) runs);
    // Autoconf manual "Particular Program Checks" (NM, RANLIB, STRIP, OBJCOPY, OBJDUMP are taken
    // from the environment) and "config.status Invocation" (CONFIG_SHELL runs configure);
    // pkg-config(1) ENVIRONMENT (PKG_CONFIG_PATH, PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR: the
    // .pc files whose Cflags/Libs are passed to the compiler).
    source: 'GNU make manual, Variables from the Environment; Variables Used by Implicit Rules; Communicating Options to a Sub-make. Autoconf manual, Particular Program Checks. pkg-config(1) ENVIRONMENT VARIABLES',
    entries: [
      'MAKEFLAGS', 'MFLAGS', 'GNUMAKEFLAGS', 'MAKEFILES', 'MAKE', 'AR', 'AS', 'CC', 'CXX', 'CPP', 'FC', 'M2C', 'PC', 'CO', 'GET', 'LEX', 'YACC',
      'LINT', 'MAKEINFO', 'TEX', 'TEXI2DVI', 'WEAVE', 'CWEAVE', 'TANGLE', 'CTANGLE', 'RM', 'NM', 'RANLIB', 'STRIP', 'OBJCOPY', 'OBJDUMP',
      'CONFIG_SHELL', 'PKG_CONFIG', 'PKG_CONFIG_*',
    ],
  },
  {
    id: 'compiler-caches',
    // ccache manual "Configuration" (every setting may be given as CCACHE_<KEY>: CCACHE_PREFIX and
    // CCACHE_PREFIX_CPP are commands ccache runs the compiler through, CCACHE_COMPILER the
    // compiler, CCACHE_CONFIGPATH / CCACHE_DIR the configuration file read); sccache docs
    // "Configuration" (SCCACHE_CONF, the server and dist-compile settings); distcc(1) ENVIRONMENT
    // VARIABLES (DISTCC_HOSTS: where source is sent and compiled, DISTCC_CMDLIST).
    source: 'ccache manual, Configuration (ccache.dev/manual); sccache docs, Configuration; distcc(1) ENVIRONMENT VARIABLES',
    entries: ['CCACHE_*', 'SCCACHE_*', 'DISTCC_*'],
  },
  {
    id: 'test-runners',
    // pytest reference "Environment Variables": PYTEST_ADDOPTS (extra command-line options:
    // a test path, -p plugin, --rootdir …), PYTEST_PLUGINS (modules imported as plugins),
    // PYTEST_DISABLE_PLUGIN_AUTOLOAD, PYTEST_DEBUG; tox "Configuration" (any setting as
    // TOX_<KEY>, TOX_OVERRIDE, TOX_USER_CONFIG_FILE); nox "Usage" (NOXSESSION, NOXPYTHON,
    // NOXEXTRAPYTHON, NOXFORCEPYTHON: the interpreter run); coverage.py "Configuration reference"
    // and "Measuring subprocesses" (COVERAGE_RCFILE, COVERAGE_PROCESS_START: a configuration whose
    // [run] plugins are imported). No Jest or Vitest variable is listed: Vitest chooses its
    // configuration by file or --config ("Configuring Vitest"); both start through node, whose
    // NODE_OPTIONS is the node group's.
    source: 'pytest docs, API Reference, Environment Variables; tox docs, Configuration; nox docs, Usage; coverage.py docs, Configuration reference and Measuring subprocesses',
    entries: ['PYTEST_*', 'TOX_*', 'NOXSESSION', 'NOXPYTHON', 'NOXEXTRAPYTHON', 'NOXFORCEPYTHON', 'NOX_DEFAULT_VENV_BACKEND', 'COVERAGE_RCFILE', 'COVERAGE_PROCESS_START'],
  },
  {
    id: 'dev-clis',
    // `gh help environment` (GH_EDITOR, GH_BROWSER, GH_PAGER: programs gh runs; GH_CONFIG_DIR: its
    // config, whose aliases run shell commands); glab config (glab_editor, glab_pager;
    // GLAB_CONFIG_DIR); kubectl diff (KUBECTL_EXTERNAL_DIFF: the diff command run), kubectl edit
    // (KUBE_EDITOR), kuberc (KUBERC, KUBECTL_KUBERC: aliases and default flags); systemctl(1) and
    // systemd(1) ENVIRONMENT (SYSTEMD_EDITOR, SYSTEMD_PAGER, SYSTEMD_LESS, SYSTEMD_PAGERSECURE …);
    // screen(1) FILES/ENVIRONMENT (SCREENRC, SYSSCREENRC: `screen` and `exec` commands run at
    // start, SCREENDIR).
    source: 'gh help environment (cli.github.com/manual/gh_help_environment); glab docs, glab config; kubectl diff and kubectl edit reference (kubernetes.io); kubectl kuberc; systemctl(1)/systemd(1) ENVIRONMENT; screen(1) ENVIRONMENT and FILES',
    entries: [
      'GH_EDITOR', 'GH_BROWSER', 'GH_PAGER', 'GH_CONFIG_DIR', 'GLAB_EDITOR', 'GLAB_PAGER', 'GLAB_CONFIG_DIR', 'KUBECTL_*', 'KUBE_EDITOR', 'KUBERC',
      'SYSTEMD_*', 'SCREENRC', 'SYSSCREENRC', 'SCREENDIR',
    ],
  },
  {
    id: 'interpreter-start-up',
    // Files and modules interpreters and their shells load at start: IRB docs "Configuration"
    // (IRBRC: Ruby run when irb starts), RubyGems `gem help environment` (GEMRC: the .gemrc read,
    // with its sources and install options); IPython docs "Configuration file location" (IPYTHONDIR
    // and the older IPYTHON_DIR: profile start-up scripts are run), Jupyter docs "Common Directories
    // and File Locations" (JUPYTER_CONFIG_DIR, JUPYTER_CONFIG_PATH, JUPYTER_PATH, JUPYTER_DATA_DIR:
    // Python config files and extensions loaded); Django "Settings: Designating the settings"
    // (DJANGO_SETTINGS_MODULE: a module imported); Flask "Command Line Interface" (FLASK_APP: the
    // module imported; FLASK_DEBUG: the interactive debugger, which runs code sent to it; FLASK_RUN_*
    // the options of `flask run`); Matplotlib "Environment variables" (MPLBACKEND: a
    // `module://` backend is imported; MPLCONFIGDIR: matplotlibrc read).
    source: 'IRB docs, Configuration; RubyGems, gem help environment; IPython docs, Introduction to IPython configuration; Jupyter docs, Common Directories and File Locations; Django docs, Settings; Flask docs, Command Line Interface; Matplotlib docs, Environment variables',
    entries: [
      'IRBRC', 'GEMRC', 'IPYTHONDIR', 'IPYTHON_DIR', 'JUPYTER_*', 'DJANGO_SETTINGS_MODULE', 'FLASK_APP', 'FLASK_DEBUG', 'FLASK_ENV', 'FLASK_RUN_*',
      'MPLBACKEND', 'MPLCONFIGDIR',
    ],
  },
  {
    id: 'version-managers',
    // Version managers and language homes decide which binary `python`, `ruby`, `node`, `java` …
    // is: pyenv README "Environment variables" (PYENV_VERSION, PYENV_ROOT, PYENV_HOOK_PATH: hook
    // scripts sourced, PYENV_DIR), rbenv README "Environment variables" (RBENV_*, the same), nodenv,
    // goenv, plenv, jenv (the same design); nvm README (NVM_DIR: nvm.sh sourced from it,
    // NVM_NODEJS_ORG_MIRROR: where node is downloaded from), n (N_PREFIX, N_NODE_MIRROR), fnm
    // (FNM_*), asdf docs "Configuration" (ASDF_DIR, ASDF_DATA_DIR: shims and plugins, ASDF_CONFIG_FILE),
    // mise (MISE_*, and rtx, its former name), Volta docs (VOLTA_HOME), SDKMAN! (SDKMAN_DIR,
    // SDKMAN_CANDIDATES_API), Android SDK "Environment variables" (ANDROID_HOME, ANDROID_SDK_ROOT,
    // ANDROID_NDK_HOME, ANDROID_NDK_ROOT: the build tools Gradle runs), Xcode SDKROOT/DEVELOPER_DIR.
    source: 'pyenv README, Environment variables; rbenv README, Environment variables; nvm README; n README; fnm docs; asdf docs, Configuration; mise docs, Environment variables; Volta docs; SDKMAN! docs; Android developers, Environment variables; xcrun(1)',
    entries: [
      'PYENV_*', 'RBENV_*', 'NODENV_*', 'GOENV_*', 'PLENV_*', 'JENV_*', 'NVM_*', 'N_PREFIX', 'N_NODE_MIRROR', 'FNM_*', 'ASDF_*', 'MISE_*', 'RTX_*',
      'VOLTA_*', 'SDKMAN_*', 'ANDROID_HOME', 'ANDROID_SDK_ROOT', 'ANDROID_NDK_HOME', 'ANDROID_NDK_ROOT', 'SDKROOT', 'DEVELOPER_DIR',
    ],
  },
  {
    id: 'php-composer',
    // Composer docs "Environment variables": COMPOSER (the composer.json used, whose scripts run),
    // COMPOSER_HOME (config.json and global plugins), COMPOSER_VENDOR_DIR, COMPOSER_BIN_DIR …
    // COMPOSER_AUTH carries credentials only (it is a secret, and changes no program) and stays
    // settable.
    source: 'Composer docs, Command-line interface / Commands, Environment variables',
    entries: ['COMPOSER', 'COMPOSER_*'],
    except: ['COMPOSER_AUTH'],
  },
  {
    id: 'credential-config-files',
    // Pointers to the files a client takes credentials, trust or drivers from: libpq "Environment
    // Variables" (PGPASSFILE, PGSERVICEFILE, PGSYSCONFDIR: pg_service.conf, PGSSLROOTCERT,
    // PGSSLCRL, PGSSLCRLDIR: which server certificates are trusted); netrc (NETRC: `go help
    // goauth`, inetutils ftp(1)); gpg(1) ENVIRONMENT (GNUPGHOME: gpg.conf and gpg-agent.conf,
    // whose pinentry-program is run); containers.conf(5), containers-registries.conf(5),
    // containers-storage.conf(5) (CONTAINERS_CONF: helper_binaries_dir and hooks,
    // CONTAINERS_REGISTRIES_CONF: where images come from, CONTAINERS_STORAGE_CONF),
    // containers-auth.json(5) (REGISTRY_AUTH_FILE), podman-remote (CONTAINER_HOST,
    // CONTAINER_CONNECTION: the engine the commands go to); OpenLDAP ldap.conf(5) ENVIRONMENT
    // VARIABLES (LDAPCONF, LDAPRC, LDAPNOINIT and the LDAPTLS_* options: CA certificates);
    // unixODBC (ODBCINI, ODBCSYSINI, ODBCINSTINI: the Driver entries are shared libraries loaded);
    // Oracle Net (TNS_ADMIN: sqlnet.ora, tnsnames.ora, wallets); MySQL (MYSQL_TEST_LOGIN_FILE).
    source: 'PostgreSQL docs, libpq Environment Variables; go help goauth; gpg(1) ENVIRONMENT; containers.conf(5); containers-registries.conf(5); containers-auth.json(5); podman-remote(1); OpenLDAP ldap.conf(5) ENVIRONMENT VARIABLES; unixODBC odbcinst(1) / odbc.ini; Oracle Net Services Reference, TNS_ADMIN; MySQL docs, Environment Variables',
    entries: [
      'PGPASSFILE', 'PGSERVICEFILE', 'PGSYSCONFDIR', 'PGSSLROOTCERT', 'PGSSLCRL', 'PGSSLCRLDIR', 'NETRC', 'GNUPGHOME', 'CONTAINERS_*',
      'REGISTRY_AUTH_FILE', 'CONTAINER_HOST', 'CONTAINER_CONNECTION', 'LDAPCONF', 'LDAPRC', 'LDAPNOINIT', 'LDAPTLS_*', 'ODBCINI', 'ODBCSYSINI',
      'ODBCINSTINI', 'TNS_ADMIN', 'MYSQL_TEST_LOGIN_FILE',
    ],
  },
  {
    id: 'keystash-aws',
    // keystash's own settings and the AWS SDKs' (credentials, endpoints, AWS_CA_BUNDLE).
    source: 'keystash README, Configuration; AWS SDKs and Tools reference guide, Environment variables',
    entries: ['KEYSTASH_*', 'AWS_*'],
  },
  {
    id: 'system-package-tools',
    // apt's configuration file (APT::Update::Pre-Invoke runs a command: an attack review ran one
    // as root through `apt-get update`), and the settings of the build tools Python's setuptools
    // and sysconfig read to link extensions (LDSHARED ran the attacker's linker as root).
    source: 'apt.conf(5) "APT_CONFIG"; Python sysconfig/setuptools build_ext (LDSHARED, LDCXXSHARED, BLDSHARED, CCSHARED, ARFLAGS, PY_CFLAGS); dpkg(1) environment; debconf(7)',
    entries: ['APT_CONFIG', 'LDSHARED', 'LDCXXSHARED', 'BLDSHARED', 'CCSHARED', 'DPKG_ROOT', 'DPKG_ADMINDIR', 'DEBCONF_*', 'DEBIAN_FRONTEND', 'MAKEOVERRIDES'],
  },
  {
    id: 'windows-runner',
    // A Windows runner's start-up and lookup variables: the command interpreter (COMSPEC), the
    // extensions tried as programs (PATHEXT), PowerShell's module path, and the profile folders
    // programs read configuration and start-up files from; TMP/TEMP choose where temporary files
    // (scripts among them) are written.
    source: 'Microsoft Learn, "Recognized environment variables" and about_PSModulePath; cmd.exe COMSPEC/PATHEXT',
    entries: ['COMSPEC', 'PATHEXT', 'PSMODULEPATH', 'USERPROFILE', 'APPDATA', 'LOCALAPPDATA', 'PROGRAMDATA', 'SYSTEMROOT', 'WINDIR', 'TMP', 'TEMP', 'TMPDIR'],
  },
  {
    id: 'native-build-paths',
    // Where native builds find their compilers, tools and libraries: the cc crate's TARGET_/HOST_
    // variables, Linux's CROSS_COMPILE prefix, bindgen's libclang, prost's protoc, PyO3's Python,
    // rustc's target specs, Nix's configuration and search path, ImageMagick's and GdkPixbuf's
    // module files, Guile's and Emacs's load paths.
    source: 'cc crate docs (TARGET_CC, HOST_CC …); Linux kernel Makefile CROSS_COMPILE; bindgen/clang-sys LIBCLANG_PATH, CLANG_PATH; prost-build PROTOC; PyO3 PYO3_PYTHON; rustc RUST_TARGET_PATH; nix.conf(5) NIX_CONFIG, NIX_PATH; ImageMagick MAGICK_*_PATH; gdk-pixbuf GDK_PIXBUF_MODULE_FILE; Guile GUILE_LOAD_PATH; Emacs EMACSPATH; Terraform TERRAFORM_CONFIG',
    entries: [
      'TARGET_CC', 'TARGET_CXX', 'TARGET_AR', 'TARGET_CFLAGS', 'TARGET_CXXFLAGS', 'HOST_CC', 'HOST_CXX', 'HOST_AR', 'CROSS_COMPILE', 'LIBCLANG_PATH', 'CLANG_PATH',
      'PROTOC', 'PROTOC_INCLUDE', 'PYO3_PYTHON', 'PYO3_CONFIG_FILE', 'RUST_TARGET_PATH', 'NIX_CONFIG', 'NIX_PATH', 'NIX_USER_CONF_FILES', 'MAGICK_*', 'GDK_PIXBUF_MODULE_FILE',
      'GUILE_LOAD_PATH', 'GUILE_LOAD_COMPILED_PATH', 'EMACSPATH', 'EMACSLOADPATH', 'TERRAFORM_CONFIG',
    ],
  },
  {
    id: 'binary-locations',
    // Where test and build tools take a browser or a binary to run, or a mirror to download one
    // from: Puppeteer's and Cypress's executables, Karma's CHROME_BIN, Electron (ELECTRON_RUN_AS_NODE
    // turns any Electron app into a Node that runs a script), node-sass's binary site, Homebrew's
    // bottle domain; and the shapes of such names.
    source: 'Puppeteer configuration (PUPPETEER_EXECUTABLE_PATH); Cypress (CYPRESS_RUN_BINARY); karma-chrome-launcher (CHROME_BIN); Electron environment variables; node-sass (SASS_BINARY_SITE); Homebrew manpage (HOMEBREW_BOTTLE_DOMAIN)',
    entries: [
      'CHROME_BIN', 'CHROME_PATH', 'CHROMIUM_BIN', 'FIREFOX_BIN', 'PUPPETEER_*', 'CYPRESS_RUN_BINARY', 'CYPRESS_INSTALL_BINARY', 'ELECTRON_*', 'SASS_BINARY_*', 'HOMEBREW_*',
      '*_BIN', '*_BINARY', '*_EXECUTABLE', '*_EXECUTABLE_PATH', '*_MIRROR', '*_DOWNLOAD_HOST', '*_LOAD_PATH', '*_MODULE_PATH', '*_MODULE_FILE', '*_PLUGIN_PATH',
    ],
  },
  {
    id: 'flag-shapes',
    // Variables of these shapes carry options, flags or arguments to some program (MAVEN_OPTS,
    // GRADLE_OPTS, CFLAGS, LDFLAGS, MAKEFLAGS, ERL_AFLAGS, MAVEN_ARGS, TF_CLI_ARGS, ANT_ARGS, …):
    // refused by default, whatever program reads them. No `_` is required before the suffix:
    // PYTEST_ADDOPTS, RDOCOPT, RAKEOPT, JVMARGS and the like are the same thing (an attack review
    // ran a test file through PYTEST_ADDOPTS when the shape was `*_OPTS`).
    source: 'keystash default: names that carry flags or arguments to a program',
    entries: ['*OPTIONS', '*OPTS', '*OPT', '*FLAGS', '*ARGS'],
  },
  {
    id: 'program-shapes',
    // Names whose suffix says "the program to run": the editor, pager, browser or diff a tool
    // starts (GH_EDITOR, KUBE_EDITOR, SYSTEMD_EDITOR, GIT_PAGER, GH_BROWSER, KUBECTL_EXTERNAL_DIFF),
    // the askpass helper it runs for a password (GIT_ASKPASS, SSH_ASKPASS, SUDO_ASKPASS), the
    // wrapper or launcher a compiler runs under (RUSTC_WRAPPER, CMAKE_<LANG>_COMPILER_LAUNCHER),
    // a command or shell line (GIT_SSH_COMMAND, PROMPT_COMMAND, CONFIG_SHELL,
    // NPM_CONFIG_SCRIPT_SHELL). Ordinary secret names end in _KEY, _TOKEN, _SECRET, _PASSWORD,
    // _URL, _DSN …, none of these.
    source: 'keystash default: names that name a program to run (editor, pager, browser, diff, askpass, wrapper, launcher, command, shell)',
    entries: ['*_EDITOR', '*_PAGER', '*_BROWSER', '*_DIFF', '*_DIFFTOOL', '*_ASKPASS', '*_WRAPPER', '*_LAUNCHER', '*_COMMAND', '*_CMD', '*_SHELL'],
  },
  {
    id: 'config-pointer-shapes',
    // Names whose suffix says "where a program takes its installation, configuration or modules
    // from": *_HOME (JAVA_HOME, CARGO_HOME, VOLTA_HOME, COMPOSER_HOME, GRADLE_USER_HOME,
    // ANDROID_HOME, MYSQL_HOME, ORACLE_HOME …), *_CONFIG_FILE / *_CONFIG_DIR / *_CONFIG_PATH
    // (AWS_CONFIG_FILE, TF_CLI_CONFIG_FILE, GH_CONFIG_DIR, JUPYTER_CONFIG_DIR, RIPGREP_CONFIG_PATH,
    // PKG_CONFIG_PATH), *RCFILE (COVERAGE_RCFILE, REDISCLI_RCFILE), *_SETTINGS_MODULE and
    // *_CONFIG_MODULE (DJANGO_SETTINGS_MODULE, CELERY_CONFIG_MODULE: imported by name). A secret
    // that *is* a file (a kubeconfig, a service-account key) is given with `exec --file VAR=name`,
    // an explicit mapping this rule does not check.
    source: 'keystash default: names that point a program at its installation, configuration or a module to import',
    entries: ['*_HOME', '*_CONFIG_FILE', '*_CONFIG_DIR', '*_CONFIG_PATH', '*RCFILE', '*_SETTINGS_MODULE', '*_CONFIG_MODULE'],
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
