/**
 * The quick path (docs/architecture.md "Start-up cost"): `get`, `put` and `getall`, which are most runs of
 * keystash, parsed with Node's own util.parseArgs instead of commander, so their start-up neither
 * loads commander (a fifth of the CLI bundle) nor any other command (bin/keystash.cjs loads this
 * from its own bundle, dist/bundle/quick.cjs).
 *
 * It takes only command lines whose meaning is plain: the command, its own options and the global
 * ones (before or after the command), each spelt out once (`-v 3`, `--version 3`, `--version=3`;
 * booleans alone), and operands. Anything else (help, `-V`, an unknown, repeated, grouped or
 * attached short option, a value starting with '-', a value commander would refuse, `--`, a
 * missing operand or one too many) is not taken: `parseQuick` returns undefined and the full CLI
 * (main.ts) runs the line, so every message about a command line stays commander's. Both parsers
 * are built from one declaration of the options and operands (grammar.ts) and call the same
 * actions (commands/actions.ts); test/unit/cli/quick.test.ts runs command lines through both and
 * compares what they read and what they do.
 */
import { parseArgs } from 'node:util';
import type { ConfigFlags } from '../config.js';
import { WIRING } from './backends.js';
import { getAction, getallAction, putAction, type GetallOptions, type GetOptions, type PutOptions } from './commands/actions.js';
import type { CliDeps, CliWiring } from './deps.js';
import { EXIT } from './exit-codes.js';
import { attributeName, commandIndex, GLOBAL_OPTIONS, optionOf, QUICK_GRAMMAR, type ArgumentSpec, type CommandGrammar, type OptionSpec, type QuickCommand } from './grammar.js';
import type { Io } from './io.js';
import { report, runProcess } from './report.js';

/** Options by commander's names for them (grammar.ts attributeName). */
type Options = Record<string, unknown>;

/** A command line the quick path runs, read as commander reads it. */
interface QuickLine {
  command: QuickCommand;
  /** The operands bound to the command's arguments (commander's processedArgs). */
  args: Array<string | string[] | undefined>;
  /** The global options given (commander's program.opts()). */
  flags: Options;
  /** The command's own options, with their defaults (commander's cmd.opts()). */
  opts: Options;
}

/** `argv` (without node and script) as a QuickLine, or undefined when the full CLI must run it. */
export function parseQuick(argv: readonly string[]): QuickLine | undefined {
  const at = commandIndex(argv);
  const command = at === undefined ? undefined : argv[at]!;
  if (command === undefined || !Object.hasOwn(QUICK_GRAMMAR, command)) return undefined;
  const grammar: CommandGrammar = QUICK_GRAMMAR[command as QuickCommand];
  const specs = [...GLOBAL_OPTIONS, ...grammar.options];
  // Global options before the command (credstash's order: `keystash -t prod get db.pw`) mean what
  // they mean after it.
  const rest = [...argv.slice(0, at), ...argv.slice(at! + 1)];
  if (!plainlySpelt(rest, specs)) return undefined;
  let parsed: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[]; tokens: Array<{ kind: string; name?: string }> };
  try {
    const options = Object.fromEntries(specs.map((spec) => [spec.long, { type: spec.value === undefined ? 'boolean' : 'string', ...(spec.short === undefined ? {} : { short: spec.short }), ...(spec.repeatable ? { multiple: true } : {}) }] as const));
    parsed = parseArgs({ args: rest, options, strict: true, allowPositionals: true, tokens: true }) as typeof parsed;
  } catch {
    return undefined;
  }
  const byLong = new Map(specs.map((spec) => [spec.long, spec]));
  // An option given twice (commander keeps the last, or collects): leave it to commander.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind === 'option-terminator') return undefined;
    if (token.kind !== 'option') continue;
    if (seen.has(token.name!) && !byLong.get(token.name!)!.repeatable) return undefined;
    seen.add(token.name!);
  }
  for (const [long, value] of Object.entries(parsed.values)) {
    const spec = byLong.get(long)!;
    for (const text of typeof value === 'string' ? [value] : Array.isArray(value) ? value : []) {
      if (spec.choices !== undefined && !spec.choices.includes(text)) return undefined;
      if (spec.problem?.(text) !== undefined) return undefined;
    }
  }
  const args = bind(grammar.arguments, parsed.positionals);
  if (args === undefined) return undefined;
  return { command: command as QuickCommand, args, flags: optionsOf(GLOBAL_OPTIONS, parsed.values), opts: optionsOf(grammar.options, parsed.values) };
}

