/**
 * bin/bundle-loader.cjs: bundles load through V8's code cache when the cache was made from the
 * very same source, and a bundle edited after its cache was written runs its new code (the
 * cache header's SHA-256 no longer matches, even when the length is unchanged — V8's own check
 * compares lengths only). Each step runs in a plain `node` child, as the CLI does.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'keystash-loader-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, 'bin'));
mkdirSync(join(root, 'dist', 'bundle'), { recursive: true });
copyFileSync(resolve(import.meta.dirname, '../../../bin/bundle-loader.cjs'), join(root, 'bin', 'bundle-loader.cjs'));
const bundle = (name: string) => join(root, 'dist', 'bundle', name);

/** Load x.cjs in a fresh node; optionally write caches; report answer() and the cache status. */
function runChild(writeCaches = false): { answer: number; dep: string; status: Record<string, string> } {
  const script = `
    const loader = require(${JSON.stringify(join(root, 'bin', 'bundle-loader.cjs'))});
    const x = loader.load('x.cjs');
    const answer = x.answer();
    if (${writeCaches}) loader.writeCaches();
    process.stdout.write(JSON.stringify({ answer, dep: x.dep, status: loader.cacheStatus() }));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { answer: number; dep: string; status: Record<string, string> };
}

describe('bundle loader', () => {
  it('compiles without a cache, then runs from the cache it wrote; bundles require each other', () => {
    writeFileSync(bundle('x.cjs'), "exports.answer = function answer() { return 42; };\nexports.dep = require('./y.cjs').v;\n");
    writeFileSync(bundle('y.cjs'), "exports.v = 'from y';\n");
    expect(runChild(true)).toEqual({ answer: 42, dep: 'from y', status: { 'x.cjs': 'absent', 'y.cjs': 'absent' } });
    expect(readFileSync(bundle('x.cjs.cache')).length).toBeGreaterThan(32);
    expect(runChild()).toEqual({ answer: 42, dep: 'from y', status: { 'x.cjs': 'accepted', 'y.cjs': 'accepted' } });
  });

  it('runs the new code of a bundle edited after its cache was written (same length)', () => {
    const source = readFileSync(bundle('x.cjs'), 'utf8');
    writeFileSync(bundle('x.cjs'), source.replace('return 42;', 'return 43;'));
    const after = runChild();
    expect(after.answer).toBe(43);
    expect(after.status['x.cjs']).toBe('absent');
    expect(after.status['y.cjs']).toBe('accepted');
  });

  it('reads a bundle with non-ASCII text as UTF-8 (the build writes ASCII; this is the fallback)', () => {
    writeFileSync(bundle('x.cjs'), "exports.answer = function answer() { return 'é→€'.length * 10 + 3; };\nexports.dep = require('./y.cjs').v + ' ✓';\n");
    const r = runChild();
    expect(r.answer).toBe(33);
    expect(r.dep).toBe('from y ✓');
  });

  it('ignores a damaged cache (V8 would run it: it checks no checksum)', () => {
    writeFileSync(bundle('x.cjs'), "exports.answer = function answer() { return 42; };\nexports.dep = require('./y.cjs').v;\n");
    writeFileSync(bundle('y.cjs'), "exports.v = 'from y';\n");
    runChild(true);
    expect(runChild().status['y.cjs']).toBe('accepted');
    const cache = readFileSync(bundle('y.cjs.cache'));
    cache[cache.length - 5]! ^= 0x55;
    writeFileSync(bundle('y.cjs.cache'), cache);
    const r = runChild();
    expect(r.status['y.cjs']).toBe('absent');
    expect(r.dep).toBe('from y');
  });

  it('ignores a cache file too short to hold its header', () => {
    writeFileSync(bundle('y.cjs.cache'), 'short');
    expect(runChild().status['y.cjs']).toBe('absent');
  });

  it('bin/keystash.cjs without a build says so (exit 1, no stack trace)', () => {
    const bare = mkdtempSync(join(tmpdir(), 'keystash-unbuilt-'));
    try {
      mkdirSync(join(bare, 'bin'));
      for (const f of ['keystash.cjs', 'bundle-loader.cjs']) copyFileSync(resolve(import.meta.dirname, '../../../bin', f), join(bare, 'bin', f));
      for (const args of [['get', 'x'], ['--version']]) {
        const r = spawnSync(process.execPath, [join(bare, 'bin', 'keystash.cjs'), ...args], { encoding: 'utf8' });
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^keystash: error: keystash is not built \(.*dist\/bundle\/(cli\.cjs|version\.txt) is missing\); run `npm install` or `npm run build` in /);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});
