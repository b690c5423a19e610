// Bundles the CLI into OUT (dist/bundle/ once scripts/build.mjs swaps it in; DESIGN.md "Start-up
// cost"): one file each that Node reads and compiles (through its compile cache, bin/compile-cache.cjs)
// instead of hundreds of modules resolved from node_modules on every run.
//
//   cli.cjs         keystash's own code, commander, chalk
//   quick.cjs       the quick path of get, put and getall (src/cli/quick.ts): keystash's code
//                   those need, without commander; bin/keystash.cjs tries it first for them
//   aws-sdk.cjs     the AWS SDK (+ @smithy, @aws-crypto): loaded on first use, by aws backends only
//   yaml.cjs        the yaml package: loaded only for YAML import/export
//   version.txt     what `keystash --version` prints without loading any bundle
//
// CommonJS: loaded with a plain require by bin/keystash.cjs. Each third-party group is its own
// bundle so that a local `get` neither reads nor compiles the SDK. keystash's own modules live in
// cli.cjs and again in quick.cjs; a process runs one of the two (quick.cjs hands a line to cli.cjs
// before it has done anything), so every class (errors above all) has one identity in a run. SQLite is not bundled:
// node:sqlite is part of Node, and better-sqlite3 (the Node 20 fallback, an optional dependency with
// a native addon) is required from node_modules only where Node has no node:sqlite.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

/** Where the bundles go: argv[2] (scripts/build.mjs passes its staging directory). */
const OUT = process.argv[2] ?? 'dist/bundle';
const { VERSION } = await import(pathToFileURL(resolve(OUT, '..', 'version.js')).href);
const require = createRequire(import.meta.url);

/** Third-party packages that get a lazily loaded bundle of their own, by bundle name. */
const VENDOR_GROUPS = {
  'aws-sdk.cjs': /^@(aws-sdk|smithy|aws-crypto)\//,
  'yaml.cjs': /^yaml$/,
};

/**
 * better-sqlite3's JavaScript (the SQLite driver where Node has no node:sqlite) as a bundle of its
 * own, required on first use only, so Node 20 compiles one file instead of resolving a dozen;
 * its native addon stays in node_modules and is loaded by path (src/secretstore/sqlite-driver.ts).
 * Left out when better-sqlite3 is not installed at build time: it is then required from
 * node_modules, if at all.
 */
const SQLITE_BUNDLE = 'sqlite.cjs';
const hasBetterSqlite = (() => {
  try {
    return Boolean(require.resolve('better-sqlite3'));
  } catch {
    return false;
  }
})();
/** Every lazily required bundle, by name: its filter on specifiers. */
const LAZY_BUNDLES = { ...VENDOR_GROUPS, ...(hasBetterSqlite ? { [SQLITE_BUNDLE]: /^better-sqlite3$/ } : {}) };

/** The vendor bundle a specifier belongs to. */
const bundleOf = (specifier) => Object.entries(VENDOR_GROUPS).find(([, filter]) => filter.test(specifier))?.[0];

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // The AWS SDK's ES module builds keep their credential providers lazy (evaluated on first use).
  mainFields: ['module', 'main'],
  legalComments: 'none',
  logLevel: 'warning',
  charset: 'ascii',
  // Every import() becomes a require(): the bundles load synchronously, as one CommonJS graph.
  supported: { 'dynamic-import': false },
};

/**
 * The names keystash imports from each vendor package, read from its sources
 * (`import { A, B } from 'pkg'`; type-only imports left out), plus names reached through
 * createRequire (the yaml parser). Only these cross between the bundles: the CLI side reads
 * each as a plain property, and the vendor side exports a facade of just these names. Both
 * avoid esbuild's CommonJS interop copying every export of a package (hundreds for each AWS
 * client) on every run. Any other import form of a vendor package fails the build.
 */
