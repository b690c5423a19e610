/**
 * The option grammar (src/cli/grammar.ts, command-grammar.ts) that commander's program and the
 * quick path are both built from: where each finds the command, that the launcher offers the quick
 * path exactly the commands declared for it, the rules the derived parsers rely on, and that every
 * command's options and operands are the declared ones.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Command } from 'commander';
import { COMMAND_GRAMMAR } from '../../../src/cli/command-grammar.js';
import type { CliDeps } from '../../../src/cli/deps.js';
import { commandIndex, GLOBAL_OPTIONS, QUICK_GRAMMAR, type CommandGrammar, type OptionSpec } from '../../../src/cli/grammar.js';
import { createProgram } from '../../../src/cli/program.js';
import { memoryIo } from '../../helpers/io.js';

const GRAMMARS = { ...QUICK_GRAMMAR, ...COMMAND_GRAMMAR };

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

  it('gives an option with choices no check, conversion or list (choices are commander’s one argument parser)', () => {
    const all: readonly OptionSpec[] = [...GLOBAL_OPTIONS, ...Object.values(GRAMMARS).flatMap((g): readonly OptionSpec[] => g.options)];
    expect(all.filter((s) => s.choices !== undefined && (s.problem !== undefined || s.convert !== undefined || s.repeatable !== undefined)).map((s) => s.long)).toEqual([]);
  });

  it('gives the quick path’s commands only what quick.ts reads (no conversion, mandatory or hidden option)', () => {
    const quick = Object.values(QUICK_GRAMMAR).flatMap((g): readonly OptionSpec[] => g.options);
    expect(quick.filter((s) => s.convert !== undefined || s.mandatory !== undefined || s.hidden !== undefined).map((s) => s.long)).toEqual([]);
  });
});

describe('the program built from the grammar', () => {
  const program = createProgram({ io: memoryIo().io } as unknown as CliDeps);
  const built = [...program.commands.filter((c) => c.name() !== 'help').flatMap((c) => [c, ...c.commands.filter((s) => s.name() !== 'help')])];
  const key = (cmd: Command) => (cmd.parent === program ? cmd.name() : `${cmd.parent!.name()} ${cmd.name()}`);

  it('has a grammar for every command and kms subcommand, and none for a command it lacks', () => {
    expect(built.map(key).sort()).toEqual(Object.keys(GRAMMARS).sort());
  });

  it.each(built.map((c) => [key(c), c] as const))('%s: its options and operands are the declared ones, in order', (name, cmd) => {
    const grammar: CommandGrammar = GRAMMARS[name as keyof typeof GRAMMARS];
    expect(cmd.options.map((o) => o.long)).toEqual(grammar.options.map((o) => `--${o.long}`));
    expect(cmd.registeredArguments.map((a) => a.name())).toEqual(grammar.arguments.map((a) => a.name));
  });

  it('refuses what a declared check refuses, and converts and collects as declared', () => {
    const serve = built.find((c) => key(c) === 'kms serve')!;
    const port = serve.options.find((o) => o.long === '--port')!;
    expect(port.defaultValue).toBe(0);
    expect(port.parseArg!('8080', 0)).toBe(8080);
    expect(() => port.parseArg!('65536', 0)).toThrow('not a port number from 0 to 65535');
    const principals = built.find((c) => key(c) === 'kms principals')!;
    const role = principals.options.find((o) => o.long === '--role')!;
    expect(role.mandatory).toBe(true);
    expect(role.parseArg!('manager', role.parseArg!('user', undefined))).toEqual(['user', 'manager']);
    expect(() => role.parseArg!('root', undefined)).toThrow('Allowed choices are user, manager.');
    const context = principals.options.find((o) => o.long === '--context')!;
    expect(context.parseArg!('a=b', undefined)).toEqual([['a', 'b']]);
    const hidden = serve.options.find((o) => o.long === '--secret-access-key')!;
    expect(hidden.hidden).toBe(true);
  });

  it('gives a list default to each command line afresh (an action may add to it)', () => {
    const exec = () => createProgram({ io: memoryIo().io } as unknown as CliDeps).commands.find((c) => c.name() === 'exec')!.options.find((o) => o.long === '--context')!.defaultValue as unknown[];
    expect(exec()).toEqual([]);
    expect(exec()).not.toBe(exec());
  });
});
