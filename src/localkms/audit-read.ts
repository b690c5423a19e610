/**
 * Reading the local KMS audit log (audit-log.ts): the rotated files oldest first, then the
 * current one, one record per line. A line that is not a whole record — a torn last line left by
 * a writer killed mid-write on a full disk, or an edit — is skipped and reported, never fatal.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { UsageError } from '../errors.js';
import { lineHash, rotatedFiles } from './audit-log.js';
import type { AuditRecord } from './audit-log.js';

/** A line that could not be read as a record. */
export interface MalformedLine {
  file: string;
  /** 1-based line number in its file. */
  line: number;
  /**
   * `torn` = a fragment left by a writer stopped mid-write (at the end of the file, or followed by
   * the next record, which is recovered); `malformed` = not a record; `chain` = a record whose
   * `prev` names none of the lines just before it (a line removed or edited).
   */
  reason: 'torn' | 'malformed' | 'chain';
}

/** Filters of {@link readAuditLog}. */
export interface AuditQuery {
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
export function recordKeys(record: AuditRecord): string[] {
  const keys: string[] = [];
  if (record.requestParameters.keyId !== undefined) keys.push(record.requestParameters.keyId);
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
export function parseAuditText(text: string, file: string, out: AuditReadResult, query: AuditQuery = {}): void {
  const lines = text.split('\n');
  const last = lines.pop(); // '' when the file ends with a newline
  const recent = new RecentLinks(CHAIN_WINDOW); // links of the lines just before
  lines.forEach((line, i) => {
    let parsed = parseLine(line);
    let glued = false;
    if (!isRecord(parsed)) {
      // A torn fragment with the next record appended right after it: recover the record.
      const start = line.lastIndexOf(RECORD_START);
      parsed = start > 0 ? parseLine(line.slice(start)) : undefined;
      glued = isRecord(parsed);
      out.malformed.push({ file, line: i + 1, reason: glued ? 'torn' : 'malformed' });
    }
    if (isRecord(parsed)) {
      // No link: a file's first lines (another writer's first line may have been in progress), or after a fragment.
      const linked = parsed.prev === undefined ? i <= 1 || glued : recent.has(parsed.prev);
      if (!linked) out.malformed.push({ file, line: i + 1, reason: 'chain' });
      if (matches(parsed, query)) out.records.push(parsed);
    }
    recent.add(lineHash(line));
  });
  if (last !== undefined && last !== '') out.malformed.push({ file, line: lines.length + 1, reason: 'torn' });
}

/** Every record of the log at `path` (rotated files first) that matches `query`. */
export function readAuditLog(path: string, query: AuditQuery = {}): AuditReadResult {
  const out: AuditReadResult = { records: [], malformed: [] };
  for (const file of [...rotatedFiles(path), path]) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    parseAuditText(text, basename(file), out, query);
  }
  return out;
}

const RELATIVE_RE = /^(\d+)([smhd])$/;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO-8601 date/time, or a duration back from `now` (`30m`, `12h`, `7d`). */
export function parseSince(text: string, now: Date): Date {
  const relative = RELATIVE_RE.exec(text);
  if (relative !== null) return new Date(now.getTime() - Number(relative[1]) * UNIT_MS[relative[2]!]!);
  const time = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(time)) throw new UsageError(`--since: '${text.slice(0, 40)}' is neither an ISO date/time (2026-01-31T12:00Z) nor a duration (30m, 12h, 7d)`);
  return new Date(time);
}
