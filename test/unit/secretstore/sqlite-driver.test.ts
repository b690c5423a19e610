import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { rebuildCommand, sqliteCodeName, withoutSqliteWarning } from '../../../src/secretstore/sqlite-driver.js';

describe('withoutSqliteWarning', () => {
  const seen: string[] = [];
  const listener = (w: Error): void => void seen.push(`${w.name}: ${w.message}`);
  afterEach(() => {
    process.off('warning', listener);
    seen.length = 0;
  });

  it("drops only Node 22's ExperimentalWarning for SQLite, only while loading", async () => {
    process.on('warning', listener);
    const original = process.emitWarning;
    const result = withoutSqliteWarning(() => {
      // what Node 22's lib/sqlite.js emits on load, in each form emitWarning accepts
      process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('SQLite is an experimental feature and might change at any time', { type: 'ExperimentalWarning' });
      process.emitWarning('SQLite says something else', 'DeprecationWarning');
      process.emitWarning('WASI is an experimental feature', 'ExperimentalWarning');
      return 42;
    });
    expect(result).toBe(42);
    expect(process.emitWarning).toBe(original);
    process.emitWarning('SQLite is an experimental feature and might change at any time', 'ExperimentalWarning');
    await new Promise((resolve) => setImmediate(resolve)); // warnings are delivered on a later tick
    expect(seen).toEqual([
      'DeprecationWarning: SQLite says something else',
      'ExperimentalWarning: WASI is an experimental feature',
      'ExperimentalWarning: SQLite is an experimental feature and might change at any time',
    ]);
  });

  it('restores emitWarning when loading throws', () => {
    const original = process.emitWarning;
    expect(() => withoutSqliteWarning(() => { throw new Error('no such module'); })).toThrow('no such module');
    expect(process.emitWarning).toBe(original);
  });
});

describe('sqliteCodeName', () => {
  it.each([
    [1555, 'SQLITE_CONSTRAINT_PRIMARYKEY'],
    [2067, 'SQLITE_CONSTRAINT_UNIQUE'],
    [5, 'SQLITE_BUSY'],
    [517, 'SQLITE_BUSY_SNAPSHOT'],
    [8, 'SQLITE_READONLY'],
    [1032, 'SQLITE_READONLY'], // SQLITE_READONLY_DBMOVED: the primary code's name
    [11, 'SQLITE_CORRUPT'],
    [26, 'SQLITE_NOTADB'],
    [13, 'SQLITE_FULL'],
    [266, 'SQLITE_IOERR'], // SQLITE_IOERR_READ
    [99, 'SQLITE_UNKNOWN_99'],
  ])('%i → %s', (code, name) => {
    expect(sqliteCodeName(code)).toBe(name);
  });
});

describe('rebuildCommand: the exit-9 advice builds better-sqlite3 where keystash was installed (issue 22 item 16)', () => {
  const base = mkdtempSync(join(tmpdir(), 'keystash-rebuild-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  /** A keystash package at `pkg` with its bundle; returns the bundle's path. */
  const keystashAt = (pkg: string): string => {
    mkdirSync(join(pkg, 'dist', 'bundle'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), '{"name":"keystash"}');
    return join(pkg, 'dist', 'bundle', 'cli.cjs');
  };

  it('a global install (npm install -g): npm rebuild -g, from any directory', () => {
    expect(rebuildCommand(keystashAt(join(base, 'usr', 'lib', 'node_modules', 'keystash')))).toBe('npm rebuild -g better-sqlite3 --allow-scripts=better-sqlite3');
  });

  it("a project's dependency: npm rebuild in that project", () => {
    const project = join(base, 'my app');
    expect(rebuildCommand(keystashAt(join(project, 'node_modules', 'keystash')))).toBe(`cd '${project}' && npm rebuild better-sqlite3 (npm 12: run npm install-scripts approve better-sqlite3 there first)`);
  });

  it('a checkout: npm rebuild in the checkout', () => {
    const checkout = join(base, 'src', 'keystash');
    expect(rebuildCommand(keystashAt(checkout))).toBe(`cd ${checkout} && npm rebuild better-sqlite3 (npm 12: run npm install-scripts approve better-sqlite3 there first)`);
  });
});
