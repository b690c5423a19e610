/**
 * Two audit findings (2026-12):
 *   - a record copied into the log a second time (a replay) must be a `--verify` finding: every
 *     record carries a random `eventID`, and the reader reports an id it has already read; logs
 *     written before ids were added still read clean, and a log never switches back to id-less
 *     records;
 *   - alias operations name the alias (requestParameters.aliasName), in alias shape only, allowed
 *     or denied, in-process or served, and a query by the alias finds them.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, lineHash, rotatedFiles, type AuditEntry, type AuditRecord } from '../../../src/localkms/audit-log.js';
import { readAuditLog } from '../../../src/localkms/audit-read.js';
import { recordRequest, targetKeyArn } from '../../../src/kmsserver/audit-record.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-audit-ids-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function freshLog(): string {
  const sub = join(dir, `log-${n++}`);
  mkdirSync(sub);
  return join(sub, 'kms-audit.jsonl');
}

const entry = (i: number): AuditEntry => ({ eventName: 'Decrypt', accessKeyId: 'local', sourceIPAddress: 'local', keyId: `key-${i}`, outcome: 'ok' });

function write(path: string, count: number): string[] {
  const log = new AuditLog(path);
  for (let i = 0; i < count; i++) log.append(entry(i));
  return readFileSync(path, 'utf8').slice(0, -1).split('\n');
}

/** A record as the previous version wrote it: no eventID. */
function oldRecord(i: number, prev: string | undefined): string {
  return JSON.stringify({
    eventVersion: '1.0', eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), eventSource: 'kms.keystash.local', eventName: 'Decrypt',
    userIdentity: { type: 'LocalProcess', accessKeyId: 'local' }, sourceIPAddress: 'local', requestParameters: { keyId: `key-${i}` }, outcome: 'ok',
    ...(prev === undefined ? { start: true } : { prev }),
  });
}

