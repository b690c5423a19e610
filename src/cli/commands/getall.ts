import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { QUICK_GRAMMAR } from '../grammar.js';
import { getallAction, type GetallOptions } from './actions.js';

export function getallCommand(deps: CliDeps): Command {
  return withGrammar(new Command('getall'), QUICK_GRAMMAR.getall)
    .description("print every secret's latest value (or the selected ones); any failure prints nothing and exits non-zero")
    .addHelpText('after', "\nExamples:\n  $ keystash getall\n  $ keystash getall -f dotenv env=prod > .env\n  $ keystash getall 'app.*' db.pw\n  $ keystash getall --skip-unreadable --allow-partial")
    .action((pairs: string[], opts: GetallOptions, cmd: Command) => getallAction(deps, flagsOf(cmd), pairs, opts));
}
