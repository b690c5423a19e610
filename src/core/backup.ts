/**
 * Backups as JSON Lines: a header, every stored row exactly as stored (still encrypted — a backup
 * holds no plaintext), and a trailer with the SHA-256 of every byte before it. Restore validates
 * the whole file (checksum, header, every row) and the destination (no conflicting rows) before
 * the first write; data keys are re-wrapped when a different key service must read them
 * (decrypt at the source key service, encrypt at the destination's — as migrate.ts does).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { IntegrityError, KeystashError, PartialFailureError, UsageError } from '../errors.js';
import { authenticateFields } from '../envelope/authenticate.js';
import { base64ToBytes, bytesToBase64, bytesToHex, utf8ToBytes } from '../envelope/codec.js';
import { isDigestName } from '../envelope/digests.js';
import type { EncryptionContext, KeyService } from '../envelope/keyservice.js';
import type { SecretRecord } from '../secretstore/types.js';
import { asKeystashError, type BulkProgress } from './bulk.js';
import { mapSettled } from './concurrency.js';
import type { Keystash } from './keystash.js';
import { validateSecretName } from './names.js';
import { compareVersions } from './versions.js';

export const BACKUP_FORMAT = 'keystash-backup';
export const BACKUP_VERSION = 1;

export interface BackupHeader {
  format: typeof BACKUP_FORMAT;
  version: typeof BACKUP_VERSION;
  createdAt: string;
  source: { store: string; table: string };
  count: number;
}

export interface ParsedBackup {
  header: BackupHeader;
  rows: SecretRecord[];
}

const ROW_FIELDS = new Set(['name', 'version', 'key', 'contents', 'hmac', 'digest', 'comment', 'createdAt', 'hmacType']);
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** The backup text of every row of `keystash`'s store, sorted by (name, version). */
export async function createBackup(keystash: Keystash, source: { store: string; table: string }, now: Date = new Date()): Promise<string> {
  const refs: Array<{ name: string; version: string }> = [];
  for await (const meta of keystash.store.listAll()) refs.push({ name: meta.name, version: meta.version });
  refs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : compareVersions(a.version, b.version)));
  const settled = await mapSettled(refs, keystash.concurrency, async (ref) => {
    const record = await keystash.store.getVersion(ref.name, ref.version);
    if (!record) throw new KeystashError(`${ref.name} version ${ref.version} disappeared during the backup`);
    return record;
  });
  const failures = settled.flatMap((s) => (s.ok ? [] : [{ name: s.item.name, error: asKeystashError(s.error) }]));
  if (failures.length > 0) throw new PartialFailureError(`${failures.length} rows could not be read; no backup was written`, failures);
  const header: BackupHeader = { format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: now.toISOString(), source, count: refs.length };
  const body = [header, ...settled.flatMap((s) => (s.ok ? [storedFields(s.value)] : []))].map((line) => `${JSON.stringify(line)}\n`).join('');
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
    const id = `${row.name}\u0000${row.version}`;
    if (seen.has(id)) throw new IntegrityError(`${row.name} version ${row.version} appears twice in the backup`);
    seen.add(id);
  }
  return { header, rows };
}

export interface RestoreOptions {
  /** Re-wrap data keys: decrypt through `from`, encrypt under `keyId` through the destination. */
  rewrap?: { from: KeyService; keyId: string } | undefined;
  context?: EncryptionContext | undefined;
  /** After each row is written (total: the rows not already present). */
  onProgress?: ((progress: BulkProgress) => void) | undefined;
}

export interface RestoreSummary {
  total: number;
  written: number;
  /** Rows already present with identical contents and hmac. */
  skipped: number;
}

/**
 * Write the rows into `dest`'s store. Refuses before any write when a row exists there with
 * different contents. With `rewrap`, each data key is unwrapped under `context` (credstash does
 * not record contexts, so rows bound to different contexts take one restore per context; rows
 * already restored are skipped) and every re-wrapped row is checked through the destination
 * key service (unwrap + HMAC; no value decrypted).
 */
