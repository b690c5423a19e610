/**
 * KMS control-plane operations of the local KMS server (CreateKey, DescribeKey, ListKeys,
 * CreateAlias, ListAliases, EnableKey/DisableKey, key rotation) mapped onto KeyManager.
 * Request and response members follow the AWS KMS API reference.
 */
import type { KeyManager, KeyMetadata } from '../localkms/key-manager.js';
import type { KeyService } from '../envelope/keyservice.js';
import { AwsError, optionalBool, optionalInt, optionalString, requireString } from './protocol.js';
import type { JsonObject } from './protocol.js';

/** The object every operation is served by. */
export type LocalKeyStore = KeyService & KeyManager;

/** One KMS operation: parsed JSON request members in, JSON response members out. */
export type Operation = (kms: LocalKeyStore, input: JsonObject) => Promise<JsonObject>;

const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

/** KeyMetadata → the AWS `KeyMetadata` structure (symmetric customer-managed key). */
function keyMetadataToAws(meta: KeyMetadata): JsonObject {
  return {
    AWSAccountId: meta.arn.split(':')[4],
    KeyId: meta.keyId,
    Arn: meta.arn,
    CreationDate: Math.floor(Date.parse(meta.createdAt) / 1000),
    Enabled: meta.enabled,
    Description: meta.description,
    KeyUsage: 'ENCRYPT_DECRYPT',
    KeyState: meta.enabled ? 'Enabled' : 'Disabled',
    Origin: 'AWS_KMS',
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
    KeySpec: 'SYMMETRIC_DEFAULT',
    EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
    MultiRegion: meta.multiRegion,
    ...(meta.multiRegionConfiguration === undefined ? {} : { MultiRegionConfiguration: multiRegionConfigurationToAws(meta.multiRegionConfiguration) }),
  };
}

/** KMS MultiRegionConfiguration: key type, primary and replicas as { Arn, Region }. */
function multiRegionConfigurationToAws(config: NonNullable<KeyMetadata['multiRegionConfiguration']>): JsonObject {
  const ref = (arn: string): JsonObject => ({ Arn: arn, Region: arn.split(':')[3] ?? '' });
  return { MultiRegionKeyType: config.keyType, PrimaryKey: ref(config.primaryArn), ReplicaKeys: config.replicaArns.map(ref) };
}

/** Limit/Marker paging over an in-memory list; the marker is the next offset as text. */
function page<T>(items: readonly T[], input: JsonObject): { items: T[]; more: JsonObject } {
  const limit = optionalInt(input, 'Limit', 1, MAX_PAGE) ?? DEFAULT_PAGE;
  const marker = optionalString(input, 'Marker');
  const start = marker === undefined ? 0 : Number(marker);
  if (!Number.isSafeInteger(start) || start < 0 || start > items.length) throw new AwsError('InvalidMarkerException', 'The marker is invalid.');
  const end = start + limit;
  const more = end < items.length ? { Truncated: true, NextMarker: String(end) } : { Truncated: false };
  return { items: items.slice(start, end), more };
}

function checkSupportedKey(input: JsonObject): void {
  const supported: Array<[string, string]> = [
    ['KeyUsage', 'ENCRYPT_DECRYPT'],
    ['KeySpec', 'SYMMETRIC_DEFAULT'],
    ['CustomerMasterKeySpec', 'SYMMETRIC_DEFAULT'],
    ['Origin', 'AWS_KMS'],
  ];
  for (const [member, only] of supported) {
    const value = optionalString(input, member);
    if (value !== undefined && value !== only) {
      throw new AwsError('ValidationException', `The local KMS supports only ${member} ${only} (got ${value.slice(0, 40)}).`);
    }
  }
}

const createKey: Operation = async (kms, input) => {
  checkSupportedKey(input);
  const description = optionalString(input, 'Description');
  if (description !== undefined && description.length > 8192) throw new AwsError('ValidationException', 'Description must be at most 8192 characters.');
  // Tags are accepted and ignored.
  const multiRegion = optionalBool(input, 'MultiRegion') === true;
  const meta = await kms.createKey({ ...(description === undefined ? {} : { description }), ...(multiRegion ? { multiRegion } : {}) });
  return { KeyMetadata: keyMetadataToAws(meta) };
};

