/**
 * Taking a backup: every stored row read in one pass and written in the backup file format
 * (backup-file.ts). Restoring one is restore.ts.
 */
import type { SecretRow } from '../../secretstore/types.js';
import type { KeystashParts } from '../secrets/parts.js';
import { serialiseBackup, type BackupSource } from './backup-file.js';

export type { BackupSource } from './backup-file.js';

/**
 * The backup text of every row of `keystash`'s store, sorted by (name, version): whole rows read
 * page by page in one pass (a DynamoDB Scan, as getall reads), so a row deleted meanwhile is
 * simply absent instead of aborting the backup.
 */
export async function createBackup({ store }: Pick<KeystashParts, 'store'>, source: BackupSource, now: Date = new Date()): Promise<string> {
  const records: SecretRow[] = [];
  for await (const record of store.listRows()) records.push(record);
  return serialiseBackup(records, source, now);
}
