/**
 * argv → core call tables (docs/conventions.md §14): the real program, with the Keystash replaced by a spy.
 */
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import type { Keystash } from '../../../src/core/keystash.js';
import { run } from '../../../src/cli/main.js';
import type { CliWiring } from '../../../src/cli/deps.js';
import { serialiseBackup } from '../../../src/core/transfer/backup-file.js';
import type { KeyService } from '../../../src/envelope/keyservice.js';
import type { LocalKeyring } from '../../../src/localkms/audited-kms.js';
import { memoryIo } from '../../helpers/io.js';
import { spyKeystash } from '../../helpers/spy-keystash.js';

function harness(env: Record<string, string> = {}) {
  const m = memoryIo({ stdin: 'from-stdin', env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks', ...env } });
  const { open, calls, configs } = spyKeystash((method, args) => {
    if (method === 'put') return { name: args[0], version: '0000000000000000001' };
    if (method === 'get') return 'value';
    if (method === 'getAll' || method === 'getMatching' || method === 'select') return [['a', '1']];
    if (method === 'list' || method === 'names' || method === 'delete') return [];
    if (method === 'setup') return { created: true };
    return undefined;
  });
  return {
    run: async (argv: string[]) => ({ code: await run(argv, m.io, { open }), stdout: m.stdout(), stderr: m.stderr(), calls, configs }),
  };
}

describe('argv → options', () => {
  const rows: Array<{ argv: string[]; method: string; args: unknown[] }> = [
    {
      argv: ['put', '-k', 'alias/app', '-c', 'note', 'db.pw', 'hunter2', 'env=prod'],
      method: 'put',
      args: ['db.pw', 'hunter2', { keyId: 'alias/app', comment: 'note', digest: 'SHA256', context: { env: 'prod' }, version: undefined, expectVersion: undefined }],
    },
    {
      argv: ['put', '-d', 'SHA512', '-v', '5', 'n', 'v'],
      method: 'put',
      args: ['n', 'v', { keyId: 'alias/credstash', comment: undefined, digest: 'SHA512', context: {}, version: '5', expectVersion: undefined }],
    },
    {
      argv: ['put', '-a', '-v', '5', 'n', '-'],
      method: 'put',
      args: ['n', 'from-stdin', { keyId: 'alias/credstash', comment: undefined, digest: 'SHA256', context: {}, version: undefined, expectVersion: undefined }],
    },
    { argv: ['get', 'db.pw', 'a=1', 'b=2'], method: 'get', args: ['db.pw', { version: undefined, context: { a: '1', b: '2' } }] },
    { argv: ['get', '-v', '3', '-n', 'db.pw'], method: 'get', args: ['db.pw', { version: '3', context: {} }] },
    { argv: ['get', 'db.*'], method: 'getMatching', args: ['db.*', { version: undefined, context: {} }] },
    { argv: ['getall', '-f', 'csv', 'env=prod'], method: 'getAll', args: [{ version: undefined, context: { env: 'prod' } }] },
    { argv: ['delete', '-v', '2', 'x'], method: 'delete', args: ['x', { version: '2' }] },
    // A command's own --version after its operands is that command's, not keystash's version flag
    // (commander reads program options anywhere: it used to print 0.1.0 and run nothing, exit 0).
    { argv: ['get', 'db.pw', '--version', '2'], method: 'get', args: ['db.pw', { version: '2', context: {} }] },
    { argv: ['delete', 'x', '--version', '2'], method: 'delete', args: ['x', { version: '2' }] },
    { argv: ['getall', '--version', '2'], method: 'getAll', args: [{ version: '2', context: {} }] },
    {
      argv: ['put', 'n', 'v', '--version', '7'],
      method: 'put',
      args: ['n', 'v', { keyId: 'alias/credstash', comment: undefined, digest: 'SHA256', context: {}, version: '7', expectVersion: undefined }],
    },
    // Exact names are read by name (no listing): what a role limited by iam-policy --prefix can do.
    { argv: ['export', 'a', '-f', 'docker', '--context', 'k=v'], method: 'select', args: [{ selectors: ['a'], strict: false, context: { k: 'v' }, command: 'export' }] },
  ];
  for (const row of rows) {
    it(row.argv.join(' '), async () => {
      const r = await harness().run(row.argv);
      expect(r.stderr).not.toContain('error');
      expect(r.code).toBe(0);
      expect(r.calls).toEqual([{ method: row.method, args: row.args }]);
    });
  }

  it('global flags and environment resolve into the config (flag > env > default)', async () => {
    const r = await harness({ CREDSTASH_DEFAULT_TABLE: 'from-env' }).run(['-t', 'from-flag', 'keys']);
    expect(r.configs[0]!.table).toBe('from-flag');
    expect(r.configs[0]!.sources.table).toBe('flag');
    const r2 = await harness({ CREDSTASH_DEFAULT_TABLE: 'from-env' }).run(['keys']);
    expect(r2.configs[0]!.table).toBe('from-env');
    const r3 = await harness().run(['keys']);
    expect(r3.configs[0]!.table).toBe('credential-store');
    expect(r3.configs[0]!.storePath).toBe('/nonexistent-ks/store.db');
  });

  it('--decrypt-key is repeatable and global', async () => {
    const r = await harness().run(['--decrypt-key', 'alias/a', 'keys', '--decrypt-key', 'alias/b']);
    expect(r.code).toBe(0);
    expect(r.configs[0]!.decryptKeys).toEqual(['alias/a', 'alias/b']);
    expect((await harness().run(['keys'])).configs[0]!.decryptKeys).toBeUndefined();
  });
});

describe('a value typed where an option value or a context pair goes is not echoed (it may be the secret)', () => {
  const rows: string[][] = [
    ['put', 'db.pw', 'correct', 'horse-hunter2', 'battery'],
    ['put', 'db.pw', '-v', 'hunter2', 'x'],
    ['put', 'db.pw', '--expect-version', 'hunter2', 'x'],
    ['put', 'db.pw', '-d', 'hunter2', 'x'],
    ['get', 'db.pw', '-v', 'hunter2'],
    ['put', 'db.pw', '-hunter2'],
    ['put', 'db.pw', '--hunter2'],
    ['export', 'db.pw', 'hunter2'],
    // An unknown option on any command, or before the command, is shown only by its dashes.
    ['get', 'db.pw', '-Xhunter2'],
    ['getall', '--hunter2'],
    ['getall', '--hunter2=x'],
    ['--hunter2', 'get', 'db.pw'],
    ['-Xhunter2', 'list'],
    ['exec', '-Xhunter2', '--', 'true'],
    ['export', 'db.pw', '--Hunter2', '-f', 'json'],
    ['putall', '-Xhunter2', '{}'],
    ['import', '--hunter2', 'f.json'],
    ['delete', 'db.pw', '-Xhunter2'],
    ['kms', 'audit', '-Xhunter2'],
    // A bad value of one of keystash's own options is named by the option, not quoted.
    ['--concurrency', 'hunter2', 'list'],
    ['list', '--timeout', 'hunter2'],
    ['--regions', 'hunter2', 'list'],
    ['kms', 'serve', '--port', 'hunter2'],
    // Number() would read these as 8080 and 100000.
    ['kms', 'serve', '--port', '0x1F90'],
    ['kms', 'serve', '--port', '1e5'],
    ['kms', 'serve', '--port', '65536'],
    ['kms', 'serve', '--host', 'hunter2'],
    ['kms', 'audit', '--since', 'hunter2'],
    ['kms', 'audit', '--prune-before', 'hunter2'],
    ['iam-policy', 'reader', '--account-id', 'hunter2'],
    ['migrate', '--from', 'hunter2', '--to', 'local'],
    ['migrate', '--from', 'local', '--to', 'hunter2'],
  ];
  for (const argv of rows) {
    it(argv.join(' '), async () => {
      const r = await harness().run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^keystash: error: /);
      expect(r.stderr).not.toMatch(/hunter|horse|battery/);
      expect(r.calls).toEqual([]);
    });
  }
  // Checked once the secrets are read, so not before every call.
  for (const argv of [
    ['export', 'db.pw', '-f', 'k8s-secret', '--k8s-name', 'hunter2!'],
    ['export', 'db.pw', '-f', 'k8s-secret', '--k8s-name', 'app', '--k8s-namespace', 'hunter2!'],
  ]) {
    it(argv.join(' '), async () => {
      const r = await harness().run(argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^keystash: error: --k8s-(name|namespace) \(not shown, in case it is the secret\) is not a valid/);
      expect(r.stderr).not.toMatch(/hunter/);
    });
  }
  it('--prune-before names itself, not --since', async () => {
    const r = await harness().run(['kms', 'audit', '--prune-before', 'hunter2']);
    expect(r.stderr).toContain('keystash: error: --prune-before: the value given (not shown, in case it is the secret) is neither');
  });
});

describe('usage errors → exit 2, nothing called', () => {
  const rows: Array<{ argv: string[]; message: string }> = [
    { argv: ['put', 'n', 'v', 'novalue'], message: 'an encryption-context operand is not the form of "key=value" (not shown' },
    { argv: ['put', 'n', 'v', '=x'], message: 'is not the form of "key=value"' },
    { argv: ['put', '-d', 'WHIRLPOOL', 'n', 'v'], message: "option '-d, --digest <digest>': invalid choice (choose from SHA," },
    { argv: ['put', '-v', 'abc', 'n', 'v'], message: "option '-v, --version <version>': invalid version (use a number" },
    { argv: ['put', 'n'], message: 'missing value' },
    { argv: ['get', '-v', 'x1', 'n'], message: "option '-v, --version <version>': invalid version" },
    { argv: ['get'], message: "missing required argument 'name'" },
    { argv: ['getall', '-f', 'xml'], message: "Allowed choices are json, yaml, csv, dotenv" },
    { argv: ['nosuchcommand'], message: "unknown command 'nosuchcommand'" },
    { argv: ['get', '--bogus', 'n'], message: "unknown option '--bogus'" },
    { argv: ['--backend', 'cloud', 'keys'], message: 'Allowed choices are local, aws' },
    { argv: ['get', 'n', 'a=1', 'a=2'], message: "context key 'a' given twice" },
    { argv: ['export', 'a', '-f', 'json', '--env-keys'], message: '--k8s-name, --k8s-namespace and --env-keys apply only to -f k8s-secret' },
    { argv: ['export', 'a', '-f', 'json', '--k8s-name', 'app'], message: '--k8s-name, --k8s-namespace and --env-keys apply only to -f k8s-secret' },
    { argv: ['export', 'a', '-f', 'json', '--strip-prefix', 'app.'], message: '--strip-prefix names variables, so it applies only to formats with variable names' },
    { argv: ['export', 'a', '-f', 'yaml', '--strip-prefix', 'app.'], message: 'not -f yaml, which keeps secret names' },
    { argv: ['export', 'a', '-f', 'csv', '--strip-prefix', 'app.'], message: 'not -f csv, which keeps secret names' },
    { argv: ['export', 'a', '-f', 'k8s-secret', '--k8s-name', 'x', '--strip-prefix', 'app.'], message: 'not -f k8s-secret, which keeps secret names' },
    { argv: ['put', 'n', '-P', 'hunter2'], message: 'every operand after NAME is an encryption-context pair' },
    { argv: ['put', 'n', 'v', 'k=v', '-'], message: "'-' or '@FILE' gives the value and goes right after NAME" },
    { argv: ['export', 'a', '-f', 'json', '--override'], message: '--override and --no-clobber apply only to formats with variable names' },
    { argv: ['export', 'a', '-f', 'dotenv', '--mask'], message: '--mask applies only to -f github-env and -f github-output' },
    { argv: ['exec', '--file', '1X=a', '--', 'true'], message: '--file: the variable name given (not shown, in case it is the secret) is not a valid environment variable name' },
    // --allow-env where no variable is written: refused, not ignored.
    { argv: ['get', 'n', '--allow-env', 'PATH'], message: '--allow-env applies only to a pattern printed with variable names (get PATTERN -f dotenv); one secret is printed as its value' },
    { argv: ['get', 'a.*', '-f', 'json', '--allow-env', 'PATH'], message: '--allow-env applies only to formats with variable names (dotenv), not -f json' },
    { argv: ['getall', '-f', 'csv', '--allow-env', 'PATH'], message: '--allow-env applies only to formats with variable names (dotenv), not -f csv' },
    { argv: ['getall', '--allow-env', 'PATH'], message: '--allow-env applies only to formats with variable names (dotenv), not -f json' },
    ...['json', 'yaml', 'csv', 'github-output'].map((format) => ({ argv: ['export', 'a.*', '-f', format, '--allow-env', 'PATH'], message: `--allow-env applies only to formats with variable names (dotenv, shell, github-env, docker, env-no-quotes, k8s-secret --env-keys), not -f ${format}` })),
    { argv: ['export', 'a.*', '-f', 'k8s-secret', '--k8s-name', 'x', '--allow-env', 'PATH'], message: 'not -f k8s-secret' },
    // A lower-case or spaced --allow-env value could never match a variable the naming rule makes.
    ...[['exec', 'a.*', '--allow-env', 'ld_preload', '--', 'true'], ['export', 'a.*', '-f', 'dotenv', '--allow-env', 'PATH '], ['getall', '-f', 'dotenv', '--allow-env', 'Path'], ['get', 'a.*', '-f', 'dotenv', '--allow-env', '1PATH'], ['exec', 'a.*', '--allow-env', 'PATH', '--allow-env', 'node-options', '--', 'true']].map((argv) => ({
      argv,
      message: "option '--allow-env <VAR>': takes a variable name as keystash makes them from secret names: upper-case letters, digits and _, not starting with a digit (--allow-env LD_PRELOAD)",
    })),
    { argv: ['inject'], message: "required option '-i, --in-file <template>' not specified" },
    { argv: ['inject', '-i', '-', 'novalue'], message: 'is not the form of "key=value"' },
    { argv: ['iam-policy', 'admin', '--prefix', 'x'], message: 'admin manages the whole table' },
    { argv: ['iam-policy', 'reader', '--context', 'bad'], message: 'is not the form of "key=value"' },
  ];
  for (const row of rows) {
    it(row.argv.join(' '), async () => {
      const r = await harness().run(row.argv);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(row.message);
      expect(r.calls).toEqual([]);
      expect(r.stdout).toBe('');
    });
  }

  it('--help and --version exit 0', async () => {
    const help = await harness().run(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Examples:');
    for (const argv of [['--version'], ['-V'], ['--debug', '--version'], ['--version', 'get', 'x']]) {
      const version = await harness().run(argv);
      expect(version.code).toBe(0);
      expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
      expect(version.calls).toEqual([]);
    }
  });

  it('an option-like unknown option is shown, with commander\'s suggestion', async () => {
    const r = await harness().run(['get', 'db.pw', '--verison', '2']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("keystash: error: unknown option '--verison'\n(Did you mean --version?)\n(run with --help for usage)\n");
    const hidden = await harness().run(['get', 'db.pw', '--Version', '2']);
    expect(hidden.stderr).toBe("keystash: error: unknown option '--…' (not shown, in case it is the secret)\n(run with --help for usage)\n");
    expect((await harness().run(['--colour', 'list'])).stderr).toContain("unknown option '--colour'");
    expect((await harness().run(['getall', '-Q'])).stderr).toContain("unknown option '-Q'");
  });

  it('setup --tags, --provisioned, --pitr: DynamoDB only; a bad pair is named as a tag, not quoted', async () => {
    const aws = await harness().run(['--backend', 'aws', 'setup', '--tags', 'team=ops', 'k=v,x']);
    expect(aws.code, aws.stderr).toBe(0);
    expect(aws.calls.find((c) => c.method === 'setup')?.args[0]).toMatchObject({ tags: { team: 'ops', k: 'v,x' } });
    const local = await harness().run(['setup', '--tags', 'k=v,x']);
    expect(local.code).toBe(2);
    expect(local.stderr).toBe('keystash: error: --tags: DynamoDB table settings (--backend aws); the local store has none\n');
    expect(local.calls).toEqual([]);
    const settings = await harness().run(['setup', '--provisioned', '5,5', '--pitr']);
    expect(settings.code).toBe(2);
    expect(settings.stderr).toBe('keystash: error: --provisioned, --pitr: DynamoDB table settings (--backend aws); the local store has none\n');
    expect(settings.calls).toEqual([]);
    const awsSettings = await harness().run(['--backend', 'aws', 'setup', '--provisioned', '5,5', '--pitr']);
    expect(awsSettings.code, awsSettings.stderr).toBe(0);
    expect(awsSettings.calls.find((c) => c.method === 'setup')?.args[0]).toMatchObject({ provisioned: { read: 5, write: 5 }, pitr: true });
    for (const argv of [['--backend', 'aws', 'setup', '--tags', 'hunter2'], ['setup', '--tags', 'hunter2']]) {
      const bad = await harness().run(argv);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe('keystash: error: --tags: a tag is not the form of "key=value" (not shown, in case it is a secret)\n');
    }
  });

  it('-V after a command is not an option of that command', async () => {
    const r = await harness().run(['get', 'db.pw', '-V']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '-V'");
    expect(r.calls).toEqual([]);
  });
});

/**
 * Commands that open more than one Keystash (migrate), a key service of their own (restore
 * --rewrap-from) or the local keyring (kms) get them through their deps as well.
 */
describe('argv → deps for migrate, restore and kms', () => {
  function wiringHarness(stdin = '') {
    const calls: Array<{ on: string; method: string; args: unknown[] }> = [];
    const opened: Array<{ what: string; config: Config }> = [];
    const m = memoryIo({ stdin, env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks' } });
    const results: Record<string, unknown> = {
      restore: { total: 1, written: 1, skipped: 0, repaired: 0 },
      migrate: { dryRun: false, total: 2, copied: 2, skipped: 0, conflicts: [], verified: 2, failed: [] },
      createKey: { keyId: 'k-1', arn: 'arn:k-1', enabled: true, backingKeyCount: 1, aliases: ['alias/x'], description: 'd' },
      listKeys: [],
    };
    const spy = <T extends object>(on: string): T =>
      new Proxy({} as T, {
        get: (_t, method: string) => {
          if (method === 'then') return undefined;
          if (method === 'close') return () => undefined;
          return async (...args: unknown[]) => (calls.push({ on, method, args }), results[method]);
        },
      });
    const wiring: Partial<CliWiring> = {
      open: async (config) => (opened.push({ what: 'keystash', config }), spy<Keystash>(`keystash ${opened.length}`)),
      openKeys: async (config) => (opened.push({ what: 'keys', config }), spy<KeyService>('keys')),
      openLocalKms: async (config) => (opened.push({ what: 'localKms', config }), spy<LocalKeyring>('localKms')),
    };
    return { run: async (argv: string[]) => ({ code: await run(argv, m.io, wiring), stdout: m.stdout(), stderr: m.stderr(), calls, opened }) };
  }

  it('migrate --from local --to aws:prod opens both through deps and calls source.migrate(dest)', async () => {
    const r = await wiringHarness().run(['migrate', '--from', 'local', '--to', 'aws:prod', '--to-key', 'alias/prod', 'env=ci']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.opened.map((o) => [o.what, o.config.store, o.config.kms, o.config.table])).toEqual([
      ['keystash', 'sqlite', 'local', 'credential-store'],
      ['keystash', 'dynamodb', 'aws', 'prod'],
    ]);
    expect(r.calls).toHaveLength(1);
    expect(r.calls[0]).toMatchObject({ on: 'keystash 1', method: 'migrate', args: [expect.anything(), { destKeyId: 'alias/prod', context: { env: 'ci' }, dryRun: undefined, setup: true }] });
    expect(r.stderr).toContain('copied 2 of 2 rows');
  });

  it('restore - --rewrap-from aws opens the source key service through deps and calls ks.restore(rows)', async () => {
    const row = { name: 'a', version: '0000000000000000001', key: 'a2V5', contents: 'Y29udGVudHM=', hmac: '00', digest: 'SHA256' };
    const backup = serialiseBackup([row], { store: 'sqlite', table: 'credential-store' }, new Date(0));
    const r = await wiringHarness(backup).run(['restore', '-', '--rewrap-from', 'aws', '--to-key', 'alias/new', 'env=ci']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.opened.map((o) => [o.what, o.config.kms])).toEqual([
      ['keys', 'aws'],
      ['keystash', 'local'],
    ]);
    expect(r.calls).toHaveLength(1);
    const [rows, options] = r.calls[0]!.args as [Array<{ name: string }>, { context: unknown; rewrap: { keyId: string }; createTable: boolean }];
    expect(r.calls[0]!.method).toBe('restore');
    expect(rows.map((x) => x.name)).toEqual(['a']);
    expect(options).toMatchObject({ context: { env: 'ci' }, rewrap: { keyId: 'alias/new' }, createTable: false });
    expect(r.stderr).toContain('restored 1 rows into table credential-store');
  });

  it.each([
    { argv: ['kms', 'create-key', '--alias', 'alias/x', '--description', 'd'], method: 'createKey', args: [{ alias: 'alias/x', description: 'd' }] },
    { argv: ['kms', 'list'], method: 'listKeys', args: [] },
    { argv: ['kms', 'rotate', 'alias/x'], method: 'rotateKey', args: ['alias/x'] },
    { argv: ['kms', 'disable', 'alias/x'], method: 'setKeyEnabled', args: ['alias/x', false] },
  ])('$argv.1 opens the local keyring through deps and calls $method', async ({ argv, method, args }) => {
    const r = await wiringHarness().run(argv);
    expect(r.opened.map((o) => o.what)).toEqual(['localKms']);
    expect(r.calls).toEqual([{ on: 'localKms', method, args }]);
  });

  it('kms with --kms aws is refused before anything is opened', async () => {
    const r = await wiringHarness().run(['--kms', 'aws', 'kms', 'list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('manages the local keyring');
    expect(r.opened).toEqual([]);
  });
});