const describeKey: Operation = async (kms, input) => ({ KeyMetadata: keyMetadataToAws(await kms.describeKey(requireString(input, 'KeyId'))) });

const listKeys: Operation = async (kms, input) => {
  const { items, more } = page(await kms.listKeys(), input);
  return { Keys: items.map((meta) => ({ KeyId: meta.keyId, KeyArn: meta.arn })), ...more };
};

function aliasNameOf(input: JsonObject): string {
  const aliasName = requireString(input, 'AliasName');
  if (!/^alias\/[a-zA-Z0-9/_-]{1,250}$/.test(aliasName) || aliasName.startsWith('alias/aws/')) {
    throw new AwsError('ValidationException', `Alias must start with 'alias/', use only letters, digits, '/', '_' and '-', and not start with 'alias/aws/'.`);
  }
  return aliasName;
}

const createAlias: Operation = async (kms, input) => {
  await kms.createAlias(aliasNameOf(input), requireString(input, 'TargetKeyId'));
  return {};
};

const updateAlias: Operation = async (kms, input) => {
  await kms.updateAlias(aliasNameOf(input), requireString(input, 'TargetKeyId'));
  return {};
};

const deleteAlias: Operation = async (kms, input) => {
  await kms.deleteAlias(aliasNameOf(input));
  return {};
};

const listAliases: Operation = async (kms, input) => {
  const keyId = optionalString(input, 'KeyId');
  let aliases = await kms.listAliases();
  if (keyId !== undefined) {
    const target = (await kms.describeKey(keyId)).keyId;
    aliases = aliases.filter((alias) => alias.targetKeyId === target);
  }
  const { items, more } = page(aliases, input);
  return { Aliases: items.map((a) => ({ AliasName: a.aliasName, AliasArn: a.aliasArn, TargetKeyId: a.targetKeyId })), ...more };
};

function setEnabled(enabled: boolean): Operation {
  return async (kms, input) => {
    await kms.setKeyEnabled(requireString(input, 'KeyId'), enabled);
    return {};
  };
}

function setRotation(enabled: boolean): Operation {
  return async (kms, input) => {
    await kms.setRotationEnabled(requireString(input, 'KeyId'), enabled);
    return {};
  };
}

const getKeyRotationStatus: Operation = async (kms, input) => {
  const meta = await kms.describeKey(requireString(input, 'KeyId'));
  return { KeyRotationEnabled: meta.rotationEnabled, KeyId: meta.arn };
};

const rotateKeyOnDemand: Operation = async (kms, input) => ({ KeyId: (await kms.rotateKey(requireString(input, 'KeyId'))).arn });

/**
 * KMS ReplicateKey creates the replica in another region's KMS; one server serves one keyring
 * (one region), so the replica is made offline with `keystash kms replicate-key --to DATA_DIR`.
 */
const replicateKey: Operation = async (kms, input) => {
  const meta = await kms.describeKey(requireString(input, 'KeyId'));
  if (!meta.multiRegion) throw new AwsError('UnsupportedOperationException', `${meta.arn} is not a multi-region key.`);
  throw new AwsError('UnsupportedOperationException', 'This local KMS serves one keyring; create the replica with: keystash kms replicate-key KEY --to DATA_DIR --replica-region REGION');
};

/** Control-plane operations by KMS operation name. */
export const KEY_OPERATIONS: Readonly<Record<string, Operation>> = {
  CreateKey: createKey,
  DescribeKey: describeKey,
  ListKeys: listKeys,
  CreateAlias: createAlias,
  UpdateAlias: updateAlias,
  DeleteAlias: deleteAlias,
  ListAliases: listAliases,
  EnableKey: setEnabled(true),
  DisableKey: setEnabled(false),
  EnableKeyRotation: setRotation(true),
  DisableKeyRotation: setRotation(false),
  GetKeyRotationStatus: getKeyRotationStatus,
  RotateKeyOnDemand: rotateKeyOnDemand,
  ReplicateKey: replicateKey,
};
