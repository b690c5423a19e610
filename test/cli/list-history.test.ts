/**
 * `list` and `history`: one line per version whatever a comment holds (shown escaped); `--json`
 * keeps the comment exactly. In-process against a temporary home.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';
import { rawDb } from '../helpers/sqlite.js';

const h = inProcessHome();
afterAll(() => h.cleanup());

describe('list and history: one line per version whatever the comment holds', () => {
  it('a newline or escape sequence in a comment is shown escaped', async () => {
    expect((await h.run(['put', 'qa.c', 'v1', '-c', 'first\nline\u001b[31m'])).code).toBe(0);
    expect((await h.run(['put', 'qa.c', 'v2', '-c', 'ok'])).code).toBe(0);
    const list = await h.run(['list']);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^qa\.c -- version 0000000000000000001 -- comment first\\nline\\u001b\[31m -- created \S+$/);
    expect(lines[1]).toMatch(/^qa\.c -- version 0000000000000000002 -- comment ok -- created \S+$/);
    const history = await h.run(['history', 'qa.c']);
    expect(history.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(history.stdout).toContain('first\\nline\\u001b[31m');
    // --json keeps the comment exactly.
    const json = JSON.parse((await h.run(['list', '--json'])).stdout) as Array<{ comment: string | null }>;
    expect(json[0]!.comment).toBe('first\nline\u001b[31m');
  });
});

describe('history escapes a stored version as list does', () => {
  it('an escape sequence in a version (a row written behind keystash) reaches the terminal escaped', async () => {
    expect((await h.run(['put', 'qa.esc', 'v1'])).code).toBe(0);
    const d = rawDb(join(h.home, 'store.db'));
    try {
      const row = d.prepare('SELECT * FROM secrets WHERE name = ?').get('qa.esc') as Record<string, unknown>;
      const full: Record<string, unknown> = { ...row, version: '0000000000000000002\u001b[2J' };
      const cols = Object.keys(full);
      d.prepare(`INSERT INTO secrets (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`).run(...cols.map((k) => full[k]));
    } finally {
      d.close();
    }
    const history = await h.run(['history', 'qa.esc']);
    expect(history.code).toBe(0);
    expect(history.stdout).not.toContain('\u001b');
    expect(history.stdout).toContain('0000000000000000002\\u001b[2J');
    expect((await h.run(['list'])).stdout).toContain('version 0000000000000000002\\u001b[2J');
  });
});
