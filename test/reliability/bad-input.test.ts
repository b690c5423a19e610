/**
 * A corpus of bad input, one table row per case, run through the CLI's entry point in-process
 * (src/cli/main.ts `run` with a captured Io, as bin/keystash.cjs runs it); a sample of the cases
 * also runs through the built binary (bin/keystash.cjs, spawned), for the exit status of a real
 * process, no warning from Node or the AWS SDK, and no signal. Every case asserts
 *   - the documented exit code (README "Exit codes": 2 usage, 3 not found, 4 version exists,
 *     5 integrity, 6 decrypt/context, 7 KMS, 8 store, 9 configuration, 10 partial bulk failure);
 *   - stderr is exactly one line `keystash: error: …` — or, for errors commander detects while
 *     parsing (unknown command/option, invalid choice, bad option argument), commander's
 *     `error: …` line followed by the fixed hint line `(run with --help for usage)`;
 *   - no stack trace, and nothing at all on stdout;
 *   - nothing changed: the data directory (every file's bytes and mode) and, for the aws backend,
 *     every attribute of every item of the table are the same before and after.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { createKeystash } from 'keystash';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempDir, type CliResult } from '../helpers/run-cli.js';
import { runHere } from '../helpers/run-here.js';
import { sealCheaply } from '../helpers/sealed-keyring.js';
import { awsTestCredentials, awsTestEnv } from '../helpers/aws-env.js';
import { rawDb } from '../helpers/sqlite.js';
import type { SqliteDb } from '../../src/secretstore/sqlite-driver.js';

const TABLE = `bad-input-${Date.now().toString(36)}`;
const SQL_TABLE = 'credential-store';
const credentials = awsTestCredentials();
const AWS_ENV = awsTestEnv();
const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: AWS_ENV.AWS_ENDPOINT_URL_DYNAMODB, credentials });
const root = tempDir('keystash-bad-input-');
const seedHome = join(root.dir, 'seed');
/** A loopback port nothing listens on (bound, then closed). */
let closedPort = 0;

afterAll(() => {
  ddb.destroy();
  root.cleanup();
});

// ---------------------------------------------------------------------------------------------
// Fixtures and snapshots

interface Ctx {
  /** Per-case scratch directory (HOME). */
  dir: string;
  /** KEYSTASH_HOME: a private copy of the seeded local store + keyring. */
  home: string;
  table: string;
  env: Record<string, string | undefined>;
  /** Extra state a setup hands to its teardown. */
  state: Record<string, unknown>;
}

type Style = 'keystash' | 'commander';

interface Case {
  name: string;
  backend: 'local' | 'aws';
  /** Arguments after the backend prefix (`--backend aws -t TABLE` for aws cases). */
  args: (ctx: Ctx) => string[];
  code: number;
  style?: Style;
  /** Part of the error line that proves the right failure was reported. */
  message?: RegExp;
  env?: (ctx: Ctx) => Record<string, string | undefined>;
  input?: string | Buffer;
  setup?: (ctx: Ctx) => void | Promise<void>;
  teardown?: (ctx: Ctx) => void | Promise<void>;
  /** Skip the byte-for-byte data-directory snapshot (a case that points the CLI elsewhere still
   *  has its own snapshot of what it points at via `extraSnapshot`). */
  extraSnapshot?: (ctx: Ctx) => string | Promise<string>;
}

