/**
 * README examples run as written (issue 22 "Smaller"): the command table's own `put … env=prod`
 * then its `history … --keys --json` (which failed with exit 6 when the example left out the
 * context), and the import-of-export round trip exactly as the README claims it. In-process,
 * real local backend.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runInProcess } from '../helpers/in-process.js';

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The example column of the command table's row for `command` (plain words, no quoting). */
function tableExample(command: string): string[] {
  const row = README.split('\n').find((line) => line.startsWith(`| \`${command} `));
  const example = row?.split('|')[2]?.trim().replace(/^`|`$/g, '');
  expect(example, `README command table row for ${command}`).toMatch(/^keystash /);
  return example!.split(' ').slice(1);
}

let home: string;
let env: Record<string, string>;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'keystash-readme-'));
  env = { KEYSTASH_HOME: home, HOME: home, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('the README command table', () => {
  it('put NAME VALUE k=v, then history --keys --json, as written', async () => {
    const put = await runInProcess(tableExample('put'), env);
    expect(put.code, put.stderr).toBe(0);
    const history = await runInProcess(tableExample('history'), env);
    expect(history.code, history.stderr).toBe(0);
    const rows = JSON.parse(history.stdout) as Array<{ version: string; keyArn: string }>;
    expect(rows).toEqual([expect.objectContaining({ version: '0000000000000000001', keyArn: expect.stringMatching(/^arn:aws:kms:/) })]);
  });
});

describe('import of an export, as the README says', () => {
  it('-f json gives back the same names and values; -f dotenv the values under variable names', async () => {
    expect(README).toMatch(/`import` of an `export -f json` file gives back the same secrets, names and values; of an\n`export -f dotenv` file, the same values under their variable names/);
    const values: Array<[string, string]> = [['db.pw', 'hun"ter$2'], ['app.multi', 'a\nb'], ['app.trail', 'x ']];
    for (const [name, value] of values) expect((await runInProcess(['put', name, value], env)).code).toBe(0);
    const original = JSON.parse((await runInProcess(['getall'], env)).stdout) as Record<string, string>;
    for (const [format, expected] of [
      ['json', original],
      ['dotenv', { APP_MULTI: 'a\nb', APP_TRAIL: 'x ', DB_PW: 'hun"ter$2' }],
    ] as const) {
      // Not in the data directory itself (home): keystash refuses to write there.
      mkdirSync(join(home, 'exports'), { recursive: true, mode: 0o700 });
      const file = join(home, 'exports', `export.${format === 'json' ? 'json' : 'env'}`);
      const exported = await runInProcess(['export', '--all', '-f', format, '-o', file], env);
      expect(exported.code, exported.stderr).toBe(0);
      const other = { ...env, KEYSTASH_HOME: join(home, `other-${format}`) };
      const imported = await runInProcess(['import', file], other);
      expect(imported.code, imported.stderr).toBe(0);
      expect(JSON.parse((await runInProcess(['getall'], other)).stdout), format).toEqual(expected);
    }
  });
});

describe("the README's refusal of variables that change how programs run", () => {
  it('is what exec prints for the secrets it names, word for word, and nothing runs', async () => {
    const block = /rule 6 names every refused\ssecret[\s\S]*?```console\n\$ (.*)\n([\s\S]*?)```/.exec(README);
    expect(block, 'the console block after "rule 6 names every refused secret"').not.toBeNull();
    const [command = '', printed = ''] = block?.slice(1) ?? [];
    for (const [, name] of printed.matchAll(/secret "([^"]+)"/g)) expect((await runInProcess(['put', name ?? '', 'v'], env)).code).toBe(0);
    // The command as a shell splits it: the quoted glob is one word, `./deploy` a program never started.
    const args = command.replace(/'/g, '').split(' ').slice(1);
    const r = await runInProcess(args, env);
    expect([r.code, r.stdout, r.stderr]).toEqual([2, '', printed]);
  });
});
