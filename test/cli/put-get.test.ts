/**
 * `put` and `get` edge cases: a value mistaken for an option is never echoed, and a 4 MB value
 * round-trips. In-process against a temporary home (the round trips of every kind of value:
 * local-backend.test.ts).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
afterAll(() => h.cleanup());

describe('put: a value mistaken for an option is not echoed', () => {
  it('an unknown option after `put NAME` is shown only by its dashes, exit 2', async () => {
    const r = await h.run(['put', 'qa.pw', '-n7Sup3rSecret']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('7Sup3rSecret');
    expect(r.stderr).toBe("keystash: error: unknown option '-…' (not shown, in case it is the secret); a value starting with '-' goes after '--': keystash put NAME -- VALUE\n(run with --help for usage)\n");
    // An option-like typo is still named in full; `--` stores such a value.
    expect((await h.run(['put', 'qa.pw', 'v', '--commnet', 'x'])).stderr).toContain("unknown option '--commnet'");
    expect((await h.run(['put', 'qa.pw', '--', '-n7Sup3rSecret'])).code).toBe(0);
    expect((await h.run(['get', '-n', 'qa.pw'])).stdout).toBe('-n7Sup3rSecret');
  });
});

describe('large values', () => {
  it('a 4 MB secret stored locally (--allow-large: over any DynamoDB item) reads back (it overflowed the stack in the base64 check)', async () => {
    const value = 'x'.repeat(4_000_000);
    expect((await h.run(['put', 'big.value', '-', '--allow-large'], { input: value })).code).toBe(0);
    const r = await h.run(['get', 'big.value', '-n']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBe(value.length);
  });
});
