/**
 * Tampering with stored rows and with the keyring is detected.
 *
 * fast-check generates secrets (value, digest, encryption context) and mutations of one stored
 * field — key, contents, hmac, digest, version — applied behind keystash's back: a direct UPDATE
 * on the SQLite file (better-sqlite3) and a PutItem on dynalite. Reads go through the library
 * (`createKeystash` from the package entry) for speed; a smaller number of runs go through the
 * CLI (its entry point in-process, test/helpers/run-here.ts), which must exit non-zero with
 * nothing on stdout (no partial plaintext).
 *
 * What the format authenticates, and so what is asserted:
 * - `contents` is covered by the HMAC: any change of the ciphertext *bytes* → IntegrityError.
 *   Text that is not base64 → IntegrityError. (A base64 text that decodes to the same bytes —
 *   only possible in the unused low bits of the last character — is the same ciphertext; the
 *   generator changes bytes, never those bits.)
 * - `hmac` is compared in constant time after hex decoding: any change of its value, length or
 *   alphabet → IntegrityError. Upper-casing it is not a change of value (hex is read in either
 *   case, as credstash does) and must still return the authentic value.
 * - `key` (the wrapped data key) is authenticated by the key service (AES-GCM in the local KMS and
 *   the KMS server): changed bytes → DecryptError; not base64 → IntegrityError; the wrapped key
 *   of another secret (same master key and context) unwraps fine but to the wrong data key, so the
 *   HMAC check fails → IntegrityError.
 * - `digest` selects the HMAC; every credstash digest has a different length, so another name, an
 *   unknown name or a wrong-case name → IntegrityError. Removing the attribute means SHA256
 *   (credstash §1.2): for a SHA256 row that is no change and the value must still be returned.
 * - `version` is NOT covered by anything: neither the HMAC (ciphertext only) nor the encryption
 *   context (user pairs only) binds name or version. Changing only the version attribute moves the
 *   row: the old version is then not found (SecretNotFoundError), and the new version returns the
 *   original, authentic value. keystash cannot detect this (nor can credstash); asserted exactly.
 * - keyring bytes: changed key material, key id or backing-key id → DecryptError; a disabled
 *   key → KmsError; anything that no longer parses or validates → ConfigError. A random bit flip
 *   may land in a field that plays no part in decryption (a description, a date): then the value
 *   must still be the authentic one — never a different value, never an untyped error.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { binaryString } from '../helpers/arbitraries.js';
import { ConfigError, createKeystash, DecryptError, IntegrityError, KeyNotInKeyringError, KmsError, SecretNotFoundError, type Keystash } from 'keystash';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/run-cli.js';
import { runHere } from '../helpers/run-here.js';
import { awsTestCredentials, awsTestEnv } from '../helpers/aws-env.js';
import { rawDb } from '../helpers/sqlite.js';

const LONG = Boolean(process.env.KEYSTASH_LONG_TESTS);
const RUNS = { local: LONG ? 200 : 30, aws: LONG ? 80 : 12, keyring: LONG ? 300 : 40, cli: LONG ? 12 : 3 };
const DIGESTS = ['SHA', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'MD5'] as const;
const SQL_TABLE = 'credential-store';
const TABLE = `tamper-${Date.now().toString(36)}`;

const credentials = awsTestCredentials();
const AWS_ENV = awsTestEnv();
const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: AWS_ENV.AWS_ENDPOINT_URL_DYNAMODB, credentials });
const root = tempDir('keystash-tamper-');

/** Mutations tried, by outcome. */
const counts = { rejected: 0, equivalent: 0, moved: 0 };

// ---------------------------------------------------------------------------------------------
// Raw access to the two stores

interface RawRow {
  key: string;
  contents: string;
  hmac: string;
  digest: string | undefined;
}

