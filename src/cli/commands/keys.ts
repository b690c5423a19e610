import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `keys`. */
type KeysOptions = OptionsOf<'keys'>;

export function keysCommand(deps: CliDeps): Command {
  return withGrammar(new Command('keys'), COMMAND_GRAMMAR.keys)
    .description('list the names of all secrets, once each')
    .addHelpText('after', '\nExample:\n  $ keystash keys')
    .action(async (opts: KeysOptions, cmd: Command) => {
      const names = await withKeystash(deps, cmd, (ks) => ks.names());
      if (opts.json) printJson(deps, names);
      else deps.io.stdout.write(names.map((n) => `${oneLine(n)}\n`).join(''));
    });
}
