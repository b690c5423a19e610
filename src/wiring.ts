/**
 * The composition root: the one place a resolved Config becomes a store, a key service and a
 * Keystash. The CLI (src/cli/main.ts) and the library (src/open.ts) both call it; it imports
 * nothing of the CLI. Backends are loaded with dynamic import() (the store through the backend
 * map of src/secretstore/index.ts) so a local-backend command never loads the AWS SDK and an
 * AWS-only command never loads a SQLite driver (docs/architecture.md "Start-up cost"). SDK clients are
 * created once per run.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Config } from './config.js';
import { Keystash } from './core/keystash.js';
import type { RegionFallback } from './core/transfer/regions.js';
import { ensureDataDir } from './data-dir.js';
import { StoreError } from './errors.js';
import type { KeyService } from './envelope/keyservice.js';
import type { LocalKeyring } from './localkms/audited-kms.js';
import { AUDIT_FILE, AuditLog } from './localkms/audit-log.js';
import { openStore } from './secretstore/index.js';
import type { SecretStore } from './secretstore/types.js';

/** Static AWS credentials given by a library caller (createKeystash's `env`), not the SDK chain. */
export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

/** What the backends of one run are opened with, beyond the Config. */
interface WiringOptions {
  /** Explicit AWS credentials (a library caller's); default: the SDK's chain (or `roleArn`). */
  credentials?: StaticCredentials | undefined;
  /** Overall deadline (epoch ms) of the AWS requests of one command; default none. */
  deadlineAt?: number | undefined;
  /** That deadline in seconds, for its message. */
  deadlineSeconds?: number | undefined;
  /**
   * A missing local store (and its data directory) may be created: true for the library and for
   * CLI commands that store; read commands open with false, so a mistyped data directory is an
   * error ('store.missing'), not a new empty store. Default true.
   */
  createStore?: boolean | undefined;
  /** Multi-region: told when a fallback region answered. */
  onRegionFallback?: ((event: RegionFallback) => void) | undefined;
}

/** AWS credentials shared by both SDK clients (explicit keys / profile chain / assumed role). */
async function awsCredentials(config: Config, explicit?: StaticCredentials): Promise<unknown> {
  if (explicit && !config.roleArn) return explicit;
  if (config.roleArn) {
    const { assumeRoleCredentials } = await import('./aws/credentials.js');
    return assumeRoleCredentials(config);
  }
  return undefined;
}

/** The deadline of a command starting now, from `config.timeout` (the CLI's; library clients have none). */
export function commandDeadline(config: Config, now = Date.now()): WiringOptions {
  return { deadlineAt: now + config.timeout * 1000, deadlineSeconds: config.timeout };
}

/**
 * A read must find the local store where the configuration says it is: a data directory typed
 * wrong (`--data-dir ./mistyped get x`) is not an empty store, and is not created. Like the AWS
 * backend's missing table, the message says how to start one.
 */
function requireLocalStore(config: Config): void {
  if (existsSync(config.storePath)) return;
  const where = existsSync(config.dataDir) ? `no keystash store at ${config.storePath}` : `no keystash data directory at ${config.dataDir}`;
  throw new StoreError(`${where} (check --data-dir, KEYSTASH_HOME and KEYSTASH_CONFIG for a typo); to start a store there, run: keystash setup, or store a first secret with keystash put`, {
    code: 'store.missing',
  });
}

/** Open the configured store (`table` defaults to the configured one). */
export async function openConfiguredStore(config: Config, options: WiringOptions = {}, table = config.table): Promise<SecretStore> {
  if (config.store === 'sqlite') {
    if (options.createStore === false) requireLocalStore(config);
    ensureDataDir(dirname(config.storePath));
    return openStore({ kind: 'sqlite', path: config.storePath, table });
  }
  return openStore({
    kind: 'dynamodb',
    table,
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    profile: config.profile,
    credentials: (await awsCredentials(config, options.credentials)) as never,
    deadlineAt: options.deadlineAt,
    deadlineSeconds: options.deadlineSeconds,
  });
}

