/**
 * The keystash library (package entry `keystash`): the Keystash class, a factory that resolves
 * configuration exactly as the CLI does, the typed errors, and the nodecredstash-compatible
 * facade. Nothing here prints or exits.
 */
export { createKeystash } from './open.js';
export type { CreateKeystashOptions } from './open.js';
export { Keystash } from './core/keystash.js';
export type { KeystashDeps } from './core/keystash.js';
export type { GetOptions } from './core/secrets/get.js';
export type { GetAllOptions, SecretPairs, UnreadableSecret } from './core/secrets/get-all.js';
export type { PutOptions } from './core/secrets/put.js';
export { rotateSecrets, RotateFailedError } from './core/secrets/rotate.js';
export type { RotateOptions, RotateSummary } from './core/secrets/rotate.js';
export { importSecrets } from './core/transfer/import.js';
export type { ImportOptions, ImportResult, ImportStatus } from './core/transfer/import.js';
export { detectFormat, IMPORT_FORMATS, parseImport } from './core/transfer/import-file.js';
export type { ImportFormat } from './core/transfer/import-file.js';
export type { KeystashParts, KeystashReader, KeystashWriter, WriteOptions } from './core/secrets/parts.js';
export { migrate, MigrateFailedError } from './core/transfer/migrate.js';
export type { MigrateDestination, MigrateOptions, MigrateSummary } from './core/transfer/migrate.js';
export { verifySecrets } from './core/transfer/verify.js';
export type { LegacyRow, VerifyOptions, VerifyReport } from './core/transfer/verify.js';
export { createBackup } from './core/transfer/backup.js';
export { parseBackup, serialiseBackup, BACKUP_FORMAT, BACKUP_VERSION } from './core/transfer/backup-file.js';
export type { BackupHeader, BackupSource, ParsedBackup } from './core/transfer/backup-file.js';
export { restoreBackup } from './core/transfer/restore.js';
export type { RestoreOptions, RestoreSummary } from './core/transfer/restore.js';
export type { BulkProgress, Selection } from './core/secrets/bulk.js';
export type { RowFailure, RowRef } from './core/secrets/rows.js';
export { readSelection } from './core/secrets/select-secrets.js';
export type { SecretSelection } from './core/secrets/select-secrets.js';
export { FORMATS, FORMAT_NAMES, toVarName, toVarNames } from './format/index.js';
export type { FormatName, FormatOptions, SecretMap } from './format/index.js';
export * from './errors.js';
export type { Config } from './config.js';
export type { EncryptionContext, KeyService } from './envelope/keyservice.js';
export type { SecretMeta, SecretRow, SecretStore } from './secretstore/types.js';
/** @deprecated The former name of {@link SecretRow} (one stored version of a secret), kept for library users. */
export type SecretRecord = import('./secretstore/types.js').SecretRow;
export { Credstash } from './compat/nodecredstash.js';
export type { CredstashNameVersion, CredstashOptions, CredstashVersion } from './compat/nodecredstash.js';

