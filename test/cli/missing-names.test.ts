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
    ['exec with --env', ['exec', 'here', 'm1', '-e', 'X=m2', '--', 'true']],
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
