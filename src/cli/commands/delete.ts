import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { say, withKeystash, type CliDeps } from '../deps.js';

/** Options of `delete`. */
type DeleteOptions = OptionsOf<'delete'>;

export function deleteCommand(deps: CliDeps): Command {
  return withGrammar(new Command('delete'), COMMAND_GRAMMAR.delete)
    .description('delete every version of a secret, or one version with -v')
    .addHelpText('after', '\nExamples:\n  $ keystash delete db.pw\n  $ keystash delete db.pw -v 2')
    .action(async (name: string, opts: DeleteOptions, cmd: Command) => {
      const deleted = await withKeystash(deps, cmd, (ks) => ks.delete(name, { version: opts.version }));
      for (const row of deleted) say(deps, `Deleting ${row.name} -- version ${row.version}`);
    });
}
