/**
 * Reading the local KMS audit log (audit-log.ts): the rotated files oldest first, then the
 * current one, one record per line. A line that is not a whole record — a torn last line left by
 * a writer killed mid-write on a full disk, or an edit — is skipped and reported, never fatal.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { lineHash, PRUNE_EVENT, rotatedFiles } from './audit-log.js';
import type { AuditRecord } from './audit-log.js';

/** A line that could not be read as a record. */
export interface MalformedLine {
  file: string;
  /** 1-based line number in its file. */
  line: number;
  /**
   * `torn` = a fragment left by a writer stopped mid-write (a crash, not an edit: at the end of
   * the file, or followed by the next record, which is recovered); `malformed` = not a record;
   * `chain` = a record whose `prev` names none of the lines just before it (a line removed or
   * edited); `beginning` = the oldest file's first record links to a line that is not there (the
   * log's first lines or files were removed); `missing-file` = a file's first record follows a
   * rotated file (`detail`) that is gone; `cut` = a file's first record does not follow the last
   * lines of the file before it (`detail`), whose end was cut or edited; `duplicate` = a record
   * whose `eventID` an earlier record already carries (a line copied in again: a replay);
   * `unmarked` = a record without `eventID` after one with it (a log never switches back to the
   * old format: an old line copied in, or an `eventID` removed).
   */
  reason: 'torn' | 'malformed' | 'chain' | 'beginning' | 'missing-file' | 'cut' | 'duplicate' | 'unmarked';
  /** The other file a `missing-file` or `cut` finding is about. */
  detail?: string;
}

/** Across the files of one log: what the previous file ended with, and what pruning removed. */
interface ChainState {
  /** Index of the file being read (0 = the oldest). */
  index: number;
  /** Name and last lines' links of the file before. */
  previous?: { file: string; links: RecentLinks } | undefined;
  /** Links and file names removed by `kms audit --prune-before` (from its records). */
  prunedLinks: Set<string>;
  prunedFiles: Set<string>;
  /** First records not linked inside their file: decided once every file is read. */
  pending: Array<{ file: string; line: number; prev?: string | undefined; prevFile?: string | undefined; first: boolean }>;
  /** Every `eventID` read so far, across the files (a record's own id is unique to it). */
  eventIds: Set<string>;
}

/** Filters of {@link readAuditLog}. */
interface AuditQuery {
  /** Only records at or after this time. */
  since?: Date | undefined;
  /** Only records about one of these keys (as named, or by ARN or bare key id). */
  keys?: readonly string[] | undefined;
}

/** What {@link readAuditLog} found. */
export interface AuditReadResult {
  records: AuditRecord[];
  malformed: MalformedLine[];
}

/**
 * How many lines back a record's `prev` may point. Writers do not lock the file: each reads the
 * last line, then appends, and other processes' lines can land in between (several link to the
 * same line; a writer descheduled there links far back). 8 busy processes on 2 cores were seen
 * to put more than 64 lines in that gap. The window bounds only how far back a link may reach:
 * a removed or edited line still breaks the link of the line written after it.
 */
export const CHAIN_WINDOW = 4096;
/** How every record line begins (audit-log.ts writes `eventVersion` first). */
const RECORD_START = '{"eventVersion":';

function parseLine(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is AuditRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Partial<AuditRecord>;
  return typeof r.eventTime === 'string' && typeof r.eventName === 'string' && typeof r.userIdentity?.accessKeyId === 'string'
    && typeof r.outcome === 'string' && typeof r.requestParameters === 'object';
}