function vendorImports() {
  const names = new Map([['yaml', new Set(['parseAllDocuments', 'visit', 'isAlias', 'isPair', 'isCollection', 'LineCounter'])]]);
  for (const file of readdirSync('src', { recursive: true })) {
    if (!String(file).endsWith('.ts')) continue;
    const text = readFileSync(join('src', String(file)), 'utf8');
    for (const m of text.matchAll(/^import\s+([^;]*?)\s+from\s+'([^']+)';/gms)) {
      const [, clause, specifier] = m;
      if (bundleOf(specifier) === undefined || clause.startsWith('type ')) continue;
      const named = /^\{([^}]*)\}$/s.exec(clause.trim());
      if (!named) throw new Error(`bundle: ${file}: only named imports of ${specifier} are bundled (got: import ${clause})`);
      const set = names.get(specifier) ?? new Set();
      for (const part of named[1].split(',').map((x) => x.trim()).filter(Boolean)) {
        if (!part.startsWith('type ')) set.add(part.split(/\s+as\s+/)[0]);
      }
      names.set(specifier, set);
    }
  }
  return names;
}
const VENDOR_NAMES = vendorImports();

/** Rewrites `import { … } from '<vendor package>'` into properties of its vendor bundle, read on first use. */
const vendorPlugin = {
  name: 'keystash-vendor-bundles',
  setup(b) {
    for (const [bundle, filter] of Object.entries(VENDOR_GROUPS)) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: `vendor:${bundle}` }));
      b.onLoad({ filter: /.*/, namespace: `vendor:${bundle}` }, (args) => {
        const names = [...(VENDOR_NAMES.get(args.path) ?? [])].sort();
        // CommonJS with one getter per name: esbuild reads an import of a CommonJS module at each
        // use, so the vendor bundle loads when a name is first used, not when the importing module
        // initialises (`getall` imports the yaml renderer but needs yaml only for -f yaml).
        const load = `let m;\nconst load = () => (m ??= require('./${bundle}')[${JSON.stringify(args.path)}]);`;
        const getters = names.map((n) => `  ${n}: { enumerable: true, get: () => load().${n} },`);
        return { contents: [load, 'Object.defineProperties(module.exports, {', ...getters, '});'].join('\n'), loader: 'js' };
      });
    }
    b.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** The vendor side: an entry with one lazy getter per package, each a facade of the imported names. */
/**
 * The module of `pkg` that defines `name`, where an AWS client package has one file per command
 * and client (dist-es/commands/NAME.js, dist-es/NAME.js); otherwise the package itself. Importing
 * a client's index initialises every command and the aggregated client class (~200 modules for
 * DynamoDB) on each run; keystash uses a handful.
 */
function moduleOf(pkg, name) {
  if (!pkg.startsWith('@aws-sdk/client-')) return pkg;
  for (const file of [`dist-es/commands/${name}.js`, `dist-es/${name}.js`]) {
    if (existsSync(join('node_modules', pkg, file))) return `${pkg}/${file}`;
  }
  return pkg;
}

const facadePlugin = {
  name: 'keystash-vendor-facades',
  setup(b) {
    b.onResolve({ filter: /^facade:/ }, (args) => ({ path: args.path.slice('facade:'.length), namespace: 'facade' }));
    b.onLoad({ filter: /.*/, namespace: 'facade' }, (args) => ({
      contents: [...VENDOR_NAMES.get(args.path)]
        .sort()
        .map((name) => `export { ${name} } from ${JSON.stringify(moduleOf(args.path, name))};`)
        .join('\n'),
      loader: 'js',
      resolveDir: '.',
    }));
  },
};

/**
 * Two Node built-ins the CLI's start-up path would load for nothing: commander requires
 * node:child_process at load time (for git-style executable subcommands, which keystash does not
 * use; ~10 ms with net and dgram), and createRequire from node:module (which loads the ES-module
 * loader on Node 20) is how keystash's ES modules load node:sqlite, better-sqlite3 and yaml. In
 * the bundle commander gets child_process on first use, and createRequire hands out cli.cjs's own
 * require, routing vendor packages to their bundles.
 */
