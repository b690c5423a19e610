/**
 * SqliteStore: the embedded default backend. One SQLite file holds every logical
 * table; rows keep credstash's stored representation (docs/format.md §1.2) so they move
 * between this store and DynamoDB unchanged. `version` is compared with BINARY collation, which is
 * memcmp of UTF-8 = DynamoDB's byte order of S range keys (§1.3), so "latest" matches DynamoDB.
 *
 * File safety: the file is created 0600 (its directory 0700 when we create it) before SQLite
 * opens it. SQLite creates the -wal/-shm sidecars with the main file's mode; we still chmod them
 * to 0600 explicitly after this instance's first write, so a umask or a copied-in file cannot
 * leave them readable. A file that is not SQLite, or an SQLite file of another application, is
 * refused with a StoreError before anything is written to it.
 */
import { dynamoItemProblem } from './item-size.js';
import { chmodSync } from 'node:fs';
import { resolve } from 'node:path';
import { IntegrityError, VersionExistsError } from '../errors.js';
import type { SecretMeta, SecretRow, SecretStore, StoreSetupResult } from './types.js';
import { sqliteStoreError } from './sqlite-errors.js';
import { ensureSchema, prepareStoreFile, SQLITE_BUSY_TIMEOUT_MS } from './sqlite-file.js';
import { openSqlite, type SqliteDb, type SqliteDriverName, type SqliteStatement } from './sqlite-driver.js';

export { SQLITE_APPLICATION_ID, SQLITE_BUSY_TIMEOUT_MS, SQLITE_SCHEMA_VERSION } from './sqlite-file.js';

const DEFAULT_PAGE_SIZE = 1000;

const RECORD_COLUMNS = 'name, version, key, contents, hmac, hmac_type, digest, comment, created_at';
const META_COLUMNS = 'name, version, comment, created_at';

