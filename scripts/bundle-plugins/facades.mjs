// The vendor side of the vendor bundles: for each package, a facade module exporting only the
// names keystash imports (vendor-imports.mjs), each from the smallest module that defines it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The module of `pkg` that defines `name`. An AWS client package has one file per command and one
 * for the client (dist-es/commands/NAME.js, dist-es/NAME.js); importing its index initialises
 * every command and the aggregated client (~200 modules for DynamoDB) where keystash uses a
 * handful. Any other package: the package itself.
 */
export function moduleOf(pkg, name, nodeModules = 'node_modules') {
  if (!pkg.startsWith('@aws-sdk/client-')) return pkg;
  for (const file of [`dist-es/commands/${name}.js`, `dist-es/${name}.js`]) {
    if (existsSync(join(nodeModules, pkg, file))) return `${pkg}/${file}`;
  }
  return pkg;
}

/** An esbuild plugin: `facade:PKG` → `export { NAME } from '<moduleOf(PKG, NAME)>'` per imported name. */
export function facadesPlugin(names, nodeModules = 'node_modules') {
  return {
    name: 'keystash-vendor-facades',
    setup(b) {
      b.onResolve({ filter: /^facade:/ }, (args) => ({ path: args.path.slice('facade:'.length), namespace: 'facade' }));
      b.onLoad({ filter: /.*/, namespace: 'facade' }, (args) => ({
        contents: [...(names.get(args.path) ?? [])]
          .sort()
          .map((name) => `export { ${name} } from ${JSON.stringify(moduleOf(args.path, name, nodeModules))};`)
          .join('\n'),
        loader: 'js',
        resolveDir: '.',
      }));
    },
  };
}

/** The entry of one vendor bundle: a getter per package, requiring its facade on first use. */
export function vendorEntry(specifiers) {
  return [...specifiers]
    .sort()
    .map((s) => `Object.defineProperty(exports, ${JSON.stringify(s)}, { enumerable: true, get: () => require(${JSON.stringify(`facade:${s}`)}) });`)
    .join('\n');
}
