/**
 * Raw SQLite access for tests that inspect or damage a store file behind keystash's back, through
 * the same driver layer as SqliteStore (node:sqlite where Node has it, better-sqlite3 otherwise),
 * so the tests run wherever keystash runs.
 */
import { closeSync, openSync } from 'node:fs';
import { availableSqliteDrivers, openSqlite, type SqliteDb, type SqliteDriverName } from '../../src/secretstore/sqlite-driver.js';

/** The drivers this Node can run (node:sqlite first); the store contract runs against each. */
export const SQLITE_DRIVERS: readonly SqliteDriverName[] = availableSqliteDrivers();

/** Open `path` (created empty when missing, unless read-only) with the preferred or the given driver. */
export function rawDb(path: string, options: { readonly?: boolean; driver?: SqliteDriverName } = {}): SqliteDb {
  const readonly = options.readonly === true;
  if (!readonly) closeSync(openSync(path, 'a', 0o600));
  return openSqlite(path, { readonly, busyTimeoutMs: 5000, driver: options.driver });
}
