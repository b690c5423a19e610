// `npm run build`: compiles src/ to dist/ (the library, with its .d.ts) and bundles the CLI into
// dist/bundle/ (scripts/bundle.mjs). Everything is built in a staging directory beside dist/ and
// swapped in by rename at the end, so a keystash running meanwhile sees the old build or the new
// one, never a half-written mix, and a failed build leaves the old one in place.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const STAGE = `dist.build-${process.pid}`;
const OLD = `dist.old-${process.pid}`;

/** Run a Node script to completion; exit with its status when it fails. */
function node(args) {
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    rmSync(STAGE, { recursive: true, force: true });
    process.exit(r.status ?? 1);
  }
}

// TypeScript 7 exports no bin/ path (only its package.json): the launcher sits beside it.
const TSC = join(dirname(require.resolve('typescript/package.json')), 'bin', 'tsc');

rmSync(STAGE, { recursive: true, force: true });
node([TSC, '-p', 'tsconfig.build.json', '--outDir', STAGE]);
node(['scripts/bundle.mjs', `${STAGE}/bundle`]);
if (existsSync('dist')) renameSync('dist', OLD);
renameSync(STAGE, 'dist');
rmSync(OLD, { recursive: true, force: true });
