import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeConfig, resolveConfig } from '../../src/config.js';

const dir = mkdtempSync(join(tmpdir(), 'keystash-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveConfig precedence: flag > env > file > default', () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ backend: 'aws', table: 'from-file', region: 'eu-west-1' }));
  const base = { HOME: dir, KEYSTASH_CONFIG: file };

  it('file over defaults', () => {
    const c = resolveConfig({}, base);
    expect([c.backend, c.store, c.kms, c.table, c.region]).toEqual(['aws', 'dynamodb', 'aws', 'from-file', 'eu-west-1']);
    expect(c.sources.table).toBe('config');
  });
  it('env over file, flag over env', () => {
    const env = { ...base, KEYSTASH_BACKEND: 'local', CREDSTASH_DEFAULT_TABLE: 'from-env' };
    const c = resolveConfig({}, env);
    expect([c.backend, c.store, c.table]).toEqual(['local', 'sqlite', 'from-env']);
    const f = resolveConfig({ table: 'from-flag', store: 'dynamodb', backend: 'local' }, env);
    expect([f.table, f.store, f.kms, f.sources.table]).toEqual(['from-flag', 'dynamodb', 'local', 'flag']);
  });
  it('defaults and XDG data dir, KEYSTASH_HOME relocation', () => {
    const c = resolveConfig({}, { HOME: dir, XDG_CONFIG_HOME: join(dir, 'no-config-here') });
    expect(c.dataDir).toBe(join(dir, '.local', 'share', 'keystash'));
    expect(c.table).toBe('credential-store');
    expect(resolveConfig({}, { HOME: dir, KEYSTASH_HOME: '/x', XDG_CONFIG_HOME: join(dir, 'no-config-here') }).storePath).toBe('/x/store.db');
    expect(resolveConfig({}, { HOME: dir, XDG_DATA_HOME: '/xdg', XDG_CONFIG_HOME: join(dir, 'no-config-here') }).keyringPath).toBe('/xdg/keystash/keyring.json');
  });
  it('invalid values and files are errors; the passphrase is never shown', () => {
    expect(() => resolveConfig({ backend: 'cloud' }, base)).toThrow(/invalid backend/);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{nope');
    expect(() => resolveConfig({}, { HOME: dir, KEYSTASH_CONFIG: bad })).toThrow(/not valid/);
    const shown = JSON.stringify(describeConfig(resolveConfig({}, { ...base, KEYSTASH_KMS_PASSPHRASE: 'pass-phrase-secret' })));
    expect(shown).not.toContain('pass-phrase-secret');
    expect(shown).toContain('set (hidden)');
  });
});

describe('config file keys and types', () => {
  it('an unknown key or a wrongly typed value is a ConfigError naming it', () => {
    const typo = join(dir, 'typo.json');
    writeFileSync(typo, JSON.stringify({ tabel: 'prod' }));
    expect(() => resolveConfig({}, { HOME: dir, KEYSTASH_CONFIG: typo })).toThrow(/unknown setting 'tabel'/);
    const typed = join(dir, 'typed.json');
    writeFileSync(typed, JSON.stringify({ region: ['eu-west-1'] }));
    expect(() => resolveConfig({}, { HOME: dir, KEYSTASH_CONFIG: typed })).toThrow(/setting 'region' must be a string/);
    const number = join(dir, 'number.json');
    writeFileSync(number, JSON.stringify({ concurrency: 8 }));
    expect(resolveConfig({}, { HOME: dir, KEYSTASH_CONFIG: number }).concurrency).toBe(8);
  });

  it('a config file named by KEYSTASH_CONFIG must exist; the default location need not', () => {
    expect(() => resolveConfig({}, { HOME: dir, KEYSTASH_CONFIG: join(dir, 'typo.jsn') })).toThrow(/KEYSTASH_CONFIG\) does not exist/);
    expect(resolveConfig({}, { HOME: dir, XDG_CONFIG_HOME: join(dir, 'nowhere') }).backend).toBe('local');
  });
});

describe('decryptKeys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keystash-decrypt-keys-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('--decrypt-key > KEYSTASH_DECRYPT_KEYS > config file; unset by default', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ decryptKeys: ['alias/file'] }));
    const env = { HOME: dir, KEYSTASH_CONFIG: file };
    expect(resolveConfig({}, env).decryptKeys).toEqual(['alias/file']);
    expect(resolveConfig({}, { ...env, KEYSTASH_DECRYPT_KEYS: 'alias/a, alias/b' }).decryptKeys).toEqual(['alias/a', 'alias/b']);
    expect(resolveConfig({ decryptKey: ['alias/flag'] }, { ...env, KEYSTASH_DECRYPT_KEYS: 'alias/a' }).decryptKeys).toEqual(['alias/flag']);
    expect(resolveConfig({}, { HOME: dir, XDG_CONFIG_HOME: join(dir, 'none') }).decryptKeys).toBeUndefined();
    writeFileSync(file, JSON.stringify({ decryptKeys: 'alias/x' }));
    expect(() => resolveConfig({}, env)).toThrow("setting 'decryptKeys' must be an array");
  });
});
