/**
 * The hash chain of the audit log as the reader checks it (parseAuditText): a record's `prev`
 * must be the link of one of the CHAIN_WINDOW lines before it. Writers take no lock, so with many
 * concurrent processes a record may link far back; a removed or edited line is still found.
 */
import { describe, expect, it } from 'vitest';
import { lineHash } from '../../../src/localkms/audit-log.js';
import { CHAIN_WINDOW, parseAuditText, type AuditReadResult } from '../../../src/localkms/audit-read.js';

function record(i: number, prev?: string): string {
  return JSON.stringify({
    eventVersion: '1.0',
    eventTime: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    eventName: 'Decrypt',
    userIdentity: { type: 'LocalProcess', accessKeyId: 'local' },
    sourceIPAddress: 'local',
    requestParameters: { keyId: `key-${i}` },
    outcome: 'ok',
    ...(prev === undefined ? {} : { prev }),
  });
}

/** `count` lines, each linked to the line before, then one more linked `back` lines back. */
function logWithLateLink(count: number, back: number, prevOf?: (lines: string[]) => string): { text: string; lines: string[] } {
  const lines: string[] = [];
  for (let i = 0; i < count; i++) lines.push(record(i, i === 0 ? undefined : lineHash(lines[i - 1]!)));
  lines.push(record(count, prevOf ? prevOf(lines) : lineHash(lines[count - back]!)));
  return { text: `${lines.join('\n')}\n`, lines };
}

function parse(text: string): AuditReadResult {
  const out: AuditReadResult = { records: [], malformed: [] };
  parseAuditText(text, 'kms-audit.jsonl', out);
  return out;
}

describe('audit log hash chain (reader)', () => {
  it.each([
    ['the line just before', 1],
    ['a line 65 back (a writer descheduled while 8 others appended)', 65],
    ['a line 1000 back', 1000],
    ['the oldest line the window covers', CHAIN_WINDOW],
  ])('accepts a link to %s', (_what, back) => {
    const { text, lines } = logWithLateLink(Math.max(back, 2), back);
    const result = parse(text);
    expect(result.malformed).toEqual([]);
    expect(result.records).toHaveLength(lines.length);
  });

  it('refuses a link further back than the window', () => {
    const { lines, text } = logWithLateLink(CHAIN_WINDOW + 1, CHAIN_WINDOW + 1);
    expect(parse(text).malformed).toEqual([{ file: 'kms-audit.jsonl', line: lines.length, reason: 'chain' }]);
  });

  it('refuses a link to no line at all, and finds a removed line', () => {
    const unknown = logWithLateLink(10, 1, () => lineHash('a line that is not in the log'));
    expect(parse(unknown.text).malformed).toEqual([{ file: 'kms-audit.jsonl', line: 11, reason: 'chain' }]);
    const { lines } = logWithLateLink(10, 1);
    const removed = [...lines.slice(0, 4), ...lines.slice(5)];
    expect(parse(`${removed.join('\n')}\n`).malformed).toEqual([{ file: 'kms-audit.jsonl', line: 5, reason: 'chain' }]);
  });
});
