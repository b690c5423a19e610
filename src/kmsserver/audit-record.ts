/**
 * The audit record of one authenticated request to the local KMS server (audit-log.ts writes
 * it): operation (a known name, else `other`), verified access key id, client address, the key
 * used (for Decrypt the key inside the ciphertext blob; for ReEncrypt the destination and the
 * source) and their ARNs, the encryption context's keys (never its values), outcome and KMS error
 * name. Requests that fail authentication are only counted ({@link UnauthenticatedSummary}).
 */
import type { IncomingMessage } from 'node:http';
import { UNAUTHENTICATED } from '../localkms/audit-log.js';
import type { AuditLog } from '../localkms/audit-log.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { aliasNameOf } from '../localkms/keyring-format.js';
import { parseWrappedKeyHeader } from '../localkms/wrapped-key.js';
import type { JsonObject } from './protocol.js';
import { findOperation } from './operations.js';
import { keyMembersOf } from './principals.js';

/** What the server learned about a request while serving it. */
interface RequestFacts {
  op: string;
  accessKeyId?: string | undefined;
  /** The ARN of the key a management request names, resolved before it ran ({@link targetKeyArn}). */
  keyArn?: string | undefined;
  /** UpdateAlias: the ARN of the key it moves the alias to ({@link newAliasTargetArn}). */
  newTargetArn?: string | undefined;
  input?: JsonObject | undefined;
  output?: JsonObject | undefined;
}

/** Error names that mean "refused": by policy, or because the caller is not who it claims. */
const DENIALS = new Set(['AccessDeniedException', 'UnrecognizedClientException', 'InvalidSignatureException', 'IncompleteSignatureException']);

function stringMember(members: JsonObject | undefined, name: string): string | undefined {
  const value = members?.[name];
  return typeof value === 'string' ? value : undefined;
}

/** The key id inside a request's ciphertext blob, if it has one that parses. */
function blobKey(input: JsonObject | undefined): string | undefined {
  const blob = stringMember(input, 'CiphertextBlob');
  if (blob === undefined) return undefined;
  try {
    return parseWrappedKeyHeader(new Uint8Array(Buffer.from(blob, 'base64'))).keyId;
  } catch {
    return undefined;
  }
}

/**
 * The key a request is about: for Decrypt the key inside the ciphertext (the one used, whatever
 * KeyId the client sent), else KeyId-like members, else the blob's key.
 */
function requestedKey(op: string, input: JsonObject | undefined): string | undefined {
  if (op === 'Decrypt') return blobKey(input) ?? stringMember(input, 'KeyId');
  // Only the members the operation uses: CreateKey names no key (its record takes the new key from
  // the answer), whatever KeyId a client added.
  for (const member of keyMembersOf(op)) {
    const value = stringMember(input, member);
    if (value !== undefined) return value;
  }
  return op === 'ReEncrypt' ? blobKey(input) : undefined;
}

/** Operations whose AliasName is a resource of its own: their records name it (validated by audit-log.ts). */
const ALIAS_OPERATIONS: ReadonlySet<string> = new Set(['CreateAlias', 'UpdateAlias', 'DeleteAlias']);

/** The alias name an alias operation names (an alias ARN by its name); audit-log.ts records it only in alias shape. */
function requestedAlias(input: JsonObject | undefined): string {
  const name = stringMember(input, 'AliasName') ?? '';
  return aliasNameOf(name) ?? name;
}

/** Management operations whose answer names no key: their record takes the key's ARN resolved before they run. */
const RESOLVED_OPERATIONS: ReadonlySet<string> = new Set([
  'EnableKey', 'DisableKey', 'EnableKeyRotation', 'DisableKeyRotation', 'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ReplicateKey',
]);

/**
 * The ARN of the key a management request names (the key its record's `keyId` names: an alias
 * operation's target, UpdateAlias's and DeleteAlias's alias's current target), resolved before
 * the request is authorized and run, so its record — allowed, denied or failed — is found by
 * `kms audit --key` under the key's id or ARN whatever name the request used. Undefined for
 * other operations and for a key that is not there.
 */
export async function targetKeyArn(kms: { describeKey(keyId: string): Promise<{ arn: string }> }, op: string, input: JsonObject): Promise<string | undefined> {
  return RESOLVED_OPERATIONS.has(op) ? arnOfKey(kms, requestedKey(op, input)) : undefined;
}

/** The ARN of the key `ref` names, or undefined when there is none (or no such key). */
async function arnOfKey(kms: { describeKey(keyId: string): Promise<{ arn: string }> }, ref: string | undefined): Promise<string | undefined> {
  if (ref === undefined) return undefined;
  try {
    return (await kms.describeKey(ref)).arn;
  } catch {
    return undefined;
  }
}

/** UpdateAlias: the ARN of the key its TargetKeyId names (the alias's new target), resolved before it runs. */
export async function newAliasTargetArn(kms: { describeKey(keyId: string): Promise<{ arn: string }> }, op: string, input: JsonObject): Promise<string | undefined> {
  return op === 'UpdateAlias' ? arnOfKey(kms, stringMember(input, 'TargetKeyId')) : undefined;
}