interface Backend {
  label: 'sqlite' | 'dynamodb';
  ks: Keystash;
  /** Environment + leading arguments for the CLI against the same store. */
  cli: { env: Record<string, string>; prefix: string[] };
  read(name: string, version: string): Promise<RawRow>;
  /** Overwrite fields of the stored row; `digest: null` removes the attribute. */
  write(name: string, version: string, fields: Partial<Omit<RawRow, 'digest'>> & { digest?: string | null }): Promise<void>;
  /** Change only the version attribute of a row. */
  move(name: string, from: string, to: string): Promise<void>;
  close(): void;
}

async function sqliteBackend(): Promise<Backend> {
  const home = join(root.dir, 'sqlite');
  const ks = await createKeystash({ dataDir: home, env: {} });
  await ks.setup();
  await ks.ensureKey();
  const db = rawDb(join(home, 'store.db'));
  const where = 'WHERE tbl = ? AND name = ? AND version = ?';
  return {
    label: 'sqlite',
    ks,
    cli: { env: { HOME: root.dir, KEYSTASH_HOME: home }, prefix: [] },
    async read(name, version) {
      const row = db.prepare(`SELECT key, contents, hmac, digest FROM secrets ${where}`).get(SQL_TABLE, name, version) as Record<string, string | null>;
      return { key: row.key!, contents: row.contents!, hmac: row.hmac!, digest: row.digest ?? undefined };
    },
    async write(name, version, fields) {
      for (const [column, value] of Object.entries(fields)) {
        const changed = db.prepare(`UPDATE secrets SET ${column} = ? ${where}`).run(value, SQL_TABLE, name, version).changes;
        expect(changed).toBe(1);
      }
    },
    async move(name, from, to) {
      expect(db.prepare(`UPDATE secrets SET version = ? ${where}`).run(to, SQL_TABLE, name, from).changes).toBe(1);
    },
    close() {
      db.close();
      ks.close();
    },
  };
}

async function dynamoBackend(): Promise<Backend> {
  // The SDK's default credential chain reads process.env (as an application's would).
  vi.stubEnv('AWS_ACCESS_KEY_ID', credentials.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey);
  const ks = await createKeystash({ backend: 'aws', table: TABLE, region: 'us-east-1', env: AWS_ENV });
  await ks.setup();
  const get = async (name: string, version: string) => {
    const { Item } = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { name: { S: name }, version: { S: version } }, ConsistentRead: true }));
    return Item!;
  };
  return {
    label: 'dynamodb',
    ks,
    cli: { env: { HOME: root.dir, ...AWS_ENV }, prefix: ['--backend', 'aws', '-t', TABLE] },
    async read(name, version) {
      const item = await get(name, version);
      const hmac = item.hmac!.B !== undefined ? Buffer.from(item.hmac!.B).toString('latin1') : item.hmac!.S!;
      return { key: item.key!.S!, contents: item.contents!.S!, hmac, digest: item.digest?.S };
    },
    async write(name, version, fields) {
      const item: Record<string, AttributeValue> = await get(name, version);
      if (fields.key !== undefined) item.key = { S: fields.key };
      if (fields.contents !== undefined) item.contents = { S: fields.contents };
      // hmac stays type B holding the hex text, as keystash and credstash ≥ 1.13.1 write it
      if (fields.hmac !== undefined) item.hmac = { B: Buffer.from(fields.hmac, 'latin1') };
      if (fields.digest === null) delete item.digest;
      else if (fields.digest !== undefined) item.digest = { S: fields.digest };
      await ddb.send(new PutItemCommand({ TableName: TABLE, Item: item }));
    },
    async move(name, from, to) {
      const item = await get(name, from);
      await ddb.send(new PutItemCommand({ TableName: TABLE, Item: { ...item, version: { S: to } } }));
      await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { name: { S: name }, version: { S: from } } }));
    },
    close() {
      ks.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Secrets and mutations

const contextArb = fc.option(fc.dictionary(fc.constantFrom('env', 'app', 'team'), fc.stringMatching(/^[a-z0-9.:-]{1,8}$/), { minKeys: 1, maxKeys: 2 }), { nil: undefined });
const secretArb = fc.record({
  value: binaryString({ minLength: 1, maxLength: 300 }),
  digest: fc.constantFrom(...DIGESTS),
  context: contextArb,
});
type Secret = { value: string; digest: (typeof DIGESTS)[number]; context: Record<string, string> | undefined };

let serial = 0;
async function store(b: Backend, secret: Secret): Promise<{ name: string; version: string }> {
  const name = `t.${b.label}.${serial++}`;
  return b.ks.put(name, secret.value, { digest: secret.digest, context: secret.context });
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'));

/** A change of decoded bytes (never the empty change). */
const bytesMutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('random' as const) }),
);
type BytesMutation = typeof bytesMutationArb extends fc.Arbitrary<infer T> ? T : never;

