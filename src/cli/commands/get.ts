import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { QUICK_GRAMMAR } from '../grammar.js';
import { getAction, type GetOptions } from './actions.js';

export function getCommand(deps: CliDeps): Command {
  return withGrammar(new Command('get'), QUICK_GRAMMAR.get)
    .description("print a secret's value (a NAME with '*' prints every match as JSON)")
    .addHelpText('after', "\nExamples:\n  $ keystash get db.pw\n  $ keystash get db.pw -v 2 env=prod\n  $ keystash get 'db.*' -f dotenv")
    .action((name: string, pairs: string[], opts: GetOptions, cmd: Command) => getAction(deps, flagsOf(cmd), name, pairs, opts));
}
