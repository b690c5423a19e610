/**
 * `setup --replica-region R` (issue 23): make the table a global table (version 2019.11.21) and
 * the key a multi-region key with a replica in each region, or check that they are; say exactly
 * what cannot be converted.
 *
 * - Table: streams NEW_AND_OLD_IMAGES are required before a replica can be added
 *   (UpdateTable StreamSpecification), then one UpdateTable ReplicaUpdates [{ Create:
 *   { RegionName } }] per missing region (DynamoDB accepts one replica change per request).
 *   Source: AWS DynamoDB developer guide, "Global tables version 2019.11.21: adding a replica"
 *   and the UpdateTable API reference (ReplicaUpdates, StreamSpecification).
 * - Key: a single-region KMS key can never become multi-region (AWS KMS developer guide,
 *   "Multi-Region keys": MultiRegion is fixed at CreateKey). Rows it wrapped move to an `mrk-`
 *   key with `keystash rotate --all --all-versions --key mrk-…` (one command). A multi-region
 *   primary gets one ReplicateKey { KeyId, ReplicaRegion } per missing region.
 *
 * The plan is pure (planMultiRegion); applyMultiRegionPlan sends it with the SDK clients.
 */
import { DescribeTableCommand, UpdateTableCommand, type DynamoDBClient, type TableDescription, type UpdateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateKeyCommand, DescribeKeyCommand, ReplicateKeyCommand, type CreateKeyCommandInput, type KeyMetadata, type KMSClient, type ReplicateKeyCommandInput } from '@aws-sdk/client-kms';

/** UpdateTable input turning streams on with the view global tables need. */
export function enableStreamsInput(table: string): UpdateTableCommandInput {
  return { TableName: table, StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' } };
}

/** UpdateTable input adding one replica region to a table (global tables 2019.11.21). */
export function addReplicaInput(table: string, region: string): UpdateTableCommandInput {
  return { TableName: table, ReplicaUpdates: [{ Create: { RegionName: region } }] };
}

/** ReplicateKey input: a replica of a multi-region primary key in `region`. */
export function replicateKeyInput(keyId: string, region: string): ReplicateKeyCommandInput {
  return { KeyId: keyId, ReplicaRegion: region, Description: 'keystash multi-region key replica' };
}

/** CreateKey input of a multi-region primary key (symmetric, for envelope encryption). */
export function createMultiRegionKeyInput(description = 'keystash multi-region key'): CreateKeyCommandInput {
  return { MultiRegion: true, KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: description };
}

/** What `setup --replica-region` will do, what is already done, and what cannot be converted. */
interface MultiRegionPlan {
  table: UpdateTableCommandInput[];
  key: ReplicateKeyCommandInput[];
  /** Lines saying what is already in place. */
  ready: string[];
  /** Lines saying what cannot be converted in place, each with the command that fixes it. */
  cannot: string[];
}

/** The plan for `table` (its DescribeTable) and `key` (its DescribeKey) to reach every region of `replicaRegions`. */
export function planMultiRegion(table: TableDescription, key: KeyMetadata, replicaRegions: readonly string[]): MultiRegionPlan {
  const plan: MultiRegionPlan = { table: [], key: [], ready: [], cannot: [] };
  const name = table.TableName ?? '';
  const streams = table.StreamSpecification?.StreamEnabled === true && table.StreamSpecification.StreamViewType === 'NEW_AND_OLD_IMAGES';
  if (table.StreamSpecification?.StreamEnabled === true && !streams) {
    plan.cannot.push(`table ${name} has streams of view ${table.StreamSpecification.StreamViewType ?? '?'}; global tables need NEW_AND_OLD_IMAGES: turn its stream off, then run setup --replica-region again`);
  } else if (!streams) {
    plan.table.push(enableStreamsInput(name));
  }
  const replicas = new Set((table.Replicas ?? []).map((r) => r.RegionName));
  for (const region of replicaRegions) {
    if (replicas.has(region)) plan.ready.push(`table ${name} has a replica in ${region}`);
    else plan.table.push(addReplicaInput(name, region));
  }
  const keyId = key.KeyId ?? '';
  if (key.MultiRegion !== true) {
    plan.cannot.push(
      `KMS key ${key.Arn ?? keyId} is a single-region key, and a key cannot become multi-region: create a multi-region key (aws kms create-key --multi-region), then move every row to it with: keystash rotate --all --all-versions --key mrk-…`,
    );
    return plan;
  }
  const config = key.MultiRegionConfiguration;
  if (config?.MultiRegionKeyType === 'REPLICA') {
    plan.cannot.push(`KMS key ${key.Arn ?? keyId} is a replica; run setup where its primary ${config.PrimaryKey?.Region ?? ''} is the home region`);
    return plan;
  }
  const keyRegions = new Set([config?.PrimaryKey?.Region, ...(config?.ReplicaKeys ?? []).map((r) => r.Region)]);
  for (const region of replicaRegions) {
    if (keyRegions.has(region)) plan.ready.push(`KMS key ${keyId} has a replica in ${region}`);
    else plan.key.push(replicateKeyInput(keyId, region));
  }
  return plan;
}

/**
 * Describe the table and key, then plan the changes and apply them, unless `dryRun` or something
 * cannot be converted (then nothing is changed); returns the plan.
 */
export async function setupMultiRegion(
  clients: { dynamodb: DynamoDBClient; kms: KMSClient },
  target: { table: string; keyId: string; replicaRegions: readonly string[]; dryRun?: boolean },
): Promise<MultiRegionPlan> {
  const table = (await clients.dynamodb.send(new DescribeTableCommand({ TableName: target.table }))).Table ?? {};
  const key = (await clients.kms.send(new DescribeKeyCommand({ KeyId: target.keyId }))).KeyMetadata ?? {} as KeyMetadata;
  const plan = planMultiRegion(table, key, target.replicaRegions);
  // Half a conversion (a global table whose key cannot be read in the new region) helps nobody.
  if (target.dryRun === true || plan.cannot.length > 0) return plan;
  for (const input of plan.table) await clients.dynamodb.send(new UpdateTableCommand(input));
  for (const input of plan.key) await clients.kms.send(new ReplicateKeyCommand(input));
  return plan;
}

/** Re-exported for the request-shape tests (the SDK's own command classes). */
export { CreateKeyCommand, ReplicateKeyCommand, UpdateTableCommand };
