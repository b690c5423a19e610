/**
 * Store selection. Backends are loaded with dynamic import() from a `{ sqlite, dynamodb }` map
 * (docs/conventions.md §4): the AWS SDK never loads for the local backend and no SQLite driver loads for
 * AWS-only runs. Only types are re-exported statically.
 */
import type { DynamoDbCredentials } from '../aws/dynamodb-client.js';
import type { SecretStore } from './types.js';

export type { SecretMeta, SecretRow, SecretStore, StoreSetupOptions, StoreSetupResult } from './types.js';
export type { SqliteStore, SqliteStoreOptions } from './sqlite.js';
export type { DynamoDbStore, DynamoDbStoreOptions } from './dynamodb.js';
export type { DynamoDbClientOptions, DynamoDbCredentials } from '../aws/dynamodb-client.js';

/** Where the SQLite store lives; `table` is the logical (credstash) table inside the file. */
interface SqliteStoreSpec {
  kind: 'sqlite';
  path: string;
  table: string;
  readonly?: boolean | undefined;
}

/** A DynamoDB table; the store creates (and on close() destroys) its own client. */
interface DynamoDbStoreSpec {
  kind: 'dynamodb';
  table: string;
  region: string;
  endpoint?: string | undefined;
  profile?: string | undefined;
  credentials?: DynamoDbCredentials | undefined;
  /** Overall deadline (epoch ms) of the requests of one command; default none. */
  deadlineAt?: number | undefined;
  /** That deadline in seconds, for its message. */
  deadlineSeconds?: number | undefined;
}

/** Either backend. */
type StoreSpec = SqliteStoreSpec | DynamoDbStoreSpec;

const BACKENDS: { [K in StoreSpec['kind']]: (spec: Extract<StoreSpec, { kind: K }>) => Promise<SecretStore> } = {
  sqlite: async (spec) => {
    const { SqliteStore } = await import('./sqlite.js');
    return SqliteStore.open({ path: spec.path, table: spec.table, readonly: spec.readonly });
  },
  dynamodb: async (spec) => {
    const [{ DynamoDbStore }, { createDynamoDbClient }] = await Promise.all([import('./dynamodb.js'), import('../aws/dynamodb-client.js')]);
    const { region, endpoint, profile, credentials, deadlineAt, deadlineSeconds } = spec;
    const client = createDynamoDbClient({ region, endpoint, profile, credentials, deadlineAt, deadlineSeconds });
    return new DynamoDbStore({ client, table: spec.table, ownsClient: true });
  },
};

/** Open the store described by `spec`, loading only that backend's modules. */
export async function openStore(spec: StoreSpec): Promise<SecretStore> {
  return spec.kind === 'sqlite' ? BACKENDS.sqlite(spec) : BACKENDS.dynamodb(spec);
}
