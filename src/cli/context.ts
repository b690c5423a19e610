/**
 * Config → a Keystash wired to its store and key service. Backends are loaded with dynamic
 * import() so a local-backend command never loads the AWS SDK and an AWS-only command never
 * loads a SQLite driver (DESIGN.md "Start-up cost"). SDK clients are created once per run.
 */
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';
import { ensureDataDir } from './data-dir.js';
import { Keystash } from '../core/keystash.js';
import type { KeyService } from '../envelope/keyservice.js';
import type { LocalKeyring } from '../envelope/audited-kms.js';
import { AUDIT_FILE, AuditLog } from '../envelope/audit-log.js';
import type { SecretStore } from '../secretstore/types.js';

/** Static AWS credentials given by a library caller (createKeystash's `env`), not the SDK chain. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** AWS credentials options shared by both SDK clients (explicit keys / profile / assumed role). */
async function awsCredentials(config: Config, explicit?: StaticCredentials): Promise<unknown> {
  if (explicit && !config.roleArn) return explicit;
  if (config.roleArn) {
    const { assumeRoleCredentials } = await import('./aws-credentials.js');
    return assumeRoleCredentials(config);
  }
  return undefined;
}

/**
 * The AWS SDK prints a multi-line Node-version warning when a client is built on Node 20; neither
 * CLI users nor library callers should see it (they can still opt in by setting the variable).
 */
function quietSdkVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

/** Per-command limits of the AWS clients: no request runs past `deadlineAt` (epoch ms). */
export interface AwsLimits {
  deadlineAt?: number | undefined;
  deadlineSeconds?: number | undefined;
}

/** The deadline of a command starting now, from `config.timeout` (the CLI's; library clients have none). */
export function commandDeadline(config: Config, now = Date.now()): AwsLimits {
  return { deadlineAt: now + config.timeout * 1000, deadlineSeconds: config.timeout };
}

/** Open the configured store. */
export async function openConfiguredStore(config: Config, table = config.table, credentials?: StaticCredentials, limits: AwsLimits = {}): Promise<SecretStore> {
  if (config.store === 'sqlite') {
    ensureDataDir(dirname(config.storePath));
    const { SqliteStore } = await import('../secretstore/sqlite.js');
    return SqliteStore.open({ path: config.storePath, table });
  }
  quietSdkVersionWarning();
  const [{ DynamoDbStore }, { createDynamoDbClient }] = await Promise.all([
    import('../secretstore/dynamodb.js'),
    import('../secretstore/dynamodb-client.js'),
  ]);
  const client = createDynamoDbClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    profile: config.profile,
    credentials: (await awsCredentials(config, credentials)) as never,
    ...limits,
  });
  return new DynamoDbStore({ client, table, ownsClient: true });
}

/** Open the configured key service. */
export async function openConfiguredKeys(config: Config, credentials?: StaticCredentials, limits: AwsLimits = {}): Promise<KeyService> {
  if (config.kms === 'local') return openLocalKms(config);
  quietSdkVersionWarning();
  const [{ AwsKmsKeyService }, { createKmsClient }] = await Promise.all([
    import('../envelope/aws-kms.js'),
    import('../envelope/kms-client.js'),
  ]);
  const client = createKmsClient({
    region: config.kmsRegion,
    endpoint: config.kmsEndpoint,
    profile: config.profile,
    credentials: (await awsCredentials(config, credentials)) as never,
    ...limits,
  });
  return new AwsKmsKeyService({ client, decryptKeys: config.decryptKeys, ownsClient: true });
}

/** A Keystash for the configured backends. */
export async function openKeystash(config: Config, credentials?: StaticCredentials, limits: AwsLimits = {}): Promise<Keystash> {
  const [store, keys] = await Promise.all([openConfiguredStore(config, config.table, credentials, limits), openConfiguredKeys(config, credentials, limits)]);
  return new Keystash({ store, keys, concurrency: config.concurrency });
}

/** A Keystash for one CLI command: its AWS requests share the command's deadline (`--timeout`). */
export function openKeystashForCommand(config: Config): Promise<Keystash> {
  return openKeystash(config, undefined, commandDeadline(config));
}

/**
 * The local keyring (LocalKms) of a config. In-process use is audited (principal `local`, log
 * `kms-audit.jsonl` in the data directory); `kms serve` asks for the bare keyring with
 * `audited: false` and records each request itself, with its access key id and address.
 */
export async function openLocalKms(config: Config, options: { audited?: boolean } = {}): Promise<LocalKeyring> {
  ensureDataDir(dirname(config.keyringPath));
  const [{ LocalKms }, { AuditedKms }] = await Promise.all([import('../envelope/local-kms.js'), import('../envelope/audited-kms.js')]);
  const kms = LocalKms.open({ path: config.keyringPath, passphrase: config.kmsPassphrase });
  return options.audited === false ? kms : new AuditedKms(kms, new AuditLog(auditLogPath(config)));
}

/** The audit log of the local KMS: `kms-audit.jsonl` in the data directory. */
export function auditLogPath(config: Config): string {
  return join(config.dataDir, AUDIT_FILE);
}
