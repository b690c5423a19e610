/**
 * SecretRow ⇄ DynamoDB item in credstash's layout (docs/format.md §1.2, §7): every
 * attribute S except `hmac`, written as B holding the ASCII bytes of the hex text (credstash ≥
 * 1.13.1) and read as B or legacy S. `created_at` is a keystash extension credstash ignores.
 * A row with missing or wrong-typed attributes becomes an IntegrityError, never a crash.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { IntegrityError } from '../errors.js';
import type { SecretMeta, SecretRow } from './types.js';

/** A DynamoDB item as the low-level client returns it. */
export type DynamoItem = Record<string, AttributeValue>;

const ascii = new TextDecoder('latin1');
const encoder = new TextEncoder();

/** The primary key of one version. */
export function itemKey(name: string, version: string): DynamoItem {
  return { name: { S: name }, version: { S: version } };
}

/** The PutItem `Item` for a record; `hmac` as B unless the record says it was stored as S. */
export function recordToItem(record: SecretRow): DynamoItem {
  const item: DynamoItem = {
    ...itemKey(record.name, record.version),
    key: { S: record.key },
    contents: { S: record.contents },
    hmac: record.hmacType === 'S' ? { S: record.hmac } : { B: encoder.encode(record.hmac) },
  };
  if (record.digest !== undefined) item.digest = { S: record.digest };
  // credstash omits an empty comment (§1.2)
  if (record.comment !== undefined && record.comment !== '') item.comment = { S: record.comment };
  if (record.createdAt !== undefined) item.created_at = { S: record.createdAt };
  return item;
}

/** Decode a full item; `name`/`version` are the requested ones, used in messages when absent. */
export function itemToRecord(item: DynamoItem, name: string, version?: string): SecretRow {
  const rowName = optionalS(item, 'name', name, version) ?? name;
  const rowVersion = requiredS(item, 'version', rowName, version ?? '?');
  const where: [string, string] = [rowName, rowVersion];
  const record: SecretRow = {
    name: rowName,
    version: rowVersion,
    key: requiredS(item, 'key', ...where),
    contents: requiredS(item, 'contents', ...where),
    ...decodeHmac(item, ...where),
  };
  const digest = optionalS(item, 'digest', ...where);
  if (digest !== undefined) record.digest = digest;
  const comment = optionalS(item, 'comment', ...where);
  if (comment !== undefined) record.comment = comment;
  const createdAt = lenientS(item, 'created_at');
  if (createdAt !== undefined) record.createdAt = createdAt;
  return record;
}

/** Decode a projected item (name, version, comment, created_at); extra attributes are lenient. */
export function itemToMeta(item: DynamoItem): SecretMeta {
  const name = requiredS(item, 'name', '?', '?');
  const meta: SecretMeta = { name, version: requiredS(item, 'version', name, '?') };
  const comment = lenientS(item, 'comment');
  if (comment !== undefined) meta.comment = comment;
  const createdAt = lenientS(item, 'created_at');
  if (createdAt !== undefined) meta.createdAt = createdAt;
  return meta;
}

function decodeHmac(item: DynamoItem, name: string, version: string): Pick<SecretRow, 'hmac' | 'hmacType'> {
  const value = item.hmac;
  if (value === undefined) throw malformed(name, version, "missing 'hmac'");
  if (value.B !== undefined) return { hmac: ascii.decode(value.B), hmacType: 'B' };
  if (value.S !== undefined) return { hmac: value.S, hmacType: 'S' };
  throw malformed(name, version, `'hmac' has type ${typeOf(value)}, expected B or S`);
}

function requiredS(item: DynamoItem, attr: string, name: string, version: string): string {
  const value = optionalS(item, attr, name, version);
  if (value === undefined) throw malformed(name, version, `missing '${attr}'`);
  return value;
}

function optionalS(item: DynamoItem, attr: string, name: string, version: string | undefined): string | undefined {
  const value = item[attr];
  if (value === undefined) return undefined;
  if (value.S === undefined) throw malformed(name, version ?? '?', `'${attr}' has type ${typeOf(value)}, expected S`);
  return value.S;
}

function lenientS(item: DynamoItem, attr: string): string | undefined {
  return item[attr]?.S;
}

function typeOf(value: AttributeValue): string {
  return Object.keys(value).find((k) => k !== '$unknown' && (value as unknown as Record<string, unknown>)[k] !== undefined) ?? 'unknown';
}

function malformed(name: string, version: string, what: string): IntegrityError {
  return new IntegrityError(`INTEGRITY ERROR: stored row ${name} version ${version} is malformed: ${what}`);
}