function mutateBytes(bytes: Uint8Array, m: BytesMutation): Uint8Array {
  const out = Uint8Array.from(bytes);
  switch (m.kind) {
    case 'flip':
      if (out.length === 0) return Uint8Array.of(1);
      out[m.at % out.length]! ^= 1 << m.bit;
      return out;
    case 'truncate':
      return out.slice(0, m.at % Math.max(1, out.length));
    case 'append':
      return Uint8Array.from([...out, ...m.extra]);
    case 'random': {
      let fresh = new Uint8Array(randomBytes(Math.max(1, out.length)));
      while (Buffer.from(fresh).equals(Buffer.from(out))) fresh = new Uint8Array(randomBytes(fresh.length));
      return fresh;
    }
  }
}

/** Base64 text made invalid: a character outside the alphabet inserted somewhere. */
const badBase64Arb = fc.record({ kind: fc.constant('notBase64' as const), at: fc.nat(), ch: fc.constantFrom('!', '*', ' ', '-', '_', '.', 'é') });

type Expect = { reject: Array<new (...args: never[]) => Error> } | { same: true };

interface FieldMutation {
  field: 'key' | 'contents' | 'hmac' | 'digest';
  arb: fc.Arbitrary<unknown>;
  /** Apply mutation `m` to the stored row; say what reading it must do. */
  apply(b: Backend, row: RawRow, m: never, secret: Secret, ctx: { name: string; version: string }): Promise<Expect>;
}

const insertAt = (text: string, at: number, ch: string) => {
  const i = at % (text.length + 1);
  return text.slice(0, i) + ch + text.slice(i);
};