function sha(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Every path under `dir` with its type, mode and content hash (SQLite's -wal/-shm excluded, and
 * the local KMS audit log, which records failed attempts by design).
 */
function snapshotDir(dir: string): string {
  if (!existsSync(dir)) return `${dir}: absent`;
  const lines: string[] = [];
  const walk = (path: string, rel: string) => {
    const st = statSync(path);
    const mode = (st.mode & 0o777).toString(8);
    if (st.isDirectory()) {
      lines.push(`${rel}/ ${mode}`);
      for (const entry of readdirSync(path).sort()) {
        if (/-(wal|shm)$/.test(entry) || entry.startsWith('kms-audit.jsonl')) continue;
        walk(join(path, entry), `${rel}/${entry}`);
      }
    } else {
      lines.push(`${rel} ${mode} ${st.size} ${sha(readFileSync(path))}`);
    }
  };
  walk(dir, '.');
  return lines.join('\n');
}

function attr(value: AttributeValue): string {
  if (value.B !== undefined) return `B:${Buffer.from(value.B).toString('base64')}`;
  return JSON.stringify(value);
}

/** Every attribute of every item of `table`, sorted; or a marker when the table is missing. */
async function snapshotTable(table: string): Promise<string> {
  const rows: string[] = [];
  let start: Record<string, AttributeValue> | undefined;
  try {
    do {
      const page = await ddb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
      for (const item of page.Items ?? []) {
        rows.push(Object.keys(item).sort().map((k) => `${k}=${attr(item[k]!)}`).join(' '));
      }
      start = page.LastEvaluatedKey;
    } while (start);
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return `table ${table} absent`;
    throw error;
  }
  return rows.sort().join('\n');
}

async function snapshot(c: Case, ctx: Ctx): Promise<string> {
  const parts = [snapshotDir(ctx.dir)];
  if (c.backend === 'aws') parts.push(await snapshotTable(ctx.table));
  if (c.extraSnapshot) parts.push(await c.extraSnapshot(ctx));
  return parts.join('\n----\n');
}

function newCtx(index: number): Ctx {
  const dir = join(root.dir, `case-${index}`);
  const home = join(dir, 'ks');
  mkdirSync(dir, { mode: 0o700 });
  cpSync(seedHome, home, { recursive: true });
  chmodSync(home, 0o700);
  for (const f of readdirSync(home)) chmodSync(join(home, f), 0o600);
  return { dir, home, table: TABLE, env: {}, state: {} };
}

function baseEnv(c: Case, ctx: Ctx): Record<string, string | undefined> {
  // Node's compile cache (Node ≥ 22.1) goes outside the snapshotted directory: it is keystash's
  // start-up cache, not data of the case.
  const env: Record<string, string | undefined> = { HOME: ctx.dir, KEYSTASH_HOME: ctx.home, KEYSTASH_CACHE_DIR: join(root.dir, 'compile-cache') };
  if (c.backend === 'aws') Object.assign(env, AWS_ENV);
  return { ...env, ...(c.env?.(ctx) ?? {}) };
}

/** Run a case's command (in-process, or spawned through the built binary); snapshot before and after. */
async function execute(c: Case, index: number, how: 'in-process' | 'spawned' = 'in-process'): Promise<{ result: CliResult; before: string; after: string }> {
  const ctx = newCtx(index);
  try {
    await c.setup?.(ctx);
    // args() and env() may write input files: both run before the first snapshot.
    const args = [...(c.backend === 'aws' ? ['--backend', 'aws', '-t', ctx.table] : []), ...c.args(ctx)];
    const env = baseEnv(c, ctx);
    const before = await snapshot(c, ctx);
    const result = how === 'spawned' ? await runCli(args, { env, input: c.input, timeoutMs: 45_000 }) : await runHere(args, env, c.input);
    const after = await snapshot(c, ctx);
    return { result, before, after };
  } finally {
    await c.teardown?.(ctx);
    rmSync(ctx.dir, { recursive: true, force: true });
  }
}

function assertOneError(stderr: string, style: Style): string {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/Warning/);
  if (style === 'commander') {
    expect(stderr).toMatch(/^keystash: error: [^\n]+\n\(run with --help for usage\)\n$/);
    return stderr.split('\n')[0]!;
  }
  expect(stderr).toMatch(/^keystash: error: [^\n]+\n$/);
  return stderr.slice(0, -1);
}

// ---------------------------------------------------------------------------------------------
// Helpers for the cases

const db = (ctx: Ctx) => join(ctx.home, 'store.db');
const keyring = (ctx: Ctx) => join(ctx.home, 'keyring.json');

/** Run `fn` on the case's store file, then close it (checkpointing the WAL). */
function withSqlite(ctx: Ctx, fn: (d: SqliteDb) => void): void {
  const d = rawDb(db(ctx));
  try {
    fn(d);
  } finally {
    d.close();
  }
}

