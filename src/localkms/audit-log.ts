/**
 * The local KMS's audit trail: one JSON line per key operation, appended to `kms-audit.jsonl` in
 * the data directory (0600). Field names follow CloudTrail's record where one exists (eventTime,
 * eventName, userIdentity.accessKeyId, sourceIPAddress, requestParameters.keyId, errorCode).
 *
 * Alias operations name the alias (`requestParameters.aliasName`), a resource of its own, beside
 * the target key; only a name of alias shape is copied.
 *
 * Never recorded: plaintext, data keys, ciphertext blobs, encryption-context values (only the
 * context's keys and a SHA-256 over its sorted pairs, to tell two requests' contexts apart).
 *
 * Crash and concurrency safety: each line is written by a single write(2) on a descriptor opened
 * with O_APPEND, so lines from concurrent processes never interleave and a killed writer leaves
 * either a whole line or (at worst, on a full disk or power loss) a torn fragment; the next record
 * is then appended right after the fragment, and the reader (audit-read.ts) recovers the record
 * and reports the fragment. The file is opened at most once per turn of the event loop: appends
 * made in the same turn (a bulk read decrypting a thousand rows, or requests a server handles
 * together) share one descriptor, closed when the turn ends, so a long-running server writes to
 * the current file, also after another process rotated it (lines of a turn that straddles another
 * process's rotation land whole in the rotated file, which is kept). Rotation renames the
 * full file to a unique name (`kms-audit.jsonl.<microseconds>-<random>`), so two processes rotating at once
 * lose nothing. Nothing is ever deleted automatically: removing old files is an explicit operator
 * command ({@link pruneAuditLog}, `kms audit --prune-before`) that first appends a record of what
 * it removes.
 *
 * Hash chain: every record carries the hash of the line before it (`prev`), so `kms audit
 * --verify` finds a line removed or edited in the middle of a file. A file's first record links
 * to the last line of the newest rotated file (`prev` and `prevFile`), and the very first record
 * of a log says so (`start`), so a removed rotated file, a cut rotated file and a missing
 * beginning are found too. Concurrent writers may both
 * link to the same line; the reader accepts a link to any of the lines just before. So the chain
 * alone lets a line copied in again pass (its link, and the next line's, still name recent
 * lines): every record also carries a random `eventID` (CloudTrail's field), and the reader
 * reports an id it has read before, in any file (a replay). Records written before ids carry
 * none and are accepted until the log's first record with one. It is
 * evidence against accidental or careless edits only: anyone who can write the file can rewrite
 * the chain, and cutting lines off the end leaves no trace (SECURITY.md).
 *
 * Kept small and synchronous: it is on the hot path of every local `get`.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { DecryptError, KeystashError, KmsError, kmsExceptionName } from '../errors.js';
import type { EncryptionContext } from '../envelope/keyservice.js';
import { canonicalContext } from './wrapped-key.js';

/** File name of the audit log in the data directory. */
export const AUDIT_FILE = 'kms-audit.jsonl';
/** Rotate once the file would pass this size. */
const AUDIT_MAX_BYTES = 16 * 1024 * 1024;
/** Principal of in-process use (no access key). */
export const LOCAL_PRINCIPAL = 'local';
/** `eventSource` of every record (CloudTrail: `kms.amazonaws.com`). */
const AUDIT_EVENT_SOURCE = 'kms.keystash.local';
/** Bound on any client-supplied string copied into a record. */
const MAX_FIELD = 256;
const MAX_CONTEXT_KEYS = 32;
/** Bound on one encryption-context key copied into a record (longer ones are cut and marked). */
const MAX_CONTEXT_KEY = 64;
/**
 * Bound on one record's line: with the bounds above a record stays well under it (JSON escaping
 * at most doubles a printable character); a record that would not is written without its context
 * keys. The writer reads back more than this from the tail, so it always finds the last line whole.
 */
const MAX_RECORD_BYTES = 8 * 1024;

