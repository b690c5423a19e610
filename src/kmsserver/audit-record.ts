/**
 * The audit record of one request to the local KMS server (audit-log.ts writes it): operation,
 * signing access key id (for a failed signature the one claimed), client address, the key as
 * named (or, for Decrypt/ReEncrypt, the key inside the ciphertext blob) and its ARN, the
 * encryption context's keys (never its values), outcome and KMS error name.
 */
import type { IncomingMessage } from 'node:http';
import type { AuditLog } from '../localkms/audit-log.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { parseWrappedKeyHeader } from '../localkms/wrapped-key.js';
import type { JsonObject } from './protocol.js';

/** What the server learned about a request while serving it. */
export interface RequestFacts {
  op: string;
  accessKeyId?: string | undefined;
  input?: JsonObject | undefined;
  output?: JsonObject | undefined;
}

/** Error names that mean "refused": by policy, or because the caller is not who it claims. */
const DENIALS = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException']);

function stringMember(members: JsonObject | undefined, name: string): string | undefined {
  const value = members?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The key a request names: KeyId-like members first, else the key id in its ciphertext blob. */
function requestedKey(input: JsonObject | undefined): string | undefined {
  for (const member of ['KeyId', 'TargetKeyId', 'DestinationKeyId', 'AliasName']) {
    const value = stringMember(input, member);
    if (value !== undefined) return value;
  }
  const blob = stringMember(input, 'CiphertextBlob');
  if (blob === undefined) return undefined;
  try {
    return parseWrappedKeyHeader(new Uint8Array(Buffer.from(blob, 'base64'))).keyId;
  } catch {
    return undefined;
  }
}

/** The key ARN an answer names. */
function answeredArn(output: JsonObject | undefined): string | undefined {
  const meta = output?.['KeyMetadata'];
  const nested = typeof meta === 'object' && meta !== null ? stringMember(meta as JsonObject, 'Arn') : undefined;
  const arn = nested ?? stringMember(output, 'KeyId');
  return arn?.startsWith('arn:') ? arn : undefined;
}

/** Every context pair of a request (ReEncrypt's source and destination together); values are only hashed. */
function contextOf(input: JsonObject | undefined): EncryptionContext | undefined {
  let merged: Record<string, string> | undefined;
  for (const member of ['EncryptionContext', 'SourceEncryptionContext', 'DestinationEncryptionContext']) {
    const value = input?.[member];
    if (typeof value !== 'object' || value === null || Array.isArray(value)) continue;
    for (const [k, v] of Object.entries(value as JsonObject)) {
      if (typeof v === 'string') (merged ??= {})[k] = v;
    }
  }
  return merged;
}

/** Append the record of one request; throws KmsError 'kms.audit' when it cannot be written. */
export function recordRequest(audit: AuditLog, req: IncomingMessage, facts: RequestFacts, errorCode: string | undefined): void {
  audit.append({
    eventName: facts.op || '-',
    accessKeyId: facts.accessKeyId ?? '-',
    sourceIPAddress: req.socket.remoteAddress ?? '-',
    keyId: requestedKey(facts.input),
    keyArn: answeredArn(facts.output),
    context: contextOf(facts.input),
    outcome: errorCode === undefined ? 'ok' : DENIALS.has(errorCode) ? 'denied' : 'error',
    errorCode,
  });
}
