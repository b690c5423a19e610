/**
 * The SQLite store file itself: created 0600 in a 0700 directory before SQLite opens it,
 * recognised by its header and pragmas (application_id 'KSTS', user_version = schema version)
 * before anything is written, and given its schema exactly once.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqliteDb } from './sqlite-driver.js';
import { StoreError } from '../errors.js';
import { checkStoreFiles } from '../fs-safety.js';

/** `PRAGMA application_id` of a keystash store: ASCII 'KSTS'. */
export const SQLITE_APPLICATION_ID = 0x4b535453;
/** `PRAGMA user_version` = schema version written by this release. */
export const SQLITE_SCHEMA_VERSION = 1;
/** Milliseconds SQLite waits for a lock held by another process before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

const SQLITE_MAGIC = 'SQLite format 3\0';

const SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '${SQLITE_SCHEMA_VERSION}'), ('application', 'keystash');
CREATE TABLE IF NOT EXISTS secrets (
  tbl TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL,
  key TEXT NOT NULL, contents TEXT NOT NULL, hmac TEXT NOT NULL, hmac_type TEXT,
  digest TEXT, comment TEXT, created_at TEXT,
  PRIMARY KEY (tbl, name, version)
) WITHOUT ROWID;
PRAGMA application_id = ${SQLITE_APPLICATION_ID};
PRAGMA user_version = ${SQLITE_SCHEMA_VERSION};
`;

/**
 * Make sure `file` may be handed to SQLite: read-write → create the directory (0700) and the file
 * (0600) when missing; read-only → it must exist. Either way a non-empty file must carry SQLite's
 * header. Throws StoreError (or a raw fs error for the caller to translate).
 */
export function prepareStoreFile(file: string, readonly: boolean): void {
  checkStoreFiles(file);
  if (readonly) {
    if (!existsSync(file)) throw missingStore(file);
  } else {
    createFileIfMissing(file);
  }
  assertSqliteHeader(file);
}

function missingStore(file: string): StoreError {
  return new StoreError(`no keystash store at ${file} yet; store a secret or run keystash setup first`, { code: 'store.missing' });
}

/** Create the directory (0700) and the file (0600) before SQLite sees the path. */
function createFileIfMissing(file: string): void {
  const dir = dirname(file);
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'EEXIST') return;
    throw err;
  }
  closeSync(fd);
  chmodSync(file, 0o600);
}

/** A non-empty file must start with SQLite's magic header, checked before SQLite opens it. */
function assertSqliteHeader(file: string): void {
  const fd = openSync(file, 'r');
  try {
    const header = new Uint8Array(SQLITE_MAGIC.length);
    const read = readSync(fd, header, 0, header.length, 0);
    if (read === 0) return; // empty file: a fresh store
    if (read < header.length || new TextDecoder('latin1').decode(header) !== SQLITE_MAGIC) {
      throw notKeystash(file, 'it is not an SQLite database');
    }
  } finally {
    closeSync(fd);
  }
}

function notKeystash(file: string, why: string): StoreError {
  return new StoreError(`${file} is not a keystash store (${why}); refusing to touch it — choose another store path`, {
    code: 'store.notKeystash',
  });
}

/**
 * Recognise the file by its pragmas before changing anything: ours → set WAL and go; empty →
 * create the schema (re-checked inside an IMMEDIATE transaction so concurrent first opens agree);
 * anything else → refuse. Returns true when this call created the schema.
 */
export function ensureSchema(db: SqliteDb, file: string, readonly: boolean): boolean {
  const state = schemaState(db);
  if (state === 'foreign') throw notKeystash(file, 'it is an SQLite database of another application');
  if (state === 'newer') {
    throw new StoreError(`${file} was written by a newer keystash (schema > ${SQLITE_SCHEMA_VERSION}); upgrade keystash to use it`, {
      code: 'store.newerSchema',
    });
  }
  if (state === 'empty' && readonly) throw missingStore(file);
  if (readonly) return false;
  enableWal(db);
  // FULL: a put reported as stored survives power loss, not only a crash of keystash (in WAL mode
  // NORMAL may roll back the last commits after a power failure). One fsync per commit.
  db.exec('PRAGMA synchronous = FULL');
  if (state === 'ours') return false;
  return db.immediate(() => {
    const again = schemaState(db);
    if (again === 'ours') return false;
    if (again !== 'empty') throw notKeystash(file, 'another program wrote to it while it was being set up');
    db.exec(SCHEMA_SQL);
    return true;
  });
}

/**
 * One statement, so one read snapshot: read as separate statements, the application id, the
 * schema version and the object count could straddle another process's commit of the schema and
 * look like a foreign file (seen with 4 concurrent first puts on a fresh store).
 */
const SCHEMA_STATE_SQL =
  'SELECT (SELECT application_id FROM pragma_application_id) AS app, (SELECT user_version FROM pragma_user_version) AS version, (SELECT count(*) FROM sqlite_schema) AS objects';

function schemaState(db: SqliteDb): 'ours' | 'empty' | 'foreign' | 'newer' {
  const row = db.prepare(SCHEMA_STATE_SQL).get() as { app: number | bigint; version: number | bigint; objects: number | bigint };
  const appId = Number(row.app);
  const version = Number(row.version);
  if (appId === SQLITE_APPLICATION_ID) {
    if (version === SQLITE_SCHEMA_VERSION) return 'ours';
    return version > SQLITE_SCHEMA_VERSION ? 'newer' : 'foreign';
  }
  if (appId !== 0 || version !== 0) return 'foreign';
  return Number(row.objects) === 0 ? 'empty' : 'foreign';
}

/**
 * `PRAGMA journal_mode = WAL`, retried while another connection holds the lock it needs: on a
 * fresh file that several processes open at once SQLite can answer SQLITE_BUSY here without
 * calling the busy handler. Bounded by the busy timeout, like every other wait on the file.
 */
function enableWal(db: SqliteDb): void {
  const deadline = Date.now() + SQLITE_BUSY_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (typeof code !== 'string' || !code.startsWith('SQLITE_BUSY') || Date.now() > deadline) throw err;
      Atomics.wait(pause, 0, 0, 5); // a synchronous 5 ms pause: the store API below is synchronous too
    }
  }
}
