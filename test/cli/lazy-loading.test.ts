/**
 * Start-up cost (issue: performance): a local-backend command loads neither the AWS SDK bundle
 * nor yaml, and an AWS-only command never loads SQLite; the hot commands start from V8's code
 * cache (bin/bundle-loader.cjs). What a run loaded is reported by a preloaded hook.
 */
import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliHome } from '../helpers/run-cli.js';

const HOOK = resolve(import.meta.dirname, '../helpers/load-report-hook.cjs');
const h = cliHome();
afterAll(() => h.cleanup());

interface LoadReport {
  bundles: Record<string, 'accepted' | 'rejected' | 'absent'>;
  sharedObjects: string[];
  required: string[];
}

async function loaded(args: string[], env: Record<string, string> = {}): Promise<LoadReport & { code: number | null }> {
  const out = join(h.home, '..', `load-${Math.random().toString(36).slice(2)}.json`);
  const r = await h.run(args, { env: { NODE_OPTIONS: `--require ${HOOK}`, KEYSTASH_TEST_LOAD_REPORT: out, ...env } });
  return { ...(JSON.parse(readFileSync(out, 'utf8')) as LoadReport), code: r.code };
}

const sqliteAddon = (report: LoadReport) => report.sharedObjects.filter((f) => f.endsWith('better_sqlite3.node'));
const fromNodeModules = (report: LoadReport, pkg: RegExp) => report.required.filter((f) => pkg.test(f));

describe('bundles', () => {
  it('are ASCII only and already wrapped, so the loader compiles their text as it is', () => {
    const dir = resolve(import.meta.dirname, '../../dist/bundle');
    const bundles = readdirSync(dir).filter((f) => f.endsWith('.cjs'));
    expect(bundles.sort()).toEqual(['aws-sdk.cjs', 'cli.cjs', 'yaml.cjs']);
    for (const f of bundles) {
      const bytes = readFileSync(join(dir, f));
      expect(isAscii(bytes), f).toBe(true);
      expect(bytes.toString('latin1').startsWith('(function (exports, require, module, __filename, __dirname) { '), f).toBe(true);
      expect(bytes.toString('latin1').endsWith('\n});'), f).toBe(true);
    }
  });
});

describe('lazy loading', () => {
  it('local get: only the CLI bundle, from its code cache, and the SQLite addon', async () => {
    expect((await h.run(['put', 'lazy.s', 'lazy-value'])).code).toBe(0);
    const report = await loaded(['get', 'lazy.s']);
    expect(report.code).toBe(0);
    expect(report.bundles).toEqual({ 'cli.cjs': 'accepted' });
    expect(sqliteAddon(report)).toHaveLength(1);
    // Nothing of the SDK or yaml resolved from node_modules either, and no loose better-sqlite3 files.
    expect(fromNodeModules(report, /node_modules[/\\](@aws-sdk|@smithy|yaml|better-sqlite3[/\\]lib|bindings)[/\\]/)).toEqual([]);
  });

  it('local put and getall start from the code cache too; getall loads yaml for its formats only', async () => {
    const put = await loaded(['put', 'lazy.t', 'v']);
    expect(put.bundles).toEqual({ 'cli.cjs': 'accepted' });
    const getall = await loaded(['getall']);
    expect(getall.bundles['cli.cjs']).toBe('accepted');
    expect(getall.bundles['aws-sdk.cjs']).toBeUndefined();
  });

  it('an aws-backend command loads the SDK bundle and no SQLite', async () => {
    const env = {
      AWS_ENDPOINT_URL_DYNAMODB: inject('dynamoEndpoint'),
      AWS_ENDPOINT_URL_KMS: inject('kmsEndpoint'),
      AWS_ACCESS_KEY_ID: inject('kmsAccessKeyId'),
      AWS_SECRET_ACCESS_KEY: inject('kmsSecretAccessKey'),
      AWS_REGION: 'us-east-1',
    };
    const report = await loaded(['--backend', 'aws', '-t', 'lazy-missing-table', 'keys'], env);
    expect(report.bundles).toEqual({ 'cli.cjs': 'accepted', 'aws-sdk.cjs': 'accepted' });
    expect(sqliteAddon(report)).toEqual([]);
  });
});
