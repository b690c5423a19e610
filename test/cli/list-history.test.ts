/**
 * `list` and `history`: one line per version whatever a comment holds (shown escaped); `--json`
 * keeps the comment exactly. In-process against a temporary home.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

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