const builtinShimPlugin = {
  name: 'keystash-builtin-shims',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => ({
      contents: `module.exports = new Proxy({}, { get: (_, key) => require('node:${args.path}')[key] });`,
      loader: 'js',
    }));
    b.onResolve({ filter: /^node:module$/ }, (args) => (args.importer.includes('node_modules') ? undefined : { path: 'module', namespace: 'module-shim' }));
    b.onLoad({ filter: /.*/, namespace: 'module-shim' }, () => {
      const groups = Object.entries(LAZY_BUNDLES).map(([bundle, filter]) => `[${JSON.stringify(`./${bundle}`)}, ${filter}]`);
      return {
        contents: `const groups = [${groups.join(', ')}];
function bundleRequire(id) {
  const group = groups.find(([, filter]) => filter.test(id));
  return group ? require(group[0])[id] : require(id);
}
bundleRequire.resolve = require.resolve;
export function createRequire() {
  return bundleRequire;
}`,
        loader: 'js',
      };
    });
  },
};

/**
 * node:http2 on first use in the SDK bundle: @smithy/node-http-handler imports it for its HTTP/2
 * handler, which keystash never uses, and loading it costs ~5 ms of every aws-backend start.
 * `constants` (plain values, read by that module as it loads) is given up front; every other
 * export loads the real module when first touched.
 */
const lazyHttp2Plugin = {
  name: 'keystash-lazy-http2',
  setup(b) {
    b.onResolve({ filter: /^(node:)?http2$/ }, () => ({ path: 'http2', namespace: 'lazy-http2' }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-http2' }, () => {
      const http2 = require('node:http2');
      const names = Object.keys(http2).filter((name) => name !== 'constants');
      return {
        contents: `let real;
const load = () => (real ??= require('node:http2'));
Object.defineProperty(exports, 'constants', { enumerable: true, value: Object.freeze(${JSON.stringify(http2.constants)}) });
for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        loader: 'js',
      };
    });
  },
};

mkdirSync(OUT, { recursive: true });

for (const [entry, bundle] of [
  ['src/cli/main.ts', 'cli.cjs'],
  ['src/cli/quick.ts', 'quick.cjs'],
]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: `${OUT}/${bundle}`,
    plugins: [vendorPlugin, builtinShimPlugin],
    // CommonJS has no import.meta: give the few modules that use it the bundle's own URL.
    define: { 'import.meta.url': '__keystashBundleUrl' },
    banner: { js: "const __keystashBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

for (const bundle of Object.keys(VENDOR_GROUPS)) {
  // Third-party code is minified: less to read and compile (~7 ms of an aws get).
  // One getter per package: requiring one (say @aws-sdk/client-kms) evaluates only its modules.
  const entry = [...VENDOR_NAMES.keys()]
    .filter((specifier) => bundleOf(specifier) === bundle)
    .sort()
    .map((s) => `Object.defineProperty(exports, ${JSON.stringify(s)}, { enumerable: true, get: () => require(${JSON.stringify(`facade:${s}`)}) });`)
    .join('\n');
  const plugins = [facadePlugin, ...(bundle === 'aws-sdk.cjs' ? [lazyHttp2Plugin] : [])];
  await build({ ...common, minify: true, plugins, stdin: { contents: entry, resolveDir: '.', sourcefile: `${bundle}-entry.js`, loader: 'js' }, outfile: `${OUT}/${bundle}` });
}

if (hasBetterSqlite) {
  const entry = `Object.defineProperty(exports, 'better-sqlite3', { enumerable: true, get: () => require('better-sqlite3') });`;
  await build({ ...common, minify: true, stdin: { contents: entry, resolveDir: '.', sourcefile: `${SQLITE_BUNDLE}-entry.js`, loader: 'js' }, outfile: `${OUT}/${SQLITE_BUNDLE}` });
}

writeFileSync(`${OUT}/version.txt`, `${VERSION}\n`);

