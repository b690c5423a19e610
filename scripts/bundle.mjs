// Bundles the CLI into dist/bundle/ (ESM, code-split so backends stay lazy chunks).
// A bundled CLI starts faster than resolving hundreds of modules from node_modules
// (issue: performance). better-sqlite3 stays external: it is a native addon.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names carry content hashes: clear the old ones so dist/ holds only this build.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { cli: 'src/cli/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // ESM builds of the AWS SDK: their lazy credential providers stay dynamic imports (own chunks),
  // where the CJS builds' require() calls pull every provider and nested client onto start-up.
  mainFields: ['module', 'main'],
  target: 'node20',
  external: ['better-sqlite3'],
  chunkNames: 'chunks/[name]-[hash]',
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js: "import { createRequire as __ksCreateRequire } from 'node:module'; const require = __ksCreateRequire(import.meta.url);",
  },
});