/** A copy of an existing row (app.db v1) with some columns replaced, inserted raw. */
function insertRow(ctx: Ctx, name: string, changes: Record<string, unknown>): void {
  withSqlite(ctx, (d) => {
    const row = d.prepare('SELECT * FROM secrets WHERE tbl = ? AND name = ? AND version = ?').get(SQL_TABLE, 'app.db', '0000000000000000001') as Record<string, unknown>;
    const full: Record<string, unknown> = { ...row, name, ...changes };
    const cols = Object.keys(full);
    d.prepare(`INSERT INTO secrets (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((k) => full[k]));
  });
}

/** A copy of an existing aws item (app.db v1) with attributes replaced or removed (undefined). */
async function putAwsRow(ctx: Ctx, name: string, changes: Record<string, AttributeValue | undefined>): Promise<void> {
  const { Items } = await ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
  const source = Items!.find((i) => i.name!.S === 'app.db' && i.version!.S === '0000000000000000001')!;
  const item: Record<string, AttributeValue> = { ...source, name: { S: name } };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete item[k];
    else item[k] = v;
  }
  await ddb.send(new PutItemCommand({ TableName: TABLE, Item: item }));
  ctx.state.awsRow = name;
}

async function deleteAwsRow(ctx: Ctx): Promise<void> {
  const name = ctx.state.awsRow as string | undefined;
  if (name) await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { name: { S: name }, version: { S: '0000000000000000001' } } }));
}

/** A valid backup of the seeded store (written by the CLI itself). */
async function backupText(ctx: Ctx): Promise<string> {
  const r = await runHere(['backup'], { HOME: ctx.dir, KEYSTASH_HOME: ctx.home });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout;
}

function writeFile(ctx: Ctx, name: string, data: string | Buffer): string {
  const path = join(ctx.dir, name);
  writeFileSync(path, data);
  return path;
}

const LONG_NAME = 'n'.repeat(1025);
const TOO_BIG = 'x'.repeat(410 * 1024);

// ---------------------------------------------------------------------------------------------
// The corpus

const cases: Case[] = [
  // --- usage detected by commander (exit 2)
  { name: 'unknown command', backend: 'local', args: () => ['frobnicate'], code: 2, style: 'commander', message: /unknown command 'frobnicate'/ },
  { name: 'unknown option', backend: 'local', args: () => ['get', 'app.db', '--bogus'], code: 2, style: 'commander', message: /unknown option '--bogus'/ },
  { name: 'unknown global option', backend: 'local', args: () => ['--colour', 'list'], code: 2, style: 'commander', message: /unknown option/ },
  { name: 'missing required argument', backend: 'local', args: () => ['get'], code: 2, style: 'commander', message: /missing required argument 'name'/ },
  { name: 'option missing its argument (-c)', backend: 'local', args: () => ['put', 'app.new', 'v', '-c'], code: 2, style: 'commander', message: /argument missing/ },
  { name: 'version -v abc', backend: 'local', args: () => ['get', 'app.db', '-v', 'abc'], code: 2, style: 'commander', message: /option '-v, --version <version>': invalid version \(use/ },
  { name: 'negative version on put', backend: 'local', args: () => ['put', 'app.db', 'v', '-v', '-3'], code: 2, style: 'commander', message: /invalid version/ },
  { name: 'empty version', backend: 'local', args: () => ['get', 'app.db', '-v', ''], code: 2, style: 'commander', message: /invalid version/ },
  { name: 'version with spaces on delete', backend: 'local', args: () => ['delete', 'app.db', '-v', '1 2'], code: 2, style: 'commander', message: /invalid version/ },
  {
    name: 'version too long (put -v of 1025 digits)',
    backend: 'local',
    args: () => ['put', 'app.db', 'v', '-v', '1'.repeat(1025)],
    code: 2,
    style: 'commander',
    message: /version is longer than 1024/,
  },
  {
    name: 'version too long on aws (range key limit)',
    backend: 'aws',
    args: () => ['put', 'app.db', 'v', '-v', '2'.repeat(1100)],
    code: 2,
    style: 'commander',
    message: /version is longer than 1024/,
  },
  { name: 'unknown digest -d FOO', backend: 'local', args: () => ['put', 'app.new', 'v', '-d', 'FOO'], code: 2, style: 'commander', message: /invalid choice \(choose from SHA, SHA224/ },
  { name: 'digest in the wrong case -d sha256', backend: 'local', args: () => ['put', 'app.new', 'v', '-d', 'sha256'], code: 2, style: 'commander', message: /invalid choice \(choose from/ },
  { name: 'wrong output format (get pattern)', backend: 'local', args: () => ['get', 'app.*', '-f', 'xml'], code: 2, style: 'commander', message: /Allowed choices/ },
  { name: 'wrong output format (getall)', backend: 'local', args: () => ['getall', '-f', 'toml'], code: 2, style: 'commander', message: /Allowed choices/ },
  { name: 'export without a format', backend: 'local', args: () => ['export', 'app.db'], code: 2, style: 'commander', message: /required option '-f/ },
  { name: 'unknown backend flag', backend: 'local', args: () => ['--backend', 'gcp', 'get', 'app.db'], code: 2, style: 'commander', message: /option '--backend <backend>': Allowed choices are local, aws/ },
  { name: 'unknown iam-policy role', backend: 'local', args: () => ['iam-policy', 'superuser'], code: 2, style: 'commander', message: /argument 'role': Allowed choices are reader, writer, admin/ },

  // --- usage detected by keystash (exit 2)
  { name: 'empty secret name', backend: 'local', args: () => ['put', '', 'v'], code: 2, message: /must not be empty/ },
  { name: 'name with a control character', backend: 'local', args: () => ['put', 'a\tb', 'v'], code: 2, message: /control characters/ },
  { name: "name with the wildcard '*'", backend: 'local', args: () => ['put', 'app*', 'v'], code: 2, message: /must not contain '\*'/ },
  { name: 'name longer than 1024 bytes', backend: 'local', args: () => ['put', LONG_NAME, 'v'], code: 2, message: /longer than 1024 bytes/ },
  { name: 'name longer than 1024 bytes (aws)', backend: 'aws', args: () => ['put', LONG_NAME, 'v'], code: 2, message: /longer than 1024 bytes/ },
  { name: 'context without =', backend: 'local', args: () => ['put', 'app.new', 'v', 'env'], code: 2, message: /not the form of "key=value"/ },
  { name: 'context with empty key', backend: 'local', args: () => ['get', 'app.ctx', '=prod'], code: 2, message: /not the form/ },
  { name: 'context with empty value', backend: 'local', args: () => ['get', 'app.ctx', 'env='], code: 2, message: /not the form/ },
  { name: 'context with two =', backend: 'local', args: () => ['put', 'app.new', 'v', 'a=b=c'], code: 2, message: /not the form/ },
  { name: 'context key given twice', backend: 'local', args: () => ['get', 'app.ctx', 'env=a', 'env=b'], code: 2, message: /given twice/ },
  { name: 'missing value', backend: 'local', args: () => ['put', 'app.new'], code: 2, message: /missing value/ },
  { name: 'missing @file', backend: 'local', args: (ctx) => ['put', 'app.new', `@${join(ctx.dir, 'nope.txt')}`], code: 2, message: /Unable to read file/ },
  { name: '@file that is a directory', backend: 'local', args: (ctx) => ['put', 'app.new', `@${ctx.dir}`], code: 2, message: /Unable to read file/ },
  {
    name: 'non-UTF-8 @file',
    backend: 'local',
    args: (ctx) => ['put', 'app.new', `@${writeFile(ctx, 'latin1.txt', Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))}`],
    code: 2,
    message: /not valid UTF-8/,
  },
  { name: 'non-UTF-8 stdin', backend: 'local', args: () => ['put', 'app.new', '-'], input: Buffer.from([0xff, 0xfe, 0x00, 0x41]), code: 2, message: /standard input is not valid UTF-8/ },
  { name: '-v with --expect-version', backend: 'local', args: () => ['put', 'app.db', 'v', '-v', '9', '--expect-version', '2'], code: 2, message: /cannot be combined/ },
  { name: '--concurrency 0', backend: 'local', args: () => ['--concurrency', '0', 'getall'], code: 2, message: /invalid concurrency \(not shown, in case it is the secret\): expected an integer from 1 to 256/ },
  { name: '--concurrency abc', backend: 'local', args: () => ['getall', '--concurrency', 'abc'], code: 2, message: /invalid concurrency \(not shown[^']*$/ },
  { name: 'KEYSTASH_CONCURRENCY=100000', backend: 'local', args: () => ['getall'], env: () => ({ KEYSTASH_CONCURRENCY: '100000' }), code: 9, message: /invalid concurrency/ },
  { name: 'KEYSTASH_BACKEND=gcp', backend: 'local', args: () => ['get', 'app.db'], env: () => ({ KEYSTASH_BACKEND: 'gcp' }), code: 9, message: /invalid backend 'gcp'/ },
  { name: 'export --mask without github-env', backend: 'local', args: () => ['export', 'app.db', '-f', 'json', '--mask'], code: 2, message: /--mask/ },
  { name: 'setup --provisioned abc', backend: 'local', args: () => ['setup', '--provisioned', 'abc'], code: 2, message: /--provisioned/ },
  { name: 'import of invalid JSON', backend: 'local', args: (ctx) => ['import', writeFile(ctx, 'bad.json', '{"a": "1",')], code: 2, message: /not valid JSON; nothing was imported|not valid JSON .*nothing was imported/ },
  { name: 'import of a non-string value', backend: 'local', args: (ctx) => ['import', writeFile(ctx, 'num.json', '{"app.port": 5432}')], code: 2, message: /not a string/ },
  { name: 'import of an invalid name', backend: 'local', args: (ctx) => ['import', writeFile(ctx, 'star.json', '{"ok": "1", "a*b": "2"}')], code: 2, message: /must not contain/ },
  { name: 'import of a malformed dotenv line', backend: 'local', args: (ctx) => ['import', writeFile(ctx, 'bad.env', 'GOOD=1\nthis is not dotenv\n')], code: 2 },
  { name: 'import of a missing file', backend: 'local', args: (ctx) => ['import', join(ctx.dir, 'absent.json')], code: 2, message: /Unable to read file/ },
  {
    name: 'restore of a file that is not a backup (valid checksum)',
    backend: 'local',
    args: (ctx) => {
      const body = `${JSON.stringify({ format: 'something-else', version: 1 })}\n`;
      const trailer = JSON.stringify({ format: 'keystash-backup-end', sha256: sha(body) });
      return ['restore', writeFile(ctx, 'other.jsonl', `${body}${trailer}\n`)];
    },
    code: 2,
    message: /not a keystash backup/,
  },

  // --- not found (3), version exists / conflict (4)
  { name: 'get of an unknown name', backend: 'local', args: () => ['get', 'app.nope'], code: 3, message: /couldn't be found/ },
  { name: 'get of an unknown version', backend: 'local', args: () => ['get', 'app.db', '-v', '99'], code: 3, message: /0000000000000000099/ },
  { name: 'get of an over-long (nonexistent) version', backend: 'local', args: () => ['get', 'app.db', '-v', '0'.repeat(40) + '1'], code: 3 },
  { name: 'delete of an unknown name (aws)', backend: 'aws', args: () => ['delete', 'app.nope'], code: 3 },
  { name: 'history of an unknown name', backend: 'local', args: () => ['history', 'app.nope'], code: 3 },
  { name: 'put -v of an existing version', backend: 'local', args: () => ['put', 'app.db', 'x', '-v', '1'], code: 4, message: /already in the credential store/ },
  { name: 'put --expect-version mismatch (aws)', backend: 'aws', args: () => ['put', 'app.db', 'x', '--expect-version', '7'], code: 4, message: /expected latest version/ },
  {
    name: 'restore into a store with conflicting rows',
    backend: 'local',
    setup: async (ctx) => {
      // A backup of another store whose app.db v1 differs from ours.
      const other = join(ctx.dir, 'other');
      const ks = await createKeystash({ dataDir: other, env: {} });
      await ks.put('app.db', 'different');
      ks.close();
      const r = await runHere(['backup', '-o', join(ctx.dir, 'other.jsonl')], { HOME: ctx.dir, KEYSTASH_HOME: other });
      expect(r.code, r.stderr).toBe(0);
      rmSync(other, { recursive: true });
    },
    args: (ctx) => ['restore', join(ctx.dir, 'other.jsonl')],
    code: 10,
    message: /conflict/,
  },

  // --- integrity (5)
  {
    name: 'restore of a damaged backup (one byte changed)',
    backend: 'local',
    setup: async (ctx) => {
      const text = await backupText(ctx);
      const i = text.indexOf('"contents":"') + 14;
      const flipped = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
      writeFile(ctx, 'damaged.jsonl', flipped);
    },
    args: (ctx) => ['restore', join(ctx.dir, 'damaged.jsonl')],
    code: 5,
    message: /checksum does not match/,
  },
  {
    name: 'restore of a truncated backup',
    backend: 'local',
    setup: async (ctx) => {
      const text = await backupText(ctx);
      writeFile(ctx, 'cut.jsonl', text.slice(0, Math.floor(text.length / 2)));
    },
    args: (ctx) => ['restore', join(ctx.dir, 'cut.jsonl')],
    code: 5,
  },
  { name: 'sqlite row with an unknown digest', backend: 'local', setup: (ctx) => insertRow(ctx, 'bad.digest', { digest: 'WHIRLPOOL' }), args: () => ['get', 'bad.digest'], code: 5, message: /unknown digest 'WHIRLPOOL'/ },
  { name: 'sqlite row with non-base64 contents', backend: 'local', setup: (ctx) => insertRow(ctx, 'bad.contents', { contents: '***not base64***' }), args: () => ['get', 'bad.contents'], code: 5, message: /not valid base64/ },
  { name: 'sqlite row with a truncated hmac', backend: 'local', setup: (ctx) => insertRow(ctx, 'bad.hmac', { hmac: 'abcdef' }), args: () => ['get', 'bad.hmac'], code: 5, message: /INTEGRITY ERROR: Computed HMAC on bad\.hmac v0+1 does not match stored HMAC$/m },
  { name: 'sqlite row with an empty (missing) contents', backend: 'local', setup: (ctx) => insertRow(ctx, 'bad.empty', { contents: '' }), args: () => ['get', 'bad.empty'], code: 5, message: /INTEGRITY ERROR/ },
  {
    name: 'sqlite row with a BLOB contents (wrong type)',
    backend: 'local',
    setup: (ctx) => insertRow(ctx, 'bad.blob', { contents: Buffer.from('AAAA') }),
    args: () => ['get', 'bad.blob'],
    code: 5,
    message: /malformed/,
  },
  {
    name: 'sqlite row with an integer hmac and BLOB key (wrong types)',
    backend: 'local',
    setup: (ctx) => insertRow(ctx, 'bad.types', { key: Buffer.from([1, 2, 3]), hmac: 12345 }),
    args: () => ['get', 'bad.types'],
    code: 5,
  },
  {
    name: 'sqlite row with a BLOB name breaks list cleanly',
    backend: 'local',
    setup: (ctx) => insertRow(ctx, 'x', { name: Buffer.from('blob-name') }),
    args: () => ['list'],
    code: 5,
    message: /malformed/,
  },
  {
    name: 'getall with one damaged row prints nothing',
    backend: 'local',
    setup: (ctx) => insertRow(ctx, 'app.zzz', { hmac: '0'.repeat(64) }),
    args: () => ['getall', 'env=prod'],
    code: 10,
    message: /could not be read/,
  },
  {
    name: 'aws row without contents',
    backend: 'aws',
    setup: (ctx) => putAwsRow(ctx, 'aws.nocontents', { contents: undefined }),
    teardown: deleteAwsRow,
    args: () => ['get', 'aws.nocontents'],
    code: 5,
    message: /missing 'contents'/,
  },
  {
    name: 'aws row with hmac of type N',
    backend: 'aws',
    setup: (ctx) => putAwsRow(ctx, 'aws.hmacn', { hmac: { N: '12345' } }),
    teardown: deleteAwsRow,
    args: () => ['get', 'aws.hmacn'],
    code: 5,
    message: /'hmac' has type N/,
  },
  {
    name: 'aws row with key of type B',
    backend: 'aws',
    setup: (ctx) => putAwsRow(ctx, 'aws.keyb', { key: { B: new Uint8Array([1, 2, 3]) } }),
    teardown: deleteAwsRow,
    args: () => ['get', 'aws.keyb'],
    code: 5,
    message: /'key' has type B/,
  },
  {
    name: 'aws row with digest of type L',
    backend: 'aws',
    setup: (ctx) => putAwsRow(ctx, 'aws.digestl', { digest: { L: [{ S: 'SHA256' }] } }),
    teardown: deleteAwsRow,
    args: () => ['get', 'aws.digestl'],
    code: 5,
  },
  {
    name: 'aws row with an unknown digest',
    backend: 'aws',
    setup: (ctx) => putAwsRow(ctx, 'aws.md4', { digest: { S: 'MD4' } }),
    teardown: deleteAwsRow,
    args: () => ['get', 'aws.md4'],
    code: 5,
    message: /unknown digest 'MD4'/,
  },

  // --- decrypt / context (6)
  { name: 'get without the encryption context', backend: 'local', args: () => ['get', 'app.ctx'], code: 6, message: /encryption context/ },
  { name: 'get with the wrong context (aws)', backend: 'aws', args: () => ['get', 'app.ctx', 'env=dev'], code: 6, message: /encryption context/ },
  {
    // The row names a key the (absent) keyring lacks: KMS's InvalidCiphertextException, as
    // LocalKms documents (test/integration/local-kms.test.ts). Nothing is created by the read.
    name: 'keyring removed after data was written',
    backend: 'local',
    setup: (ctx) => unlinkSync(keyring(ctx)),
    args: () => ['get', 'app.db'],
    code: 9, // issue 22 item 11: the missing key is named, the context is not blamed
    message: /is not in the keyring \(there is no keyring at .*\); restore keyring\.json/,
  },

  // --- KMS (7)
  { name: 'put with an unknown key alias', backend: 'local', args: () => ['put', 'app.new', 'v', '-k', 'alias/nope'], code: 7, message: /alias\/nope.*not found/ },
  {
    name: 'get of a secret under a disabled key',
    backend: 'local',
    setup: async (ctx) => {
      const r = await runHere(['kms', 'disable', 'alias/credstash'], { HOME: ctx.dir, KEYSTASH_HOME: ctx.home });
      expect(r.code, r.stderr).toBe(0);
    },
    args: () => ['get', 'app.db'],
    code: 7,
    message: /disabled/,
  },
  { name: 'KMS: wrong secret key (SigV4 rejected)', backend: 'aws', args: () => ['get', 'app.db'], env: () => ({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' }), code: 7, message: /credential|signature/i },
  { name: 'KMS: unknown access key id', backend: 'aws', args: () => ['get', 'app.db'], env: () => ({ AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000' }), code: 7, message: /credential|signature|security token/i },
  {
    name: 'KMS: no credentials at all (local store, aws KMS)',
    backend: 'local',
    args: () => ['--kms', 'aws', 'put', 'app.new', 'v'],
    env: () => ({ ...AWS_ENV, AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    code: 7,
    message: /credential/i,
  },
  {
    name: 'KMS endpoint unreachable (closed loopback port)',
    backend: 'aws',
    args: () => ['get', 'app.db'],
    env: () => ({ AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${closedPort}` }),
    code: 7,
    message: /reach|ECONNREFUSED/i,
  },

  // --- store (8)
  { name: 'aws: missing table', backend: 'aws', setup: (ctx) => void (ctx.table = `${TABLE}-missing`), args: () => ['get', 'app.db'], code: 8, message: /keystash setup/ },
  {
    name: 'aws: DynamoDB endpoint unreachable (closed loopback port)',
    backend: 'aws',
    args: () => ['get', 'app.db'],
    env: () => ({ AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${closedPort}` }),
    code: 8,
    message: /cannot reach DynamoDB/,
  },
  {
    name: 'aws: no credentials at all',
    backend: 'aws',
    args: () => ['list'],
    env: () => ({ AWS_ACCESS_KEY_ID: undefined, AWS_SECRET_ACCESS_KEY: undefined }),
    code: 8,
    message: /no usable AWS credentials/,
  },
  {
    name: 'aws: value over the 400 KB item limit (@file)',
    backend: 'aws',
    args: (ctx) => ['put', 'app.big', `@${writeFile(ctx, 'big.txt', TOO_BIG)}`],
    code: 2,
    message: /400 KB item limit\): a row may hold at most 409600 bytes/,
  },
  {
    name: 'corrupt SQLite file (header kept, pages scrambled)',
    backend: 'local',
    setup: (ctx) => {
      const bytes = readFileSync(db(ctx));
      randomBytes(bytes.length - 100).copy(bytes, 100);
      writeFileSync(db(ctx), bytes);
    },
    args: () => ['get', 'app.db'],
    code: 8,
  },
  { name: 'truncated SQLite file', backend: 'local', setup: (ctx) => truncateSync(db(ctx), 1000), args: () => ['list'], code: 8 },
  { name: 'store file that is not SQLite', backend: 'local', setup: (ctx) => writeFileSync(db(ctx), 'just some text\n'.repeat(50)), args: () => ['get', 'app.db'], code: 8, message: /not an SQLite database/ },
  {
    name: 'foreign SQLite file (another application)',
    backend: 'local',
    setup: (ctx) => {
      unlinkSync(db(ctx));
      const d = rawDb(db(ctx));
      d.exec("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users (email) VALUES ('a@example.com');");
      d.close();
    },
    args: () => ['put', 'app.new', 'v'],
    code: 8,
    message: /another application/,
  },
  { name: 'store written by a newer schema', backend: 'local', setup: (ctx) => withSqlite(ctx, (d) => d.exec('PRAGMA user_version = 2')), args: () => ['get', 'app.db'], code: 8, message: /newer keystash/ },
  {
    name: 'store path is a directory',
    backend: 'local',
    setup: (ctx) => {
      unlinkSync(db(ctx));
      mkdirSync(db(ctx));
    },
    args: () => ['get', 'app.db'],
    code: 8,
  },

  // --- configuration (9)
  { name: 'group-readable keyring', backend: 'local', setup: (ctx) => chmodSync(keyring(ctx), 0o640), args: () => ['get', 'app.db'], code: 9, message: /chmod 600/ },
  { name: 'world-readable keyring', backend: 'local', setup: (ctx) => chmodSync(keyring(ctx), 0o604), args: () => ['get', 'app.db'], code: 9, message: /mode 0604/ },
  { name: 'corrupt keyring (random bytes)', backend: 'local', setup: (ctx) => writeFileSync(keyring(ctx), randomBytes(300)), args: () => ['get', 'app.db'], code: 9 },
  {
    name: 'truncated keyring',
    backend: 'local',
    setup: (ctx) => writeFileSync(keyring(ctx), readFileSync(keyring(ctx), 'utf8').slice(0, 120)),
    args: () => ['put', 'app.new', 'v'],
    code: 9,
    message: /not valid JSON/,
  },
  {
    name: 'keyring with a damaged key record',
    backend: 'local',
    setup: (ctx) => {
      const data = JSON.parse(readFileSync(keyring(ctx), 'utf8')) as { keys: Array<{ keyId: string }> };
      data.keys[0]!.keyId = 'not-a-uuid';
      writeFileSync(keyring(ctx), JSON.stringify(data));
    },
    args: () => ['get', 'app.db'],
    code: 9,
    message: /not a UUID/,
  },
  {
    name: 'keyring path is a directory',
    backend: 'local',
    setup: (ctx) => {
      unlinkSync(keyring(ctx));
      mkdirSync(keyring(ctx), { mode: 0o700 });
    },
    args: () => ['get', 'app.db'],
    code: 9,
  },
  {
    name: 'sealed keyring without KEYSTASH_KMS_PASSPHRASE',
    backend: 'local',
    setup: async (ctx) => sealKeyring(ctx),
    args: () => ['get', 'sealed.pw'],
    code: 9,
    message: /KEYSTASH_KMS_PASSPHRASE/,
  },
  {
    name: 'sealed keyring with a wrong passphrase',
    backend: 'local',
    setup: async (ctx) => sealKeyring(ctx),
    args: () => ['get', 'sealed.pw'],
    env: () => ({ KEYSTASH_KMS_PASSPHRASE: 'wrong horse' }),
    code: 9,
    message: /wrong KEYSTASH_KMS_PASSPHRASE/,
  },
  {
    name: 'config file that is not JSON',
    backend: 'local',
    args: () => ['get', 'app.db'],
    env: (ctx) => ({ KEYSTASH_CONFIG: writeFile(ctx, 'config.json', '{ backend: local') }),
    code: 9,
    message: /config file .* is not valid/,
  },
  {
    name: 'config file with an unknown backend',
    backend: 'local',
    args: () => ['get', 'app.db'],
    env: (ctx) => ({ KEYSTASH_CONFIG: writeFile(ctx, 'config.json', '{"backend": "gcp"}') }),
    code: 9,
    message: /config file .*invalid backend 'gcp'/,
  },
  {
    name: 'config file with a bad concurrency',
    backend: 'local',
    args: () => ['getall'],
    env: (ctx) => ({ KEYSTASH_CONFIG: writeFile(ctx, 'config.json', '{"concurrency": 0}') }),
    code: 9,
    message: /config file .*invalid concurrency/,
  },
  {
    name: 'config file that is a JSON array',
    backend: 'local',
    args: () => ['list'],
    env: (ctx) => ({ KEYSTASH_CONFIG: writeFile(ctx, 'config.json', '["local"]') }),
    code: 9,
    message: /not a JSON object/,
  },
];

/**
 * Replace the case's data directory by one with a passphrase-sealed keyring and one secret (sealed
 * at the cheapest scrypt cost: these cases are about refusing a missing or wrong passphrase).
 */
async function sealKeyring(ctx: Ctx): Promise<void> {
  rmSync(ctx.home, { recursive: true });
  const ks = await createKeystash({ dataDir: ctx.home, env: {} });
  await ks.put('sealed.pw', 'sealed-value');
  ks.close();
  sealCheaply(keyring(ctx), 'correct horse');
  const check = await createKeystash({ dataDir: ctx.home, env: { KEYSTASH_KMS_PASSPHRASE: 'correct horse' } });
  expect(await check.get('sealed.pw')).toBe('sealed-value');
  check.close();
}

// ---------------------------------------------------------------------------------------------

beforeAll(async () => {
  const ks = await createKeystash({ dataDir: seedHome, env: {} });
  await ks.put('app.db', 'one');
  await ks.put('app.db', 'two');
  await ks.put('app.ctx', 'in-context', { context: { env: 'prod' } });
  await ks.put('app.sha512', 'five-twelve', { digest: 'SHA512', comment: 'seeded' });
  ks.close();
  const aws = (args: string[]) => runHere(['--backend', 'aws', '-t', TABLE, ...args], { HOME: root.dir, ...AWS_ENV });
  for (const args of [['setup'], ['put', 'app.db', 'one'], ['put', 'app.db', 'two'], ['put', 'app.ctx', 'in-context', 'env=prod']]) {
    const r = await aws(args);
    expect(r.code, r.stderr).toBe(0);
  }
  closedPort = await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
});

describe('the snapshot sees changes (controls)', () => {
  it('a successful read changes nothing; a successful put changes the snapshot (local and aws)', async () => {
    const read: Case = { name: 'control read', backend: 'local', args: () => ['get', 'app.db'], code: 0 };
    const r1 = await execute(read, 10_000);
    expect(r1.result.code, r1.result.stderr).toBe(0);
    expect(r1.result.stdout).toBe('two\n');
    expect(r1.after).toBe(r1.before);
    const write: Case = { name: 'control write', backend: 'local', args: () => ['put', 'app.db', 'three'], code: 0 };
    const r2 = await execute(write, 10_001);
    expect(r2.result.code, r2.result.stderr).toBe(0);
    expect(r2.after).not.toBe(r2.before);
    const awsWrite: Case = { name: 'control aws write', backend: 'aws', args: () => ['put', 'ctl.x', 'v'], code: 0 };
    const r3 = await execute(awsWrite, 10_002);
    expect(r3.result.code, r3.result.stderr).toBe(0);
    expect(r3.after).not.toBe(r3.before);
    await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { name: { S: 'ctl.x' }, version: { S: '0000000000000000001' } } }));
  });
});

describe('bad input through the CLI', () => {
  const started = Date.now();
  afterAll(() => {
    console.log(`bad-input: ${cases.length} cases (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  });

  it('the corpus is large and covers every documented error exit code', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    expect([...new Set(cases.map((c) => c.code))].sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  async function check(c: Case, index: number, how: 'in-process' | 'spawned' = 'in-process'): Promise<void> {
    const { result, before, after } = await execute(c, index, how);
    expect(result.signal).toBeNull();
    const line = assertOneError(result.stderr, c.style ?? 'keystash');
    expect(result.code, result.stderr).toBe(c.code);
    if (c.message) expect(line).toMatch(c.message);
    expect(result.stdoutBytes.length, result.stdout).toBe(0);
    expect(after).toBe(before);
  }

  cases.forEach((c, index) => {
    it(`${c.name} → exit ${c.code}`, async () => {
      await check(c, index);
    });
  });

  describe('through the built binary: the exit status of a real process, no warning on stderr, no signal', () => {
    it('the sample names cases of the corpus', () => {
      for (const name of SPAWNED) expect(cases.map((c) => c.name)).toContain(name);
    });
    cases.forEach((c, index) => {
      if (!SPAWNED.has(c.name)) return;
      it(`${c.name} → exit ${c.code}`, async () => {
        await check(c, 20_000 + index, 'spawned');
      });
    });
  });
});

/**
 * Cases also run spawned: a commander parse error, a SQLite store read, a real stdin pipe, and the
 * AWS SDK with rejected and with absent credentials (the SDK's own credential chain, in a clean
 * process environment).
 */
const SPAWNED = new Set(['unknown command', 'get of an unknown name', 'non-UTF-8 stdin', 'KMS: wrong secret key (SigV4 rejected)', 'aws: no credentials at all']);
