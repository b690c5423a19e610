/**
 * Set-up failures (issue 22): an error that is not about one row (keyring, passphrase,
 * credentials, table, endpoint) stops a bulk command with its own exit code and one message,
 * instead of a partial failure (exit 10) naming it once per secret.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dirname, join } from 'node:path';
import { inProcessHome } from '../helpers/in-process.js';
import { cliHome } from '../helpers/run-cli.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';

const NAMES = ['app.a', 'app.b', 'app.c', 'app.d', 'app.e', 'app.f', 'app.g'];

/** One `keystash: error:` line and nothing else on stderr, nothing on stdout. */
function oneError(r: { stdout: string; stderr: string }, pattern: RegExp): void {
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^keystash: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(lines[0]).not.toMatch(/could not be read|failed verification|FAILED/);
}

/** Every bulk read command, each expected to stop on the same set-up error. */
function bulkReads(dir: string): string[][] {
  const template = `${dir}/t.tpl`;
  writeFileSync(template, NAMES.map((n) => `{{ keystash:${n} }}`).join('\n'));
  return [['getall'], ['get', 'app.*'], ['export', '--all', '-f', 'json'], ['exec', '--all', '--', 'true'], ['verify'], ['inject', '-i', template]];
}

describe('local keyring set-up errors stop bulk reads once', () => {
  const h = inProcessHome();
  beforeAll(async () => {
    for (const n of NAMES) expect((await h.run(['put', n, `v-${n}`])).code).toBe(0);
  });
  afterAll(() => h.cleanup());

  it('a passphrase with a plain keyring: exit 9 and one message, as get', async () => {
    const env = { KEYSTASH_KMS_PASSPHRASE: 'not-this-one' };
    const get = await h.run(['get', 'app.a'], { env });
    expect(get.code).toBe(9);
    for (const args of bulkReads(h.dir)) {
      const r = await h.run(args, { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(9);
      oneError(r, /is not sealed, but KEYSTASH_KMS_PASSPHRASE is set/);
    }
  });

  it('a sealed keyring with the wrong passphrase: exit 9 and one message', async () => {
    const sealed = inProcessHome();
    try {
      for (const n of NAMES) expect((await sealed.run(['put', n, 'v'])).code).toBe(0);
      sealCheaply(`${sealed.home}/keyring.json`, 'right');
      expect((await sealed.run(['getall'], { env: { KEYSTASH_KMS_PASSPHRASE: 'right' } })).code).toBe(0);
      for (const args of bulkReads(sealed.dir)) {
        const r = await sealed.run(args, { env: { KEYSTASH_KMS_PASSPHRASE: 'wrong' } });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(9);
        oneError(r, /wrong KEYSTASH_KMS_PASSPHRASE/);
      }
    } finally {
      sealed.cleanup();
    }
  });
});

describe('AWS credentials KMS rejects stop bulk reads once', () => {
  const table = `setuperr-${Date.now().toString(36)}`;
  const env = {
    AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
    AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
    AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
    AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  const h = inProcessHome(env);
  const aws = (args: string[], extra: Record<string, string> = {}) => h.run(['--backend', 'aws', '-t', table, ...args], { env: extra });
  afterAll(() => h.cleanup());

  it('exit 7 (KMS) and one message naming the credentials, not exit 10 per secret', async () => {
    expect((await aws(['setup'])).code).toBe(0);
    for (const n of NAMES) expect((await aws(['put', n, 'v'])).code).toBe(0);
    // dynalite takes any credentials; the project's KMS server rejects these.
    const bad = { AWS_SECRET_ACCESS_KEY: 'not-the-secret-key' };
    expect((await aws(['get', 'app.a'], bad)).code).toBe(7);
    for (const args of bulkReads(h.dir)) {
      const r = await aws(args, bad);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(7);
      oneError(r, /credentials/);
    }
  });
});

describe('a missing keyring is never silently replaced (issue 22 item 11)', () => {
  it('get names the missing key (exit 9); put refuses to create a new keyring; the original still reads everything', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['put', 'db.pw', 's3cret'])).code).toBe(0);
      const keyring = `${h.home}/keyring.json`;
      const original = readFileSync(keyring);
      rmSync(keyring); // the store restored alone

      const get = await h.run(['get', 'db.pw']);
      expect(get.code, get.stderr).toBe(9);
      expect(get.stderr).toMatch(/^keystash: error: key [0-9a-f-]{36} is not in the keyring \(there is no keyring at .*\); restore keyring\.json/);
      expect(get.stderr).not.toMatch(/encryption context/);

      const getall = await h.run(['getall']);
      expect(getall.code).toBe(9);
      expect(getall.stderr.trimEnd().split('\n')).toHaveLength(1);

      const put = await h.run(['put', 'other', 'v']);
      expect(put.code, put.stderr).toBe(9);
      expect(put.stderr).toMatch(/is not in the keyring.*restore keyring\.json/);
      expect(existsSync(keyring)).toBe(false);
      const createKey = await h.run(['kms', 'create-key', '--alias', 'alias/new']);
      expect(createKey.code, createKey.stderr).toBe(9);
      expect(existsSync(keyring)).toBe(false);

      writeFileSync(keyring, original, { mode: 0o600 });
      const back = await h.run(['get', 'db.pw']);
      expect(back.code, back.stderr).toBe(0);
      expect(back.stdout).toBe('s3cret\n');
    } finally {
      h.cleanup();
    }
  });

  it('a replaced keyring: the old rows name their key (exit 9), not the encryption context', async () => {
    const h = inProcessHome();
    const other = inProcessHome();
    try {
      expect((await h.run(['put', 'db.pw', 's3cret'])).code).toBe(0);
      expect((await other.run(['put', 'x', 'y'])).code).toBe(0);
      copyFileSync(`${other.home}/keyring.json`, `${h.home}/keyring.json`);
      const get = await h.run(['get', 'db.pw']);
      expect(get.code, get.stderr).toBe(9);
      expect(get.stderr).toMatch(/key [0-9a-f-]{36} is not in the keyring \(the keyring .* does not hold it\); restore keyring\.json/);
    } finally {
      h.cleanup();
      other.cleanup();
    }
  });

  it('a fresh data directory still creates its keyring on the first put (or kms create-key)', async () => {
    const h = inProcessHome();
    try {
      const first = await h.run(['--data-dir', `${h.dir}/keys-first`, 'kms', 'create-key', '--alias', 'alias/first']);
      expect(first.code, first.stderr).toBe(0);
      expect((await h.run(['put', 'a', 'b'])).code).toBe(0);
      expect(existsSync(`${h.home}/keyring.json`)).toBe(true);
      expect((await h.run(['get', 'a'])).stdout).toBe('b\n');
    } finally {
      h.cleanup();
    }
  });
});

