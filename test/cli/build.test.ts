/**
 * `npm run build` (scripts/build.mjs) builds in a staging directory and swaps it in at the end: a
 * keystash running meanwhile sees the old build or the new one, and a failed build leaves the
 * old one whole.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

/** `node scripts/build.mjs` in `cwd`, as a child (both builds below run at once). */
function build(cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolveBuild, reject) => {
    const child = spawn(process.execPath, ['scripts/build.mjs'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.on('error', reject);
    child.on('close', (status) => (clearTimeout(timer), resolveBuild({ status, stderr })));
  });
}

describe('npm run build', () => {
  const failing = { dir: '', before: Buffer.alloc(0), result: undefined as ReturnType<typeof build> | undefined };
  const succeeding = { dir: '', result: undefined as ReturnType<typeof build> | undefined };

  beforeAll(() => {
    failing.dir = checkout();
    failing.before = readFileSync(join(failing.dir, 'dist', 'bundle', 'cli.cjs'));
    // Sources that compile in a blink: what fails here is the bundle step, after the compile.
    rmSync(join(failing.dir, 'src'), { recursive: true });
    mkdirSync(join(failing.dir, 'src'));
    writeFileSync(join(failing.dir, 'src', 'version.ts'), "export const VERSION = '0.0.0-failing';\n");
    // A bundler that dies half-way through writing its output.
    writeFileSync(
      join(failing.dir, 'scripts', 'bundle.mjs'),
      [
        "import { mkdirSync, writeFileSync } from 'node:fs';",
        "const out = process.argv[2] ?? 'dist/bundle';",
        'mkdirSync(out, { recursive: true });',
        "writeFileSync(`${out}/cli.cjs`, '// half a bundle');",
        "throw new Error('bundling failed on purpose');",
      ].join('\n'),
    );
    succeeding.dir = checkout();
    failing.result = build(failing.dir);
    succeeding.result = build(succeeding.dir);
    // Each test awaits its own build; a rejection is reported there.
    failing.result.catch(() => undefined);
    succeeding.result.catch(() => undefined);
  });

  it('a failed bundle step leaves the previous dist/ whole and no staging directory behind', { timeout: 200_000 }, async () => {
    const { dir, before } = failing;
    const r = await failing.result!;
    expect(r.status).not.toBe(0);
    expect(readFileSync(join(dir, 'dist', 'bundle', 'version.txt'), 'utf8')).toBe('old build\n');
    expect(readFileSync(join(dir, 'dist', 'bundle', 'cli.cjs')).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });

  it('a successful build replaces dist/ as a whole', { timeout: 200_000 }, async () => {
    const { dir } = succeeding;
    const r = await succeeding.result!;
    expect(r.status, r.stderr).toBe(0);
    const version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
    expect(readFileSync(join(dir, 'dist', 'bundle', 'version.txt'), 'utf8')).toBe(`${version}\n`);
    expect(existsSync(join(dir, 'dist', 'index.js'))).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('dist.'))).toEqual([]);
  });
});
