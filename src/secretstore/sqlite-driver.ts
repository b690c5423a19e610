/**
 * The SQLite driver under SqliteStore: Node's own `node:sqlite` (`DatabaseSync`) where the running
 * Node has it (22.13+; no native addon to build), better-sqlite3 otherwise (Node 20, an optional
 * dependency). Both sit behind one small synchronous interface, {@link SqliteDb}, and both open
 * the same files with the same SQL: a store written through one is read through the other.
 *
 * Errors of either driver come out with better-sqlite3's shape — a `code` such as
 * `SQLITE_CONSTRAINT_PRIMARYKEY` or `SQLITE_BUSY` — so sqlite-errors.ts and the store branch on one
 * vocabulary (node:sqlite reports the numeric extended result code as `errcode`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type BetterSqlite3 from 'better-sqlite3';
import { ConfigError } from '../errors.js';

/** The two drivers, by the module each loads. */
export type SqliteDriverName = 'node:sqlite' | 'better-sqlite3';

/** A prepared statement: positional parameters, rows as plain objects. */
export interface SqliteStatement {
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  run(...params: unknown[]): { changes: number | bigint };
}

/** An open database connection (synchronous, like both drivers). */
export interface SqliteDb {
  readonly driver: SqliteDriverName;
  prepare(sql: string): SqliteStatement;
  /** Run one or more statements that return nothing. */
  exec(sql: string): void;
  /** The first column of the first row of `PRAGMA name` (e.g. `application_id`). */
  pragmaValue(name: string): unknown;
  /** Run `fn` inside BEGIN IMMEDIATE … COMMIT; ROLLBACK when it throws. */
  immediate<T>(fn: () => T): T;
  close(): void;
}

/** How to open a file. The file must exist (SqliteStore creates it 0600 first). */
interface SqliteOpenOptions {
  readonly: boolean;
  /** Milliseconds to wait for another connection's lock (SQLite's busy timeout). */
  busyTimeoutMs: number;
  /** Force one driver (tests run the store contract against both); default: the preferred one. */
  driver?: SqliteDriverName | undefined;
}

/** An error of either driver, with better-sqlite3's `code` vocabulary and the original as cause. */
export class SqliteDriverError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SqliteDriverError';
    this.code = code;
  }
}

/** SQLite primary result codes (sqlite.org/rescode.html), by number. */
const PRIMARY_CODES: Readonly<Record<number, string>> = {
  1: 'SQLITE_ERROR', 2: 'SQLITE_INTERNAL', 3: 'SQLITE_PERM', 4: 'SQLITE_ABORT', 5: 'SQLITE_BUSY', 6: 'SQLITE_LOCKED',
  7: 'SQLITE_NOMEM', 8: 'SQLITE_READONLY', 9: 'SQLITE_INTERRUPT', 10: 'SQLITE_IOERR', 11: 'SQLITE_CORRUPT',
  12: 'SQLITE_NOTFOUND', 13: 'SQLITE_FULL', 14: 'SQLITE_CANTOPEN', 15: 'SQLITE_PROTOCOL', 16: 'SQLITE_EMPTY',
  17: 'SQLITE_SCHEMA', 18: 'SQLITE_TOOBIG', 19: 'SQLITE_CONSTRAINT', 20: 'SQLITE_MISMATCH', 21: 'SQLITE_MISUSE',
  22: 'SQLITE_NOLFS', 23: 'SQLITE_AUTH', 24: 'SQLITE_FORMAT', 25: 'SQLITE_RANGE', 26: 'SQLITE_NOTADB',
};
/** The extended codes SqliteStore branches on by name (sqlite.org/rescode.html). */
const EXTENDED_CODES: Readonly<Record<number, string>> = {
  1555: 'SQLITE_CONSTRAINT_PRIMARYKEY',
  2067: 'SQLITE_CONSTRAINT_UNIQUE',
  517: 'SQLITE_BUSY_SNAPSHOT',
  261: 'SQLITE_BUSY_RECOVERY',
};

/** better-sqlite3's name for a numeric (extended) result code. */
export function sqliteCodeName(errcode: number): string {
  return EXTENDED_CODES[errcode] ?? PRIMARY_CODES[errcode & 0xff] ?? `SQLITE_UNKNOWN_${errcode}`;
}

const require = createRequire(import.meta.url);

/** Minimal shape of node:sqlite used here (its types are not in @types/node 20). */
interface NodeSqliteModule {
  DatabaseSync: new (path: string, options: { readOnly: boolean }) => {
    readonly isOpen: boolean;
    prepare(sql: string): SqliteStatement;
    exec(sql: string): void;
    close(): void;
  };
}