/** The key references of a record: as named, its ARN, and the bare key id of the ARN. */
function recordKeys(record: AuditRecord): string[] {
  const keys: string[] = [];
  if (record.requestParameters.keyId !== undefined) keys.push(record.requestParameters.keyId);
  if (record.requestParameters.aliasName !== undefined) keys.push(record.requestParameters.aliasName);
  if (record.requestParameters.sourceKeyId !== undefined) keys.push(record.requestParameters.sourceKeyId);
  for (const { ARN } of record.resources ?? []) keys.push(ARN, ARN.replace(/^.*:key\//, ''));
  return keys;
}

function matches(record: AuditRecord, query: AuditQuery): boolean {
  if (query.since !== undefined && !(Date.parse(record.eventTime) >= query.since.getTime())) return false;
  if (query.keys !== undefined) {
    const wanted = query.keys;
    if (!recordKeys(record).some((k) => wanted.includes(k))) return false;
  }
  return true;
}

/** The links of the last `size` lines: O(1) to add one and to look one up. */
class RecentLinks {
  readonly #order: string[] = [];
  readonly #counts = new Map<string, number>();
  #start = 0;

  constructor(readonly size: number) {}

  add(link: string): void {
    this.#order.push(link);
    this.#counts.set(link, (this.#counts.get(link) ?? 0) + 1);
    if (this.#order.length - this.#start > this.size) {
      const old = this.#order[this.#start++]!;
      const n = this.#counts.get(old)! - 1;
      if (n === 0) this.#counts.delete(old);
      else this.#counts.set(old, n);
    }
  }

  has(link: string): boolean {
    return this.#counts.has(link);
  }
}

/** Parse one file's text; records and malformed lines are pushed into `out`. */
export function parseAuditText(text: string, file: string, out: AuditReadResult, query: AuditQuery = {}, state?: ChainState): RecentLinks {
  const lines = text.split('\n');
  const last = lines.pop(); // '' when the file ends with a newline
  const recent = new RecentLinks(CHAIN_WINDOW); // links of the lines just before
  const eventIds = state?.eventIds ?? new Set<string>();
  lines.forEach((line, i) => {
    let parsed = parseLine(line);
    let glued = false;
    if (!isRecord(parsed)) {
      // A torn fragment with the next record appended right after it: recover the record.
      const start = line.lastIndexOf(RECORD_START);
      parsed = start > 0 ? parseLine(line.slice(start)) : undefined;
      glued = isRecord(parsed);
      // The oldest file starting in the middle of a line: its beginning was cut off.
      const cutStart = !glued && i === 0 && state?.index === 0 && !line.startsWith(RECORD_START);
      out.malformed.push({ file, line: i + 1, reason: glued ? 'torn' : cutStart ? 'beginning' : 'malformed' });
    }
    if (isRecord(parsed)) {
      const inFile = parsed.prev !== undefined && recent.has(parsed.prev);
      if (!inFile) {
        // A file's first line, or a concurrent writer's first line just after it (written as a first line).
        const firstLine = i === 0 || (i === 1 && (parsed.prev === undefined || parsed.prevFile !== undefined || parsed.start === true));
        if (firstLine && !glued) fileStart(parsed, file, i + 1, out, state);
        // No link after a fragment (the writer found no whole line to link to).
        else if (!(glued && parsed.prev === undefined)) out.malformed.push({ file, line: i + 1, reason: 'chain' });
      }
      // Replay: an id seen before. Records before ids were written carry none; once one does, all do.
      const id = (parsed as { eventID?: unknown }).eventID;
      if (typeof id === 'string') {
        if (eventIds.has(id)) out.malformed.push({ file, line: i + 1, reason: 'duplicate' });
        eventIds.add(id);
      } else if (eventIds.size > 0) out.malformed.push({ file, line: i + 1, reason: 'unmarked' });
      if (parsed.eventName === PRUNE_EVENT && state !== undefined) {
        const data = (parsed as AuditRecord).additionalEventData;
        if (typeof data?.prunedLink === 'string') state.prunedLinks.add(data.prunedLink);
        for (const name of Array.isArray(data?.prunedFiles) ? data.prunedFiles : []) if (typeof name === 'string') state.prunedFiles.add(name);
      }
      if (matches(parsed, query)) out.records.push(parsed);
    }
    recent.add(lineHash(line));
  });
  if (last !== undefined && last !== '') out.malformed.push({ file, line: lines.length + 1, reason: 'torn' });
  return recent;
}

/**
 * A file's first records (a concurrent writer's may be second): linked to the last lines of the
 * file before, or the log's `start`. Records written before files were linked carry neither
 * `prev` nor `start` and are accepted as they were.
 */
function fileStart(record: AuditRecord, file: string, line: number, out: AuditReadResult, state: ChainState | undefined): void {
  if (record.prev === undefined && record.prevFile === undefined) {
    if (record.start === true && state !== undefined && state.index > 0) out.malformed.push({ file, line, reason: 'chain' });
    return; // a new log's first record (or one written before files were linked)
  }
  if (state === undefined) {
    if (record.prev !== undefined) out.malformed.push({ file, line, reason: 'chain' });
    return;
  }
  if (record.prev !== undefined && state.previous?.links.has(record.prev) === true) return;
  state.pending.push({ file, line, prev: record.prev, prevFile: record.prevFile, first: state.index === 0 });
}

/** Decide the pending first records once every file (and every prune record) is read. */
function settleStarts(state: ChainState, files: ReadonlySet<string>, out: AuditReadResult): void {
  for (const p of state.pending) {
    if ((p.prev !== undefined && state.prunedLinks.has(p.prev)) || (p.prevFile !== undefined && state.prunedFiles.has(p.prevFile))) continue;
    if (p.prevFile !== undefined && !files.has(p.prevFile)) out.malformed.push({ file: p.file, line: p.line, reason: 'missing-file', detail: p.prevFile });
    else if (p.first) out.malformed.push({ file: p.file, line: p.line, reason: 'beginning' });
    else if (p.prevFile !== undefined) out.malformed.push({ file: p.file, line: p.line, reason: 'cut', detail: p.prevFile });
    else out.malformed.push({ file: p.file, line: p.line, reason: 'chain' });
  }
}

/** Every record of the log at `path` (rotated files first) that matches `query`. */
export function readAuditLog(path: string, query: AuditQuery = {}): AuditReadResult {
  const out: AuditReadResult = { records: [], malformed: [] };
  const state: ChainState = { index: 0, prunedLinks: new Set(), prunedFiles: new Set(), pending: [], eventIds: new Set() };
  const seen = new Set<string>();
  for (const file of [...rotatedFiles(path), path]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    const links = parseAuditText(text, basename(file), out, query, state);
    seen.add(basename(file));
    state.previous = { file: basename(file), links };
    state.index++;
  }
  settleStarts(state, seen, out);
  return out;
}

const RELATIVE_RE = /^(\d+)([smhd])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since` (or `--prune-before`, named by `option`): an ISO-8601 date/time, or a duration back
 * from `now` (`30m`, `12h`, `7d`). The refused text is not quoted: it may be a secret typed there.
 */
export function parseSince(text: string, now: Date, option = '--since'): Date {
  const relative = RELATIVE_RE.exec(text);
  if (relative !== null) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`${option}: the value given (not shown, in case it is the secret) is neither an ISO date/time (2026-01-31T12:00Z) nor a duration (30m, 12h, 7d)`);
  return new Date(time);
}