describe('a typo is not an empty store (issue 22 item 12)', () => {
  const READS = [['get', 'db.password'], ['get', 'db.*'], ['getall'], ['list'], ['keys'], ['history', 'db.password'], ['export', '--all', '-f', 'json'], ['exec', '--all', '--', 'true'], ['verify'], ['delete', 'db.password'], ['backup', '-o', '-']];

  it('read commands on a mistyped --data-dir create nothing and say there is no store there (exit 8)', async () => {
    const h = inProcessHome();
    try {
      expect((await h.run(['put', 'db.password', 'pw'])).code).toBe(0);
      const typo = `${h.dir}/mistyped`;
      for (const args of READS) {
        const r = await h.run(['--data-dir', typo, ...args]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(8);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/^keystash: error: no keystash data directory at .*mistyped \(check --data-dir, KEYSTASH_HOME and KEYSTASH_CONFIG for a typo\); to start a store there, run: keystash setup, or store a first secret with keystash put\n$/);
        expect(existsSync(typo), args.join(' ')).toBe(false);
      }
      // The same through KEYSTASH_HOME.
      const viaEnv = await h.run(['list'], { env: { KEYSTASH_HOME: typo } });
      expect(viaEnv.code).toBe(8);
      expect(existsSync(typo)).toBe(false);
    } finally {
      h.cleanup();
    }
  });

  it('an existing directory without a store: named as such, and no store.db or keyring is created', async () => {
    const h = inProcessHome();
    try {
      mkdirSync(h.home, { mode: 0o700 });
      const r = await h.run(['keys']);
      expect(r.code).toBe(8);
      expect(r.stderr).toMatch(/no keystash store at .*store\.db/);
      expect(readdirSync(h.home)).toEqual([]);
    } finally {
      h.cleanup();
    }
  });

  it('the quick start still works with no configuration: put creates the directory, then get reads it', async () => {
    const h = inProcessHome();
    try {
      expect(existsSync(h.home)).toBe(false);
      expect((await h.run(['put', 'demo.secret', 'hello'])).code).toBe(0);
      const r = await h.run(['get', 'demo.secret']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('hello\n');
      expect((await h.run(['--data-dir', `${h.dir}/other`, 'setup'])).code).toBe(0);
      expect((await h.run(['--data-dir', `${h.dir}/other`, 'list'])).code).toBe(0);
    } finally {
      h.cleanup();
    }
  });
});

describe('configuration errors (issue 22, smaller items)', () => {
  it("KEYSTASH_HOME='~/ks' (a tilde no shell expanded) is the home directory's ks, never ./~/ks", async () => {
    const h = inProcessHome();
    const cwd = process.cwd();
    try {
      process.chdir(h.dir);
      const put = await h.run(['put', 'a', 'b'], { env: { KEYSTASH_HOME: '~/ks-tilde', HOME: h.dir } });
      expect(put.code, put.stderr).toBe(0);
      expect(existsSync(`${h.dir}/ks-tilde/store.db`)).toBe(true);
      expect(existsSync(`${h.dir}/~`)).toBe(false);
      const cfg = await h.run(['config', '--json'], { env: { KEYSTASH_HOME: '~/ks-tilde', HOME: h.dir } });
      expect(cfg.stdout).toContain(`${h.dir}/ks-tilde`);
      // From a config file too; '~user' is refused, not created.
      writeFileSync(`${h.dir}/config.json`, JSON.stringify({ dataDir: '~/ks-tilde' }));
      const viaFile = await h.run(['get', 'a'], { env: { KEYSTASH_HOME: undefined, KEYSTASH_CONFIG: `${h.dir}/config.json`, HOME: h.dir } });
      expect(viaFile.stdout).toBe('b\n');
      const other = await h.run(['put', 'a', 'b'], { env: { KEYSTASH_HOME: '~nobody/ks' } });
      expect(other.code).toBe(9);
      expect(other.stderr).toMatch(/^keystash: error: KEYSTASH_HOME '~nobody\/ks': '~user' is not expanded/);
      expect(existsSync(`${h.dir}/~nobody`)).toBe(false);
    } finally {
      process.chdir(cwd);
      h.cleanup();
    }
  });

  it('a bad KEYSTASH_* value and a bad config file give the same exit code (9); a bad flag stays a usage error (2)', async () => {
    const h = inProcessHome();
    try {
      writeFileSync(`${h.dir}/bad.json`, JSON.stringify({ backend: 'bogus' }));
      const file = await h.run(['list'], { env: { KEYSTASH_CONFIG: `${h.dir}/bad.json` } });
      expect(file.code).toBe(9);
      for (const [name, value] of [['KEYSTASH_BACKEND', 'bogus'], ['KEYSTASH_CONCURRENCY', '0'], ['KEYSTASH_TIMEOUT', 'x'], ['KEYSTASH_STORE', 'nope']] as const) {
        const r = await h.run(['list'], { env: { [name]: value } });
        expect(r.code, `${name}: ${r.stderr}`).toBe(file.code);
        expect(r.stderr).toContain(`(from the environment: ${name})`);
      }
      expect((await h.run(['list', '--concurrency', '0'])).code).toBe(2);
    } finally {
      h.cleanup();
    }
  });

  it("commander's own errors carry the keystash: error: prefix", async () => {
    const h = inProcessHome();
    try {
      for (const args of [['get', 'x', '--bogus'], ['export', '--all'], ['nosuchcommand'], ['get']]) {
        const r = await h.run(args);
        expect(r.code, args.join(' ')).toBe(2);
        expect(r.stderr, args.join(' ')).toMatch(/^keystash: error: /);
      }
    } finally {
      h.cleanup();
    }
  });
});

describe('through the built binary (the quick path of get, put and getall)', () => {
  it('a mistyped --data-dir: exit 8, nothing created; a lost keyring: get and put exit 9, no new keyring', async () => {
    const cli = cliHome();
    try {
      const typo = join(dirname(cli.home), 'mistyped');
      for (const args of [['get', 'x'], ['getall'], ['list']]) {
        const r = await cli.run(['--data-dir', typo, ...args]);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(8);
        expect(r.stderr).toMatch(/^keystash: error: no keystash data directory at /);
      }
      expect(existsSync(typo)).toBe(false);

      expect((await cli.run(['put', 'a', 'b'])).code).toBe(0);
      rmSync(join(cli.home, 'keyring.json'));
      for (const args of [['get', 'a'], ['getall'], ['put', 'c', 'd']]) {
        const r = await cli.run(args);
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(9);
        expect(r.stderr).toMatch(/is not in the keyring .*restore keyring\.json/);
      }
      expect(existsSync(join(cli.home, 'keyring.json'))).toBe(false);
    } finally {
      cli.cleanup();
    }
  });
});