describe('a replayed (duplicated) record', () => {
  it('copying line 12 so it appears twice is a finding (it passed --verify before)', () => {
    const path = freshLog();
    const lines = write(path, 20);
    expect(readAuditLog(path).malformed).toEqual([]);
    const copied = [...lines.slice(0, 12), lines[11]!, ...lines.slice(12)];
    writeFileSync(path, `${copied.join('\n')}\n`);
    expect(readAuditLog(path).malformed).toEqual([{ file: 'kms-audit.jsonl', line: 13, reason: 'duplicate' }]);
    // Copied to the end of the file, far from the line it links to, too.
    writeFileSync(path, `${[...lines, lines[3]!].join('\n')}\n`);
    expect(readAuditLog(path).malformed).toEqual([{ file: 'kms-audit.jsonl', line: 21, reason: 'duplicate' }]);
  });

  it('a record of a rotated file copied into the current one is a finding', () => {
    const path = freshLog();
    const log = new AuditLog(path, { maxBytes: 2048 });
    for (let i = 0; i < 30; i++) log.append(entry(i));
    const rotated = rotatedFiles(path);
    expect(rotated.length).toBeGreaterThan(0);
    expect(readAuditLog(path).malformed).toEqual([]);
    const old = readFileSync(rotated[0]!, 'utf8').split('\n')[2]!;
    const current = readFileSync(path, 'utf8');
    writeFileSync(path, `${current}${old}\n`);
    const findings = readAuditLog(path).malformed;
    expect(findings).toContainEqual({ file: 'kms-audit.jsonl', line: current.split('\n').length, reason: 'duplicate' });
  });

  it('every record has its own eventID', () => {
    const records = write(freshLog(), 50).map((l) => JSON.parse(l) as AuditRecord);
    expect(new Set(records.map((r) => r.eventID)).size).toBe(50);
    for (const r of records) expect(r.eventID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('a log the previous version wrote (no eventID) still verifies, and the new writer continues it', () => {
    const path = freshLog();
    const old: string[] = [];
    for (let i = 0; i < 5; i++) old.push(oldRecord(i, i === 0 ? undefined : lineHash(old[i - 1]!)));
    writeFileSync(path, `${old.join('\n')}\n`);
    expect(readAuditLog(path).malformed).toEqual([]);
    write(path, 3);
    const result = readAuditLog(path);
    expect(result.malformed).toEqual([]);
    expect(result.records).toHaveLength(8);
  });

  it('a record without eventID after one with it is a finding (an old line copied in, or its id removed)', () => {
    const path = freshLog();
    const lines = write(path, 6);
    const stripped = JSON.stringify({ ...(JSON.parse(lines[4]!) as AuditRecord), eventID: undefined });
    writeFileSync(path, `${[...lines.slice(0, 4), stripped, lines[5]!].join('\n')}\n`);
    const reasons = readAuditLog(path).malformed.map((m) => `${m.line}:${m.reason}`);
    expect(reasons).toContain('5:unmarked');
  });

  it('a torn last line ended by the next writer stays a crash, not a replay', () => {
    const path = freshLog();
    const lines = write(path, 4);
    writeFileSync(path, `${lines.join('\n')}\n${lines[3]!.slice(0, 40)}`);
    write(path, 1);
    expect(readAuditLog(path).malformed).toEqual([{ file: 'kms-audit.jsonl', line: 5, reason: 'torn' }]);
  });
});

describe('alias operations name the alias', () => {
  it('the record carries aliasName in alias shape, and a query by the alias finds it', () => {
    const path = freshLog();
    const log = new AuditLog(path);
    log.append({ eventName: 'CreateAlias', accessKeyId: 'local', sourceIPAddress: 'local', keyId: 'alias/credstash', aliasName: 'alias/newname', outcome: 'ok' });
    log.append({ eventName: 'CreateAlias', accessKeyId: 'local', sourceIPAddress: 'local', keyId: 'alias/credstash', aliasName: 'alias/\u0007bad name', outcome: 'error', errorCode: 'ValidationException' });
    const { records } = readAuditLog(path);
    expect(records[0]!.requestParameters).toEqual({ keyId: 'alias/credstash', aliasName: 'alias/newname' });
    expect(records[1]!.requestParameters).toEqual({ keyId: 'alias/credstash', aliasNameInvalid: true });
    expect(readFileSync(path, 'utf8')).not.toContain('bad name');
    expect(readAuditLog(path, { keys: ['alias/newname'] }).records.map((r) => r.eventName)).toEqual(['CreateAlias']);
  });

  it('a served CreateAlias a manager was refused names the alias it tried, not only the target', () => {
    const path = freshLog();
    const log = new AuditLog(path);
    const req = { socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    recordRequest(log, req, { op: 'CreateAlias', accessKeyId: 'AKIAMANAGER', input: { AliasName: 'alias/a', TargetKeyId: 'alias/b' } }, 'AccessDeniedException');
    recordRequest(log, req, { op: 'DeleteAlias', accessKeyId: 'AKIAMANAGER', input: { AliasName: 'arn:aws:kms:us-east-1:000000000000:alias/c' } }, 'AccessDeniedException');
    recordRequest(log, req, { op: 'UpdateAlias', accessKeyId: 'AKIAMANAGER', input: { AliasName: 'not an alias\n', TargetKeyId: 'alias/b' } }, 'ValidationException');
    const { records } = readAuditLog(path);
    expect(records.map((r) => [r.eventName, r.outcome, r.requestParameters.aliasName ?? (r.requestParameters.aliasNameInvalid && 'invalid')])).toEqual([
      ['CreateAlias', 'denied', 'alias/a'],
      ['DeleteAlias', 'denied', 'alias/c'],
      ['UpdateAlias', 'error', 'invalid'],
    ]);
    expect(records[0]!.requestParameters.keyId).toBe('alias/b');
    expect(readAuditLog(path, { keys: ['alias/a'] }).records).toHaveLength(1);
  });

  it('a served management request that answers no key records the ARN of the key it named, allowed or denied', async () => {
    const arn = 'arn:aws:kms:us-east-1:000000000000:key/0b9f7c1e-8c4e-4d55-9d0a-2f3b4c5d6e7f';
    const kms = { describeKey: async (ref: string) => { if (ref !== 'alias/managed') throw new Error('NotFound'); return { arn }; } };
    expect(await targetKeyArn(kms, 'DisableKey', { KeyId: 'alias/managed' })).toBe(arn);
    expect(await targetKeyArn(kms, 'DeleteAlias', { AliasName: 'alias/managed' })).toBe(arn);
    expect(await targetKeyArn(kms, 'CreateAlias', { AliasName: 'alias/x', TargetKeyId: 'alias/managed' })).toBe(arn);
    expect(await targetKeyArn(kms, 'DisableKey', { KeyId: 'alias/gone' })).toBeUndefined();
    expect(await targetKeyArn(kms, 'Decrypt', { KeyId: 'alias/managed' })).toBeUndefined();
    const path = freshLog();
    const req = { socket: { remoteAddress: '127.0.0.1' } } as unknown as IncomingMessage;
    recordRequest(new AuditLog(path), req, { op: 'DisableKey', accessKeyId: 'AKIAMANAGER', input: { KeyId: 'alias/managed' }, output: {}, keyArn: arn }, 'AccessDeniedException');
    expect(readAuditLog(path, { keys: ['0b9f7c1e-8c4e-4d55-9d0a-2f3b4c5d6e7f'] }).records.map((r) => [r.eventName, r.outcome])).toEqual([['DisableKey', 'denied']]);
  });
});
