// The names keystash imports from each vendor package, read from its sources. Only these cross
// between keystash's bundles and the vendor bundles (vendor-bundles.mjs, facades.mjs): the CLI side
// reads each as a plain property and the vendor side exports a facade of just these names, so
// neither copies every export of a package (hundreds for each AWS client) on every run.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The group (bundle file name) a specifier belongs to, or undefined for keystash's own code. */
export function groupOf(groups, specifier) {
  return Object.entries(groups).find(([, filter]) => filter.test(specifier))?.[0];
}

/**
 * `import { A, B as C } from 'pkg'` in every .ts file under `srcDir`, for specifiers of `groups`:
 * pkg → Set of imported names (type-only imports left out), plus `extra` (names reached through
 * createRequire, which no import statement shows). Any other import form of a vendor package
 * (default, namespace, side effect) throws: the bundles could not serve it.
 */
export function vendorImports(srcDir, groups, extra = {}) {
  const names = new Map(Object.entries(extra).map(([pkg, list]) => [pkg, new Set(list)]));
  for (const file of readdirSync(srcDir, { recursive: true }).map(String)) {
    if (!file.endsWith('.ts')) continue;
    const text = readFileSync(join(srcDir, file), 'utf8');
    for (const [, clause, specifier] of text.matchAll(/^import\s+([^;]*?)\s+from\s+'([^']+)';/gms)) {
      if (groupOf(groups, specifier) === undefined || clause.startsWith('type ')) continue;
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
