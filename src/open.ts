/**
 * createKeystash: the library's way to open a Keystash, resolving configuration exactly as the
 * CLI does (src/config.ts) and wiring the backends lazily through the composition root
 * (src/wiring.ts), as the CLI does.
 */
import { resolveConfig, type ConfigFlags } from './config.js';
import { openKeystash, type StaticCredentials } from './wiring.js';
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
  /** AWS KMS: only these keys may unwrap data keys (Decrypt names each; other rows are refused). */
  decryptKeys?: readonly string[];
  /**
   * Environment to read KEYSTASH_* / AWS_* settings from; default `process.env`. When it is not
   * `process.env` and holds AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and optionally
   * AWS_SESSION_TOKEN), those are the AWS credentials; otherwise the SDK's default chain applies.
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** Explicit AWS credentials (win over `env` and the SDK's chain; ignored with `roleArn`). */
  credentials?: StaticCredentials;
}

/**
 * A Keystash for the resolved configuration (option > environment > config file > default, as
 * the CLI resolves it). Call `close()` when done.
 */
export async function createKeystash(options: CreateKeystashOptions = {}): Promise<Keystash> {
  const { env = process.env, endpoint, credentials, decryptKeys, ...rest } = options;
  const flags: ConfigFlags = { ...rest, endpointUrl: endpoint, decryptKey: decryptKeys };
  return openKeystash(resolveConfig(flags, env), { credentials: credentials ?? credentialsFrom(env) });
}

/** AWS_* keys of an explicit (non-process) environment; the SDK reads process.env itself. */
function credentialsFrom(env: Readonly<Record<string, string | undefined>>): StaticCredentials | undefined {
  if (env === process.env || !env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY) return undefined;
  return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
}
