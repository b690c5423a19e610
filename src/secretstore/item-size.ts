/**
 * The size of a row as a DynamoDB item, and the limit every DynamoDB table has (400 KB per item,
 * attribute names and values together). Counted as AWS documents it ("Item sizes and formats",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * each attribute's name in UTF-8 bytes plus its value — a String's UTF-8 bytes, a Binary's raw
 * bytes — for the attributes dynamodb-items.ts recordToItem writes. Both stores use it: the
 * DynamoDB store to refuse a row before a write (and in dry runs and pre-checks), the local store
 * to refuse a row no AWS table could ever hold unless told otherwise.
 */
import type { SecretRow } from './types.js';

/** DynamoDB's item size limit: 400 KB (409 600 bytes). */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;

const utf8 = (text: string): number => Buffer.byteLength(text, 'utf8');

/** Bytes `record` takes as the DynamoDB item recordToItem makes of it. */
function dynamoItemBytes(record: SecretRow): number {
  // hmac: B holding the ASCII hex (or S, legacy): the same byte count either way.
  let bytes = utf8('name') + utf8(record.name) + utf8('version') + utf8(record.version) + utf8('key') + utf8(record.key) + utf8('contents') + utf8(record.contents) + utf8('hmac') + utf8(record.hmac);
  if (record.digest !== undefined) bytes += utf8('digest') + utf8(record.digest);
  if (record.comment !== undefined && record.comment !== '') bytes += utf8('comment') + utf8(record.comment);
  if (record.createdAt !== undefined) bytes += utf8('created_at') + utf8(record.createdAt);
  return bytes;
}

/** What keeps `record` out of a DynamoDB table (its size), or undefined. */
export function dynamoItemProblem(record: SecretRow): string | undefined {
  const bytes = dynamoItemBytes(record);
  if (bytes <= DYNAMODB_ITEM_LIMIT_BYTES) return undefined;
  return `secret too large for DynamoDB (400 KB item limit): a row may hold at most ${DYNAMODB_ITEM_LIMIT_BYTES} bytes in all and this one is ${bytes} (the value is stored base64-encoded, 4/3 of its size, with its name, version, wrapped key, HMAC and comment)`;
}