const FIELD_MUTATIONS: FieldMutation[] = [
  {
    field: 'contents',
    arb: fc.oneof(bytesMutationArb, badBase64Arb),
    async apply(b, row, m: BytesMutation | { kind: 'notBase64'; at: number; ch: string }, _secret, { name, version }) {
      const contents = m.kind === 'notBase64' ? insertAt(row.contents, m.at, m.ch) : b64(mutateBytes(unb64(row.contents), m));
      await b.write(name, version, { contents });
      return { reject: [IntegrityError] };
    },
  },
  {
    field: 'hmac',
    arb: fc.oneof(
      fc.record({ kind: fc.constant('digit' as const), at: fc.nat(), to: fc.integer({ min: 1, max: 15 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), extra: fc.stringMatching(/^[0-9a-f]{1,8}$/) }),
      fc.record({ kind: fc.constant('notHex' as const), at: fc.nat(), ch: fc.constantFrom('g', 'z', ' ', 'x', '=', 'é') }),
      fc.record({ kind: fc.constant('upper' as const) }),
    ),
    async apply(b, row, m: { kind: string; at?: number; to?: number; extra?: string; ch?: string }, _s, { name, version }) {
      const hex = row.hmac;
      let hmac: string;
      if (m.kind === 'digit') {
        const i = m.at! % hex.length;
        hmac = hex.slice(0, i) + ((parseInt(hex[i]!, 16) + m.to!) % 16).toString(16) + hex.slice(i + 1);
      } else if (m.kind === 'truncate') hmac = hex.slice(0, m.at! % hex.length);
      else if (m.kind === 'append') hmac = hex + m.extra!;
      else if (m.kind === 'notHex') {
        const i = m.at! % hex.length;
        hmac = hex.slice(0, i) + m.ch! + hex.slice(i + 1);
      } else hmac = hex.toUpperCase();
      await b.write(name, version, { hmac });
      return m.kind === 'upper' ? { same: true } : { reject: [IntegrityError] };
    },
  },
  {
    field: 'key',
    arb: fc.oneof(bytesMutationArb, badBase64Arb, fc.record({ kind: fc.constant('otherSecretsKey' as const) })),
    async apply(b, row, m: BytesMutation | { kind: 'notBase64'; at: number; ch: string } | { kind: 'otherSecretsKey' }, secret, { name, version }) {
      if (m.kind === 'otherSecretsKey') {
        // A genuine wrapped key of another secret, same master key and context: KMS unwraps it,
        // but to a different data key, so the HMAC check fails.
        const other = await b.ks.put(`${name}.other`, 'other value', { context: secret.context });
        const key = (await b.read(other.name, other.version)).key;
        await b.write(name, version, { key });
        return { reject: [IntegrityError] };
      }
      if (m.kind === 'notBase64') {
        await b.write(name, version, { key: insertAt(row.key, m.at, m.ch) });
        return { reject: [IntegrityError] };
      }
      await b.write(name, version, { key: b64(mutateBytes(unb64(row.key), m)) });
      // A changed header names a key (or backing key) the keyring lacks: said as such (issue 22 item 11).
      return { reject: [DecryptError, KeyNotInKeyringError] };
    },
  },
  {
    field: 'digest',
    arb: fc.oneof(
      fc.record({ kind: fc.constant('other' as const), to: fc.constantFrom(...DIGESTS) }),
      fc.record({ kind: fc.constant('unknown' as const), to: fc.oneof(fc.constantFrom('sha256', 'SHA-256', 'SHA1', 'MD4', 'WHIRLPOOL', '', ' SHA256'), fc.string({ maxLength: 12 })) }),
      fc.record({ kind: fc.constant('remove' as const) }),
    ),
    async apply(b, row, m: { kind: 'other' | 'unknown' | 'remove'; to?: string }, secret, { name, version }) {
      if (m.kind === 'remove') {
        await b.write(name, version, { digest: null });
        // absent = SHA256 (credstash §1.2)
        return secret.digest === 'SHA256' ? { same: true } : { reject: [IntegrityError] };
      }
      let to = m.to!;
      if (m.kind === 'other' && to === secret.digest) to = DIGESTS[(DIGESTS.indexOf(secret.digest) + 1) % DIGESTS.length]!;
      if (m.kind === 'unknown' && (DIGESTS as readonly string[]).includes(to)) to = `${to}?`;
      if (b.label === 'dynamodb' && to === '') to = ' '; // keep the attribute a non-empty S for dynalite
      await b.write(name, version, { digest: to });
      return { reject: [IntegrityError] };
    },
  },
];

async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

function expectRejected(outcome: { ok: boolean; error?: unknown; value?: unknown }, classes: Array<new (...args: never[]) => Error>, label: string): void {
  expect(outcome.ok, `${label}: tampered row was read as ${JSON.stringify(outcome.value)}`).toBe(false);
  const error = outcome.error as Error;
  expect(
    classes.some((cls) => error instanceof cls),
    `${label}: expected ${classes.map((c) => c.name).join('/')}, got ${error?.name}: ${error?.message}`,
  ).toBe(true);
  // one line, no secret
  expect(error.message).not.toContain('\n');
}

// ---------------------------------------------------------------------------------------------

let sqlite: Backend;
let dynamo: Backend;

beforeAll(async () => {
  sqlite = await sqliteBackend();
  dynamo = await dynamoBackend();
});

afterAll(() => {
  sqlite?.close();
  dynamo?.close();
  ddb.destroy();
  vi.unstubAllEnvs();
  root.cleanup();
  console.log(
    `tamper: ${counts.rejected} mutations rejected (plus ${counts.equivalent} value-preserving rewrites read back authentically and ${counts.moved} version moves, which the format cannot detect)`,
  );
});

for (const which of ['sqlite', 'dynamodb'] as const) {
  describe(`${which}: mutated rows (library)`, () => {
    const backend = () => (which === 'sqlite' ? sqlite : dynamo);
    const numRuns = which === 'sqlite' ? RUNS.local : RUNS.aws;

    for (const mutation of FIELD_MUTATIONS) {
      it(`${mutation.field}: every change is rejected with a typed error`, async () => {
        await fc.assert(
          fc.asyncProperty(secretArb, mutation.arb, async (secret, m) => {
            const b = backend();
            const ref = await store(b, secret);
            const row = await b.read(ref.name, ref.version);
            const expected = await mutation.apply(b, row, m as never, secret, ref);
            const outcome = await settle(b.ks.get(ref.name, { context: secret.context }));
            if ('same' in expected) {
              expect(outcome).toEqual({ ok: true, value: secret.value });
              counts.equivalent++;
            } else {
              expectRejected(outcome, expected.reject, `${which} ${mutation.field} ${JSON.stringify(m)}`);
              // the explicit-version read takes the same path and fails the same way
              expectRejected(await settle(b.ks.get(ref.name, { version: ref.version, context: secret.context })), expected.reject, 'by version');
              counts.rejected++;
            }
          }),
          { numRuns },
        );
      });
    }

    it('version: a moved row is gone from its old version and reads back unchanged at the new one (not detectable)', async () => {
      await fc.assert(
        fc.asyncProperty(
          secretArb,
          fc.oneof(
            fc.integer({ min: 2, max: 10 ** 9 }).map((n) => String(n).padStart(19, '0')),
            fc.stringMatching(/^[\x21-\x7e]{19,40}$/),
          ),
          async (secret, to) => {
            const b = backend();
            const ref = await store(b, secret);
            fc.pre(to !== ref.version);
            await b.move(ref.name, ref.version, to);
            const old = await settle(b.ks.get(ref.name, { version: ref.version, context: secret.context }));
            expectRejected(old, [SecretNotFoundError], 'old version');
            // Neither the HMAC nor the encryption context binds the version: the moved row is the
            // same authentic ciphertext and decrypts to the same value under its new version.
            const moved = await b.ks.getRecord(ref.name, to);
            expect(moved.version).toBe(to);
            expect(await b.ks.open(moved, secret.context)).toBe(secret.value);
            counts.moved++;
          },
        ),
        { numRuns },
      );
    });
  });
}

describe('mutated rows through the CLI: non-zero exit, empty stdout, one error line', () => {
  for (const which of ['sqlite', 'dynamodb'] as const) {
    it(`${which}`, async () => {
      const b = which === 'sqlite' ? sqlite : dynamo;
      const exitFor = { contents: 5, hmac: 5, digest: 5, key: 6 } as const;
      await fc.assert(
        fc.asyncProperty(secretArb, fc.constantFrom(...FIELD_MUTATIONS.map((f) => f.field)), async (secret, field) => {
          const mutation = FIELD_MUTATIONS.find((f) => f.field === field)!;
          const ref = await store(b, secret);
          const row = await b.read(ref.name, ref.version);
          // one deterministic, always-rejected mutation per field (the library runs cover the rest)
          const m = { contents: { kind: 'flip', at: 0, bit: 0 }, hmac: { kind: 'digit', at: 5, to: 3 }, key: { kind: 'flip', at: 40, bit: 2 }, digest: { kind: 'unknown', to: 'SHA-1' } }[mutation.field];
          await mutation.apply(b, row, m as never, secret, ref);
          const pairs = Object.entries(secret.context ?? {}).map(([k, v]) => `${k}=${v}`);
          const r = await runHere([...b.cli.prefix, 'get', ref.name, ...pairs], b.cli.env);
          expect(r.code, r.stderr).toBe(exitFor[mutation.field]);
          expect(r.stdoutBytes.length).toBe(0);
          expect(r.stderr).toMatch(/^keystash: error: [^\n]+\n$/);
          counts.rejected++;
        }),
        { numRuns: RUNS.cli * FIELD_MUTATIONS.length },
      );
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The keyring

describe('mutated keyring (local KMS)', () => {
  const home = join(root.dir, 'keyring');
  const path = join(home, 'keyring.json');
  let pristine: Buffer;
  const secrets: Array<{ name: string; value: string; context?: Record<string, string> }> = [
    { name: 'kr.plain', value: 'plain value' },
    { name: 'kr.ctx', value: 'context value ✓', context: { env: 'prod' } },
  ];

  beforeAll(async () => {
    const ks = await createKeystash({ dataDir: home, env: {} });
    for (const s of secrets) await ks.put(s.name, s.value, { context: s.context });
    ks.close();
    pristine = readFileSync(path);
  });

  /** Write `bytes` as the keyring (mode 0600 kept), read every secret with a fresh instance, restore. */
  async function readAllWith(bytes: Buffer | string): Promise<Array<{ ok: true; value: string } | { ok: false; error: unknown }>> {
    writeFileSync(path, bytes);
    const ks = await createKeystash({ dataDir: home, env: {} });
    try {
      const out = [];
      for (const s of secrets) out.push(await settle(ks.get(s.name, { context: s.context })));
      return out;
    } finally {
      ks.close();
      writeFileSync(path, pristine);
    }
  }

  type KeyringJson = { keys: Array<{ keyId: string; enabled: boolean; currentBackingKey: number; backingKeys: Array<{ id: number; material: string }> }> } & Record<string, unknown>;

  const structured = fc.oneof(
    fc.record({ kind: fc.constant('material' as const) }),
    fc.record({ kind: fc.constant('materialLength' as const), n: fc.integer({ min: 0, max: 64 }).filter((n) => n !== 32) }),
    fc.record({ kind: fc.constant('keyId' as const) }),
    fc.record({ kind: fc.constant('backingId' as const), id: fc.integer({ min: 2, max: 2 ** 32 - 1 }) }),
    fc.record({ kind: fc.constant('backingIdOnly' as const), id: fc.integer({ min: 2, max: 1000 }) }),
    fc.record({ kind: fc.constant('disabled' as const) }),
    fc.record({ kind: fc.constant('format' as const), to: fc.string({ maxLength: 20 }).filter((s) => s !== 'keystash-keyring') }),
    fc.record({ kind: fc.constant('version' as const), to: fc.integer({ min: 2, max: 99 }) }),
    fc.record({ kind: fc.constant('noKeys' as const) }),
  );

  it('structured changes: material → DecryptError, key id/backing id/no keys → KeyNotInKeyringError, disabled → KmsError, invalid → ConfigError', async () => {
    await fc.assert(
      fc.asyncProperty(structured, async (m) => {
        const data = JSON.parse(pristine.toString('utf8')) as KeyringJson;
        const key = data.keys[0]!;
        let expected: new (...args: never[]) => Error = DecryptError;
        switch (m.kind) {
          case 'material': {
            const current = key.backingKeys[0]!.material;
            let fresh = b64(randomBytes(32));
            while (fresh === current) fresh = b64(randomBytes(32));
            key.backingKeys[0]!.material = fresh;
            break;
          }
          case 'materialLength':
            key.backingKeys[0]!.material = b64(randomBytes(m.n));
            expected = ConfigError;
            break;
          case 'keyId':
            key.keyId = randomUUID();
            expected = KeyNotInKeyringError; // the rows' key is gone from the keyring
            break;
          case 'backingId':
            key.backingKeys[0]!.id = m.id;
            key.currentBackingKey = m.id;
            expected = KeyNotInKeyringError;
            break;
          case 'backingIdOnly':
            key.backingKeys[0]!.id = m.id;
            expected = ConfigError; // currentBackingKey names no backing key
            break;
          case 'disabled':
            key.enabled = false;
            expected = KmsError;
            break;
          case 'format':
            data.format = m.to;
            expected = ConfigError;
            break;
          case 'version':
            data.version = m.to;
            expected = ConfigError;
            break;
          case 'noKeys':
            data.keys = [];
            expected = KeyNotInKeyringError;
            break;
        }
        for (const outcome of await readAllWith(JSON.stringify(data, null, 2))) expectRejected(outcome, [expected], `keyring ${JSON.stringify(m)}`);
        counts.rejected++;
      }),
      { numRuns: RUNS.keyring },
    );
  });

  it('truncation → ConfigError (unless only trailing whitespace went)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.nat(), async (at) => {
        const cut = pristine.subarray(0, at % pristine.length);
        const same = cut.toString('utf8').trim() === pristine.toString('utf8').trim();
        for (const [i, outcome] of (await readAllWith(cut)).entries()) {
          if (same) expect(outcome).toEqual({ ok: true, value: secrets[i]!.value });
          else expectRejected(outcome, [ConfigError], `truncated at ${cut.length}`);
        }
        if (same) counts.equivalent++;
        else counts.rejected++;
      }),
      { numRuns: RUNS.keyring },
    );
  });

  it('a random bit flip anywhere: the authentic value or a typed error, never another value', async () => {
    const json = JSON.parse(pristine.toString('utf8')) as KeyringJson;
    const material = json.keys[0]!.backingKeys[0]!.material;
    const materialAt = pristine.indexOf(material);
    await fc.assert(
      fc.asyncProperty(fc.nat(), fc.integer({ min: 0, max: 7 }), async (at, bit) => {
        const bytes = Buffer.from(pristine);
        const i = at % bytes.length;
        bytes[i]! ^= 1 << bit;
        const outcomes = await readAllWith(bytes);
        // A flip inside the key material that changes the decoded key must be rejected.
        let materialChanged = false;
        if (i >= materialAt && i < materialAt + material.length) {
          const text = bytes.subarray(materialAt, materialAt + material.length).toString('latin1');
          materialChanged = !/^[A-Za-z0-9+/]+=*$/.test(text) || !Buffer.from(text, 'base64').equals(Buffer.from(material, 'base64'));
        }
        let rejected = false;
        for (const [k, outcome] of outcomes.entries()) {
          if (outcome.ok && !materialChanged) {
            expect(outcome.value).toBe(secrets[k]!.value);
          } else {
            expectRejected(outcome, [ConfigError, DecryptError, KmsError], `bit ${bit} of byte ${i}`);
            rejected = true;
          }
        }
        if (rejected) counts.rejected++;
        else counts.equivalent++;
      }),
      { numRuns: RUNS.keyring },
    );
  });

  it('through the CLI: a damaged keyring → non-zero exit, empty stdout, one error line', async () => {
    const damage = [
      (t: string) => t.replace(/"material": "[A-Za-z0-9+/]/, (s) => s.slice(0, -1) + (s.endsWith('A') ? 'B' : 'A')),
      (t: string) => t.replace('"enabled": true', '"enabled": false'),
      (t: string) => t.slice(0, t.length / 2),
    ];
    for (const [n, change] of damage.entries()) {
      const text = change(pristine.toString('utf8'));
      expect(text).not.toBe(pristine.toString('utf8'));
      writeFileSync(path, text);
      try {
        const r = await runHere(['get', 'kr.plain'], { HOME: root.dir, KEYSTASH_HOME: home });
        expect(r.code, `damage ${n}: ${r.stderr}`).toBe([6, 7, 9][n]);
        expect(r.stdoutBytes.length).toBe(0);
        expect(r.stderr).toMatch(/^keystash: error: [^\n]+\n$/);
        counts.rejected++;
      } finally {
        writeFileSync(path, pristine);
      }
    }
  });
});