/** What happened, as the caller of {@link AuditLog.append} knows it. */
export interface AuditEntry {
  /** KMS operation name (`Decrypt`, `DisableKey`, …). */
  eventName: string;
  /** Access key id of the signed request, or `local`. */
  accessKeyId: string;
  /** Client address, or `local`. */
  sourceIPAddress: string;
  /** The key as the request named it (id, ARN, alias or alias ARN). */
  keyId?: string | undefined;
  /**
   * CreateAlias, UpdateAlias, DeleteAlias (and CreateKey with an alias): the alias name the
   * operation creates, moves or deletes — a resource of its own. Recorded only in a valid alias
   * shape ({@link AUDIT_ALIAS_NAME}); any other text is recorded as `aliasNameInvalid`, never copied.
   */
  aliasName?: string | undefined;
  /** The key ARN it resolved to, when known. */
  keyArn?: string | undefined;
  /** Encryption context of the request (only its keys and a hash are written). */
  context?: EncryptionContext | undefined;
  /** `ok`, `denied` (by policy) or `error`. */
  outcome: 'ok' | 'denied' | 'error';
  /** KMS exception name for denied/error outcomes. */
  errorCode?: string | undefined;
  /** ReEncrypt: the key the ciphertext was wrapped under (as found in it), and its ARN. */
  sourceKeyId?: string | undefined;
  sourceKeyArn?: string | undefined;
  /** Summaries and bulk records: what they stand for (numbers, digests, bounded names only). */
  additionalEventData?: AuditEventData | undefined;
}

/** Extra facts of summary and bulk records (CloudTrail's `additionalEventData`). */
interface AuditEventData {
  /** How many requests or operations the record stands for. */
  count?: number;
  /** Bulk in-process command (`getall`, …) and a digest of the sorted names it read. */
  command?: string;
  names?: number;
  namesDigest?: string;
  /** Unauthenticated summaries: the minute the record covers, and a count per error name. */
  minute?: string;
  errorCodes?: Record<string, number>;
  /** `kms audit --prune-before`: the files removed and the link of the last line removed. */
  prunedBefore?: string;
  prunedFiles?: string[];
  prunedLink?: string;
}

/** One line of the log (what {@link AuditLog.append} writes, and the reader returns). */
export interface AuditRecord {
  eventVersion: '1.0';
  eventTime: string;
  /**
   * A random UUID, unique to the record (CloudTrail's `eventID`): a line copied into the log
   * twice (a replayed record) repeats it, which `kms audit --verify` reports. Absent from
   * records written before it was added; once a log has it, every later record must.
   */
  eventID?: string;
  eventSource: string;
  eventName: string;
  userIdentity: { type: 'AccessKey' | 'LocalProcess' | 'Unauthenticated'; accessKeyId: string };
  sourceIPAddress: string;
  requestParameters: { keyId?: string; aliasName?: string; aliasNameInvalid?: true; sourceKeyId?: string; encryptionContextKeys?: string[]; encryptionContextKeysCut?: number; encryptionContextHash?: string };
  resources?: Array<{ type: 'AWS::KMS::Key'; ARN: string }>;
  outcome: 'ok' | 'denied' | 'error';
  errorCode?: string;
  additionalEventData?: AuditEventData;
  /** {@link lineHash} of the line before this one (for a file's first line: the last line of the rotated file before it). */
  prev?: string;
  /** On a file's first line: the rotated file `prev` is in. */
  prevFile?: string;
  /** On the first line of a new log (no file before it). */
  start?: true;
}

/** The KMS exception name for an error thrown by a key operation (a bare name, never its message). */
export function auditErrorCode(err: unknown): string {
  if (err instanceof DecryptError) return 'InvalidCiphertextException';
  if (err instanceof KmsError) return kmsExceptionName(err) ?? 'KMSInternalException';
  if (err instanceof KeystashError) return err.code;
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? printable(type) : 'KMSInternalException';
}

/** An alias name in the shape KMS accepts (`alias/` and 1–250 letters, digits, `/`, `_`, `-`): the only alias text copied into a record. */
export const AUDIT_ALIAS_NAME = /^alias\/[a-zA-Z0-9/_-]{1,250}$/;

/** A bounded, printable copy of a client-supplied string. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_FIELD);
}

/** `sha256:<hex>` over the context's canonical form (wrapped-key.ts canonicalContext), or undefined when empty. */
function contextHash(context: EncryptionContext): string | undefined {
  if (Object.keys(context).length === 0) return undefined;
  return `sha256:${createHash('sha256').update(canonicalContext(context)).digest('hex')}`;
}

