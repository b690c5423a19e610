/**
 * The backup file format, pure (no I/O): JSON Lines of a header, every stored row exactly as
 * stored (still encrypted — a backup holds no plaintext), and a trailer with the SHA-256 of every
 * byte before it. {@link parseBackup} validates the whole text (checksum, header, every row).
 */
import { IntegrityError, UsageError } from '../../errors.js';
import { sha256Hex } from '../../envelope/primitives.js';
import { isDigestName } from '../../envelope/digests.js';
import type { SecretRow } from '../../secretstore/types.js';
import { oneLine } from '../../format/one-line.js';
import { byNameThenVersion, rowKey } from '../secrets/rows.js';

/** The header's `format`; the trailer's is this plus `-end`. */
export const BACKUP_FORMAT = 'keystash-backup';
/** The one backup format version written and read. */
export const BACKUP_VERSION = 1;

/** Where a backup was made: the store kind and its table (or file). */
export interface BackupSource {
  store: string;
  table: string;
}

/** The first line of a backup. */
export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  source: BackupSource;
  count: number;
}

/** A parsed, validated backup. */
export interface ParsedBackup {
  header: BackupHeader;
  rows: SecretRow[];
}

const ROW_FIELDS = new Set(['name', 'version', 'key', 'contents', 'hmac', 'digest', 'comment', 'createdAt', 'hmacType']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The backup text of `records` (sorted here by name, then version; the array is not modified):
 * header, one line per row with only its stored fields, trailer with the checksum.
 */
export function serialiseBackup(records: readonly SecretRow[], source: BackupSource, now: Date): string {
  const rows = [...records].sort(byNameThenVersion);
  const header: BackupHeader = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(), source, count: rows.length };
  const body = [header, ...rows.map(storedFields)].map((line) => `${JSON.stringify(line)}\n`).join('');
  return `${body}${JSON.stringify({ format: `${BACKUP_FORMAT}-end`, sha256: checksum(body) })}\n`;
}

/** Parse and validate a whole backup; IntegrityError (damaged) or UsageError (not a backup). */
export function parseBackup(text: string): ParsedBackup {
  const trailerStart = text.lastIndexOf('\n', text.length - 2) + 1;
  if (!text.endsWith('\n') || trailerStart <= 0) throw new IntegrityError('not a complete keystash backup (no trailer line); nothing was restored');
  const body = text.slice(0, trailerStart);
  const trailer = parseLine(text.slice(trailerStart, -1), 'the trailer') as { format?: unknown; sha256?: unknown };
  if (trailer.format !== `${BACKUP_FORMAT}-end` || typeof trailer.sha256 !== 'string') throw new IntegrityError('the backup trailer is damaged; nothing was restored');
  if (trailer.sha256 !== checksum(body)) throw new IntegrityError('the backup checksum does not match: the file is damaged or was edited; nothing was restored');
  const lines = body.slice(0, -1).split('\n');
  const header = parseLine(lines[0] ?? '', 'the header') as BackupHeader;
  if (header.format !== BACKUP_FORMAT) throw new UsageError('not a keystash backup (header format)');
  if (header.version !== BACKUP_VERSION) throw new UsageError(`unsupported backup version ${String(header.version)}`);
  const rows = lines.slice(1).map((line, i) => validateRow(parseLine(line, `line ${i + 2}`), i + 2));
  if (rows.length !== header.count) throw new IntegrityError(`the backup header says ${header.count} rows but the file holds ${rows.length}`);
  const seen = new Set<string>();
  for (const row of rows) {
    const id = rowKey(row);
    if (seen.has(id)) throw new IntegrityError(`${oneLine(row.name)} version ${oneLine(row.version)} appears twice in the backup`);
    seen.add(id);
  }
  return { header, rows };
}

function checksum(text: string): string {
  return sha256Hex(text);
}

function storedFields(record: SecretRow): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record)) if (ROW_FIELDS.has(k) && typeof v === 'string') out[k] = v;
  return out;
}

function parseLine(line: string, what: string): unknown {
  try {
    const value: unknown = JSON.parse(line);
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch {
    // reported below
  }
  throw new IntegrityError(`${what} of the backup is not a JSON object; nothing was restored`);
}

function validateRow(value: unknown, line: number): SecretRow {
  const row = value as Record<string, unknown>;
  const bad = (why: string): never => {
    throw new IntegrityError(`line ${line} of the backup: ${why}; nothing was restored`);
  };
  for (const [k, v] of Object.entries(row)) {
    if (!ROW_FIELDS.has(k)) bad(`unknown field '${k}'`);
    if (typeof v !== 'string') bad(`field '${k}' is not a string`);
  }
  const { name, version, key, contents, hmac, digest, hmacType } = row as Record<string, string | undefined>;
  // Every name the store can hold (what backup and migrate copy), not only what put accepts.
  if (name === undefined || name === '') return bad('missing name');
  if (!version || !/^[\x21-\x7e]+$/.test(version)) bad('bad version');
  if (!key || !BASE64.test(key)) bad('bad key');
  if (contents === undefined || !BASE64.test(contents)) bad('bad contents');
  if (!hmac || !/^[0-9a-fA-F]+$/.test(hmac)) bad('bad hmac');
  if (digest !== undefined && !isDigestName(digest)) bad(`unknown digest '${digest}'`);
  if (hmacType !== undefined && hmacType !== 'B' && hmacType !== 'S') bad('bad hmacType');
  return row as unknown as SecretRow;
}
