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

describe('a password given as a version is neither stored nor echoed', () => {
  const P = 'Xk9#mQ2$vL7!pR4^tW8zA';
  const NOT_SHOWN = "Item {'name': 'ver.pw'} at the version given (not shown, in case it is the secret) couldn't be found.";

  it('put -v takes digits only (it stored the password as the version)', async () => {
    const r = await h.run(['put', 'ver.new', '-', '-v', P], { input: 'v' });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("keystash: error: option '-v, --version <version>': invalid version (use a number such as 3: a version written is digits only)\n(run with --help for usage)\n");
    expect((await h.run(['list'])).stdout).not.toContain('ver.new');
    expect((await h.run(['put', 'ver.new', 'v', '-v', '0000000000000000abc'])).code).toBe(2);
  });

  it('get/delete/getall -v with a non-digit version not found: the name, not the version', async () => {
    expect((await h.run(['put', 'ver.pw', 'x'])).code).toBe(0);
    for (const argv of [['get', 'ver.pw', '-v', P], ['delete', 'ver.pw', '-v', P], ['getall', '-v', P]]) {
      const r = await h.run(argv);
      expect(r.stderr).not.toContain('Xk9');
      expect(r.stderr).toContain(NOT_SHOWN);
    }
    const get = await h.run(['get', 'ver.pw', '-v', P]);
    expect(get.code).toBe(3);
    expect(get.stderr).toBe(`keystash: error: ${NOT_SHOWN}\n`);
  });

  it("an all-digit version keeps credstash's wording", async () => {
    const r = await h.run(['get', 'ver.pw', '-v', '3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("keystash: error: Item {'name': 'ver.pw', 'version': '0000000000000000003'} couldn't be found.\n");
  });

  it('put --expect-version with a non-digit version: not quoted', async () => {
    for (const name of ['ver.absent', 'ver.pw']) {
      const r = await h.run(['put', name, 'value', '--expect-version', P]);
      expect(r.code).toBe(4);
      expect(r.stderr).toContain(`keystash: error: ${name}: expected latest version (the one given is not shown, in case it is the secret) but it is `);
      expect(r.stderr).not.toContain('Xk9');
    }
  });
});

describe('put NAME @FILE', () => {
  it('a path that names no file is not echoed (it may be a value starting with @)', async () => {
    for (const value of ['@SeCrEt', '@Se/CrEt', `@${'x'.repeat(5000)}`]) {
      const r = await h.run(['put', 'at.pw', value]);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe("keystash: error: Unable to read file: no such file (the path after '@' is not shown, in case it is the value; to store a value starting with '@', pipe it: printf %s VALUE | keystash put NAME -)\n");
    }
    expect((await h.run(['put', 'at.pw', '-'], { input: '@SeCrEt' })).code).toBe(0);
    expect((await h.run(['get', '-n', 'at.pw'])).stdout).toBe('@SeCrEt');
  });

  it('a file that exists but cannot be read is named', async () => {
    const r = await h.run(['put', 'at.dir', `@${h.home}`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`keystash: error: Unable to read file ${h.home}\n`);
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
