/**
 * QA findings on the core commands, through the built CLI: config-file validation, list/history
 * lines that a comment cannot split, and iam-policy documents that actually authorize.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliHome } from '../helpers/run-cli.js';

const h = cliHome();
afterAll(() => h.cleanup());

describe('config file: a misspelt key or a wrongly typed value is an error, not ignored', () => {
  const dir = join(h.home, '..', 'cfg');
  mkdirSync(dir, { recursive: true });
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('unknown key → exit 9 naming the key, one line, nothing on stdout', async () => {
    const r = await h.run(['config'], { env: { KEYSTASH_CONFIG: file('typo.json', '{"tabel": "prod-secrets"}') } });
    expect(r.code).toBe(9);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^keystash: error: config file .*typo\.json is not valid: unknown setting 'tabel' \(known: [^\n]*\)\n$/);
  });

  it('a value of the wrong type → exit 9 naming the setting', async () => {
    const r = await h.run(['keys'], { env: { KEYSTASH_CONFIG: file('type.json', '{"backend": true}') } });
    expect(r.code).toBe(9);
    expect(r.stderr).toMatch(/^keystash: error: config file .* is not valid: setting 'backend' must be a string\n$/);
  });

  it('every documented key is still accepted (concurrency as a number)', async () => {
    const all = { backend: 'local', store: 'sqlite', kms: 'local', table: 'from-file', dataDir: h.home, region: 'eu-west-1', kmsRegion: 'eu-west-2', profile: 'p', roleArn: 'arn:aws:iam::123456789012:role/r', dynamodbEndpoint: 'http://127.0.0.1:1', kmsEndpoint: 'http://127.0.0.1:2', concurrency: 4 };
    const r = await h.run(['config', '--json'], { env: { KEYSTASH_HOME: undefined, KEYSTASH_CONFIG: file('all.json', JSON.stringify(all)) } });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<{ setting: string; value: string; source: string }>;
    expect(rows.find((x) => x.setting === 'table')).toMatchObject({ value: 'from-file', source: 'config' });
    expect(rows.find((x) => x.setting === 'concurrency')).toMatchObject({ value: '4', source: 'config' });
  });
});

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

describe('iam-policy', () => {
  type Policy = { Statement: Array<{ Sid: string; Resource: string; Condition?: unknown }> };
  const keyStatement = (stdout: string) => (JSON.parse(stdout) as Policy).Statement.find((s) => s.Sid === 'KeystashKey')!;

  it('an alias ARN becomes key/* of its region and account with the kms:ResourceAliases condition', async () => {
    const r = await h.run(['iam-policy', 'reader', '-k', 'arn:aws:kms:eu-west-1:123456789012:alias/app']);
    expect(r.code).toBe(0);
    expect(keyStatement(r.stdout)).toEqual({
      Sid: 'KeystashKey',
      Effect: 'Allow',
      Action: ['kms:Decrypt'],
      Resource: 'arn:aws:kms:eu-west-1:123456789012:key/*',
      Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/app' } },
    });
  });

  it('a malformed --account-id is a usage error, not an invalid ARN', async () => {
    const r = await h.run(['iam-policy', 'reader', '--account-id', '12x']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe("keystash: error: invalid account id '12x' (expected 12 digits)\n");
    expect((await h.run(['iam-policy', 'reader'])).code).toBe(0); // the placeholder stays the default
  });
});

describe('put: a value mistaken for an option is not echoed', () => {
  it('an unknown option after `put NAME` is shown only by its first two characters, exit 2', async () => {
    const r = await h.run(['put', 'qa.pw', '-n7Sup3rSecret']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toContain('7Sup3rSecret');
    expect(r.stderr).toBe("error: unknown option '-n…' (not shown in full, in case it is the secret); a value starting with '-' goes after '--': keystash put NAME -- VALUE\n(run with --help for usage)\n");
    // An option-like typo is still named in full; `--` stores such a value.
    expect((await h.run(['put', 'qa.pw', 'v', '--commnet', 'x'])).stderr).toContain("unknown option '--commnet'");
    expect((await h.run(['put', 'qa.pw', '--', '-n7Sup3rSecret'])).code).toBe(0);
    expect((await h.run(['get', '-n', 'qa.pw'])).stdout).toBe('-n7Sup3rSecret');
  });
});
