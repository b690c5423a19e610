/**
 * The library's published types, checked as a consumer meets them: test/types/consumer.ts imports
 * from 'keystash' (package.json "exports" → dist/index.d.ts, built by `npm run build`) and is
 * type-checked by tsc under strict, module NodeNext, exactOptionalPropertyTypes and without
 * skipLibCheck (test/types/tsconfig.json). Its `@ts-expect-error` lines prove that misspelled
 * options are type errors; its instanceof checks that the errors are exported classes.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

describe('library types', () => {
  it("a strict NodeNext consumer of 'keystash' type-checks against dist/index.d.ts", () => {
    const tsc = resolve(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', 'test/types/tsconfig.json', '--listFiles'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const errors = r.stdout.split('\n').filter((line) => /error TS\d+/.test(line));
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
    // 'keystash' resolved through "exports" to the built declarations, not to src/ or any.
    const files = r.stdout.split('\n').map((line) => line.replaceAll('\\', '/'));
    expect(files).toContain(`${ROOT.replaceAll('\\', '/')}/dist/index.d.ts`);
    expect(files).toContain(`${ROOT.replaceAll('\\', '/')}/dist/compat/nodecredstash.d.ts`);
    expect(files.some((f) => f.includes('/src/'))).toBe(false);
  });
});
