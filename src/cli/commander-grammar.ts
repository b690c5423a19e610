/**
 * commander's side of the option grammar (grammar.ts): its declarations as commander Options and
 * Arguments, so the program's help, checks and defaults are the ones the quick path reads.
 */
import { Argument, Option, type Command } from 'commander';
import { checked } from './arg-parsers.js';
import type { ArgumentSpec, CommandGrammar, OptionSpec } from './grammar.js';

/** `spec` as a commander Option: flags `-s, --long <value>`, its choices, check, list and default. */
export function commanderOption(spec: OptionSpec): Option {
  const option = new Option(`${spec.short === undefined ? '' : `-${spec.short}, `}--${spec.long}${spec.value === undefined ? '' : ` <${spec.value}>`}`, spec.description);
  if (spec.default !== undefined) option.default(spec.default);
  // choices, a check and a list each set the option's one argument parser: a spec has at most one.
  if (spec.choices !== undefined) option.choices(spec.choices);
  if (spec.problem !== undefined) option.argParser(checked(spec.problem));
  if (spec.repeatable === true) option.argParser((value: string, previous: readonly string[] = []) => [...previous, value]);
  return option;
}

/** `spec` as a commander Argument: `<name>`, `[name]` or `[name...]`. */
function commanderArgument(spec: ArgumentSpec): Argument {
  const inner = `${spec.name}${spec.variadic === true ? '...' : ''}`;
  return new Argument(spec.required === true ? `<${inner}>` : `[${inner}]`, spec.description);
}

/** `cmd` with the arguments and options of `grammar`, in their declared (help) order. */
export function withGrammar<C extends Command>(cmd: C, grammar: CommandGrammar): C {
  for (const argument of grammar.arguments) cmd.addArgument(commanderArgument(argument));
  for (const option of grammar.options) cmd.addOption(commanderOption(option));
  return cmd;
}