/**
 * Whether every option in `args` is spelt plainly: `-x`, `--long` and `--long=value` only (no
 * groups such as `-nv1`, no attached `-v3`, no `--flag=value` for a boolean), and a value
 * option's next argument does not look like an option (commander would take it as the value;
 * parseArgs would refuse it).
 */
function plainlySpelt(args: readonly string[], specs: readonly OptionSpec[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-' || !arg.startsWith('-')) continue;
    const spec = optionOf(arg, specs);
    if (spec === undefined || (arg.startsWith('--') ? arg.includes('=') && spec.value === undefined : arg.length > 2)) return false;
    if (spec.value !== undefined && !arg.includes('=')) {
      const value = args[++i];
      if (value === undefined || value.startsWith('-')) return false;
    }
  }
  return true;
}

/**
 * `operands` bound to `declared` as commander binds them: one each, a variadic last one takes the
 * rest as a list; undefined when a required one is missing or there are too many.
 */
function bind(declared: readonly ArgumentSpec[], operands: readonly string[]): QuickLine['args'] | undefined {
  if (operands.length < declared.filter((a) => a.required).length) return undefined;
  if (declared.at(-1)?.variadic !== true && operands.length > declared.length) return undefined;
  return declared.map((argument, i) => (argument.variadic ? operands.slice(i) : operands[i]));
}

/** The options of `specs` among parseArgs' `values`, as commander names and fills them. */
function optionsOf(specs: readonly OptionSpec[], values: Record<string, unknown>): Options {
  const options: Options = {};
  for (const spec of specs) {
    const given = values[spec.long];
    // commander's negatable `--no-x`: x is true unless it is given.
    const value = spec.long.startsWith('no-') ? given === undefined : (given ?? (Array.isArray(spec.default) ? [...spec.default] : spec.default));
    if (value !== undefined) options[attributeName(spec)] = value;
  }
  return options;
}

/** Each command's action, called with the line as commander's command would call it. */
const ACTIONS: Record<QuickCommand, (deps: CliDeps, flags: ConfigFlags, line: QuickLine) => Promise<void>> = {
  get: (deps, flags, { args: [name, pairs], opts }) => getAction(deps, flags, name as string, pairs as string[], opts as GetOptions),
  getall: (deps, flags, { args: [operands], opts }) => getallAction(deps, flags, operands as string[], opts as GetallOptions),
  put: (deps, flags, { args: [name, value, pairs], opts }) => putAction(deps, flags, name as string, value as string | undefined, pairs as string[], opts as PutOptions),
};

/** Run a parsed line; resolves to the exit code. */
async function runLine(line: QuickLine, argv: readonly string[], deps: CliDeps): Promise<number> {
  try {
    // deps.ts flagsOf: the one other place the global options are taken as ConfigFlags.
    await ACTIONS[line.command](deps, line.flags as ConfigFlags, line);
    return EXIT.OK;
  } catch (error) {
    return report(error, deps.io, argv);
  }
}

/**
 * Run `argv` on the quick path: the exit code, or undefined when the full CLI must run it (nothing
 * has been done then). `wiring` replaces any of the real backends (tests).
 */
export async function runQuick(argv: readonly string[], io: Io, wiring: Partial<CliWiring> = {}): Promise<number | undefined> {
  const line = parseQuick(argv);
  return line === undefined ? undefined : runLine(line, argv, { ...WIRING, ...wiring, io });
}

/** bin/keystash.cjs calls this first; false: not taken, run the full CLI (main.ts). */
export async function quickMain(): Promise<boolean> {
  const argv = process.argv.slice(2);
  const line = parseQuick(argv);
  if (line === undefined) return false;
  await runProcess((io) => runLine(line, argv, { ...WIRING, io }));
  return true;
}
