/**
 * Program assembly: the global options (grammar.ts), then every command from COMMANDS
 * (docs/conventions.md §2).
 */
import { Command } from 'commander';
import { guardUnknownOptions, withoutRefusedValue } from './arg-parsers.js';
import { commanderOption } from './commander-grammar.js';
import { COMMANDS } from './commands/index.js';
import { exitCodesHelp } from './exit-codes.js';
import { commandIndex, GLOBAL_OPTIONS } from './grammar.js';
import { VERSION } from '../version.js';
import type { CliDeps } from './deps.js';

const EXAMPLES = `
Examples:
  $ keystash put db.password 'hunter2'            store a new version (next version chosen)
  $ keystash put db.password @pw.txt env=prod     value from a file, with encryption context
  $ printf %s "$TOKEN" | keystash put api.token -  value from stdin
  $ keystash get db.password                      print the latest value
  $ keystash get db.password -v 1 env=prod        an older version, with context
  $ keystash get 'db.*'                           every matching secret as JSON
  $ keystash getall -f dotenv                     every secret as dotenv lines
  $ keystash list                                 names, versions, comments
  $ keystash delete db.password -v 2              delete one version

${exitCodesHelp()}
Environment: KEYSTASH_HOME, KEYSTASH_BACKEND, CREDSTASH_DEFAULT_TABLE, NO_COLOR (see README).`;

/**
 * Build the commander program wired to `deps`. With `argv` (the user's arguments), only the
 * command they name is constructed when that is unambiguous: building all ~20 commands costs
 * several ms of every cold start. Anything unusual (no command, an unknown
 * option before it, `help`, `completion`, which lists its siblings) builds every command.
 */
export function createProgram(deps: CliDeps, argv?: readonly string[]): Command {
  const only = argv === undefined ? undefined : singleCommand(deps, argv);
  const program = new Command('keystash').description('Keep secrets with envelope encryption, credstash-compatible; works offline by default.');
  // commander reads a program option anywhere on the line, so with `-V, --version` registered
  // `keystash get db.pw --version 2` would print keystash's version and exit 0 without running
  // the command. A command with its own --version (get, put, getall, delete) gets it alone.
  if (!only?.options.some((o) => o.long === '--version')) program.version(VERSION, '-V, --version', 'print the keystash version');
  program.helpOption('-h, --help', 'show help');
  for (const option of GLOBAL_OPTIONS) program.addOption(commanderOption(option));
  program
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXAMPLES)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void deps.io.stdout.write(text),
      writeErr: (text) => void deps.io.stderr.write(text),
      // commander's own errors ("error: unknown option '--x'") in keystash's form, as report.ts writes every other error.
      // A refused option value is not echoed (arg-parsers.ts withoutRefusedValue): it may be the secret.
      outputError: (text, write) => {
        const shown = withoutRefusedValue(text);
        write(shown.startsWith('error: ') ? `keystash: ${shown}` : `keystash: error: ${shown}`);
      },
    });
  guardUnknownOptions(program);
  for (const cmd of only ? [only] : COMMANDS.map(([, factory]) => factory(deps))) {
    inherit(cmd, program);
    program.addCommand(cmd);
  }
  return program;
}

/** Commands whose behaviour depends on their siblings being registered. */
const NEEDS_ALL = new Set(['completion', 'help']);

/**
 * The one command `argv` runs, or undefined when that is not certain (grammar.ts commandIndex
 * finds it as commander would); the command built must really carry the name it is listed under.
 */
function singleCommand(deps: CliDeps, argv: readonly string[]): Command | undefined {
  const at = commandIndex(argv);
  const name = at === undefined ? undefined : argv[at]!;
  if (name === undefined || NEEDS_ALL.has(name)) return undefined;
  const cmd = COMMANDS.find(([n]) => n === name)?.[1](deps);
  return cmd?.name() === name ? cmd : undefined;
}

/**
 * addCommand() does not pass exitOverride/configureOutput down; copy them to every level, and
 * keep every level from quoting an unknown option that may be the secret (guardUnknownOptions).
 */
function inherit(cmd: Command, parent: Command): void {
  cmd.copyInheritedSettings(parent);
  guardUnknownOptions(cmd);
  for (const sub of cmd.commands) inherit(sub, cmd);
}
