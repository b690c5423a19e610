// Two Node built-ins the CLI's start-up path would load for nothing:
// - commander requires node:child_process when it loads (for git-style executable subcommands,
//   which keystash does not use; ~10 ms with net and dgram): in the bundle commander gets a proxy
//   that requires it on first use;
// - createRequire from node:module (which loads the ES-module loader on Node 20) is how keystash's
//   ES modules load node:sqlite, better-sqlite3 and yaml: in the bundle it hands out the bundle's
//   own require, routing vendor packages to their bundles.

/** An esbuild plugin; `lazyBundles`: bundle file name → filter on the specifiers it serves. */
export function builtinShimsPlugin(lazyBundles) {
  return {
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
      b.onLoad({ filter: /.*/, namespace: 'module-shim' }, () => ({ contents: moduleShim(lazyBundles), loader: 'js' }));
    },
  };
}

/** The source of the node:module stand-in: createRequire() → a require that knows the bundles. */
export function moduleShim(lazyBundles) {
  const groups = Object.entries(lazyBundles).map(([bundle, filter]) => `[${JSON.stringify(`./${bundle}`)}, ${filter}]`);
  return `const groups = [${groups.join(', ')}];
function bundleRequire(id) {
  const group = groups.find(([, filter]) => filter.test(id));
  return group ? require(group[0])[id] : require(id);
}
bundleRequire.resolve = require.resolve;
export function createRequire() {
  return bundleRequire;
}`;
}
