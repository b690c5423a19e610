/**
 * Start-up cost: a local-backend command loads only its CLI bundle (quick.cjs for get, put and
 * getall, cli.cjs for the rest; neither the AWS SDK bundle nor yaml), runs on node:sqlite wherever Node has it (better-sqlite3 is then never loaded), and an
 * AWS-only command never loads SQLite. What a run loaded is reported by a preloaded hook.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cliHome } from '../helpers/run-cli.js';
import { SQLITE_DRIVERS } from '../helpers/sqlite.js';
import { awsTestEnv } from '../helpers/aws-env.js';

const HOOK = resolve(import.meta.dirname, '../helpers/load-report-hook.cjs');
const BUNDLE_DIR = resolve(import.meta.dirname, '../../dist/bundle');
const h = cliHome();
afterAll(() => h.cleanup());

interface LoadReport {
  sharedObjects: string[];
  required: string[];
}

async function loaded(args: string[], env: Record<string, string> = {}): Promise<LoadReport & { code: number | null; bundles: string[] }> {
  const out = join(h.home, '..', `load-${Math.random().toString(36).slice(2)}.json`);
  const r = await h.run(args, { env: { NODE_OPTIONS: `--require ${HOOK}`, KEYSTASH_TEST_LOAD_REPORT: out, ...env } });
  const report = JSON.parse(readFileSync(out, 'utf8')) as LoadReport;
  const bundles = report.required.filter((f) => f.startsWith(BUNDLE_DIR)).map((f) => basename(f)).sort();
  return { ...report, bundles, code: r.code };
}

const sqliteAddon = (report: LoadReport) => report.sharedObjects.filter((f) => f.endsWith('better_sqlite3.node'));
const fromNodeModules = (report: LoadReport, pkg: RegExp) => report.required.filter((f) => pkg.test(f));
const onNodeSqlite = SQLITE_DRIVERS[0] === 'node:sqlite';

describe('bundles', () => {
  it('are the CLI, its quick path, the AWS SDK, yaml and better-sqlite3, and nothing else runs from dist/bundle', () => {
    expect(readdirSync(BUNDLE_DIR).sort()).toEqual(['aws-sdk.cjs', 'cli.cjs', 'quick.cjs', 'sqlite.cjs', 'version.txt', 'yaml.cjs']);
  });

  it('quick.cjs carries neither commander nor any command but get, put and getall', () => {
    const modules = (bundle: string) => [...readFileSync(join(BUNDLE_DIR, bundle), 'utf8').matchAll(/^\/\/ (\S+)$/gm)].map((m) => m[1]!);
    const quick = modules('quick.cjs');
    expect(quick).toContain('src/cli/commands/actions.ts');
    expect(quick.filter((m) => /node_modules\/commander\/|^src\/cli\/(program|main)\.ts$|^src\/cli\/commands\/(?!actions|formats)/.test(m))).toEqual([]);
    expect(modules('cli.cjs')).toContain('node_modules/commander/lib/command.js');
  });
});

describe('lazy loading', () => {
  it('local get: only the quick-path bundle, and better-sqlite3 only where Node has no node:sqlite', async () => {
    expect((await h.run(['put', 'lazy.s', 'lazy-value'])).code).toBe(0);
    const report = await loaded(['get', 'lazy.s']);
    expect(report.code).toBe(0);
    expect(report.bundles).toEqual(onNodeSqlite ? ['quick.cjs'] : ['quick.cjs', 'sqlite.cjs']);
    expect(sqliteAddon(report)).toHaveLength(onNodeSqlite ? 0 : 1);
    // No JavaScript resolved from node_modules: better-sqlite3's is bundled, its addon loaded by path.
    expect(fromNodeModules(report, /node_modules[/\\].*\.(c|m)?js$/)).toEqual([]);
  });

  it('global options before the command (credstash order) still take the quick path', async () => {
    const sqlite = onNodeSqlite ? [] : ['sqlite.cjs'];
    const r = await loaded(['-t', 'credential-store', '--no-color', 'get', 'lazy.s']);
    expect(r.code).toBe(0);
    expect(r.bundles).toEqual(['quick.cjs', ...sqlite]);
  });

  it('local put and getall load the quick-path bundle only; yaml loads for YAML output alone', async () => {
    const sqlite = onNodeSqlite ? [] : ['sqlite.cjs'];
    const put = await loaded(['put', 'lazy.t', 'v']);
    expect(put.bundles).toEqual(['quick.cjs', ...sqlite]);
    const getall = await loaded(['getall']);
    expect(getall.code).toBe(0);
    expect(getall.bundles).toEqual(['quick.cjs', ...sqlite]);
    const yaml = await loaded(['getall', '-f', 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.bundles).toEqual(['quick.cjs', ...sqlite, 'yaml.cjs']);
  });

  it('a get line the quick path does not take (help, -V) runs the full CLI and prints what it always did', async () => {
    const help = await loaded(['get', '--help']);
    expect(help.code).toBe(0);
    expect(help.bundles).toEqual(['cli.cjs', 'quick.cjs']);
    const other = await loaded(['list']);
    expect(other.bundles).toEqual(onNodeSqlite ? ['cli.cjs'] : ['cli.cjs', 'sqlite.cjs']);
  });

  it('an aws-backend command loads the SDK bundle and no SQLite', async () => {
    const env = awsTestEnv();
    const report = await loaded(['--backend', 'aws', '-t', 'lazy-missing-table', 'keys'], env);
    expect(report.bundles).toEqual(['aws-sdk.cjs', 'cli.cjs']);
    expect(sqliteAddon(report)).toEqual([]);
    expect(report.bundles).not.toContain('sqlite.cjs');
  });
});
