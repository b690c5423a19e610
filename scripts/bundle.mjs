// Bundles the CLI into OUT (dist/bundle/ once scripts/build.mjs swaps it in;
// docs/architecture.md "Start-up cost"): one file each that Node reads and compiles (through its compile cache, bin/compile-cache.cjs)
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
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { build } from 'esbuild';
import { builtinShimsPlugin } from './bundle-plugins/builtin-shims.mjs';
import { facadesPlugin, vendorEntry } from './bundle-plugins/facades.mjs';
import { lazyHttp2Plugin } from './bundle-plugins/lazy-http2.mjs';
import { vendorBundlesPlugin } from './bundle-plugins/vendor-bundles.mjs';
import { groupOf, vendorImports } from './bundle-plugins/vendor-imports.mjs';

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

// The yaml parser is reached through createRequire (src/core/transfer/import-file.ts), which no import shows.
const VENDOR_NAMES = vendorImports('src', VENDOR_GROUPS, { yaml: ['parseAllDocuments', 'visit', 'isAlias', 'isPair', 'isCollection', 'LineCounter'] });

mkdirSync(OUT, { recursive: true });

for (const [entry, bundle] of [
  ['src/cli/main.ts', 'cli.cjs'],
  ['src/cli/quick.ts', 'quick.cjs'],
]) {
  await build({
    ...common,
    entryPoints: [entry],
    outfile: `${OUT}/${bundle}`,
    plugins: [vendorBundlesPlugin(VENDOR_GROUPS, VENDOR_NAMES), builtinShimsPlugin(LAZY_BUNDLES)],
    // CommonJS has no import.meta: give the few modules that use it the bundle's own URL.
    define: { 'import.meta.url': '__keystashBundleUrl' },
    banner: { js: "const __keystashBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
}

for (const bundle of Object.keys(VENDOR_GROUPS)) {
  // Third-party code is minified: less to read and compile (~7 ms of an aws get).
  // One getter per package: requiring one (say @aws-sdk/client-kms) evaluates only its modules.
  const entry = vendorEntry([...VENDOR_NAMES.keys()].filter((specifier) => groupOf(VENDOR_GROUPS, specifier) === bundle));
  const plugins = [facadesPlugin(VENDOR_NAMES), ...(bundle === 'aws-sdk.cjs' ? [lazyHttp2Plugin()] : [])];
  await build({ ...common, minify: true, plugins, stdin: { contents: entry, resolveDir: '.', sourcefile: `${bundle}-entry.js`, loader: 'js' }, outfile: `${OUT}/${bundle}` });
}

if (hasBetterSqlite) {
  const entry = `Object.defineProperty(exports, 'better-sqlite3', { enumerable: true, get: () => require('better-sqlite3') });`;
  await build({ ...common, minify: true, stdin: { contents: entry, resolveDir: '.', sourcefile: `${SQLITE_BUNDLE}-entry.js`, loader: 'js' }, outfile: `${OUT}/${SQLITE_BUNDLE}` });
}

writeFileSync(`${OUT}/version.txt`, `${VERSION}\n`);

