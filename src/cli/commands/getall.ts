import { Command, Option } from 'commander';
import { parseVersionArg } from '../arg-parsers.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { getallAction, type GetallOptions } from './actions.js';
import { CREDSTASH_FORMATS } from './formats.js';

export function getallCommand(deps: CliDeps): Command {
  return new Command('getall')
    .description("print every secret's latest value; any failure prints nothing and exits non-zero")
    .argument('[context...]', 'encryption context pairs key=value')
    .option('-v, --version <version>', 'read this version of every secret', parseVersionArg)
    .addOption(new Option('-f, --format <format>', 'output format').choices(CREDSTASH_FORMATS).default('json'))
    .option('--allow-env <VAR>', 'dotenv: let a secret set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--csv-safe', "csv: prefix cells starting with = + - @ with ' (spreadsheet formula injection)")
    .addHelpText('after', '\nExamples:\n  $ keystash getall\n  $ keystash getall -f dotenv env=prod > .env')
    .action((pairs: string[], opts: GetallOptions, cmd: Command) => getallAction(deps, flagsOf(cmd), pairs, opts));
}
