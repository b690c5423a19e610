/**
 * Issue 22 "Smaller": missing names are reported the same way by exec, export and inject — all of
 * them in one message, one exit code (3); and "environment too large" names the largest variables.
 * In-process, real local backend.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';

let home: string;
let env: Record<string, string>;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'keystash-missing-'));
  env = { KEYSTASH_HOME: home, HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  expect((await runInProcess(['put', 'here', 'v'], env)).code).toBe(0);
  writeFileSync(join(home, 'tpl'), 'a={{ keystash:m1 }}\nb={{ keystash:here }}\nc={{ keystash:m2 }}\n');
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

const ONE_LINE = "keystash: error: 2 secrets could not be found: 'm1', 'm2'\n";

describe('several missing names: one message naming all, exit 3', () => {
  it.each([
    ['exec', ['exec', 'here', 'm1', 'm2', '--', 'true']],
    ['exec --strict glob', ['exec', 'here', 'm1', 'm2', '--strict', 'her*', '--', 'true']],
    ['export', ['export', 'here', 'm1', 'm2', '-f', 'json']],
    ['export with a glob', ['export', 'm1', 'h*', 'm2', '-f', 'dotenv']],
    ['inject', ['inject', '-i', 'TPL']],
  ])('%s', async (_, argv) => {
    const r = await runInProcess(argv.map((a) => (a === 'TPL' ? join(home, 'tpl') : a)), env);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(ONE_LINE);
    expect(r.stdout).toBe('');
  });

  it('one missing name keeps credstash’s wording', async () => {
    const r = await runInProcess(['export', 'here', 'm1', '-f', 'json'], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe("keystash: error: Item {'name': 'm1'} couldn't be found.\n");
  });
});

describe('exec --env/--file: a missing secret is named by its variable, never by the text given', () => {
  const WHY = '(not shown: --env maps a variable to a secret NAME, not a value)';
  it.each([
    [['exec', '--env', 'PGPASSWORD=SeCrEt', '--', 'true'], `keystash: error: --env PGPASSWORD: no secret by the name given ${WHY}\n`],
    [['exec', '--file', 'F=SeCrEt', '--', 'true'], 'keystash: error: --file F: no secret by the name given (not shown: --file maps a variable to a secret NAME, not a value)\n'],
    [['exec', 'here', '-e', 'X=SeCrEt', '-e', 'Y=SeCrEt@2', '--', 'true'], `keystash: error: --env X, --env Y: no secrets by the names given (not shown: --env maps a variable to a secret NAME, not a value)\n`],
    [['exec', 'here', 'm1', '-e', 'X=SeCrEt', '--', 'true'], `keystash: error: Item {'name': 'm1'} couldn't be found; --env X: no secret by the name given ${WHY}\n`],
    [['exec', 'here', 'm1', 'm2', '-e', 'X=SeCrEt', '--file', 'F=SeCrEt', '--', 'true'], "keystash: error: 2 secrets could not be found: 'm1', 'm2'; --env X, --file F: no secrets by the names given (not shown: --env and --file map a variable to a secret NAME, not a value)\n"],
    // with --override the mapping's name is not announced before it is known to exist
    [['exec', 'here', '--override', '-e', 'HERE=SeCrEt', '--', 'true'], `keystash: error: --env HERE: no secret by the name given ${WHY}\n`],
  ])('%j', async (argv, message) => {
    const r = await runInProcess(argv, env);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe('');
  });

  it('a mapping colliding with a selected secret is named by its variable', async () => {
    const r = await runInProcess(['exec', 'here', '-e', 'HERE=SeCrEt', '--', 'true'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('keystash: error: secret "here" and --env HERE would both set the environment variable HERE\n');
  });

  it.each([
    [['-e', 'PG=SeCrEt', '-e', 'PG=here'], '--env PG and --env PG'],
    [['-e', 'PG=SeCrEt', '--file', 'PG=here'], '--env PG and --file PG'],
    [['--file', 'PG=SeCrEt', '--file', 'PG=here'], '--file PG and --file PG'],
    [['--override', '-e', 'PG=SeCrEt', '-e', 'PG=here'], '--env PG and --env PG'],
  ])('two mappings of one variable are named by their flags, never by the text mapped: %j', async (flags, named) => {
    const r = await runInProcess(['exec', ...flags, '--', 'true'], env);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', `keystash: error: ${named} would both set the environment variable PG\n`]);
  });

  it('a malformed mapping is not quoted', async () => {
    for (const flag of ['-e', '--file']) {
      for (const text of ['SeCrEt', 'Se-Cr=Et', '=SeCrEt']) {
        const r = await runInProcess(['exec', flag, text, '--', 'true'], env);
        expect(r.code).toBe(2);
        expect(r.stderr).not.toContain('Cr');
      }
    }
  });
});

describe('an environment too large for the system', () => {
  it('names the largest variables (never their values) and suggests --file', async () => {
    const big = 'b'.repeat(200 * 1024);
    expect((await runInProcess(['put', 'app.big', '-'], env, big)).code).toBe(0);
    const r = await runInProcess(['exec', 'app.big', 'here', '--', 'true'], env);
    expect(r.code).toBe(126);
    expect(r.stderr).toMatch(/environment is too large.*the largest: APP_BIG \(200\.0 KiB\), .*give a large secret as a file instead: --file VAR=name/);
    expect(r.stderr).not.toContain('bbbb');
  });
});
