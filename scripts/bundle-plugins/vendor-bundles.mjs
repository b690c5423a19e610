// The CLI side of the vendor bundles: `import { … } from '<vendor package>'` becomes properties of
// that package's bundle (a separate file beside the CLI bundle), required on first use.
import { groupOf } from './vendor-imports.mjs';

/**
 * An esbuild plugin. `groups`: bundle file name → filter on specifiers; `names`: what
 * vendorImports() found. Each vendor import resolves to a CommonJS module with one getter per
 * imported name: esbuild reads an import of a CommonJS module at each use, so the vendor bundle
 * loads when a name is first used, not when the importing module initialises (`getall` imports
 * the yaml renderer but needs yaml only for `-f yaml`). `./x.cjs` stays external.
 */
export function vendorBundlesPlugin(groups, names) {
  return {
    name: 'keystash-vendor-bundles',
    setup(b) {
      for (const [bundle, filter] of Object.entries(groups)) {
        b.onResolve({ filter }, (args) => ({ path: args.path, namespace: `vendor:${bundle}` }));
        b.onLoad({ filter: /.*/, namespace: `vendor:${bundle}` }, (args) => {
          if (groupOf(groups, args.path) !== bundle) throw new Error(`bundle: ${args.path} is not in ${bundle}`);
          const load = `let m;\nconst load = () => (m ??= require('./${bundle}')[${JSON.stringify(args.path)}]);`;
          const getters = [...(names.get(args.path) ?? [])].sort().map((n) => `  ${n}: { enumerable: true, get: () => load().${n} },`);
          return { contents: [load, 'Object.defineProperties(module.exports, {', ...getters, '});'].join('\n'), loader: 'js' };
        });
      }
      b.onResolve({ filter: /^\.\/[\w-]+\.cjs$/ }, (args) => ({ path: args.path, external: true }));
    },
  };
}
