/**
 * createKeystash: the library's way to open a Keystash, resolving configuration exactly as the
 * CLI does (src/config.ts) and wiring the backends lazily (src/cli/context.ts, which holds no
 * CLI-only code).
 */
import { resolveConfig, type ConfigFlags } from './config.js';
import { openKeystash } from './cli/context.js';
import type { Keystash } from './core/keystash.js';

/** Options of {@link createKeystash}; each overrides the environment and config file, like a CLI flag. */
export interface CreateKeystashOptions {
  /** `local` (SQLite + local KMS, the default) or `aws` (DynamoDB + AWS KMS). */
  backend?: 'local' | 'aws';
  store?: 'sqlite' | 'dynamodb';
  kms?: 'local' | 'aws';
  /** Table name (logical table for SQLite); default `credential-store`. */
  table?: string;
  /** Data directory of the local store and keyring (KEYSTASH_HOME). */
  dataDir?: string;
  region?: string;
  kmsRegion?: string;
  profile?: string;
  roleArn?: string;
  /** One endpoint for DynamoDB and KMS (AWS_ENDPOINT_URL_DYNAMODB / _KMS set them apart). */
  endpoint?: string;
  concurrency?: number;
  /** Environment to read KEYSTASH_* / AWS_* settings from; default `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
}

/**
 * A Keystash for the resolved configuration (option > environment > config file > default, as
 * the CLI resolves it). Call `close()` when done.
 */
export async function createKeystash(options: CreateKeystashOptions = {}): Promise<Keystash> {
  const { env = process.env, endpoint, ...rest } = options;
  const flags: ConfigFlags = { ...rest, endpointUrl: endpoint };
  return openKeystash(resolveConfig(flags, env));
}
