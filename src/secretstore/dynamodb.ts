/**
 * DynamoDbStore: credstash's table, read and written with credstash's own requests
 * (docs/format.md §1.4) through the low-level DynamoDBClient. Deliberate differences, all
 * invisible to credstash: GetItem and the delete/version Queries use ConsistentRead (a read right
 * after a write must see it); the Scan/Query projections add `created_at`; setup (see
 * dynamodb-setup.ts) creates an on-demand table by default.
 */
import { dynamoItemProblem } from './item-size.js';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBClient, QueryCommandInput, ScanCommandInput } from '@aws-sdk/client-dynamodb';
import { VersionExistsError } from '../errors.js';
import type { KeystashError } from '../errors.js';
import { awsErrorName, dynamoDbStoreError } from './dynamodb-errors.js';
import { itemKey, itemToMeta, itemToRecord, recordToItem } from './dynamodb-items.js';
import type { DynamoItem } from './dynamodb-items.js';
import { setupTable } from './dynamodb-setup.js';
import type { SecretMeta, SecretRow, SecretStore, StoreSetupOptions, StoreSetupResult } from './types.js';

/** Options of the {@link DynamoDbStore} constructor. */
export interface DynamoDbStoreOptions {
  client: DynamoDBClient;
  table: string;
  /** `Limit` on each Scan/Query page of listAll, listVersions and deleteVersions; default: none (1 MB pages). */
  pageSize?: number | undefined;
  /** When true, close() destroys the client (the store created it). */
  ownsClient?: boolean | undefined;
  /** setup(): DescribeTable polling interval (default 1 s) and bound (default 10 min). */
  pollIntervalMs?: number | undefined;
  setupTimeoutMs?: number | undefined;
}

const NAME_EQ = { KeyConditionExpression: '#n0 = :v0' } as const;
const META_PROJECTION = '#N, version, #C, created_at';

/** SecretStore over one credstash DynamoDB table (docs/conventions.md §4). */
export class DynamoDbStore implements SecretStore {
  readonly client: DynamoDBClient;
  readonly table: string;
  readonly #pageSize: number | undefined;
  readonly #ownsClient: boolean;
  readonly #pollIntervalMs: number;
  readonly #setupTimeoutMs: number;

  constructor(options: DynamoDbStoreOptions) {
    this.client = options.client;
    this.table = options.table;
    this.#pageSize = options.pageSize;
    this.#ownsClient = options.ownsClient === true;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#setupTimeoutMs = options.setupTimeoutMs ?? 600_000;
  }

  /** PutItem with `attribute_not_exists(#n0)`; ConditionalCheckFailedException → VersionExistsError. */
  /** DynamoDB's 400 KB item limit, for every table (no option lifts it). */
  rowProblem(record: SecretRow): string | undefined {
    return dynamoItemProblem(record);
  }

  async putVersion(record: SecretRow): Promise<void> {
    const input = {
      TableName: this.table,
      Item: recordToItem(record),
      ConditionExpression: 'attribute_not_exists(#n0)',
      ExpressionAttributeNames: { '#n0': 'name' },
    };
    try {
      await this.client.send(new PutItemCommand(input));
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') throw new VersionExistsError(record.name, record.version, { cause: err });
      throw await this.#translate(err, 'PutItem');
    }
  }