const SQL = {
  insert: `INSERT INTO secrets (tbl, ${RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  getVersion: `SELECT ${RECORD_COLUMNS} FROM secrets WHERE tbl = ? AND name = ? AND version = ?`,
  getLatest: `SELECT ${RECORD_COLUMNS} FROM secrets WHERE tbl = ? AND name = ? ORDER BY version DESC LIMIT 1`,
  versionsFirst: `SELECT ${META_COLUMNS} FROM secrets WHERE tbl = ? AND name = ? ORDER BY version DESC LIMIT ?`,
  versionsNext: `SELECT ${META_COLUMNS} FROM secrets WHERE tbl = ? AND name = ? AND version < ? ORDER BY version DESC LIMIT ?`,
  allFirst: `SELECT ${META_COLUMNS} FROM secrets WHERE tbl = ? ORDER BY name, version LIMIT ?`,
  allNext: `SELECT ${META_COLUMNS} FROM secrets WHERE tbl = ? AND (name, version) > (?, ?) ORDER BY name, version LIMIT ?`,
  recordsFirst: `SELECT ${RECORD_COLUMNS} FROM secrets WHERE tbl = ? ORDER BY name, version LIMIT ?`,
  recordsNext: `SELECT ${RECORD_COLUMNS} FROM secrets WHERE tbl = ? AND (name, version) > (?, ?) ORDER BY name, version LIMIT ?`,
  deleteOne: `DELETE FROM secrets WHERE tbl = ? AND name = ? AND version = ? RETURNING ${META_COLUMNS}`,
  deleteAll: `DELETE FROM secrets WHERE tbl = ? AND name = ? RETURNING ${META_COLUMNS}`,
  replaceKey: 'UPDATE secrets SET key = ? WHERE tbl = ? AND name = ? AND version = ? AND key = ?',
} as const;

type SqlName = keyof typeof SQL;

interface MetaRow {
  name: string;
  version: string;
  comment: string | null;
  created_at: string | null;
}

interface RecordRow extends MetaRow {
  key: string;
  contents: string;
  hmac: string;
  hmac_type: string | null;
  digest: string | null;
}

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions {
  /** The store file; created (0600, directory 0700) on first use unless `readonly`. */
  path: string;
  /** Logical table (credstash table name); many tables share one file. */
  table: string;
  /** Open without creating or writing anything; a missing file is a StoreError. */
  readonly?: boolean | undefined;
  /** Rows per keyset page in listAll / listVersions (default 1000). */
  pageSize?: number | undefined;
  /** How long to wait for another process's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number | undefined;
  /** The SQLite driver (default: node:sqlite where Node has it, else better-sqlite3). */
  driver?: SqliteDriverName | undefined;
}

/**
 * SecretStore over one SQLite file (docs/conventions.md §4). All methods are synchronous underneath and
 * return settled promises; writes are atomic; putVersion never overwrites.
 */
export class SqliteStore implements SecretStore {
  readonly path: string;
  readonly table: string;
  readonly #db: SqliteDb;
  #created: boolean;
  readonly #pageSize: number;
  readonly #statements = new Map<SqlName, SqliteStatement>();
  #sidecarsSecured = false;

  private constructor(db: SqliteDb, path: string, table: string, created: boolean, pageSize: number) {
    this.#db = db;
    this.path = path;
    this.table = table;
    this.#created = created;
    this.#pageSize = pageSize;
  }

  /**
   * Open (creating on first use) the store file. Cheap when the schema exists: reads two pragmas
   * and runs no DDL. Throws StoreError for a foreign or non-SQLite file without modifying it.
   */
  static open(options: SqliteStoreOptions): SqliteStore {
    const file = resolve(options.path);
    const readonly = options.readonly === true;
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    try {
      prepareStoreFile(file, readonly);
    } catch (err) {
      throw sqliteStoreError(err, file);
    }
    let db: SqliteDb;
    try {
      const busyTimeoutMs = options.busyTimeoutMs ?? SQLITE_BUSY_TIMEOUT_MS;
      db = openSqlite(file, { readonly, busyTimeoutMs, driver: options.driver });
    } catch (err) {
      throw sqliteStoreError(err, file);
    }
    try {
      const created = ensureSchema(db, file, readonly);
      const store = new SqliteStore(db, file, options.table, created, pageSize);
      if (created) store.#secureSidecars();
      return store;
    } catch (err) {
      db.close();
      throw sqliteStoreError(err, file);
    }
  }

  /** Conditional insert; VersionExistsError when (table, name, version) is already stored. */
  /**
   * The local store holds any size, but a row over DynamoDB's 400 KB item limit could never be
   * migrated to an AWS table: refused unless `allowOversize` (`put --allow-large`).
   */
  rowProblem(record: SecretRow, options: { allowOversize?: boolean | undefined } = {}): string | undefined {
    if (options.allowOversize) return undefined;
    const problem = dynamoItemProblem(record);
    return problem === undefined ? undefined : `${problem}; the local store refuses what no AWS table could hold (put --allow-large stores it anyway, in this store only)`;
  }

  async putVersion(record: SecretRow): Promise<void> {
    this.#write(() => this.#insert(record));
  }

  /** All-or-nothing bulk insert in one transaction; VersionExistsError on the first conflict. */
  async putVersions(records: Iterable<SecretRow>): Promise<void> {
    this.#write(() =>
      this.#db.immediate(() => {
        for (const row of records) this.#insert(row);
      }),
    );
  }

  async getVersion(name: string, version: string): Promise<SecretRow | undefined> {
    const row = this.#run(() => this.#stmt('getVersion').get(this.table, name, version) as RecordRow | undefined);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The greatest version in BINARY (= DynamoDB byte) order. */
  async getLatest(name: string): Promise<SecretRow | undefined> {
    const row = this.#run(() => this.#stmt('getLatest').get(this.table, name) as RecordRow | undefined);
    return row === undefined ? undefined : toRecord(row);
  }

  /** Versions of one name, greatest first, fetched in keyset pages (no cursor held between pages). */
  async *listVersions(name: string): AsyncIterable<SecretMeta> {
    let page = this.#run(() => this.#stmt('versionsFirst').all(this.table, name, this.#pageSize) as MetaRow[]);
    while (page.length > 0) {
      for (const row of page) yield toMeta(row);
      const last = page[page.length - 1] as MetaRow;
      if (page.length < this.#pageSize) return;
      page = this.#run(() => this.#stmt('versionsNext').all(this.table, name, last.version, this.#pageSize) as MetaRow[]);
    }
  }

  /**
   * Every version of every name in (name, version) order, in keyset pages: memory stays flat and
   * the connection stays free between pages, so callers may read or write while iterating.
   */
  async *listAll(): AsyncIterable<SecretMeta> {
    let page = this.#run(() => this.#stmt('allFirst').all(this.table, this.#pageSize) as MetaRow[]);
    while (page.length > 0) {
      for (const row of page) yield toMeta(row);
      const last = page[page.length - 1] as MetaRow;
      if (page.length < this.#pageSize) return;
      page = this.#run(() => this.#stmt('allNext').all(this.table, last.name, last.version, this.#pageSize) as MetaRow[]);
    }
  }

  /** Every row of every name in (name, version) order, full columns, in keyset pages like listAll. */
  async *listRows(): AsyncIterable<SecretRow> {
    let page = this.#run(() => this.#stmt('recordsFirst').all(this.table, this.#pageSize) as RecordRow[]);
    while (page.length > 0) {
      for (const row of page) yield toRecord(row);
      const last = page[page.length - 1] as RecordRow;
      if (page.length < this.#pageSize) return;
      page = this.#run(() => this.#stmt('recordsNext').all(this.table, last.name, last.version, this.#pageSize) as RecordRow[]);
    }
  }

  /** Atomic delete of one version or all versions; returns what was deleted, greatest first. */
  async deleteVersions(name: string, version?: string): Promise<SecretMeta[]> {
    const rows = this.#write(() =>
      version === undefined
        ? (this.#stmt('deleteAll').all(this.table, name) as MetaRow[])
        : (this.#stmt('deleteOne').all(this.table, name, version) as MetaRow[]),
    );
    // greatest first in UTF-8 byte order, as listVersions
    return rows.map(toMeta).sort((a, b) => Buffer.compare(Buffer.from(b.version), Buffer.from(a.version)));
  }

  /** Compare-and-set of the wrapped key; false when the row vanished or its key changed. */
  async replaceKey(name: string, version: string, expectedKey: string, newKey: string): Promise<boolean> {
    const result = this.#write(() => this.#stmt('replaceKey').run(newKey, this.table, name, version, expectedKey));
    return Number(result.changes) === 1;
  }

  /**
   * The schema is created when the file is opened; the first setup() call reports whether this
   * instance's open created it, later calls report false (idempotent, like the DynamoDB table).
   */
  async setup(): Promise<StoreSetupResult> {
    const created = this.#created;
    this.#created = false;
    return { created };
  }

  /** Which SQLite driver this store runs on. */
  get driver(): SqliteDriverName {
    return this.#db.driver;
  }

  close(): void {
    this.#db.close();
  }

  #insert(r: SecretRow): void {
    try {
      this.#stmt('insert').run(
        this.table, r.name, r.version, r.key, r.contents, r.hmac,
        // an empty comment is stored as absent, as credstash and DynamoDbStore do (§1.2)
        r.hmacType ?? null, r.digest ?? null, r.comment === '' ? null : (r.comment ?? null), r.createdAt ?? null,
      );
    } catch (err) {
      if ((err as { code?: unknown }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
        throw new VersionExistsError(r.name, r.version, { cause: err });
      }
      throw err;
    }
  }

  #stmt(name: SqlName): SqliteStatement {
    let stmt = this.#statements.get(name);
    if (stmt === undefined) {
      stmt = this.#db.prepare(SQL[name]);
      this.#statements.set(name, stmt);
    }
    return stmt;
  }

  #run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw sqliteStoreError(err, this.path);
    }
  }

  #write<T>(fn: () => T): T {
    const result = this.#run(fn);
    if (!this.#sidecarsSecured) this.#secureSidecars();
    return result;
  }

  /** chmod 0600 the WAL sidecars once per instance (SQLite already copies the main file's mode). */
  #secureSidecars(): void {
    this.#sidecarsSecured = true;
    for (const suffix of ['-wal', '-shm']) {
      try {
        chmodSync(this.path + suffix, 0o600);
      } catch {
        // absent (checkpointed away) or not ours to change: nothing to tighten
      }
    }
  }
}

function toMeta(row: MetaRow): SecretMeta {
  const name = text(row, 'name');
  const meta: SecretMeta = { name, version: text(row, 'version') };
  // comment and created_at are informational: lenient, as DynamoDbStore reads them
  if (typeof row.comment === 'string') meta.comment = row.comment;
  if (typeof row.created_at === 'string') meta.createdAt = row.created_at;
  return meta;
}

function toRecord(row: RecordRow): SecretRow {
  const record: SecretRow = { ...toMeta(row), key: text(row, 'key'), contents: text(row, 'contents'), hmac: text(row, 'hmac') };
  const digest = optionalText(row, 'digest');
  if (digest !== undefined) record.digest = digest;
  if (row.hmac_type === 'B' || row.hmac_type === 'S') record.hmacType = row.hmac_type;
  return record;
}

/**
 * A TEXT column of a row. The columns have TEXT affinity, but a BLOB (or a row written by another
 * program) keeps its type: such a row is malformed (IntegrityError, as DynamoDbStore reports a
 * wrong-typed attribute), never handed on as a Buffer.
 */
function text(row: MetaRow, column: keyof RecordRow): string {
  const value = (row as unknown as Record<string, unknown>)[column];
  if (typeof value === 'string') return value;
  const name = typeof row.name === 'string' ? row.name : '?';
  const version = typeof row.version === 'string' ? row.version : '?';
  const type = value === null ? 'NULL' : value instanceof Uint8Array ? 'BLOB' : typeof value === 'number' || typeof value === 'bigint' ? 'a number' : typeof value;
  throw new IntegrityError(`INTEGRITY ERROR: stored row ${name} version ${version} is malformed: '${column}' is ${type}, expected TEXT`);
}

function optionalText(row: MetaRow, column: keyof RecordRow): string | undefined {
  return (row as unknown as Record<string, unknown>)[column] === null ? undefined : text(row, column);
}
