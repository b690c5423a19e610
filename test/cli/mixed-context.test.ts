/**
 * Issue 22 item 13: one secret put with an encryption context must not lock everyone out of the
 * bulk reads. All-or-nothing stays the default (exit 10, nothing printed); selectors on getall
 * and --skip-unreadable (exit 11, or 0 with --allow-partial) are the way through, and the failure
 * says honestly that a row cannot tell which context it needs. In-process, real local backend.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runQuick } from '../../src/cli/quick.js';
import { runInProcess } from '../helpers/in-process.js';
import { memoryIo } from '../helpers/io.js';
import { rawDb } from '../helpers/sqlite.js';

let home: string;
let env: Record<string, string>;
beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'keystash-mixed-'));
  env = { KEYSTASH_HOME: home, HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const argv of [['put', 'app.a', 'one'], ['put', 'app.b', 'two'], ['put', 'prod.pw', 'secret-p', 'env=prod']]) {
    expect((await runInProcess(argv, env)).code, argv.join(' ')).toBe(0);
  }
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('getall with one secret under another context', () => {
  it('fails all-or-nothing by default and says a row cannot tell its context', async () => {
    const r = await runInProcess(['getall'], env);
    expect(r.code).toBe(10);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/prod\.pw/);
    expect(r.stderr).toMatch(/does not record the encryption context/);
  });

  it('selectors read only the named and globbed secrets', async () => {
    const r = await runInProcess(['getall', 'app.*'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ 'app.a': 'one', 'app.b': 'two' });
    const ctx = await runInProcess(['getall', 'prod.pw', 'env=prod', '-f', 'dotenv'], env);
    expect(ctx.code, ctx.stderr).toBe(0);
    expect(ctx.stdout.trimEnd()).toBe("PROD_PW='secret-p'");
    expect((await runInProcess(['getall', 'app.a', 'nosuch'], env)).code).toBe(3);
  });

  it('--skip-unreadable prints what it can, lists the rest on stderr and exits 11', async () => {
    const r = await runInProcess(['getall', '--skip-unreadable'], env);
    expect(r.code).toBe(11);
    expect(JSON.parse(r.stdout)).toEqual({ 'app.a': 'one', 'app.b': 'two' });
    expect(r.stderr).toMatch(/skipped 1 unreadable secret.*prod\.pw \(wrong or missing encryption context\)/);
    expect(r.stderr).not.toMatch(/secret-p/);
    const allowed = await runInProcess(['getall', '--skip-unreadable', '--allow-partial', '-f', 'dotenv'], env);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(allowed.stdout.trimEnd()).toBe("APP_A='one'\nAPP_B='two'");
    expect(allowed.stderr).toMatch(/warning: skipped 1 unreadable secret.*prod\.pw/);
    // The other way round: with env=prod, the two without context are the unreadable ones.
    const prod = await runInProcess(['getall', 'env=prod', '--skip-unreadable', '--allow-partial'], env);
    expect(prod.code, prod.stderr).toBe(0);
    expect(JSON.parse(prod.stdout)).toEqual({ 'prod.pw': 'secret-p' });
    expect(prod.stderr).toMatch(/skipped 2 unreadable secrets.*app\.a.*app\.b/);
  });

  it('--skip-unreadable never skips a setup failure (here a passphrase set for a plain keyring): nothing printed, not exit 11 or 0', async () => {
    const r = await runInProcess(['getall', '--skip-unreadable', '--allow-partial'], { ...env, KEYSTASH_KMS_PASSPHRASE: 'not-sealed' });
    expect(r.code).not.toBe(0);
    expect(r.code).not.toBe(11);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/skipped/);
  });

  it("--skip-unreadable leaves out a row whose key the keyring lacks (its key id edited), not the whole read", async () => {
    const db = rawDb(join(home, 'store.db'));
    db.prepare("UPDATE secrets SET key = substr(key, 1, 20) || 'AAAA' || substr(key, 25) WHERE name = 'app.b'").run();
    db.close();
    expect((await runInProcess(['get', 'app.b'], env)).code).toBe(9);
    const r = await runInProcess(['getall', 'app.*', '--skip-unreadable'], env);
    expect(r.code, r.stderr).toBe(11);
    expect(JSON.parse(r.stdout)).toEqual({ 'app.a': 'one' });
    expect(r.stderr).toMatch(/skipped 1 unreadable secret.*app\.b/);
    const seen = join(home, 'seen');
    const ran = await runInProcess(['exec', 'app.*', '--skip-unreadable', '--allow-partial', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(seen)}, String(process.env.APP_A) + String(process.env.APP_B))`], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(readFileSync(seen, 'utf8')).toBe('oneundefined');
  });

  it('--allow-partial alone is a usage error', async () => {
    expect((await runInProcess(['getall', '--allow-partial'], env)).code).toBe(2);
  });

  it('the quick path gives the same output and exit codes', async () => {
    for (const argv of [['getall'], ['getall', 'app.*'], ['getall', '--skip-unreadable'], ['getall', 'env=prod', '--skip-unreadable', '--allow-partial']]) {
      const full = await runInProcess(argv, env);
      const m = memoryIo({ env });
      const code = await runQuick(argv, m.io);
      expect({ code, stdout: m.stdout(), stderr: m.stderr() }, argv.join(' ')).toEqual({ code: full.code, stdout: full.stdout, stderr: full.stderr });
    }
  });
});

describe('export --all and exec --all', () => {
  it('export --all fails by default, and --skip-unreadable exports the rest with exit 11', async () => {
    expect((await runInProcess(['export', '--all', '-f', 'json'], env)).code).toBe(10);
    const r = await runInProcess(['export', '--all', '-f', 'dotenv', '--skip-unreadable'], env);
    expect(r.code).toBe(11);
    expect(r.stdout).toBe("APP_A='one'\nAPP_B='two'\n");
    expect(r.stderr).toMatch(/prod\.pw/);
    expect((await runInProcess(['export', '--all', '-f', 'dotenv', '--skip-unreadable', '--allow-partial'], env)).code).toBe(0);
  });

  it('exec --all --skip-unreadable does not start the command unless --allow-partial', async () => {
    const out = join(home, 'out.txt');
    const script = `printf '%s|%s' "$APP_A" "\${PROD_PW-unset}" > '${out}'`;
    expect((await runInProcess(['exec', '--all', '--', 'sh', '-c', script], env)).code).toBe(10);
    const refused = await runInProcess(['exec', '--all', '--skip-unreadable', '--', 'sh', '-c', script], env);
    expect(refused.code).toBe(11);
    expect(refused.stderr).toMatch(/prod\.pw/);
    expect(existsSync(out)).toBe(false);
    const ran = await runInProcess(['exec', '--all', '--skip-unreadable', '--allow-partial', '--', 'sh', '-c', script], env);
    expect(ran.code, ran.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('one|unset');
  });
});
