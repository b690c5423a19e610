import { randomUUID } from 'node:crypto';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ListTagsOfResourceCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { IntegrityError, StoreError, UsageError, VersionExistsError } from '../../src/errors.js';
import { createDynamoDbClient } from '../../src/aws/dynamodb-client.js';
import { DynamoDbStore } from '../../src/secretstore/dynamodb.js';
import { openStore } from '../../src/secretstore/index.js';
import type { SecretMeta } from '../../src/secretstore/types.js';
import { describeSecretStore, pad, sampleRecord } from '../contract/secretstore.contract.js';

const endpoint = inject('dynamoEndpoint');
const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const freshTable = (): string => `ks-${randomUUID()}`;

let client: DynamoDBClient;
beforeAll(() => {
  client = createDynamoDbClient({ region, endpoint, credentials });
});
afterAll(() => client.destroy());

describeSecretStore('DynamoDbStore (dynalite)', async () => {
  const store = new DynamoDbStore({ client, table: freshTable(), pageSize: 37 });
  await store.setup();
  return store;
});

interface Captured {
  op: string;
  input: Record<string, unknown>;
}

/** A client whose every command input is recorded at the initialize step (docs/conventions.md §12). */
function capturingClient(): { client: DynamoDBClient; captured: Captured[] } {
  const captured: Captured[] = [];
  const c = new DynamoDBClient({ region, endpoint, credentials });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      captured.push({ op: String(context.commandName).replace(/Command$/, ''), input: structuredClone(args.input as Record<string, unknown>) });
      return next(args);
    },
    { step: 'initialize', name: 'captureInput' },
  );
  return { client: c, captured };
}

