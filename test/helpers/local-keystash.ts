/**
 * A Keystash over the local backends (a SqliteStore file and a LocalKms keyring) in a temporary
 * directory, without the CLI or configuration: for core and library tests.
 */
import { join } from 'node:path';
import { Keystash } from '../../src/core/keystash.js';
import { LocalKms } from '../../src/localkms/local-kms.js';
import { SqliteStore } from '../../src/secretstore/sqlite.js';
import { tempDir } from './run-cli.js';

export interface LocalKeystash {
  ks: Keystash;
  store: SqliteStore;
  keys: LocalKms;
  dir: string;
  /** Closes the Keystash and removes the directory. */
  cleanup(): void;
}

export function localKeystash(options: { concurrency?: number; table?: string } = {}): LocalKeystash {
  const { dir, cleanup } = tempDir();
  const store = SqliteStore.open({ path: join(dir, 'store.db'), table: options.table ?? 'credential-store' });
  const keys = LocalKms.open({ path: join(dir, 'keyring.json') });
  const ks = new Keystash({ store, keys, ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }) });
  return {
    ks,
    store,
    keys,
    dir,
    cleanup: () => {
      ks.close();
      cleanup();
    },
  };
}
