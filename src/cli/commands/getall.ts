import { Command, Option } from 'commander';
import { parseVersionArg } from '../arg-parsers.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { getallAction, type GetallOptions } from './actions.js';
import { CREDSTASH_FORMATS } from './formats.js';

export function getallCommand(deps: CliDeps): Command {
  return new Command('getall')
    .description("print every secret's latest value (or the selected ones); any failure prints nothing and exits non-zero")
    .argument('[selectors-and-context...]', 'secret names or globs (app.*) to read only those, and encryption context pairs key=value')
    .option('-v, --version <version>', 'read this version of every secret', parseVersionArg)
    .addOption(new Option('-f, --format <format>', 'output format').choices(CREDSTASH_FORMATS).default('json'))
    .option('--allow-env <VAR>', 'dotenv: let a secret set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--csv-safe', "csv: prefix cells starting with = + - @ with ' (spreadsheet formula injection)")
    .option('--skip-unreadable', 'leave out secrets that cannot be read (wrong context, refused key, tampered row), list them on stderr and exit 11')
    .option('--allow-partial', 'with --skip-unreadable, exit 0 (the skipped names are still listed on stderr)')
    .addHelpText('after', "\nExamples:\n  $ keystash getall\n  $ keystash getall -f dotenv env=prod > .env\n  $ keystash getall 'app.*' db.pw\n  $ keystash getall --skip-unreadable --allow-partial")
    .action((pairs: string[], opts: GetallOptions, cmd: Command) => getallAction(deps, flagsOf(cmd), pairs, opts));
}
