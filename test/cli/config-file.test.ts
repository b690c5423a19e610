/**
 * The config file (KEYSTASH_CONFIG): a misspelt key or a wrongly typed value is an error naming it,
 * and every documented key is accepted. In-process against a temporary home.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inProcessHome } from '../helpers/in-process.js';

const h = inProcessHome();
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