/** An operation name as recorded: one the server knows, else `other` (never a client's text). */
function knownOperation(op: string): string {
  return op !== '' && findOperation(op) !== undefined ? op : 'other';
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

/**
 * Append the record of one authenticated request (`facts.accessKeyId` verified); throws KmsError
 * 'kms.audit' when it cannot be written. Requests that fail authentication are only counted
 * ({@link UnauthenticatedSummary}).
 */
export function recordRequest(audit: AuditLog, req: IncomingMessage, facts: RequestFacts, errorCode: string | undefined): void {
  const op = knownOperation(facts.op);
  const sourceArn = stringMember(facts.output, 'SourceKeyId');
  audit.append({
    eventName: op,
    accessKeyId: facts.accessKeyId ?? UNAUTHENTICATED,
    sourceIPAddress: req.socket.remoteAddress ?? '-',
    keyId: requestedKey(op, facts.input),
    // Allowed or denied: the alias name it created, moved or deleted, or tried to (a missing or
    // non-string AliasName is recorded as invalid; the text is copied only in alias shape).
    aliasName: ALIAS_OPERATIONS.has(op) ? requestedAlias(facts.input) : undefined,
    // UpdateAlias: the key the alias now points at, and (as the source) the one it pointed at.
    keyArn: answeredArn(facts.output) ?? facts.newTargetArn ?? facts.keyArn,
    // ReEncrypt: the key the ciphertext was under, as well as the destination.
    sourceKeyId: op === 'ReEncrypt' ? blobKey(facts.input) ?? stringMember(facts.input, 'SourceKeyId') : undefined,
    sourceKeyArn: sourceArn?.startsWith('arn:') ? sourceArn : facts.newTargetArn !== undefined ? facts.keyArn : undefined,
    context: contextOf(facts.input),
    outcome: errorCode === undefined ? 'ok' : DENIALS.has(errorCode) ? 'denied' : 'error',
    errorCode,
  });
}

/**
 * Source addresses with a record of their own per minute; requests from any further address share
 * one `other` record, which counts the addresses too. Small on purpose: a client on the host may
 * send from any of loopback's 2^24 addresses (127.0.0.0/8), so records per minute stay at most
 * MAX_SOURCES + 1 however many it uses.
 */
const MAX_SOURCES = 16;
/** Distinct addresses the `other` record counts exactly (memory bound); beyond, it says "at least". */
const MAX_COUNTED_OTHERS = 65_536;
const ERROR_NAME = /^[A-Za-z]{1,64}$/;

/**
 * Requests that failed authentication (bad or missing signature, unknown access key, a body over
 * the cap before the signature could be checked): nothing they claim is trusted, so they are not
 * recorded one by one — a flood of them must never push authenticated records out. One record per
 * source address and minute holds their count and a count per error name, written when the minute
 * ends (a timer that never keeps the process alive) or at {@link flush} (server shutdown). No
 * claimed access key id or operation name is copied.
 */
export class UnauthenticatedSummary {
  readonly #audit: AuditLog;
  readonly #now: () => number;
  readonly #onError: (err: unknown) => void;
  /** minute → address → counts. */
  readonly #minutes = new Map<number, Map<string, { count: number; errorCodes: Record<string, number> }>>();
  /** minute → the distinct addresses folded into its `other` record (bounded). */
  readonly #others = new Map<number, Set<string>>();
  #timer: NodeJS.Timeout | undefined;

  constructor(audit: AuditLog, options: { now?: () => number; onError?: (err: unknown) => void } = {}) {
    this.#audit = audit;
    this.#now = options.now ?? Date.now;
    this.#onError = options.onError ?? (() => {});
  }

  /** Count one unauthenticated request from `address` that was answered with `errorCode`. */
  note(address: string | undefined, errorCode: string): void {
    const minute = Math.floor(this.#now() / 60_000);
    this.#flushBefore(minute);
    let sources = this.#minutes.get(minute);
    if (sources === undefined) this.#minutes.set(minute, (sources = new Map()));
    let source = address ?? '-';
    if (!sources.has(source) && sources.size >= MAX_SOURCES) {
      let others = this.#others.get(minute);
      if (others === undefined) this.#others.set(minute, (others = new Set()));
      if (others.size < MAX_COUNTED_OTHERS) others.add(source);
      source = 'other';
    }
    let counts = sources.get(source);
    if (counts === undefined) sources.set(source, (counts = { count: 0, errorCodes: Object.create(null) as Record<string, number> }));
    counts.count++;
    const name = ERROR_NAME.test(errorCode) ? errorCode : 'other';
    counts.errorCodes[name] = (counts.errorCodes[name] ?? 0) + 1;
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      this.#flushBefore(Math.floor(this.#now() / 60_000));
    }, (minute + 1) * 60_000 - this.#now() + 10).unref();
  }

  /** Write every pending summary (at shutdown). */
  flush(): void {
    this.#flushBefore(Number.POSITIVE_INFINITY);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #flushBefore(minute: number): void {
    for (const [m, sources] of this.#minutes) {
      if (m >= minute) continue;
      this.#minutes.delete(m);
      const others = this.#others.get(m)?.size ?? 0;
      this.#others.delete(m);
      for (const [address, { count, errorCodes }] of sources) {
        // The `other` record says how many addresses it stands for ("65536+" past the bound).
        const addresses = address === 'other' ? { addresses: others >= MAX_COUNTED_OTHERS ? `${MAX_COUNTED_OTHERS}+` : others } : {};
        try {
          this.#audit.append({
            eventName: 'UnauthenticatedRequests',
            accessKeyId: UNAUTHENTICATED,
            sourceIPAddress: address,
            outcome: 'denied',
            additionalEventData: { count, minute: new Date(m * 60_000).toISOString().slice(0, 16) + 'Z', errorCodes: { ...errorCodes }, ...addresses },
          });
        } catch (err) {
          this.#onError(err);
        }
      }
    }
  }
}
