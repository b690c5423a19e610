import { Command, Option } from 'commander';
import { parseVersionArg } from '../arg-parsers.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { getAction, type GetOptions } from './actions.js';
import { CREDSTASH_FORMATS } from './formats.js';

export function getCommand(deps: CliDeps): Command {
  return new Command('get')
    .description("print a secret's value (a NAME with '*' prints every match as JSON)")
    .argument('<name>', "secret name, or a glob such as 'app.*'")
    .argument('[context...]', 'encryption context pairs key=value')
    .option('-v, --version <version>', 'version to read (3 or 0000000000000000003)', parseVersionArg)
    .option('-n, --noline', 'do not append a newline')
    .addOption(new Option('-f, --format <format>', 'output format for patterns').choices(CREDSTASH_FORMATS).default('json'))
    .option('--allow-env <VAR>', 'dotenv: let a secret set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--csv-safe', "csv: prefix cells starting with = + - @ with ' (spreadsheet formula injection)")
    .addHelpText('after', "\nExamples:\n  $ keystash get db.pw\n  $ keystash get db.pw -v 2 env=prod\n  $ keystash get 'db.*' -f dotenv")
    .action((name: string, pairs: string[], opts: GetOptions, cmd: Command) => getAction(deps, flagsOf(cmd), name, pairs, opts));
}