async function collect(iterable: AsyncIterable<SecretMeta>): Promise<SecretMeta[]> {
  const out: SecretMeta[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('DynamoDbStore requests (docs/format.md §1.4)', () => {
  const { client: spy, captured } = capturingClient();
  const table = freshTable();
  const store = new DynamoDbStore({ client: spy, table });
  const take = (): Captured[] => captured.splice(0);
  afterAll(() => spy.destroy());

  it('setup: DescribeTable, CreateTable (on-demand, tagged), DescribeTable until ACTIVE, TagResource', async () => {
    expect(await store.setup({ tags: { team: 'sec' } })).toEqual({ created: true });
    const calls = take();
    const ops = calls.map((c) => c.op).filter((op, i, all) => op !== all[i - 1]); // polls collapse
    expect(ops).toEqual(['DescribeTable', 'CreateTable', 'DescribeTable', 'TagResource']);
    const tags = [{ Key: 'Name', Value: 'credstash' }, { Key: 'team', Value: 'sec' }];
    expect(calls[1]?.input).toEqual({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }, { AttributeName: 'version', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }],
      BillingMode: 'PAY_PER_REQUEST',
      Tags: tags,
    });
    expect(calls.at(-1)?.input).toEqual({ ResourceArn: expect.stringContaining(`table/${table}`), Tags: tags });
  });

  it('put: PutItem with attribute_not_exists(#n0); hmac as B of the ASCII hex (the §1.2 example)', async () => {
    const record = sampleRecord('vec', pad(1), { contents: 'gygGyzjK+obUk+9BKbFFSmHO0e+HH7c=', comment: 'example comment', createdAt: '2025-01-01T00:00:00.000Z' });
    await store.putVersion(record);
    const [call] = take();
    expect(call?.op).toBe('PutItem');
    const item = call?.input.Item as Record<string, AttributeValue>;
    expect(call?.input).toEqual({
      TableName: table,
      Item: {
        name: { S: 'vec' },
        version: { S: '0000000000000000001' },
        key: { S: record.key },
        contents: { S: 'gygGyzjK+obUk+9BKbFFSmHO0e+HH7c=' },
        hmac: { B: expect.any(Uint8Array) },
        digest: { S: 'SHA256' },
        comment: { S: 'example comment' },
        created_at: { S: '2025-01-01T00:00:00.000Z' },
      },
      ConditionExpression: 'attribute_not_exists(#n0)',
      ExpressionAttributeNames: { '#n0': 'name' },
    });
    expect(Buffer.from(item.hmac?.B as Uint8Array).toString('base64')).toBe(
      'YTI2YzA1N2I2MzdmMDA1YTNmYjkyNGM3ZjRhY2UxY2U3MGJiODhlNWJkNjA4ODYzNWQwNzkzMDcwNTJkYzI2Ng==',
    );
  });

  it('latest: Query Limit 1, ScanIndexForward false, ConsistentRead true, no projection', async () => {
    await store.getLatest('vec');
    expect(take()).toEqual([{
      op: 'Query',
      input: {
        TableName: table,
        KeyConditionExpression: '#n0 = :v0',
        ExpressionAttributeNames: { '#n0': 'name' },
        ExpressionAttributeValues: { ':v0': { S: 'vec' } },
        Limit: 1,
        ScanIndexForward: false,
        ConsistentRead: true,
      },
    }]);
  });

  it('explicit version: GetItem by key, consistent', async () => {
    await store.getVersion('vec', pad(1));
    expect(take()).toEqual([{ op: 'GetItem', input: { TableName: table, Key: { name: { S: 'vec' }, version: { S: pad(1) } }, ConsistentRead: true } }]);
  });

  it("list: Scan with credstash's projection plus created_at", async () => {
    await collect(store.listAll());
    expect(take()).toEqual([{
      op: 'Scan',
      input: { TableName: table, ProjectionExpression: '#N, version, #C, created_at', ExpressionAttributeNames: { '#N': 'name', '#C': 'comment' } },
    }]);
  });

  it('list versions: Query descending with the projection', async () => {
    await collect(store.listVersions('vec'));
    expect(take()[0]?.input).toEqual({
      TableName: table,
      KeyConditionExpression: '#n0 = :v0',
      ProjectionExpression: '#N, version, #C, created_at',
      ExpressionAttributeNames: { '#n0': 'name', '#N': 'name', '#C': 'comment' },
      ExpressionAttributeValues: { ':v0': { S: 'vec' } },
      ScanIndexForward: false,
      ConsistentRead: true,
    });
  });

  it('rotate: UpdateItem SET #k = :new if #k = :old', async () => {
    await store.replaceKey('vec', pad(1), 'old', 'new');
    expect(take()).toEqual([{
      op: 'UpdateItem',
      input: {
        TableName: table,
        Key: { name: { S: 'vec' }, version: { S: pad(1) } },
        UpdateExpression: 'SET #k = :new',
        ConditionExpression: '#k = :old',
        ExpressionAttributeNames: { '#k': 'key' },
        ExpressionAttributeValues: { ':new': { S: 'new' }, ':old': { S: 'old' } },
      },
    }]);
  });

  it('delete: paginated Query (#N, version) then one DeleteItem per version', async () => {
    await store.putVersion(sampleRecord('vec', pad(2)));
    take();
    await store.deleteVersions('vec');
    const calls = take();
    expect(calls.map((c) => c.op)).toEqual(['Query', 'DeleteItem', 'DeleteItem']);
    expect(calls[0]?.input).toEqual({
      TableName: table,
      KeyConditionExpression: '#n0 = :v0',
      ProjectionExpression: '#N, version',
      ExpressionAttributeNames: { '#N': 'name', '#n0': 'name' },
      ExpressionAttributeValues: { ':v0': { S: 'vec' } },
      ConsistentRead: true,
    });
    expect(calls[1]?.input).toEqual({ TableName: table, Key: { name: { S: 'vec' }, version: { S: pad(1) } } });
  });

  it('pages Scan and Query with Limit = pageSize and ExclusiveStartKey', async () => {
    const paged = new DynamoDbStore({ client: spy, table, pageSize: 2 });
    for (const v of [1, 2, 3, 4, 5]) await paged.putVersion(sampleRecord('paged', pad(v)));
    take();
    expect(await collect(paged.listAll())).toHaveLength(5);
    const scans = take();
    expect(scans.length).toBeGreaterThanOrEqual(3);
    expect(scans[0]?.input.Limit).toBe(2);
    expect(scans[1]?.input.ExclusiveStartKey).toBeDefined();
    expect((await collect(paged.listVersions('paged'))).map((m) => m.version)).toEqual([5, 4, 3, 2, 1].map(pad));
  });
});

