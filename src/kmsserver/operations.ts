/**
 * The KMS JSON operations served by the local KMS server, mapped onto KeyService & KeyManager.
 * Data-plane operations (GenerateDataKey[WithoutPlaintext], Encrypt, Decrypt, ReEncrypt) live here;
 * control-plane ones in key-operations.ts. Request/response members follow the AWS KMS API
 * reference; blobs travel as base64. Plaintext buffers are zeroed once encoded for the response.
 */
import { KEY_OPERATIONS } from './key-operations.js';
import type { LocalKeyStore, Operation } from './key-operations.js';
import { AwsError, blobToBase64, optionalString, plaintextToBase64, readContext, requireBlob, requireString } from './protocol.js';
import type { JsonObject } from './protocol.js';

export type { LocalKeyStore, Operation } from './key-operations.js';

/** KMS limits: Encrypt plaintext ≤ 4096 bytes, ciphertext blobs ≤ 6144 bytes, data keys 1..1024 bytes. */
const MAX_PLAINTEXT_BYTES = 4096;
const MAX_CIPHERTEXT_BYTES = 6144;
const MAX_DATA_KEY_BYTES = 1024;
const KEY_SPEC_BYTES: Readonly<Record<string, number>> = { AES_256: 32, AES_128: 16 };

/** Key ids returned by a KeyService may be bare ids; KMS responses always carry the key ARN. */
async function keyArnOf(kms: LocalKeyStore, keyId: string): Promise<string> {
  if (keyId.startsWith('arn:') && keyId.includes(':key/')) return keyId;
  return (await kms.describeKey(keyId)).arn;
}

/**
 * The key a wrapping operation names must exist already: through the server a missing key or
 * alias is NotFoundException, never created for whoever asks (a KeyService may create its default
 * key on first use in-process; issue 24 item 3). `kms serve` also opens its keyring so it never does.
 */
async function requireExistingKey(kms: LocalKeyStore, input: JsonObject, member: string): Promise<string> {
  const keyId = requireString(input, member);
  await kms.describeKey(keyId);
  return keyId;
}

function incorrectKey(): AwsError {
  return new AwsError('IncorrectKeyException', 'The key ID in the request does not identify a KMS key that can perform this operation.');
}

/** NumberOfBytes (1..1024) or KeySpec (AES_256 | AES_128), exactly one of them. */
function dataKeyLength(input: JsonObject): number {
  const spec = optionalString(input, 'KeySpec');
  const count = input['NumberOfBytes'];
  if (spec !== undefined && count !== undefined && count !== null) {
    throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec, not both.');
  }
  if (spec !== undefined) {
    const bytes = KEY_SPEC_BYTES[spec];
    if (bytes === undefined) throw new AwsError('ValidationException', "KeySpec must be one of 'AES_256', 'AES_128'.");
    return bytes;
  }
  if (typeof count !== 'number' || !Number.isInteger(count)) {
    if (count === undefined || count === null) throw new AwsError('ValidationException', 'Please specify either number of bytes or key spec.');
    throw new AwsError('SerializationException', 'NumberOfBytes must be an integer');
  }
  if (count < 1 || count > MAX_DATA_KEY_BYTES) {
    throw new AwsError('ValidationException', `1 validation error detected: Value '${count}' at 'numberOfBytes' failed to satisfy constraint: Member must have value between 1 and ${MAX_DATA_KEY_BYTES}`);
  }
  return count;
}

const generateDataKey: Operation = async (kms, input) => {
  const keyId = await requireExistingKey(kms, input, 'KeyId');
  const numberOfBytes = dataKeyLength(input);
  const key = await kms.generateDataKey({ keyId, numberOfBytes, context: readContext(input, 'EncryptionContext') });
  try {
    const arn = await keyArnOf(kms, key.keyId);
    return { CiphertextBlob: blobToBase64(key.ciphertextBlob), Plaintext: plaintextToBase64(key.plaintext), KeyId: arn };
  } finally {
    key.plaintext.fill(0);
  }
};

const generateDataKeyWithoutPlaintext: Operation = async (kms, input) => {
  const keyId = await requireExistingKey(kms, input, 'KeyId');
  const numberOfBytes = dataKeyLength(input);
  const key = await kms.generateDataKey({ keyId, numberOfBytes, context: readContext(input, 'EncryptionContext') });
  key.plaintext.fill(0);
  return { CiphertextBlob: blobToBase64(key.ciphertextBlob), KeyId: await keyArnOf(kms, key.keyId) };
};

const encrypt: Operation = async (kms, input) => {
  const keyId = await requireExistingKey(kms, input, 'KeyId');
  const context = readContext(input, 'EncryptionContext');
  const plaintext = requireBlob(input, 'Plaintext', MAX_PLAINTEXT_BYTES);
  try {
    const result = await kms.encrypt({ keyId, plaintext, context });
    return { CiphertextBlob: blobToBase64(result.ciphertextBlob), KeyId: await keyArnOf(kms, result.keyId), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  } finally {
    plaintext.fill(0);
  }
};

/** When the request names a key, the blob must have been wrapped by that key (IncorrectKeyException). */
async function expectedKeyArn(kms: LocalKeyStore, input: JsonObject, member: string): Promise<string | undefined> {
  const keyId = optionalString(input, member);
  return keyId === undefined ? undefined : keyArnOf(kms, keyId);
}

const decrypt: Operation = async (kms, input) => {
  const ciphertextBlob = requireBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT_BYTES);
  const context = readContext(input, 'EncryptionContext');
  const expected = await expectedKeyArn(kms, input, 'KeyId');
  const result = await kms.decrypt({ ciphertextBlob, context });
  try {
    const arn = await keyArnOf(kms, result.keyId);
    if (expected !== undefined && expected !== arn) throw incorrectKey();
    return { Plaintext: plaintextToBase64(result.plaintext), KeyId: arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  } finally {
    result.plaintext.fill(0);
  }
};

const reEncrypt: Operation = async (kms, input) => {
  const ciphertextBlob = requireBlob(input, 'CiphertextBlob', MAX_CIPHERTEXT_BYTES);
  const expected = await expectedKeyArn(kms, input, 'SourceKeyId');
  const result = await kms.reEncrypt({
    ciphertextBlob,
    sourceContext: readContext(input, 'SourceEncryptionContext'),
    destinationKeyId: await requireExistingKey(kms, input, 'DestinationKeyId'),
    destinationContext: readContext(input, 'DestinationEncryptionContext'),
  });
  const sourceArn = await keyArnOf(kms, result.sourceKeyId);
  if (expected !== undefined && expected !== sourceArn) throw incorrectKey();
  return {
    CiphertextBlob: blobToBase64(result.ciphertextBlob),
    KeyId: await keyArnOf(kms, result.keyId),
    SourceKeyId: sourceArn,
    SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
  };
};

/** Every operation the server answers, by the name after `TrentService.` in `X-Amz-Target`. */
export const OPERATIONS: Readonly<Record<string, Operation>> = {
  ...KEY_OPERATIONS,
  GenerateDataKey: generateDataKey,
  GenerateDataKeyWithoutPlaintext: generateDataKeyWithoutPlaintext,
  Encrypt: encrypt,
  Decrypt: decrypt,
  ReEncrypt: reEncrypt,
};

/** The operation for a name, or undefined (no prototype lookups). */
export function findOperation(name: string): Operation | undefined {
  return Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
}
