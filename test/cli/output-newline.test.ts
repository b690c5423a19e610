/**
 * Issue 22 item 14: output a terminal user reads ends with one newline — glob `get` (JSON had
 * none, unlike credstash's print(json.dumps(…))) in every format, on both parsers; the other
 * JSON outputs (--json of put, keys, list, history) too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runQuick } from '../../src/cli/quick.js';
import { runInProcess } from '../helpers/in-process.js';
import { memoryIo } from '../helpers/io.js';

let home: string;
let env: Record<string, string>;
beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'keystash-newline-'));
  env = { KEYSTASH_HOME: home, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const [name, value] of [['app.a', 'one'], ['app.b', 'two']]) expect((await runInProcess(['put', name!, value!], env)).code).toBe(0);
});
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('glob get ends with exactly one newline', () => {
  it.each(['json', 'yaml', 'csv', 'dotenv'])('-f %s, full CLI and quick path', async (format) => {
    const argv = ['get', 'app.*', '-f', format];
    const full = await runInProcess(argv, env);
    expect(full.code, full.stderr).toBe(0);
    expect(full.stdout).toMatch(/[^\n]\n$/);
    const m = memoryIo({ env });
    expect(await runQuick(argv, m.io)).toBe(0);
    expect(m.stdout()).toBe(full.stdout);
  });

  it('the JSON is credstash’s, then a newline', async () => {
    const r = await runInProcess(['get', 'app.*'], env);
    expect(r.stdout).toBe('{\n    "app.a": "one",\n    "app.b": "two"\n}\n');
  });
});

describe('every --json output ends with a newline', () => {
  it.each([[['put', 'app.c', 'x', '--json']], [['keys', '--json']], [['list', '--json']], [['history', 'app.a', '--json']]])('%j', async (argv) => {
    const r = await runInProcess(argv, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/[}\]]\n$/);
  });
});
