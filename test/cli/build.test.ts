/**
 * `npm run build` (scripts/build.mjs) builds in a staging directory and swaps it in at the end: a
 * keystash running meanwhile sees the old build or the new one, and a failed build leaves the
 * old one whole.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/run-cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const t = tempDir('keystash-build-');
afterAll(() => t.cleanup());

/** A copy of the sources beside the real node_modules, with an existing build in dist/. */
function checkout(): string {
  const dir = join(t.dir, `repo-${Math.random().toString(36).slice(2)}`);
  for (const entry of ['src', 'scripts', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, entry), join(dir, entry), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  writeFileSync(join(dir, 'dist', 'bundle', 'version.txt'), 'old build\n');
  return dir;
}

const build = (cwd: string) => spawnSync(process.execPath, ['scripts/build.mjs'], { cwd, encoding: 'utf8', timeout: 180_000 });

describe('npm run build', () => {
  it('a failed bundle step leaves the previous dist/ whole and no staging directory behind', { timeout: 200_000 }, () => {
    const dir = checkout();
    const before = readFileSync(join(dir, 'dist', 'bundle', 'cli.cjs'));
    // A bundler that dies half-way through writing its output.
    writeFileSync(
      join(dir, 'scripts', 'bundle.mjs'),
      [
        "import { mkdirSync, writeFileSync } from 'node:fs';",
        "const out = process.argv[2] ?? 'dist/bundle';",
        'mkdirSync(out, { recursive: true });',
        "writeFileSync(`${out}/cli.cjs`, '// half a bundle');",
        "throw new Error('bundling failed on purpose');",
      ].join('\n'),
    );
    const r = build(dir);
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(dir, 'dist', 'bundle', 'version.txt'), 'utf8')).toBe('old build\n');
    expect(readFileSync(join(dir, 'dist', 'bundle', 'cli.cjs')).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });

  it('a successful build replaces dist/ as a whole', { timeout: 200_000 }, () => {
    const dir = checkout();
    const r = build(dir);
    expect(r.status, r.stderr).toBe(0);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(readFileSync(join(dir, 'dist', 'bundle', 'version.txt'), 'utf8')).toBe(`${version}\n`);
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });
});