/** Open the configured key service. */
export async function openConfiguredKeys(config: Config, options: WiringOptions = {}): Promise<KeyService> {
  if (config.kms === 'local') return openLocalKms(config);
  const [{ AwsKmsKeyService }, { createKmsClient }] = await Promise.all([import('./envelope/aws-kms.js'), import('./aws/kms-client.js')]);
  const client = createKmsClient({
    region: config.kmsRegion,
    endpoint: config.kmsEndpoint,
    profile: config.profile,
    credentials: (await awsCredentials(config, options.credentials)) as never,
    deadlineAt: options.deadlineAt,
    deadlineSeconds: options.deadlineSeconds,
  });
  return new AwsKmsKeyService({ client, decryptKeys: config.decryptKeys, ownsClient: true });
}

/**
 * Multi-region (config.regions of two or more, DynamoDB store): a RegionalStore and RegionalKeys
 * over one store and key service per region, each opened on first use. The home region's
 * requests share the command's deadline; a fallback region gets a deadline of its own, counted
 * from its first request (the wait is the deadline plus one region's latency at most).
 */
async function openRegional(config: Config, options: WiringOptions = {}): Promise<{ store: SecretStore; keys: KeyService }> {
  const { RegionRouter, RegionalKeys, RegionalStore } = await import('./core/transfer/regions.js');
  const specs = config.regions.map((region, index) => ({
    region,
    open: async () => {
      const endpoints = config.regionEndpoints[region];
      const home = index === 0;
      const regional: Config = {
        ...config,
        region,
        kmsRegion: home ? config.kmsRegion : region,
        regions: [region],
        dynamodbEndpoint: endpoints?.dynamodb ?? (home ? config.dynamodbEndpoint : undefined),
        kmsEndpoint: endpoints?.kms ?? (home ? config.kmsEndpoint : undefined),
      };
      const deadline = home || options.deadlineAt === undefined ? options : { ...options, ...commandDeadline(config) };
      const [store, keys] = await Promise.all([openConfiguredStore(regional, deadline), openConfiguredKeys(regional, deadline)]);
      return { store, keys };
    },
  }));
  const router = new RegionRouter(specs, { anyRegion: config.anyRegion, onFallback: options.onRegionFallback });
  return { store: new RegionalStore(router), keys: new RegionalKeys(router) };
}

/** A Keystash for the configured backends. */
export async function openKeystash(config: Config, options: WiringOptions = {}): Promise<Keystash> {
  if (config.regions.length > 1 && config.store === 'dynamodb') {
    const { store, keys } = await openRegional(config, options);
    return new Keystash({ store, keys, concurrency: config.concurrency });
  }
  // Before the keyring is opened, which would create the data directory.
  if (config.store === 'sqlite' && options.createStore === false) requireLocalStore(config);
  const opening = openConfiguredStore(config, options);
  // A lost keyring is never silently replaced: no new keyring while the store holds local-wrapped rows.
  const keyService = config.kms === 'local' ? openLocalKms(config, { storedRows: async () => (await opening).listRows() }) : openConfiguredKeys(config, options);
  const [store, keys] = await Promise.all([opening, keyService]);
  return new Keystash({ store, keys, concurrency: config.concurrency });
}

/**
 * The local keyring (LocalKms) of a config. In-process use is audited (principal `local`, log
 * `kms-audit.jsonl` in the data directory); `kms serve` asks for the bare keyring with
 * `audited: false` and records each request itself, with its access key id and address, and
 * with `createDefaultKey: false` (through the server a missing key is never created).
 */
