import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { IntegrityError, UsageError } from '../../../src/errors.js';
import { BACKUP_FORMAT, BACKUP_VERSION, parseBackup, serialiseBackup } from '../../../src/core/transfer/backup-file.js';
import type { SecretRow } from '../../../src/secretstore/types.js';

const SOURCE = { store: 'sqlite', table: 'credential-store' };
const NOW = new Date('2026-01-02T03:04:05.000Z');

function row(name: string, version: string, over: Partial<SecretRow> = {}): SecretRow {
  return { name, version, key: 'AQID', contents: 'QUJD', hmac: 'ab'.repeat(32), digest: 'SHA256', ...over };
}

const ROWS = [row('b', '0000000000000000001'), row('a', '10'), row('a', '0000000000000000002', { comment: 'c', createdAt: '2026-01-01T00:00:00Z', hmacType: 'S' })];

/** Recompute the trailer over `body` (a file edited consistently, checksum and all). */
function withTrailer(body: string): string {
  return `${body}${JSON.stringify({ format: `${BACKUP_FORMAT}-end`, sha256: createHash('sha256').update(body, 'utf8').digest('hex') })}\n`;
}

function bodyOf(text: string): string[] {
  return text.split('\n').slice(0, -2);
}

describe('serialiseBackup', () => {
  const text = serialiseBackup(ROWS, SOURCE, NOW);
  const lines = text.split('\n');
  it('writes header, rows sorted by name then numeric version, trailer, each on its own line', () => {
    expect(lines).toHaveLength(ROWS.length + 3);
    expect(lines.at(-1)).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: NOW.toISOString(), source: SOURCE, count: 3 });
    expect(lines.slice(1, 4).map((l) => JSON.parse(l) as SecretRow).map((r) => [r.name, r.version])).toEqual([['a', '0000000000000000002'], ['a', '10'], ['b', '0000000000000000001']]);
    const trailer = JSON.parse(lines[4]!) as { format: string; sha256: string };
    expect(trailer.format).toBe(`${BACKUP_FORMAT}-end`);
    expect(trailer.sha256).toBe(createHash('sha256').update(lines.slice(0, 4).join('\n') + '\n', 'utf8').digest('hex'));
  });
  it('does not reorder the array it is given', () => {
    expect(ROWS.map((r) => r.name)).toEqual(['b', 'a', 'a']);
  });
  it('keeps only stored string fields', () => {
    const extra = { ...row('x', '1'), other: 'no', size: 3 } as unknown as SecretRow;
    const written = JSON.parse(serialiseBackup([extra], SOURCE, NOW).split('\n')[1]!) as Record<string, unknown>;
    expect(Object.keys(written).sort()).toEqual(['contents', 'digest', 'hmac', 'key', 'name', 'version']);
  });
});

describe('parseBackup: valid files', () => {
  it('round-trips every stored field of every row', () => {
    const parsed = parseBackup(serialiseBackup(ROWS, SOURCE, NOW));
    expect(parsed.header).toEqual({ format: BACKUP_FORMAT, version: BACKUP_VERSION, createdAt: NOW.toISOString(), source: SOURCE, count: 3 });
    expect(parsed.rows).toEqual([ROWS[2], ROWS[1], ROWS[0]]);
  });
  it('reads an empty backup', () => {
    expect(parseBackup(serialiseBackup([], SOURCE, NOW))).toEqual({ header: expect.objectContaining({ count: 0 }), rows: [] });
  });
  it.each([
    ['empty contents (an empty secret)', row('a', '1', { contents: '' })],
    ['no digest (legacy row)', row('a', '1', { digest: undefined })],
    ['upper-case hmac', row('a', '1', { hmac: 'AB'.repeat(32) })],
    ['a name put would refuse, the store holds', row('app.*', '1')],
  ])('accepts %s', (_what, r) => {
    expect(parseBackup(serialiseBackup([r], SOURCE, NOW)).rows).toEqual([JSON.parse(JSON.stringify(r))]);
  });
});

describe('parseBackup: refused files', () => {
  const good = serialiseBackup(ROWS, SOURCE, NOW);
  const lines = bodyOf(good);
  const edit = (i: number, change: (value: Record<string, unknown>) => unknown): string =>
    withTrailer(lines.map((l, j) => (j === i ? JSON.stringify(change(JSON.parse(l) as Record<string, unknown>)) : l)).join('\n') + '\n');
  const cases: Array<[string, string, typeof IntegrityError | typeof UsageError, RegExp]> = [
    ['empty text', '', IntegrityError, /no trailer line/],
    ['truncated (no final newline)', good.slice(0, -1), IntegrityError, /no trailer line/],
    ['truncated mid-file', good.slice(0, Math.floor(good.length / 2)), IntegrityError, /no trailer line|not a JSON object|trailer is damaged/],
    ['header only, no trailer', `${lines[0]}\n`, IntegrityError, /no trailer line|not a JSON object|trailer is damaged/],
    ['a row line removed (checksum)', [lines[0], lines[1], lines[2], good.split('\n').at(-2)].join('\n') + '\n', IntegrityError, /checksum does not match/],
    ['one byte of a row changed (checksum)', good.replace('QUJD', 'QUJE'), IntegrityError, /checksum does not match/],
    ['trailer not JSON', `${lines.join('\n')}\nnot json\n`, IntegrityError, /the trailer of the backup is not a JSON object/],
    ['trailer of another format', `${lines.join('\n')}\n{"format":"x","sha256":"00"}\n`, IntegrityError, /trailer is damaged/],
    ['wrong header format', edit(0, (h) => ({ ...h, format: 'other' })), UsageError, /not a keystash backup/],
    ['unsupported version', edit(0, (h) => ({ ...h, version: 2 })), UsageError, /unsupported backup version 2/],
    ['count disagrees with the rows', edit(0, (h) => ({ ...h, count: 4 })), IntegrityError, /header says 4 rows but the file holds 3/],
    ['row not an object', edit(1, () => ['a']), IntegrityError, /line 2 of the backup is not a JSON object/],
    ['unknown row field', edit(1, (r) => ({ ...r, extra: 'x' })), IntegrityError, /line 2 of the backup: unknown field 'extra'/],
    ['non-string field', edit(2, (r) => ({ ...r, version: 1 })), IntegrityError, /line 3 of the backup: field 'version' is not a string/],
    ['missing name', edit(1, ({ name: _n, ...r }) => r), IntegrityError, /missing name/],
    ['bad version', edit(1, (r) => ({ ...r, version: 'a b' })), IntegrityError, /bad version/],
    ['bad key', edit(1, (r) => ({ ...r, key: 'not base64!' })), IntegrityError, /bad key/],
    ['bad contents', edit(1, (r) => ({ ...r, contents: '%%' })), IntegrityError, /bad contents/],
    ['bad hmac', edit(1, (r) => ({ ...r, hmac: 'xyz' })), IntegrityError, /bad hmac/],
    ['unknown digest', edit(1, (r) => ({ ...r, digest: 'SHA3' })), IntegrityError, /unknown digest 'SHA3'/],
    ['bad hmacType', edit(1, (r) => ({ ...r, hmacType: 'N' })), IntegrityError, /bad hmacType/],
    ['the same row twice', edit(2, (r) => ({ ...r, version: '0000000000000000002' })), IntegrityError, /a version 0000000000000000002 appears twice/],
  ];
  it.each(cases)('%s', (_what, text, type, message) => {
    expect(() => parseBackup(text)).toThrow(type);
    expect(() => parseBackup(text)).toThrow(message);
  });
});