describe('DynamoDbStore rows written by others', () => {
  const table = freshTable();
  let s: DynamoDbStore;
  const raw = (item: Record<string, AttributeValue>): Promise<unknown> => client.send(new PutItemCommand({ TableName: table, Item: item }));
  const base = (version: string): Record<string, AttributeValue> => ({
    name: { S: 'legacy' },
    version: { S: version },
    key: { S: 'a2V5' },
    contents: { S: 'Y29udGVudHM=' },
  });
  beforeAll(async () => {
    s = new DynamoDbStore({ client, table });
    await s.setup();
  });

  it('reads hmac stored as S (credstash < 1.13.1) and as B, in either case', async () => {
    await raw({ ...base(pad(1)), hmac: { S: 'ABCDEF0123' } });
    await raw({ ...base(pad(2)), hmac: { B: Buffer.from('abcdef0123', 'ascii') }, digest: { S: 'SHA256' } });
    expect(await s.getVersion('legacy', pad(1))).toMatchObject({ hmac: 'ABCDEF0123', hmacType: 'S' });
    expect(await s.getVersion('legacy', pad(2))).toMatchObject({ hmac: 'abcdef0123', hmacType: 'B', digest: 'SHA256' });
    expect((await s.getVersion('legacy', pad(1)))?.digest).toBeUndefined();
  });

  it('turns malformed rows into IntegrityError instead of crashing', async () => {
    const noKey = base(pad(1));
    delete noKey.key;
    await raw({ ...noKey, name: { S: 'bad' }, hmac: { S: 'ab' } });
    await raw({ ...base(pad(2)), name: { S: 'bad' }, hmac: { N: '12' } });
    await raw({ ...base(pad(1)), name: { S: 'bad2' }, hmac: { S: 'ab' }, contents: { N: '1' } });
    const missing = await s.getVersion('bad', pad(1)).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(IntegrityError);
    expect((missing as Error).message).toBe("INTEGRITY ERROR: stored row bad version 0000000000000000001 is malformed: missing 'key'");
    await expect(s.getLatest('bad')).rejects.toThrow("INTEGRITY ERROR: stored row bad version 0000000000000000002 is malformed: 'hmac' has type N, expected B or S");
    await expect(s.getLatest('bad2')).rejects.toThrow("'contents' has type N, expected S");
    expect((await collect(s.listVersions('bad'))).map((m) => m.version)).toEqual([pad(2), pad(1)]);
  });
});

