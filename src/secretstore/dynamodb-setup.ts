/**
 * `setup` for the DynamoDB backend (docs/format.md §1.5, with keystash's defaults):
 * DescribeTable first; when missing, CreateTable (name S HASH, version S RANGE; on-demand unless
 * provisioned capacity is asked for; tagged Name=credstash + user tags at creation), poll
 * DescribeTable until ACTIVE (every second after a quicker start; bounded), TagResource with the
 * same tags (credstash tags after creation; emulators such as dynalite ignore creation tags),
 * then optional point-in-time recovery.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  TagResourceCommand,
  UpdateContinuousBackupsCommand,
} from '@aws-sdk/client-dynamodb';
import type { CreateTableCommandInput, DynamoDBClient, TableDescription } from '@aws-sdk/client-dynamodb';
import { StoreError } from '../errors.js';
import type { KeystashError } from '../errors.js';
import { awsErrorName } from './dynamodb-errors.js';
import type { StoreSetupOptions, StoreSetupResult } from './types.js';

/** The table to set up and how to talk about failures. */
interface SetupTarget {
  client: DynamoDBClient;
  table: string;
  pollIntervalMs: number;
  setupTimeoutMs: number;
  /** Translate an SDK error of `operation` into a KeystashError (DynamoDbStore's boundary). */
  translate: (err: unknown, operation: string) => Promise<KeystashError>;
}

/**
 * Create the table if needed; idempotent. An existing table, or one created concurrently
 * (ResourceInUseException), gives {created: false} and is left untouched (no tags, no PITR).
 */
export async function setupTable(target: SetupTarget, options: StoreSetupOptions = {}): Promise<StoreSetupResult> {
  const progress = options.onProgress ?? ((): void => {});
  const existing = await describeTable(target);
  if (existing !== undefined) {
    if (existing.TableStatus !== 'ACTIVE') await waitActive(target, progress);
    return { created: false };
  }
  const tags = Object.entries({ Name: 'credstash', ...options.tags }).map(([Key, Value]) => ({ Key, Value }));
  try {
    await target.client.send(new CreateTableCommand(createTableInput(target.table, tags, options)));
  } catch (err) {
    if (awsErrorName(err) !== 'ResourceInUseException') throw await target.translate(err, 'CreateTable');
    await waitActive(target, progress); // created concurrently by someone else
    return { created: false };
  }
  const arn = await waitActive(target, progress);
  if (arn !== undefined) {
    try {
      await target.client.send(new TagResourceCommand({ ResourceArn: arn, Tags: tags }));
    } catch (err) {
      throw await target.translate(err, 'TagResource');
    }
  }
  if (options.pitr === true) await enablePitr(target, progress);
  return { created: true };
}

function createTableInput(table: string, tags: { Key: string; Value: string }[], options: StoreSetupOptions): CreateTableCommandInput {
  const input: CreateTableCommandInput = {
    TableName: table,
    AttributeDefinitions: [
      { AttributeName: 'name', AttributeType: 'S' },
      { AttributeName: 'version', AttributeType: 'S' },
    ],
    KeySchema: [
      { AttributeName: 'name', KeyType: 'HASH' },
      { AttributeName: 'version', KeyType: 'RANGE' },
    ],
    BillingMode: 'PAY_PER_REQUEST',
    Tags: tags,
  };
  if (options.provisioned !== undefined) {
    input.BillingMode = 'PROVISIONED';
    input.ProvisionedThroughput = { ReadCapacityUnits: options.provisioned.read, WriteCapacityUnits: options.provisioned.write };
  }
  return input;
}

async function describeTable(target: SetupTarget): Promise<TableDescription | undefined> {
  try {
    const out = await target.client.send(new DescribeTableCommand({ TableName: target.table }));
    return out.Table;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw await target.translate(err, 'DescribeTable');
  }
}

/**
 * Poll DescribeTable until ACTIVE (bounded by setupTimeoutMs); returns the table ARN. The first
 * polls come sooner (0.1, 0.2, 0.4, 0.8 s) so emulators that activate at once cost no full second.
 */
async function waitActive(target: SetupTarget, progress: (message: string) => void): Promise<string | undefined> {
  const deadline = Date.now() + target.setupTimeoutMs;
  for (let attempt = 0; ; attempt++) {
    const table = await describeTable(target);
    if (table?.TableStatus === 'ACTIVE') return table.TableArn;
    if (Date.now() >= deadline) {
      const seconds = Math.round(target.setupTimeoutMs / 1000);
      throw new StoreError(`DynamoDB table '${target.table}' did not become ACTIVE within ${seconds} s; check it in the AWS console and run setup again`, {
        code: 'store.setupTimeout',
      });
    }
    progress(`Waiting for table ${target.table} to become ACTIVE…`);
    const delay = Math.min(target.pollIntervalMs, 100 * 2 ** attempt);
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
}

/** UpdateContinuousBackups; an endpoint without the operation (dynalite) only earns a warning. */
async function enablePitr(target: SetupTarget, progress: (message: string) => void): Promise<void> {
  const input = { TableName: target.table, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } };
  try {
    await target.client.send(new UpdateContinuousBackupsCommand(input));
  } catch (err) {
    if (!/UnknownOperation/.test(awsErrorName(err))) throw await target.translate(err, 'UpdateContinuousBackups');
    progress(`warning: this DynamoDB endpoint does not support point-in-time recovery; table ${target.table} was created without it`);
  }
}
