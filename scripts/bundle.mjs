// Bundles the CLI into dist/bundle/ (issue: performance; DESIGN.md "Start-up cost"), then
// writes V8 code caches for the bundles (scripts/code-cache.mjs). A bundle with its code cache
// starts faster than hundreds of modules resolved from node_modules and compiled on every run.
//
//   cli.cjs         keystash's own code, commander, chalk, better-sqlite3's JavaScript
//   aws-sdk.cjs     the AWS SDK (+ @smithy, @aws-crypto): loaded on first use, by aws backends only
//   yaml.cjs        the yaml package: loaded only for YAML import/export
//   version.txt     what `keystash --version` prints without loading any bundle
//
// CommonJS, not ESM: Node 20 can compile a CommonJS script from V8's code cache (vm.Script
// `cachedData`), not an ES module. Each third-party group is its own bundle so that a local
// `get` neither reads nor compiles the SDK; keystash's own modules live only in cli.cjs, so
// every class (errors above all) has exactly one identity. better-sqlite3's native addon stays a
// separate file, loaded by path (SqliteStore passes `nativeBinding`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { VERSION } from '../dist/version.js';

const OUT = 'dist/bundle';
const require = createRequire(import.meta.url);

/** Third-party packages that get a lazily loaded bundle of their own, by bundle name. */
const VENDOR_GROUPS = {
  'aws-sdk.cjs': /^@(aws-sdk|smithy|aws-crypto)\//,
  'yaml.cjs': /^yaml$/,
};

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
  // import() of Node built-ins stays in the SDK's code otherwise, and a vm.Script (the code-cache
  // loader) has no dynamic-import callback: turn every import() into a require().
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

/** CommonJS's function wrapper, as bin/bundle-loader.cjs expects it (keep the two in step). */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname) { ', '\n});'];

/**
 * Rewrite bundle `file` for the loader: every non-ASCII character (only in comments, see below)
 * as a \\u escape, and the whole wrapped in WRAPPER, so the loader compiles the file's text as
 * it is (one copy of a large source fewer on every start).
 */
function finishBundle(file) {
  const text = readFileSync(file, 'utf8');
  const escaped = text.replace(/[^\0-\x7f]/gu, (c) => [...c].map((u) => `\\u{${u.codePointAt(0).toString(16)}}`).join(''));
  writeFileSync(file, `${WRAPPER[0]}${escaped}${WRAPPER[1]}`);
}

/** Rewrites `import { … } from '<vendor package>'` into properties of its vendor bundle. */
const vendorPlugin = {
  name: 'keystash-vendor-bundles',
  setup(b) {
    for (const [bundle, filter] of Object.entries(VENDOR_GROUPS)) {
      b.onResolve({ filter }, (args) => ({ path: args.path, namespace: `vendor:${bundle}` }));
      b.onLoad({ filter: /.*/, namespace: `vendor:${bundle}` }, (args) => {
        const names = [...(VENDOR_NAMES.get(args.path) ?? [])].sort();
        return {
          contents: [`const m = require('./${bundle}')[${JSON.stringify(args.path)}];`, ...names.map((n) => `export const ${n} = m.${n};`)].join('\n'),
          loader: 'js',
        };
      });
    }
    b.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
  },
};

/** The vendor side: an entry with one lazy getter per package, each a facade of the imported names. */
const facadePlugin = {
  name: 'keystash-vendor-facades',
  setup(b) {
    b.onResolve({ filter: /^facade:/ }, (args) => ({ path: args.path.slice('facade:'.length), namespace: 'facade' }));
    b.onLoad({ filter: /.*/, namespace: 'facade' }, (args) => ({
      contents: `export { ${[...VENDOR_NAMES.get(args.path)].sort().join(', ')} } from ${JSON.stringify(args.path)};`,
      loader: 'js',
      resolveDir: '.',
    }));
  },
};

/**
 * Two Node built-ins the CLI's start-up path would load for nothing: commander requires
 * node:child_process at load time (for git-style executable subcommands, which keystash does not
 * use; ~10 ms with net and dgram), and createRequire from node:module (which loads the ES-module
 * loader) is how keystash's ES modules resolve better-sqlite3's addon and load yaml. In the bundle
 * commander gets child_process on first use, and createRequire hands out the bundle's own
 * require (bin/bundle-loader.cjs), which routes vendor packages to their bundles.
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
      const groups = Object.entries(VENDOR_GROUPS).map(([bundle, filter]) => `[${JSON.stringify(`./${bundle}`)}, ${filter}]`);
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

// Chunk names carry no hashes, but clear dist/bundle so it holds only this build.
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

await build({
  ...common,
  entryPoints: ['src/cli/main.ts'],
  outfile: `${OUT}/cli.cjs`,
  plugins: [vendorPlugin, builtinShimPlugin],
  // CommonJS has no import.meta: give the few modules that use it the bundle's own URL.
  define: { 'import.meta.url': '__keystashBundleUrl' },
  banner: { js: "const __keystashBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
});

// esbuild escapes every non-ASCII character of code (charset 'ascii', its default) but keeps some
// comments verbatim; escape those too, so the loader can decode each bundle as one-byte text
// (latin1, a copy) rather than validate it as UTF-8 (~1 ms of every start for cli.cjs).
finishBundle(`${OUT}/cli.cjs`);

for (const bundle of Object.keys(VENDOR_GROUPS)) {
  // Third-party code is minified: less to read, hash and keep in the cache (~7 ms of an aws get).
  // One getter per package: requiring one (say @aws-sdk/client-kms) evaluates only its modules.
  const entry = [...VENDOR_NAMES.keys()]
    .filter((specifier) => bundleOf(specifier) === bundle)
    .sort()
    .map((s) => `Object.defineProperty(exports, ${JSON.stringify(s)}, { enumerable: true, get: () => require(${JSON.stringify(`facade:${s}`)}) });`)
    .join('\n');
  const plugins = [facadePlugin, ...(bundle === 'aws-sdk.cjs' ? [lazyHttp2Plugin] : [])];
  await build({ ...common, minify: true, plugins, stdin: { contents: entry, resolveDir: '.', sourcefile: `${bundle}-entry.js`, loader: 'js' }, outfile: `${OUT}/${bundle}` });
}

for (const bundle of Object.keys(VENDOR_GROUPS)) finishBundle(`${OUT}/${bundle}`);

writeFileSync(`${OUT}/version.txt`, `${VERSION}\n`);

// Code caches: a warm-up run in a child process with Node's default flags (V8 rejects a cache
// made under other flags). A failure here leaves keystash working, only slower: say so, loudly.
// Bounded: a build must never hang on its warm-up (it takes ~2 s).
const warm = spawnSync(process.execPath, ['scripts/code-cache.mjs'], { stdio: 'inherit', timeout: 120_000, killSignal: 'SIGKILL' });
if (warm.status !== 0) console.warn('bundle: code caches not written (keystash works, but starts slower)');