describe('DynamoDbStore setup', () => {
  it('is idempotent and leaves tags visible via ListTagsOfResource', async () => {
    const table = freshTable();
    const store = new DynamoDbStore({ client, table });
    expect(await store.setup({ tags: { env: 'test', owner: 'platform' } })).toEqual({ created: true });
    expect(await store.setup({ tags: { other: 'x' } })).toEqual({ created: false });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([{ AttributeName: 'name', KeyType: 'HASH' }, { AttributeName: 'version', KeyType: 'RANGE' }]);
    const { Tags } = await client.send(new ListTagsOfResourceCommand({ ResourceArn: Table?.TableArn }));
    expect(Tags).toEqual(expect.arrayContaining([{ Key: 'Name', Value: 'credstash' }, { Key: 'env', Value: 'test' }, { Key: 'owner', Value: 'platform' }]));
    expect(Tags?.some((t) => t.Key === 'other')).toBe(false);
  });

  it('creates a provisioned table when asked, and warns (not fails) when PITR is unsupported', async () => {
    const table = freshTable();
    const progress: string[] = [];
    const store = new DynamoDbStore({ client, table });
    expect(await store.setup({ provisioned: { read: 2, write: 3 }, pitr: true, onProgress: (m) => progress.push(m) })).toEqual({ created: true });
    const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
    expect(Table?.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 2, WriteCapacityUnits: 3 });
    expect(progress.some((m) => /point-in-time recovery/.test(m))).toBe(true);
  });

  it('handles concurrent setup of one table', async () => {
    const table = freshTable();
    const results = await Promise.all([1, 2, 3].map(() => new DynamoDbStore({ client, table }).setup()));
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});

describe('DynamoDbStore errors', () => {
  it('missing table → StoreError store.tableMissing naming table and region', async () => {
    const store = new DynamoDbStore({ client, table: 'no-such-table' });
    const err = await store.getLatest('x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({
      code: 'store.tableMissing',
      message: "DynamoDB table 'no-such-table' does not exist in us-east-1; create it with: keystash setup --backend aws -t no-such-table",
    });
    expect((err as Error).cause).toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(store.putVersion(sampleRecord('x', pad(1)))).rejects.toMatchObject({ code: 'store.tableMissing' });
    await expect(collect(store.listAll())).rejects.toMatchObject({ code: 'store.tableMissing' });
  });

  it('an item over 400 KB → UsageError store.itemTooLarge stating the limit in bytes', async () => {
    const store = new DynamoDbStore({ client, table: freshTable() });
    await store.setup();
    const huge = sampleRecord('huge', pad(1), { contents: 'A'.repeat(410 * 1024) });
    const error = await store.putVersion(huge).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).toMatchObject({ code: 'store.itemTooLarge', message: expect.stringContaining('at most 409600 bytes') });
  });

  it('an unreachable endpoint → StoreError store.unreachable naming it', async () => {
    const dead = createDynamoDbClient({ region, endpoint: 'http://127.0.0.1:9', credentials, maxAttempts: 1 });
    const err = await new DynamoDbStore({ client: dead, table: 't-dead', ownsClient: true }).getLatest('x').catch((e: unknown) => e);
    dead.destroy();
    expect(err).toMatchObject({ code: 'store.unreachable' });
    expect((err as Error).message).toContain('http://127.0.0.1:9');
  });

  it('missing credentials → StoreError store.credentialsMissing', async () => {
    const noCreds = createDynamoDbClient({
      region,
      endpoint,
      credentials: async () => {
        throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
      },
    });
    await expect(new DynamoDbStore({ client: noCreds, table: 't' }).getLatest('x')).rejects.toMatchObject({ code: 'store.credentialsMissing' });
    noCreds.destroy();
  });

  // dynalite never throttles nor checks credentials: inject those faults (docs/conventions.md §11).
  it.each([
    ['ProvisionedThroughputExceededException', 'store.throttled'],
    ['ThrottlingException', 'store.throttled'],
    ['AccessDeniedException', 'store.accessDenied'],
    ['UnrecognizedClientException', 'store.credentialsRejected'],
    ['ExpiredTokenException', 'store.credentialsExpired'],
    ['ItemCollectionSizeLimitExceededException', 'store.itemTooLarge'],
    ['InternalServerError', 'store.error'],
  ])('%s → %s', async (name, code) => {
    const faulty = new DynamoDBClient({ region, endpoint, credentials, maxAttempts: 1 });
    faulty.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error(`injected ${name}`), { name, $metadata: {} });
      },
      { step: 'initialize', name: 'injectFault' },
    );
    const store = new DynamoDbStore({ client: faulty, table: 'some-table', ownsClient: true });
    const err = await store.putVersion(sampleRecord('x', pad(1))).catch((e: unknown) => e);
    store.close();
    expect(err).toBeInstanceOf(StoreError);
    expect(err).toMatchObject({ code, cause: { name } });
    expect((err as Error).message).not.toContain('\n');
  });

  it('VersionExistsError keeps the ConditionalCheckFailedException as cause', async () => {
    const store = new DynamoDbStore({ client, table: freshTable() });
    await store.setup();
    await store.putVersion(sampleRecord('dup', pad(1)));
    const err = await store.putVersion(sampleRecord('dup', pad(1))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VersionExistsError);
    expect((err as Error).cause).toMatchObject({ name: 'ConditionalCheckFailedException' });
  });
});

describe('openStore (dynamodb)', () => {
  it('opens a DynamoDbStore with its own client', async () => {
    const table = freshTable();
    const store = await openStore({ kind: 'dynamodb', table, region, endpoint, credentials });
    expect(await store.setup()).toEqual({ created: true });
    await store.putVersion(sampleRecord('via-index', pad(1)));
    expect((await store.getLatest('via-index'))?.name).toBe('via-index');
    store.close();
  });
});