  /** GetItem (consistent) of one version. */
  async getVersion(name: string, version: string): Promise<SecretRow | undefined> {
    const out = await this.#call('GetItem', () =>
      this.client.send(new GetItemCommand({ TableName: this.table, Key: itemKey(name, version), ConsistentRead: true })),
    );
    return out.Item === undefined ? undefined : itemToRecord(out.Item, name, version);
  }

  /** credstash's latest-item Query: Limit 1, ScanIndexForward false, ConsistentRead true. */
  async getLatest(name: string): Promise<SecretRow | undefined> {
    const input: QueryCommandInput = {
      TableName: this.table,
      ...NAME_EQ,
      ExpressionAttributeNames: { '#n0': 'name' },
      ExpressionAttributeValues: { ':v0': { S: name } },
      Limit: 1,
      ScanIndexForward: false,
      ConsistentRead: true,
    };
    const out = await this.#call('Query', () => this.client.send(new QueryCommand(input)));
    const item = out.Items?.[0];
    return item === undefined ? undefined : itemToRecord(item, name);
  }

  /** Versions of one name, greatest first (DynamoDB byte order), page by page. */
  async *listVersions(name: string): AsyncIterable<SecretMeta> {
    const input: QueryCommandInput = {
      TableName: this.table,
      ...NAME_EQ,
      ProjectionExpression: META_PROJECTION,
      ExpressionAttributeNames: { '#n0': 'name', '#N': 'name', '#C': 'comment' },
      ExpressionAttributeValues: { ':v0': { S: name } },
      ScanIndexForward: false,
      ConsistentRead: true,
    };
    for await (const page of this.#queryPages(input)) for (const item of page) yield itemToMeta(item);
  }

  /** credstash's Scan (`#N, version, #C` + created_at), yielding each page as it arrives. */
  async *listAll(): AsyncIterable<SecretMeta> {
    const input: ScanCommandInput = {
      TableName: this.table,
      ProjectionExpression: META_PROJECTION,
      ExpressionAttributeNames: { '#N': 'name', '#C': 'comment' },
    };
    if (this.#pageSize !== undefined) input.Limit = this.#pageSize;
    let start: DynamoItem | undefined;
    do {
      const page: ScanCommandInput = start === undefined ? input : { ...input, ExclusiveStartKey: start };
      const out = await this.#call('Scan', () => this.client.send(new ScanCommand(page)));
      for (const item of out.Items ?? []) yield itemToMeta(item);
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /** Full rows of the whole table: a consistent, paginated Scan yielding each page as it arrives. */
  async *listRows(): AsyncIterable<SecretRow> {
    const input: ScanCommandInput = { TableName: this.table, ConsistentRead: true };
    if (this.#pageSize !== undefined) input.Limit = this.#pageSize;
    let start: DynamoItem | undefined;
    do {
      const page: ScanCommandInput = start === undefined ? input : { ...input, ExclusiveStartKey: start };
      const out = await this.#call('Scan', () => this.client.send(new ScanCommand(page)));
      for (const item of out.Items ?? []) yield itemToRecord(item, item.name?.S ?? '?');
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  /**
   * One version: a single DeleteItem (ALL_OLD tells whether it existed). All versions: credstash's
   * paginated Query (`#N, version`) then one DeleteItem per item. Returns what was deleted.
   */
  async deleteVersions(name: string, version?: string): Promise<SecretMeta[]> {
    if (version !== undefined) {
      const out = await this.#deleteItem(name, version, true);
      return out === undefined ? [] : [itemToMeta(out)];
    }
    const input: QueryCommandInput = {
      TableName: this.table,
      ...NAME_EQ,
      ProjectionExpression: '#N, version',
      ExpressionAttributeNames: { '#N': 'name', '#n0': 'name' },
      ExpressionAttributeValues: { ':v0': { S: name } },
      ConsistentRead: true,
    };
    const deleted: SecretMeta[] = [];
    for await (const page of this.#queryPages(input)) {
      for (const item of page) {
        const meta = itemToMeta(item);
        await this.#deleteItem(meta.name, meta.version, false);
        deleted.push(meta);
      }
    }
    return deleted.reverse(); // the Query ran ascending; greatest first like listVersions
  }

  /** UpdateItem `SET #k = :new` if `#k = :old`; ConditionalCheckFailed (changed or vanished) → false. */
  async replaceKey(name: string, version: string, expectedKey: string, newKey: string): Promise<boolean> {
    const input = {
      TableName: this.table,
      Key: itemKey(name, version),
      UpdateExpression: 'SET #k = :new',
      ConditionExpression: '#k = :old',
      ExpressionAttributeNames: { '#k': 'key' },
      ExpressionAttributeValues: { ':new': { S: newKey }, ':old': { S: expectedKey } },
    };
    try {
      await this.client.send(new UpdateItemCommand(input));
      return true;
    } catch (err) {
      if (awsErrorName(err) === 'ConditionalCheckFailedException') return false;
      throw await this.#translate(err, 'UpdateItem');
    }
  }

  /**
   * Idempotent table creation (docs/format.md §1.5, on-demand unless `provisioned`):
   * an existing table (or one created concurrently) → {created: false}, tags untouched.
   */
  async setup(options: StoreSetupOptions = {}): Promise<StoreSetupResult> {
    const target = {
      client: this.client,
      table: this.table,
      pollIntervalMs: this.#pollIntervalMs,
      setupTimeoutMs: this.#setupTimeoutMs,
      translate: (err: unknown, operation: string) => this.#translate(err, operation),
    };
    return setupTable(target, options);
  }

  /** Destroys the client only when this store owns it (see `ownsClient`). */
  close(): void {
    if (this.#ownsClient) this.client.destroy();
  }

  async #deleteItem(name: string, version: string, returnOld: boolean): Promise<DynamoItem | undefined> {
    const input = { TableName: this.table, Key: itemKey(name, version), ...(returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}) };
    const out = await this.#call('DeleteItem', () => this.client.send(new DeleteItemCommand(input)));
    return out.Attributes;
  }

  async *#queryPages(input: QueryCommandInput): AsyncGenerator<DynamoItem[]> {
    const base: QueryCommandInput = this.#pageSize === undefined ? input : { ...input, Limit: this.#pageSize };
    let start: DynamoItem | undefined;
    do {
      const page: QueryCommandInput = start === undefined ? base : { ...base, ExclusiveStartKey: start };
      const out = await this.#call('Query', () => this.client.send(new QueryCommand(page)));
      yield out.Items ?? [];
      start = out.LastEvaluatedKey;
    } while (start !== undefined);
  }

  async #call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (err) {
      throw await this.#translate(err, operation);
    }
  }

  async #translate(err: unknown, operation: string): Promise<KeystashError> {
    const config = this.client.config as { region?: unknown; endpoint?: unknown; requestHandler?: unknown };
    const region = await resolveProvider<string>(config.region) ?? 'an unknown region';
    const endpoint = endpointText(await resolveProvider<unknown>(config.endpoint)) ?? `https://dynamodb.${region}.amazonaws.com`;
    return dynamoDbStoreError(err, { operation, table: this.table, region, endpoint, handler: config.requestHandler });
  }
}

async function resolveProvider<T>(value: unknown): Promise<T | undefined> {
  try {
    return (typeof value === 'function' ? await (value as () => Promise<T>)() : value) as T | undefined;
  } catch {
    return undefined;
  }
}

function endpointText(endpoint: unknown): string | undefined {
  if (typeof endpoint === 'string') return endpoint;
  const e = endpoint as { protocol?: string; hostname?: string; port?: number; path?: string; url?: URL } | undefined;
  if (e?.url !== undefined) return e.url.toString();
  if (e?.hostname === undefined) return undefined;
  return `${e.protocol ?? 'https:'}//${e.hostname}${e.port === undefined ? '' : `:${e.port}`}${e.path ?? ''}`;
}