export async function restoreBackup(dest: Keystash, rows: readonly SecretRecord[], options: RestoreOptions = {}): Promise<RestoreSummary> {
  const context = options.context ?? {};
  const existing = await mapSettled(rows, dest.concurrency, (row) => dest.store.getVersion(row.name, row.version));
  const pending: SecretRecord[] = [];
  const conflicts: Array<{ name: string; error: KeystashError }> = [];
  // A destination that cannot be read (missing table, unreachable) is its own error, not a conflict.
  const unreadable = existing.find((s) => !s.ok);
  if (unreadable && !unreadable.ok) throw asKeystashError(unreadable.error);
  for (const s of existing) {
    if (!s.ok) continue;
    if (!s.value) pending.push(s.item);
    else if (s.value.contents !== s.item.contents || s.value.hmac.toLowerCase() !== s.item.hmac.toLowerCase()) {
      conflicts.push({ name: s.item.name, error: new KeystashError(`version ${s.item.version} exists in the destination with different contents`, { code: 'restore.conflict' }) });
    }
  }
  if (conflicts.length > 0) {
    throw new PartialFailureError(`${conflicts.length} rows conflict with the destination; nothing was restored (${oneLine(conflicts)})`, conflicts);
  }
  let done = 0;
  const written = await mapSettled(pending, dest.concurrency, async (row) => {
    try {
      await restoreRow(dest, row, context, options.rewrap);
    } finally {
      options.onProgress?.({ done: ++done, total: pending.length });
    }
  });
  const failures = written.flatMap((s) => (s.ok ? [] : [{ name: `${s.item.name} v${s.item.version}`, error: asKeystashError(s.error) }]));
  if (failures.length > 0) {
    throw new PartialFailureError(`${failures.length} of ${pending.length} rows failed to restore (${oneLine(failures)})`, failures);
  }
  return { total: rows.length, written: pending.length, skipped: rows.length - pending.length };
}

/** Write one row, re-wrapping its data key first when asked; the new wrapping is checked at once. */
async function restoreRow(dest: Keystash, row: SecretRecord, context: EncryptionContext, rewrap: RestoreOptions['rewrap']): Promise<void> {
  if (!rewrap) return dest.store.putVersion(row);
  const record = { ...row, key: await rewrapKey(row.key, rewrap.from, dest.keys, rewrap.keyId, context) };
  await dest.store.putVersion(record);
  // Unwrap through the destination and MAC-check: no value is decrypted.
  const { plaintext } = await dest.keys.decrypt({ ciphertextBlob: base64ToBytes(record.key, 'key'), context });
  try {
    authenticateFields(record, plaintext);
  } finally {
    plaintext.fill(0);
  }
}

async function rewrapKey(key: string, from: KeyService, to: KeyService, keyId: string, context: EncryptionContext): Promise<string> {
  const { plaintext } = await from.decrypt({ ciphertextBlob: base64ToBytes(key, 'key'), context });
  try {
    return bytesToBase64((await to.encrypt({ keyId, plaintext, context })).ciphertextBlob);
  } finally {
    plaintext.fill(0);
  }
}

/** Per-row failures on one line (the CLI prints one error line), the first five in full. */
function oneLine(failures: ReadonlyArray<{ name: string; error: KeystashError }>): string {
  const shown = failures.slice(0, 5).map((f) => `${f.name}: ${f.error.message}`).join('; ');
  return failures.length > 5 ? `${shown}; …` : shown;
}

function checksum(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

function storedFields(record: SecretRecord): Record<string, string> {
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

function validateRow(value: unknown, line: number): SecretRecord {
  const row = value as Record<string, unknown>;
  const bad = (why: string): never => {
    throw new IntegrityError(`line ${line} of the backup: ${why}; nothing was restored`);
  };
  for (const [k, v] of Object.entries(row)) {
    if (!ROW_FIELDS.has(k)) bad(`unknown field '${k}'`);
    if (typeof v !== 'string') bad(`field '${k}' is not a string`);
  }
  const { name, version, key, contents, hmac, digest, hmacType } = row as Record<string, string | undefined>;
  if (name === undefined) return bad('missing name');
  try {
    validateSecretName(name);
  } catch (error) {
    bad((error as Error).message);
  }
  if (!version || !/^[\x21-\x7e]+$/.test(version)) bad('bad version');
  if (!key || !BASE64.test(key)) bad('bad key');
  if (contents === undefined || !BASE64.test(contents)) bad('bad contents');
  if (!hmac || !/^[0-9a-fA-F]+$/.test(hmac)) bad('bad hmac');
  if (digest !== undefined && !isDigestName(digest)) bad(`unknown digest '${digest}'`);
  if (hmacType !== undefined && hmacType !== 'B' && hmacType !== 'S') bad('bad hmacType');
  return row as unknown as SecretRecord;
}