let nodeSqlite: NodeSqliteModule | null | undefined;

/**
 * Run `load` with Node 22's ExperimentalWarning for SQLite dropped: node:sqlite warns once when it
 * is first loaded, which says nothing a keystash user can act on. Every other warning, and this
 * one outside `load`, passes through untouched.
 */
export function withoutSqliteWarning<T>(load: () => T): T {
  const emitWarning = process.emitWarning;
  process.emitWarning = function filtered(this: unknown, warning: string | Error, ...rest: unknown[]): void {
    const text = typeof warning === 'string' ? warning : warning.message;
    const option = rest[0];
    const type = typeof option === 'string' ? option : typeof option === 'object' && option !== null ? (option as { type?: unknown }).type : undefined;
    const name = type ?? (typeof warning === 'string' ? 'Warning' : warning.name);
    if (name === 'ExperimentalWarning' && /\bSQLite\b/.test(text)) return;
    (emitWarning as (...args: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    return load();
  } finally {
    process.emitWarning = emitWarning;
  }
}

/** node:sqlite, or null where this Node has none (Node 20; 22.5–22.12 without --experimental-sqlite). */
function loadNodeSqlite(): NodeSqliteModule | null {
  if (nodeSqlite === undefined) {
    try {
      nodeSqlite = withoutSqliteWarning(() => require('node:sqlite') as NodeSqliteModule);
    } catch {
      nodeSqlite = null;
    }
  }
  return nodeSqlite;
}

/** better-sqlite3's class and its native addon, loaded by path. */
interface BetterSqlite {
  Database: typeof BetterSqlite3;
  addon: object;
}

let betterSqlite: BetterSqlite | null | undefined;

/**
 * better-sqlite3, or null when it is not installed or its addon is missing (install scripts
 * skipped) or built for another Node (ERR_DLOPEN_FAILED after an upgrade). The addon is loaded by
 * its path and handed over as `nativeBinding`, which spares the `bindings` package's search.
 */
function loadBetterSqlite(): BetterSqlite | null {
  if (betterSqlite === undefined) {
    try {
      const addon = require(require.resolve('better-sqlite3/build/Release/better_sqlite3.node')) as object;
      betterSqlite = { Database: require('better-sqlite3') as typeof BetterSqlite3, addon };
    } catch {
      betterSqlite = null;
    }
  }
  return betterSqlite;
}

/** The drivers this Node can use, preferred first. */
export function availableSqliteDrivers(): SqliteDriverName[] {
  const found: SqliteDriverName[] = [];
  if (loadNodeSqlite() !== null) found.push('node:sqlite');
  if (loadBetterSqlite() !== null) found.push('better-sqlite3');
  return found;
}

/** The driver keystash uses on this Node: node:sqlite when present (better-sqlite3 is then never loaded). */
function preferredSqliteDriver(): SqliteDriverName {
  if (loadNodeSqlite() !== null) return 'node:sqlite';
  if (loadBetterSqlite() !== null) return 'better-sqlite3';
  throw noDriver();
}

function noDriver(): ConfigError {
  const here = `no SQLite driver: Node ${process.versions.node} has no node:sqlite`;
  // npm removes an optional dependency whose build failed (no compiler): a rebuild then finds
  // nothing to build, so say what is missing rather than suggest it.
  const message = betterSqliteInstalled()
    ? `${here} and better-sqlite3 is not built for it; run keystash on Node 24 (or 22.13+), or build better-sqlite3 with its install script allowed: ${rebuildCommand(fileURLToPath(import.meta.url))}`
    : `${here} and better-sqlite3 is not installed (npm leaves it out when its build fails: it needs python3, make and a C++ compiler); run keystash on Node 24 (or 22.13+), or install those and reinstall keystash`;
  return new ConfigError(message, { code: 'config.noSqlite' });
}

/** Whether better-sqlite3's package is present at all (built or not). */
function betterSqliteInstalled(): boolean {
  try {
    require.resolve('better-sqlite3/package.json');
    return true;
  } catch {
    return false;
  }
}

/**
 * The command that builds better-sqlite3's addon where this keystash was installed from (issue 22
 * item 16): a plain `npm rebuild better-sqlite3` in the current directory does nothing for a
 * global install. `moduleFile` is a file of keystash's package (this module, or the bundle).
 * npm's folder layout (docs.npmjs.com, "folders"): global packages in {prefix}/lib/node_modules
 * (POSIX) or {prefix}/node_modules (Windows), a project's in {project}/node_modules.
 */
export function rebuildCommand(moduleFile: string): string {
  let root = dirname(moduleFile);
  while (!existsSync(join(root, 'package.json')) && dirname(root) !== root) root = dirname(root);
  const parent = dirname(root);
  const above = dirname(parent);
  const global = basename(parent) === 'node_modules' && (basename(above) === 'lib' || (process.platform === 'win32' && existsSync(join(above, 'npm.cmd'))));
  // npm 12 runs no dependency's install script unless allowed: globally by --allow-scripts; in a
  // project (where npm refuses that flag, EALLOWSCRIPTS) by its allowScripts list, which
  // `npm install-scripts approve` writes (npm >= 11.19; older npm runs the script anyway).
  if (global) return 'npm rebuild -g better-sqlite3 --allow-scripts=better-sqlite3';
  const project = basename(parent) === 'node_modules' ? above : root; // a dependency, or a checkout
  return `cd ${shellWord(project)} && npm rebuild better-sqlite3 (npm 12: run npm install-scripts approve better-sqlite3 there first)`;
}

/** A path as one POSIX shell word (single-quoted unless plainly safe). */
function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** Open an existing SQLite file with the chosen (or preferred) driver. Errors are SqliteDriverErrors. */
export function openSqlite(file: string, options: SqliteOpenOptions): SqliteDb {
  const driver = options.driver ?? preferredSqliteDriver();
  return translated(() => (driver === 'node:sqlite' ? openNodeSqlite(file, options) : openBetterSqlite(file, options)));
}

function openNodeSqlite(file: string, options: SqliteOpenOptions): SqliteDb {
  const mod = loadNodeSqlite();
  if (mod === null) throw noDriver();
  const db = new mod.DatabaseSync(file, { readOnly: options.readonly });
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs))}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return wrap('node:sqlite', {
    isOpen: () => db.isOpen,
    prepare: (sql) => db.prepare(sql),
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
  });
}

