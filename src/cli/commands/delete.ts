import { Command } from 'commander';
import { parseVersionArg } from '../arg-parsers.js';
import { say, withKeystash, type CliDeps } from '../deps.js';

/** Options of `delete`. */
interface DeleteOptions {
  version?: string;
}

export function deleteCommand(deps: CliDeps): Command {
  return new Command('delete')
    .description('delete every version of a secret, or one version with -v')
    .argument('<name>', 'secret name (exact; no patterns)')
    .option('-v, --version <version>', 'delete only this version', parseVersionArg)
    .addHelpText('after', '\nExamples:\n  $ keystash delete db.pw\n  $ keystash delete db.pw -v 2')
    .action(async (name: string, opts: DeleteOptions, cmd: Command) => {
      const deleted = await withKeystash(deps, cmd, (ks) => ks.delete(name, { version: opts.version }));
      for (const row of deleted) say(deps, `Deleting ${row.name} -- version ${row.version}`);
    });
}