/** The record written for an entry at `time`. */
function toAuditRecord(entry: AuditEntry, time: Date): AuditRecord {
  const local = entry.accessKeyId === LOCAL_PRINCIPAL;
  const requestParameters: AuditRecord['requestParameters'] = {};
  if (entry.keyId !== undefined) requestParameters.keyId = printable(entry.keyId);
  if (entry.aliasName !== undefined) {
    if (AUDIT_ALIAS_NAME.test(entry.aliasName)) requestParameters.aliasName = entry.aliasName;
    else requestParameters.aliasNameInvalid = true;
  }
  if (entry.sourceKeyId !== undefined) requestParameters.sourceKeyId = printable(entry.sourceKeyId);
  if (entry.context !== undefined && Object.keys(entry.context).length > 0) {
    const keys = Object.keys(entry.context).sort();
    requestParameters.encryptionContextKeys = keys.slice(0, MAX_CONTEXT_KEYS).map(contextKey);
    const cut = Math.max(0, keys.length - MAX_CONTEXT_KEYS) + keys.slice(0, MAX_CONTEXT_KEYS).filter((k) => contextKey(k) !== k).length;
    if (cut > 0) requestParameters.encryptionContextKeysCut = cut;
    requestParameters.encryptionContextHash = contextHash(entry.context)!;
  }
  const record: AuditRecord = {
    eventVersion: '1.0',
    eventTime: time.toISOString(),
    eventID: randomUUID(),
    eventSource: AUDIT_EVENT_SOURCE,
    eventName: printable(entry.eventName),
    userIdentity: { type: local ? 'LocalProcess' : entry.accessKeyId === UNAUTHENTICATED ? 'Unauthenticated' : 'AccessKey', accessKeyId: printable(entry.accessKeyId) },
    sourceIPAddress: printable(entry.sourceIPAddress),
    requestParameters,
    outcome: entry.outcome,
  };
  const arns = [entry.keyArn, entry.sourceKeyArn].filter((arn): arn is string => arn !== undefined);
  if (arns.length > 0) record.resources = [...new Set(arns)].map((arn) => ({ type: 'AWS::KMS::Key' as const, ARN: printable(arn) }));
  if (entry.errorCode !== undefined) record.errorCode = printable(entry.errorCode);
  if (entry.additionalEventData !== undefined) record.additionalEventData = entry.additionalEventData;
  // Bounded, whatever the context keys held: the next writer must always find this line whole.
  if (JSON.stringify(record).length > MAX_RECORD_BYTES - CHAIN_OVERHEAD) {
    const kept = requestParameters.encryptionContextKeys?.length ?? 0;
    delete requestParameters.encryptionContextKeys;
    requestParameters.encryptionContextKeysCut = (requestParameters.encryptionContextKeysCut ?? 0) + kept;
  }
  return record;
}

/** An encryption-context key as recorded: printable, cut to {@link MAX_CONTEXT_KEY} characters (a cut one ends in `…`). */
function contextKey(key: string): string {
  const safe = printable(key);
  return safe.length > MAX_CONTEXT_KEY ? `${safe.slice(0, MAX_CONTEXT_KEY - 1)}…` : safe;
}

/** Principal of the summaries of requests that failed authentication (no claimed id is copied). */
export const UNAUTHENTICATED = '-';

/** Options of {@link AuditLog}. */
interface AuditLogOptions {
  maxBytes?: number;
  now?: () => Date;
}

const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0);

/** The append-only writer of one audit log file. */
export class AuditLog {
  readonly path: string;
  readonly #maxBytes: number;
  readonly #now: () => Date;
  /** Where this writer's last line ended, in which file, and its link: a bulk run of appends with no other writer in between needs no read-back. */
  #last: { ino: number; end: number; link: string } | undefined;
  /** The descriptor appends of this event-loop turn share, and the immediate that closes it. */
  #held: number | undefined;
  #closer: NodeJS.Immediate | undefined;

