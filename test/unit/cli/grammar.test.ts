/**
 * The option grammar (src/cli/grammar.ts) that commander's program and the quick path are both
 * built from: where each finds the command, that the launcher offers the quick path exactly the
 * commands declared for it, and the two rules the derived parsers rely on.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandIndex, GLOBAL_OPTIONS, QUICK_GRAMMAR, type OptionSpec } from '../../../src/cli/grammar.js';

describe('commandIndex', () => {
  it.each([
    [['get', 'x'], 0],
    [['-t', 'prod', 'get'], 2],
    [['--table=prod', '--debug', 'put'], 2],
    [['-tprod', 'get'], 1],
    [['--decrypt-key', 'k', '--decrypt-key', 'l', 'getall'], 4],
  ])('%j: the command is at %i', (argv, at) => {
    expect(commandIndex(argv)).toBe(at);
  });

  it.each([[[]], [['-t']], [['--debug']], [['--debug=1', 'get']], [['-', 'get']], [['--', 'get']], [['--bogus', 'get']], [['-V', 'get']], [['-v', '3', 'get']]])(
    '%j: not certain, left to commander',
    (argv) => {
      expect(commandIndex(argv)).toBeUndefined();
    },
  );
});

describe('the grammar', () => {
  it('is what bin/keystash.cjs offers the quick path (it cannot load the grammar without the bundle)', () => {
    const launcher = readFileSync(resolve(import.meta.dirname, '../../../bin/keystash.cjs'), 'utf8');
    const offered = /QUICK_COMMANDS = new Set\(\[([^\]]*)\]\)/.exec(launcher)![1]!.split(',').map((word) => word.trim().replace(/^'|'$/g, ''));
    expect(offered.sort()).toEqual(Object.keys(QUICK_GRAMMAR).sort());
  });

  it.each(Object.entries(QUICK_GRAMMAR))('%s: no option shares a name with a global one (parseArgs would merge them)', (_, grammar) => {
    const names = (specs: readonly OptionSpec[]) => specs.flatMap((s) => [s.long, ...(s.short === undefined ? [] : [s.short])]);
    const own: readonly OptionSpec[] = grammar.options;
    expect(names(own).filter((n) => names(GLOBAL_OPTIONS).includes(n))).toEqual([]);
  });

  it('gives an option at most one of choices, a check and a list (each is commander’s one argument parser)', () => {
    const all: readonly OptionSpec[] = [...GLOBAL_OPTIONS, ...Object.values(QUICK_GRAMMAR).flatMap((g): readonly OptionSpec[] => g.options)];
    expect(all.filter((s) => [s.choices, s.problem, s.repeatable].filter((x) => x !== undefined).length > 1).map((s) => s.long)).toEqual([]);
  });
});