function openBetterSqlite(file: string, options: SqliteOpenOptions): SqliteDb {
  const loaded = loadBetterSqlite();
  if (loaded === null) throw noDriver();
  // nativeBinding takes the loaded addon too (lib/database.js), though its types say a path
  const nativeBinding = loaded.addon as unknown as string;
  const db = new loaded.Database(file, { readonly: options.readonly, fileMustExist: true, timeout: options.busyTimeoutMs, nativeBinding });
  return wrap('better-sqlite3', {
    isOpen: () => db.open,
    prepare: (sql) => db.prepare(sql) as unknown as SqliteStatement,
    exec: (sql) => void db.exec(sql),
    close: () => void db.close(),
  });
}

interface RawDb {
  isOpen(): boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  close(): void;
}

/** One SqliteDb over either driver: statements and calls translate errors to SqliteDriverError. */
function wrap(driver: SqliteDriverName, raw: RawDb): SqliteDb {
  const db: SqliteDb = {
    driver,
    prepare(sql) {
      const stmt = translated(() => raw.prepare(sql));
      return {
        get: (...params) => translated(() => stmt.get(...params)),
        all: (...params) => translated(() => stmt.all(...params)),
        run: (...params) => translated(() => stmt.run(...params)),
      };
    },
    exec: (sql) => translated(() => raw.exec(sql)),
    pragmaValue(name) {
      const row = translated(() => raw.prepare(`PRAGMA ${name}`).get()) as Record<string, unknown> | undefined;
      return row === undefined ? undefined : Object.values(row)[0];
    },
    immediate(fn) {
      db.exec('BEGIN IMMEDIATE');
      let result;
      try {
        result = fn();
      } catch (err) {
        try {
          raw.exec('ROLLBACK');
        } catch {
          // SQLite already rolled back (e.g. after SQLITE_FULL): nothing left to undo
        }
        throw err;
      }
      db.exec('COMMIT');
      return result;
    },
    close: () => {
      if (raw.isOpen()) raw.close();
    },
  };
  return db;
}

/** Run `fn`, turning a driver's error into a SqliteDriverError with better-sqlite3's `code`. */
function translated<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toDriverError(err);
  }
}

function toDriverError(err: unknown): unknown {
  if (err instanceof SqliteDriverError || err instanceof ConfigError || !(err instanceof Error)) return err;
  const e = err as Error & { code?: unknown; errcode?: unknown };
  if (typeof e.errcode === 'number') return new SqliteDriverError(e.message, sqliteCodeName(e.errcode), { cause: err });
  if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) return new SqliteDriverError(e.message, e.code, { cause: err });
  return err; // fs-level and argument errors keep their own code (ENOENT, ERR_INVALID_ARG_TYPE…)
}