  constructor(path: string, options: AuditLogOptions = {}) {
    this.path = path;
    this.#maxBytes = options.maxBytes ?? AUDIT_MAX_BYTES;
    this.#now = options.now ?? (() => new Date());
  }

  /** Append one record; throws KmsError 'kms.audit' when the line cannot be written whole. */
  append(entry: AuditEntry): void {
    const record = toAuditRecord(entry, this.#now());
    try {
      let fd = this.#held ?? this.#open();
      this.#held = undefined; // held again below once the line is written
      try {
        let stat = fstatSync(fd);
        if (stat.size > 0 && stat.size + JSON.stringify(record).length + CHAIN_OVERHEAD > this.#maxBytes) {
          closeSync(fd);
          fd = -1;
          this.#rotate();
          fd = this.#open();
          stat = fstatSync(fd);
        }
        // The file still ends where this writer's last line did: that line is the last one.
        const last = this.#last;
        if (last !== undefined && last.ino === stat.ino && last.end === stat.size) record.prev = last.link;
        else if (stat.size > 0) {
          const prev = lastLineLink(fd, stat.size);
          if (prev !== undefined) record.prev = prev;
        } else Object.assign(record, this.#firstLink());
        const text = JSON.stringify(record);
        const line = Buffer.from(`${text}\n`, 'utf8');
        // One write(2) of the whole line: O_APPEND makes it land after every other writer's line.
        const written = writeSync(fd, line, 0, line.length);
        if (written !== line.length) throw Object.assign(new Error('short write'), { code: 'EIO' });
        // If another writer appended since the fstat, the file is longer than this and the next
        // append reads the tail back.
        this.#last = { ino: stat.ino, end: stat.size + line.length, link: lineHash(line.subarray(0, line.length - 1)) };
        this.#hold(fd);
        fd = -1;
      } finally {
        if (fd >= 0) closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'I/O error';
      throw new KmsError(`cannot append to the KMS audit log ${this.path}: ${code}`, { code: 'kms.audit', cause: err });
    }
  }

  /**
   * Throw KmsError 'kms.audit' unless the log can be opened for appending now: checked before a
   * management change, so a change whose record could not be written is not made.
   */
  checkWritable(): void {
    try {
      const fd = this.#held ?? this.#open();
      if (fd !== this.#held) closeSync(fd);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'I/O error';
      throw new KmsError(`cannot append to the KMS audit log ${this.path}: ${code}`, { code: 'kms.audit', cause: err });
    }
  }

  /** The link of an empty file's first record: the newest rotated file's last line, or `start` for a new log. */
  #firstLink(): Pick<AuditRecord, 'prev' | 'prevFile' | 'start'> {
    const rotated = rotatedFiles(this.path);
    const newest = rotated.at(-1);
    if (newest === undefined) return { start: true };
    const fd = openSync(newest, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      const prev = lastLineLink(fd, fstatSync(fd).size);
      return prev === undefined ? { prevFile: basename(newest) } : { prev, prevFile: basename(newest) };
    } finally {
      closeSync(fd);
    }
  }

  /** Keep `fd` for the other appends of this turn; an immediate (which never keeps the process alive) closes it. */
  #hold(fd: number): void {
    this.#held = fd;
    this.#closer ??= setImmediate(() => {
      this.#closer = undefined;
      const held = this.#held;
      this.#held = undefined;
      if (held !== undefined) closeSync(held);
    }).unref();
  }

  #open(): number {
    try {
      return openSync(this.path, APPEND_FLAGS, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
      return openSync(this.path, APPEND_FLAGS, 0o600);
    }
  }

