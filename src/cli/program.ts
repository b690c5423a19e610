/**
 * Program assembly: global options, then every command from COMMANDS (docs/conventions.md §2).
 */
import { Command, Option } from 'commander';
import { guardUnknownOptions, withoutRefusedValue } from './arg-parsers.js';
import { COMMANDS } from './commands/index.js';
import { exitCodesHelp } from './exit-codes.js';
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
  const globals = globalOptions();
  const only = argv === undefined ? undefined : singleCommand(deps, globals, argv);
  const program = new Command('keystash').description('Keep secrets with envelope encryption, credstash-compatible; works offline by default.');
  // commander reads a program option anywhere on the line, so with `-V, --version` registered
  // `keystash get db.pw --version 2` would print keystash's version and exit 0 without running
  // the command. A command with its own --version (get, put, getall, delete) gets it alone.
  if (!only?.options.some((o) => o.long === '--version')) program.version(VERSION, '-V, --version', 'print the keystash version');
  program.helpOption('-h, --help', 'show help');
  for (const option of globals) program.addOption(option);
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

/** The global options, on every command line before or after the command. */
function globalOptions(): Option[] {
  return [
    new Option('--backend <backend>', 'local (SQLite + local KMS) or aws (DynamoDB + AWS KMS)').choices(['local', 'aws']),
    new Option('--store <store>', 'override the store of the backend').choices(['sqlite', 'dynamodb']),
    new Option('--kms <kms>', 'override the key service of the backend').choices(['local', 'aws']),
    new Option('-t, --table <table>', 'table (logical table for SQLite); default credential-store'),
    new Option('--data-dir <dir>', 'data directory for the local store and keyring (KEYSTASH_HOME)'),
    new Option('-r, --region <region>', 'AWS region'),
    new Option('--kms-region <region>', 'AWS region for KMS only'),
    new Option('-p, --profile <profile>', 'AWS shared-config profile'),
    new Option('--role-arn <arn>', 'assume this IAM role'),
    new Option('--endpoint-url <url>', 'endpoint for DynamoDB and KMS (testing, local KMS server)'),
    new Option('--concurrency <n>', 'parallel requests for bulk commands (default 16)'),
    new Option('--decrypt-key <key>', 'AWS KMS: only this key may unwrap data keys (repeatable; KEYSTASH_DECRYPT_KEYS)').argParser((v: string, acc: string[] = []) => [...acc, v]),
    new Option('--timeout <seconds>', 'overall deadline of the AWS requests of this command (default 60; KEYSTASH_TIMEOUT)'),
    new Option('--regions <list>', 'regions in order, home first: reads fall back to the next when one is out (KEYSTASH_REGIONS)'),
    new Option('--any-region', 'let writes go to a fallback region while the home region is out'),
    new Option('--no-color', 'disable colour (also NO_COLOR)'),
    new Option('--debug', 'print stack traces for errors'),
  ];
}

/** Commands whose behaviour depends on their siblings being registered. */
const NEEDS_ALL = new Set(['completion', 'help']);

/**
 * The one command `argv` runs, or undefined when that is not certain. Global options are skipped
 * as commander would parse them; the command built must really carry the name it is listed
 * under.
 */
function singleCommand(deps: CliDeps, globals: readonly Option[], argv: readonly string[]): Command | undefined {
  const name = commandName(globals, argv);
  if (name === undefined || NEEDS_ALL.has(name)) return undefined;
  const cmd = COMMANDS.find(([n]) => n === name)?.[1](deps);
  return cmd?.name() === name ? cmd : undefined;
}

/** The first operand after the global options; undefined on anything unexpected. */
function commandName(globals: readonly Option[], argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return arg;
    if (arg === '-' || arg === '--') return undefined;
    const long = arg.startsWith('--');
    const flag = long ? arg.split('=')[0] : arg.slice(0, 2);
    const option = globals.find((o) => (long ? o.long === flag : o.short === flag));
    if (option === undefined || option.optional) return undefined;
    if (!option.required) {
      if (arg !== flag) return undefined; // `--debug=x` or combined short flags: let commander decide
      continue;
    }
    if (arg === flag) i++; // the value is the next argument
  }
  return undefined;
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
