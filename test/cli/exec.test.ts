/**
 * `keystash exec` — the child's environment, exit status and signal propagation, no
 * secret on any argv, `--strict` starting nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, cleanEnv, cliHome } from '../helpers/run-cli.js';
import { allCommandLines, announcePid } from '../helpers/proc.js';
import { inProcessOn } from '../helpers/in-process.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';

const h = cliHome();
/** In-process on the same home: set-up, and runs that fail before any child starts. */
const local = inProcessOn(h);
const SECRET_A = 'exec-secret-AAA-7f3c91';
const SECRET_B = "exec 'secret' $B\nline2";
const DUMP = "process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(process.env).filter(([k]) => !['PWD','SHLVL','_'].includes(k)))))";

beforeAll(async () => {
  for (const [name, value] of <Array<[string, string]>>[
    ['app.db-pw', SECRET_A],
    ['app.token', SECRET_B],
    ['other.key', 'other-value-99'],
  ]) {
    expect((await local(['put', name, '-'], { input: value })).code).toBe(0);
  }
  expect((await local(['put', 'app.token', 'v2-of-token'])).code).toBe(0);
});
afterAll(() => h.cleanup());

describe('exec', () => {
  it('--pristine: the child sees exactly the selected variables plus PATH', async () => {
    const r = await h.run(['exec', 'app.*', '--pristine', '--', process.execPath, '-e', DUMP]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(env).sort()).toEqual(['APP_DB_PW', 'APP_TOKEN', 'PATH']);
    expect(env.APP_DB_PW).toBe(SECRET_A);
    expect(env.APP_TOKEN).toBe('v2-of-token');
  });

  it('--no-clobber with --pristine keeps the secret (the caller\'s variable is not passed, so nothing is kept instead)', async () => {
    const r = await h.run(['exec', 'app.*', '--env', 'OTHER=other.key', '--pristine', '--no-clobber', '--', process.execPath, '-e', DUMP], { env: { APP_DB_PW: 'callers', OTHER: 'callers-too' } });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const env = JSON.parse(r.stdout) as Record<string, string>;
    expect(env.APP_DB_PW).toBe(SECRET_A);
    expect(env.OTHER).toBe('other-value-99');
    // Without --pristine, --no-clobber still keeps the caller's value.
    const kept = await h.run(['exec', 'app.*', '--no-clobber', '--', process.execPath, '-e', DUMP], { env: { APP_DB_PW: 'callers' } });
    expect((JSON.parse(kept.stdout) as Record<string, string>).APP_DB_PW).toBe('callers');
  });

  it('without --pristine the parent environment is kept; --strip-prefix and --env VAR=name@version', async () => {
    const r = await h.run(['exec', 'app.db-pw', '--strip-prefix', 'app.', '--env', 'OLD_TOKEN=app.token@1', '--', process.execPath, '-e', DUMP], {
      env: { KEEP_ME: 'yes' },
    });
    expect(r.code).toBe(0);
    const env = JSON.parse(r.stdout) as Record<string, string>;
    expect(env.DB_PW).toBe(SECRET_A);
    expect(env.OLD_TOKEN).toBe(SECRET_B);
    expect(env.KEEP_ME).toBe('yes');
    expect(env.APP_TOKEN).toBeUndefined();
  });

  it('never passes the keyring passphrase on to the child', async () => {
    const p = cliHome();
    try {
      expect((await p.run(['put', 'pp.secret', 'under-a-sealed-keyring'])).code).toBe(0);
      sealCheaply(join(p.home, 'keyring.json'), 'correct horse battery staple');
      const r = await p.run(['exec', 'pp.secret', '--', process.execPath, '-e', DUMP], { env: { KEEP_ME: 'yes', KEYSTASH_KMS_PASSPHRASE: 'correct horse battery staple' } });
      expect(r.code, r.stderr).toBe(0);
      const env = JSON.parse(r.stdout) as Record<string, string>;
      expect(env.PP_SECRET).toBe('under-a-sealed-keyring');
      expect(env.KEEP_ME).toBe('yes');
      expect(env.KEYSTASH_KMS_PASSPHRASE).toBeUndefined();
    } finally {
      p.cleanup();
    }
  });

  it("the child's exit status is keystash's", async () => {
    const r = await h.run(['exec', 'other.key', '--', process.execPath, '-e', 'process.exit(42)']);
    expect(r.code).toBe(42);
    expect(r.stderr).toBe('');
  });

  it('a secret too large for one environment variable (E2BIG) is exit 126 with a message, not a crash', async () => {
    const big = 'b'.repeat(200_000);
    expect((await local(['put', 'huge.blob', '-'], { input: big })).code).toBe(0);
    const r = await local(['exec', 'huge.blob', '--', process.execPath, '-e', '0']);
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('environment is too large');
    expect(r.stderr).not.toContain('a bug in keystash');
    expect(r.stderr).not.toContain(big.slice(0, 100));
  });

  it('a collision names the secret and the --env variable (not its text); a missing name or a strict glob starts nothing', async () => {
    const marker = join(h.home, '..', 'started');
    const touch = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`];
    const collide = await local(['exec', 'app.db-pw', '--env', 'APP_DB_PW=other.key', '--', ...touch]);
    expect(collide.code).toBe(2);
    expect(collide.stderr).toContain('"app.db-pw"');
    expect(collide.stderr).toContain('and --env APP_DB_PW would both set the environment variable APP_DB_PW');
    expect(collide.stderr).not.toContain('other.key');
    const missing = await local(['exec', 'app.db-pw', 'no.such', '--', ...touch]);
    expect(missing.code).toBe(3);
    const strict = await local(['exec', '--strict', 'app.*', 'nothing.*', '--', ...touch]);
    expect(strict.code).toBe(3);
    expect(strict.stderr).toContain("no secret matches 'nothing.*' (--strict)");
    expect(strict.stderr).not.toContain("couldn't be found");
    const missingMap = await local(['exec', '--env', 'X=no.such', '--', ...touch]);
    expect(missingMap.code).toBe(3);
    expect(existsSync(marker)).toBe(false);
    // Without --strict a glob matching nothing is fine.
    const lax = await h.run(['exec', 'app.*', 'nothing.*', '--', ...touch]);
    expect(lax.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
  });

  it('SIGTERM reaches the child, keystash exits 143, and no argv shows a secret meanwhile', async () => {
    const ready = join(h.home, '..', 'ready');
    // The handler is in place before the pid is announced, and the pid file appears whole.
    const script = `process.on('SIGTERM', () => { process.stdout.write('child got SIGTERM'); process.kill(process.pid, 'SIGKILL'); }); ${announcePid(ready)} setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, 'exec', 'app.*', '--', process.execPath, '-e', script], {
      env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => existsSync(ready), 20_000);
      const argvs = allCommandLines();
      expect(argvs.some((a) => a.includes('exec') && a.includes('app.*'))).toBe(true);
      for (const argv of argvs) {
        expect(argv.includes(SECRET_A)).toBe(false);
        expect(argv.includes('v2-of-token')).toBe(false);
      }
      child.kill('SIGTERM');
      const code = await exited;
      // The child died of SIGKILL after seeing SIGTERM: 128 + 9.
      expect(out).toBe('child got SIGTERM');
      expect(code).toBe(137);
    } finally {
      child.kill('SIGKILL');
      const pid = existsSync(ready) ? Number(readFileSync(ready, 'utf8')) : 0;
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });

  it('a child killed by the forwarded SIGTERM makes keystash exit 143', async () => {
    const ready = join(h.home, '..', 'ready2');
    const script = `${announcePid(ready)} setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, [BIN, 'exec', 'other.key', '--', process.execPath, '-e', script], {
      env: cleanEnv({ HOME: join(h.home, '..'), KEYSTASH_HOME: h.home }),
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => existsSync(ready), 20_000);
      child.kill('SIGTERM');
      expect(await exited).toBe(143);
      const pid = Number(readFileSync(ready, 'utf8'));
      expect(pid).toBeGreaterThan(0);
      expect(isAlive(pid)).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the child');
    await new Promise((r) => setTimeout(r, 50));
  }
}
