/**
 * `exec` and `export` with `--override`, `--quiet-overrides`, `--no-clobber` and repeated
 * `--strip-prefix`, in-process (the exec child is a real node process that writes its environment
 * to a file).
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
const STRIP = ['--strip-prefix', 'base.', '--strip-prefix', 'prod.'];

beforeAll(async () => {
  for (const [name, value] of [['base.db_url', 'base-db'], ['base.log_level', 'info'], ['prod.db_url', 'prod-db'], ['pin.db', 'pinned']] as const) {
    expect((await h.run(['put', name, value])).code).toBe(0);
  }
});
afterAll(() => h.cleanup());

async function childEnv(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stderr: string; vars: Record<string, string> }> {
  const out = join(h.dir, `env-${Math.random().toString(36).slice(2)}.json`);
  const script = `require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({DB_URL: process.env.DB_URL, LOG_LEVEL: process.env.LOG_LEVEL}))`;
  const r = await h.run(['exec', ...args, '--', process.execPath, '-e', script], { env });
  let vars: Record<string, string> = {};
  try {
    vars = JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
  } catch {
    /* the child did not run */
  }
  return { code: r.code, stderr: r.stderr, vars };
}

describe('exec layering', () => {
  it('by default a variable claimed twice is refused, as before', async () => {
    const r = await childEnv(['base.*', 'prod.*', ...STRIP]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('would both become the environment variable DB_URL');
    expect(r.vars).toEqual({});
  });

  it('--override: the later selector wins, one stderr line per variable; --quiet-overrides silences it', async () => {
    const r = await childEnv(['base.*', 'prod.*', ...STRIP, '--override']);
    expect(r.code).toBe(0);
    expect(r.vars).toEqual({ DB_URL: 'prod-db', LOG_LEVEL: 'info' });
    expect(r.stderr).toBe('DB_URL: "prod.db_url" overrides "base.db_url"\n');
    const reversed = await childEnv(['prod.*', 'base.*', ...STRIP, '--override', '--quiet-overrides']);
    expect(reversed.vars).toEqual({ DB_URL: 'base-db', LOG_LEVEL: 'info' });
    expect(reversed.stderr).toBe('');
    const mapped = await childEnv(['base.*', ...STRIP, '--env', 'DB_URL=pin.db', '--override']);
    expect(mapped.vars.DB_URL).toBe('pinned');
    expect(mapped.stderr).toBe('DB_URL: "pin.db" overrides "base.db_url"\n');
  });

  it('--override with a refused variable: only the refusal is said, no override that never happened', async () => {
    for (const [name, value] of [['bad.db_url', 'bad-db'], ['bad.ld_preload', '/tmp/x.so']] as const) expect((await h.run(['put', name, value])).code).toBe(0);
    const selection = ['base.*', 'bad.*', '--strip-prefix', 'base.', '--strip-prefix', 'bad.', '--override'];
    const refusal = 'keystash: error: secret "bad.ld_preload" would set LD_PRELOAD, which changes how programs load or run; map it explicitly (exec --env LD_PRELOAD=bad.ld_preload) or allow it with --allow-env LD_PRELOAD\n';
    const r = await childEnv(selection);
    expect([r.code, r.stderr, r.vars]).toEqual([2, refusal, {}]);
    const exported = await h.run(['export', ...selection, '-f', 'dotenv']);
    expect([exported.code, exported.stdout, exported.stderr]).toEqual([2, '', refusal]);
    // Allowed, the override is said (no child is started with LD_PRELOAD set to a test path).
    const allowed = await h.run(['export', ...selection, '-f', 'dotenv', '--allow-env', 'LD_PRELOAD']);
    expect([allowed.code, allowed.stderr]).toEqual([0, 'DB_URL: "bad.db_url" overrides "base.db_url"\n']);
  });

  it('--override, then a refusal further on (an unreadable secret, an -o file others can read): no override notice', async () => {
    expect((await h.run(['put', 'ctx.token', 't', 'env=prod'])).code).toBe(0);
    const selection = ['base.*', 'prod.*', ...STRIP, '--override'];
    const skipped = await childEnv([...selection, 'ctx.*', '--skip-unreadable']);
    expect(skipped.code).toBe(11);
    expect(skipped.vars).toEqual({});
    expect(skipped.stderr).toContain('skipped 1 unreadable secret');
    expect(skipped.stderr).not.toContain('overrides');
    const shared = join(h.dir, 'shared-github-env');
    writeFileSync(shared, '', { mode: 0o644 });
    chmodSync(shared, 0o644);
    const exported = await h.run(['export', ...selection, '-f', 'github-env', '-o', shared]);
    expect([exported.code, exported.stdout]).toEqual([2, '']);
    expect(exported.stderr).toContain('other users can access it');
    expect(exported.stderr).not.toContain('overrides');
    expect(readFileSync(shared, 'utf8')).toBe('');
  });

  it('--no-clobber keeps the caller\'s variable', async () => {
    const r = await childEnv(['base.*', ...STRIP, '--no-clobber'], { DB_URL: 'from-caller' });
    expect(r.code).toBe(0);
    expect(r.vars).toEqual({ DB_URL: 'from-caller', LOG_LEVEL: 'info' });
    const without = await childEnv(['base.*', ...STRIP], { DB_URL: 'from-caller' });
    expect(without.vars.DB_URL).toBe('base-db');
  });
});

describe('export layering', () => {
  it('--override and --no-clobber with a variable format; refused for json', async () => {
    const r = await h.run(['export', 'base.*', 'prod.*', ...STRIP, '--override', '-f', 'shell']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("export LOG_LEVEL='info'\nexport DB_URL='prod-db'\n");
    expect(r.stderr).toBe('DB_URL: "prod.db_url" overrides "base.db_url"\n');
    const kept = await h.run(['export', 'base.*', ...STRIP, '--no-clobber', '-f', 'dotenv'], { env: { LOG_LEVEL: 'debug' } });
    expect(kept.stdout).toBe("DB_URL='base-db'\n");
    const json = await h.run(['export', 'base.*', '--override', '-f', 'json']);
    expect(json.code).toBe(2);
    expect(json.stderr).toContain('--override and --no-clobber apply only to formats with variable names');
    const plain = await h.run(['export', 'base.*', 'prod.*', ...STRIP, '-f', 'shell']);
    expect(plain.code).toBe(2);
  });
});
