import { Command } from 'commander';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `keys`. */
interface KeysOptions {
  json?: boolean;
}

export function keysCommand(deps: CliDeps): Command {
  return new Command('keys')
    .description('list the names of all secrets, once each')
    .option('--json', 'print a JSON array')
    .addHelpText('after', '\nExample:\n  $ keystash keys')
    .action(async (opts: KeysOptions, cmd: Command) => {
      const names = await withKeystash(deps, cmd, (ks) => ks.names());
      if (opts.json) printJson(deps, names);
      else deps.io.stdout.write(names.map((n) => `${oneLine(n)}\n`).join(''));
    });
}
