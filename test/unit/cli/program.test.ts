/**
 * createProgram builds only the command argv names (a start-up saving) and falls back to
 * every command whenever that is not certain; the name table must match what each factory builds.
 */
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import type { CliDeps } from '../../../src/cli/deps.js';
import { createProgram } from '../../../src/cli/program.js';
import { memoryIo } from '../../helpers/io.js';

const unused = () => Promise.reject(new Error('not used'));
const deps: CliDeps = { io: memoryIo().io, open: unused, openKeys: unused, openLocalKms: unused, auditLogPath: () => '/nonexistent' };

const names = (argv?: string[]) => createProgram(deps, argv).commands.map((c) => c.name());

describe('createProgram', () => {
  it('lists each command under the name its factory registers', () => {
    for (const [name, factory] of COMMANDS) expect(factory(deps).name()).toBe(name);
    expect(new Set(COMMANDS.map(([n]) => n)).size).toBe(COMMANDS.length);
  });

  it.each([
    [['get', 'a'], ['get']],
    [['--backend', 'aws', 'get', 'a'], ['get']],
    [['-t', 'tbl', '--debug', 'put', 'a', 'b'], ['put']],
    [['--table=tbl', 'iam-policy', 'reader'], ['iam-policy']],
    [['kms', 'list'], ['kms']],
  ])('%j builds only %j', (argv, expected) => {
    expect(names(argv)).toEqual(expected);
  });

  it.each([[[]], [['--bogus', 'get']], [['help', 'get']], [['completion', 'bash']], [['nosuch']], [['-', 'get']]])(
    '%j builds every command',
    (argv) => {
      expect(names(argv)).toEqual(COMMANDS.map(([n]) => n));
    },
  );

  it('without argv builds every command', () => {
    expect(names()).toEqual(COMMANDS.map(([n]) => n));
  });
});
