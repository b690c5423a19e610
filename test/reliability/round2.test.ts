/**
 * Issue 14 ("Reliability round 2"), run in-process against the real local backend (SQLite +
 * local KMS) and, where marked, dynalite + the project's KMS server.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keystash-r2-'));
  env = { KEYSTASH_HOME: home, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('item 5: a put past the 19-digit version', () => {
  it('is refused with exit 4 and the old value stays the latest', async () => {
    expect((await runInProcess(['put', '-v', '9999999999999999999', 'app.pw', 'old'], env)).code).toBe(0);
    const put = await runInProcess(['put', 'app.pw', 'new'], env);
    expect(put.code).toBe(4);
    expect(put.stderr).toMatch(/no 19-digit successor/);
    const history = await runInProcess(['list'], env);
    expect(history.stdout).not.toMatch(/10000000000000000000/);
    expect((await runInProcess(['get', 'app.pw'], env)).stdout.trimEnd()).toBe('old');
  });
});
