/**
 * commander's side of the option grammar (grammar.ts): its declarations as commander Options and
 * Arguments, so the program's help, checks and defaults are the ones the quick path reads.
 */
import { Argument, Option, type Command } from 'commander';
import { checked } from './arg-parsers.js';
import type { ArgumentSpec, CommandGrammar, OptionSpec } from './grammar.js';

/**
 * `spec` as a commander Option: flags `-s, --long <value>`, its choices, check, conversion, list,
 * default, whether it is mandatory and whether the help shows it.
 */
export function commanderOption(spec: OptionSpec): Option {
  const option = new Option(`${spec.short === undefined ? '' : `-${spec.short}, `}--${spec.long}${spec.value === undefined ? '' : ` <${spec.value}>`}`, spec.description);
  // A list default is copied: an action may add to its list, and the declaration is shared.
  if (spec.default !== undefined) option.default(Array.isArray(spec.default) ? [...(spec.default as readonly unknown[])] : spec.default);
  if (spec.mandatory === true) option.makeOptionMandatory();
  if (spec.hidden === true) option.hideHelp();
  // choices set the option's one argument parser; a check, a conversion and a list make up another.
  if (spec.choices !== undefined) option.choices(spec.choices);
  const { problem, convert } = spec;
  if (problem !== undefined || convert !== undefined || spec.repeatable === true) {
    const check = problem === undefined ? (text: string) => text : checked(problem);
    const one = convert === undefined ? check : (text: string) => convert(check(text));
    const parse: (text: string, previous: unknown) => unknown = spec.repeatable === true ? (text, previous = []) => [...(previous as readonly unknown[]), one(text)] : one;
    option.argParser(parse);
  }
  return option;
}

/** `spec` as a commander Argument: `<name>`, `[name]` or `[name...]`, and its choices. */
function commanderArgument(spec: ArgumentSpec): Argument {
  const inner = `${spec.name}${spec.variadic === true ? '...' : ''}`;
  const argument = new Argument(spec.required === true ? `<${inner}>` : `[${inner}]`, spec.description);
  if (spec.choices !== undefined) argument.choices(spec.choices);
  return argument;
}

/** `cmd` with the arguments and options of `grammar`, in their declared (help) order. */
export function withGrammar<C extends Command>(cmd: C, grammar: CommandGrammar): C {
  for (const argument of grammar.arguments) cmd.addArgument(commanderArgument(argument));
  for (const option of grammar.options) cmd.addOption(commanderOption(option));
  return cmd;
}
