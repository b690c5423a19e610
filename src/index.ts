/**
 * The keystash library (package entry `keystash`): the Keystash class, a factory that resolves
 * configuration exactly as the CLI does, the typed errors, and the nodecredstash-compatible
 * facade. Nothing here prints or exits.
 */
export { createKeystash } from './open.js';
export type { CreateKeystashOptions } from './open.js';
export { Keystash } from './core/keystash.js';
export type { GetOptions, KeystashDeps, PutOptions, SecretPairs } from './core/keystash.js';
export { rotateSecrets, RotateFailedError } from './core/rotate.js';
export type { RotateOptions, RotateSummary } from './core/rotate.js';
export { importSecrets, parseImport } from './core/import.js';
export type { ImportFormat, ImportOptions, ImportResult, ImportStatus } from './core/import.js';
export { readSelection } from './core/select-secrets.js';
export type { SecretSelection } from './core/select-secrets.js';
export { FORMATS, FORMAT_NAMES, toVarName, toVarNames } from './format/index.js';
export type { FormatName, FormatOptions, SecretMap } from './format/index.js';
export * from './errors.js';
export type { Config } from './config.js';
export type { EncryptionContext, KeyService } from './envelope/keyservice.js';
export type { SecretMeta, SecretRecord, SecretStore } from './secretstore/types.js';
export { Credstash } from './compat/nodecredstash.js';
export type { CredstashNameVersion, CredstashOptions, CredstashVersion } from './compat/nodecredstash.js';