export async function openLocalKms(
  config: Config,
  options: { audited?: boolean; createDefaultKey?: boolean; storedRows?: () => Promise<AsyncIterable<{ key: string }>> } = {},
): Promise<LocalKeyring> {
  ensureDataDir(dirname(config.keyringPath));
  const [{ LocalKms, refuseNewKeyring }, { AuditedKms, recordDefaultKeyCreated }] = await Promise.all([import('./localkms/local-kms.js'), import('./localkms/audited-kms.js')]);
  const log = new AuditLog(auditLogPath(config));
  // `kms create-key` and `kms serve` (CreateKey) check the local store file of the config too.
  const storedRows = options.storedRows ?? (config.store === 'sqlite' ? async () => localStoreRows(config) : undefined);
  const beforeCreate = storedRows && (async () => refuseNewKeyring(config.keyringPath, await storedRows()));
  const kms = LocalKms.open({
    path: config.keyringPath,
    passphrase: config.kmsPassphrase,
    beforeCreate,
    ...(options.createDefaultKey === undefined ? {} : { createDefaultKey: options.createDefaultKey }),
    // alias/credstash's key made on first use is recorded as the CreateKey it is.
    onDefaultKeyCreated: (meta) => recordDefaultKeyCreated(log, meta),
  });
  return options.audited === false ? kms : new AuditedKms(kms, log);
}

/** The rows of the local store file of `config`, none when there is no such file (the store is closed after). */
async function* localStoreRows(config: Config): AsyncGenerator<{ key: string }> {
  if (!existsSync(config.storePath)) return;
  const store = await openConfiguredStore(config, { createStore: false });
  try {
    yield* store.listRows();
  } finally {
    store.close();
  }
}

/** The audit log of the local KMS: `kms-audit.jsonl` in the data directory. */
export function auditLogPath(config: Config): string {
  return join(config.dataDir, AUDIT_FILE);
}

/**
 * `setup --replica-region` (AWS backend): make the configured table global and the key
 * multi-region in every region of `replicaRegions`, or check that they are (aws/multiregion-setup.ts).
 * Returns the lines to print and whether something could not be converted.
 */
export async function setupReplicas(config: Config, keyId: string, replicaRegions: readonly string[], options: WiringOptions = {}): Promise<{ lines: string[]; cannot: string[] }> {
  const [{ createDynamoDbClient }, { createKmsClient }, { setupMultiRegion }, { StoreError }] = await Promise.all([
    import('./aws/dynamodb-client.js'), import('./aws/kms-client.js'), import('./aws/multiregion-setup.js'), import('./errors.js'),
  ]);
  const credentials = (await awsCredentials(config, options.credentials)) as never;
  const common = { profile: config.profile, credentials, deadlineAt: options.deadlineAt, deadlineSeconds: options.deadlineSeconds };
  const dynamodb = createDynamoDbClient({ ...common, region: config.region, endpoint: config.dynamodbEndpoint });
  const kms = createKmsClient({ ...common, region: config.kmsRegion, endpoint: config.kmsEndpoint });
  try {
    const plan = await setupMultiRegion({ dynamodb, kms }, { table: config.table, keyId, replicaRegions });
    const done = plan.cannot.length === 0;
    const lines = [
      ...plan.ready,
      ...(done ? [] : ['Nothing was changed; once the items below are fixed, setup --replica-region would:']),
      ...plan.table.map((u) => (u.ReplicaUpdates ? `${done ? 'Added' : '  add'} a replica of table ${config.table} in ${u.ReplicaUpdates[0]?.Create?.RegionName ?? ''}` : `${done ? 'Turned' : '  turn'} on streams (NEW_AND_OLD_IMAGES) of table ${config.table}`)),
      ...plan.key.map((k) => `${done ? 'Replicated' : '  replicate'} KMS key ${k.KeyId ?? ''} to ${k.ReplicaRegion ?? ''}`),
    ];
    return { lines, cannot: plan.cannot };
  } catch (error) {
    const e = error as { name?: string; message?: string };
    throw new StoreError(`setup --replica-region failed: ${e.name ?? 'Error'}: ${(e.message ?? '').split('\n')[0]}`, { code: 'store.error', cause: error });
  } finally {
    dynamodb.destroy();
    kms.destroy();
  }
}
