/**
 * Translation of SQLite errors (either driver's, as SqliteDriverError codes) and file-system errors met by SqliteStore
 * into one-line StoreErrors that name the file and what to do (docs/conventions.md §8). The original error
 * is kept as `cause`; keystash errors pass through unchanged.
 */
import { KeystashError, StoreError } from '../errors.js';
import type { ErrorCode } from '../errors.js';

/** Map any error thrown while opening or using the store file at `file` to a KeystashError. */
export function sqliteStoreError(err: unknown, file: string): KeystashError {
  if (err instanceof KeystashError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  const make = (text: string, storeCode: ErrorCode): StoreError => new StoreError(text, { code: storeCode, cause: err });
  // SQLite extended codes (SQLITE_IOERR_WRITE…) share the primary code's meaning.
  const primary = code.startsWith('SQLITE_') ? code.split('_').slice(0, 2).join('_') : code;
  switch (primary) {
    case 'SQLITE_NOTADB':
      return make(`${file} is not a keystash store (not an SQLite database); choose another store path`, 'store.notKeystash');
    case 'SQLITE_CORRUPT':
      return make(`store file ${file} is corrupt (${message}); restore it from a backup`, 'store.corrupt');
    case 'SQLITE_CANTOPEN':
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EISDIR':
      return make(`cannot open store file ${file} (${code}); check that the path is a file in an existing, writable directory`, 'store.cantOpen');
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
    case 'EACCES':
    case 'EPERM':
      return make(`permission denied on store file ${file} (${code}); check the file's and its directory's owner and mode`, 'store.permission');
    case 'SQLITE_READONLY':
    case 'EROFS':
      return make(
        `store file ${file} is read-only (${code}); check the permissions of the file and of its directory (which holds the -wal/-shm files)`,
        'store.readOnly',
      );
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return make(`store file ${file} is locked by another process (gave up waiting); try again when it has finished`, 'store.busy');
    case 'SQLITE_FULL':
    case 'ENOSPC':
      return make(`disk full while writing store file ${file}; free some space and retry`, 'store.diskFull');
    case 'SQLITE_IOERR':
    case 'EIO':
      return make(`I/O error on store file ${file} (${code}); check the disk`, 'store.ioError');
    default:
      return make(`store file ${file}: ${code === '' ? '' : `${code}: `}${message}`, 'store.error');
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}