  #rotate(): void {
    // Microseconds since the epoch (fixed width, so names sort by time) and a random tie-breaker.
    const stamp = String(Math.floor((performance.timeOrigin + performance.now()) * 1000)).padStart(17, '0');
    try {
      renameSync(this.path, `${this.path}.${stamp}-${randomBytes(4).toString('hex')}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another writer rotated first
    }
    // Nothing is removed: history is deleted only by pruneAuditLog, on an operator's command.
  }
}

/** Bytes read back from the end of the file to find its last line: a record ({@link MAX_RECORD_BYTES}) fits in the last. */
const TAIL_BYTES = [2 * 1024, 4 * MAX_RECORD_BYTES];
/** Room for `,"prev":"…"` when deciding to rotate. */
const CHAIN_OVERHEAD = 48;

/**
 * The chain link of a line: the first 128 bits of SHA-256 over its bytes (without the newline),
 * in hex. Each record carries the link of the line before it in the same file (`prev`).
 */
export function lineHash(line: Uint8Array | string): string {
  return createHash('sha256').update(line).digest('hex').slice(0, 32);
}

/**
 * The link of the file's last complete line (the one ending at its last newline), or undefined for
 * a file without one. Bytes after that newline are a line still being written by another process
 * (reads are not serialised against writes) or left torn by a crash; either way not linked to.
 */
function lastLineLink(fd: number, size: number): string | undefined {
  const line = lastLine(fd, size);
  return line === undefined ? undefined : lineHash(line);
}

/** The file's last complete line (without its newline), or undefined (see {@link lastLineLink}). */
function lastLine(fd: number, size: number): Buffer | undefined {
  if (size === 0) return undefined;
  for (const tailBytes of TAIL_BYTES) {
    const length = Math.min(size, tailBytes);
    // Only the bytes read are looked at, so the buffer need not be zeroed first.
    const buffer = Buffer.allocUnsafe(length);
    const tail = buffer.subarray(0, readSync(fd, buffer, 0, length, size - length));
    const end = tail.lastIndexOf(0x0a);
    if (end >= 0) {
      const start = end === 0 ? 0 : tail.lastIndexOf(0x0a, end - 1) + 1;
      if (start > 0 || length === size) return tail.subarray(start, end);
    }
    if (length === size) return undefined; // no complete line in the whole file
  }
  return undefined; // a last line longer than the largest tail: unlinked
}

/** `eventName` of the record `kms audit --prune-before` appends. */
export const PRUNE_EVENT = 'PruneAuditLog';

/**
 * Remove the rotated files of `log` whose last record is older than `before`, oldest first and
 * stopping at the first file kept (what stays is the newest part of the log, still chained). The
 * record of what is removed — names, and the link of the last line removed, which the first kept
 * record points to — is appended first; if it cannot be written, nothing is removed. Returns the
 * names removed. The current file is never removed.
 */
export function pruneAuditLog(log: AuditLog, before: Date): string[] {
  const doomed: Array<{ file: string; link: string | undefined }> = [];
  for (const file of rotatedFiles(log.path)) {
    const fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    let line: Buffer | undefined;
    try {
      line = lastLine(fd, fstatSync(fd).size);
    } finally {
      closeSync(fd);
    }
    const time = line === undefined ? Number.NaN : Date.parse(String((parseJson(line.toString('utf8')) as { eventTime?: unknown } | undefined)?.eventTime));
    if (!(time < before.getTime())) break;
    doomed.push({ file, link: line === undefined ? undefined : lineHash(line) });
  }
  if (doomed.length === 0) return [];
  const names = doomed.map((d) => basename(d.file));
  // The record stays bounded: the first and last names (the last is what the first kept file follows) and the count.
  const listed = names.length > MAX_PRUNED_LISTED ? [...names.slice(0, MAX_PRUNED_LISTED / 2), ...names.slice(-MAX_PRUNED_LISTED / 2)] : names;
  const data: AuditEventData = { prunedBefore: before.toISOString(), prunedFiles: listed, count: names.length };
  const link = doomed.at(-1)!.link;
  if (link !== undefined) data.prunedLink = link;
  log.append({ eventName: PRUNE_EVENT, accessKeyId: LOCAL_PRINCIPAL, sourceIPAddress: LOCAL_PRINCIPAL, outcome: 'ok', additionalEventData: data });
  for (const { file } of doomed) unlinkSync(file);
  return names;
}

/** Names of removed files listed in one prune record (the rest are counted). */
const MAX_PRUNED_LISTED = 40;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Rotated files of the log at `path`, oldest first (their names sort by time). */
export function rotatedFiles(path: string): string[] {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return [];
  }
  return names.filter((n) => n.startsWith(prefix)).sort().map((n) => join(dirname(path), n));
}
