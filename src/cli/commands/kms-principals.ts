import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { printJson, say, type CliDeps } from '../deps.js';
import { addPrincipalToFile, generateKeyPair, type PrincipalEntry } from '../kms-principals-file.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `kms principals`. */
type KmsPrincipalsOptions = OptionsOf<'kms principals'>;

export function kmsPrincipalsCommand(deps: CliDeps): Command {
  return withGrammar(new Command('principals'), COMMAND_GRAMMAR['kms principals'])
    .description('create a principal for `kms serve --principals`: a new access key (secret shown once) with a role and limits')
    .action((opts: KmsPrincipalsOptions) => {
      const roles = [...new Set(opts.role)];
      const pair = generateKeyPair();
      const entry: PrincipalEntry = { ...pair, role: roles.length === 1 ? roles[0]! : roles };
      if (opts.key !== undefined) entry.keys = opts.key;
      if (opts.context !== undefined) entry.context = Object.fromEntries(opts.context);
      if (opts.file === undefined) {
        printJson(deps, entry);
        say(deps, 'add this entry to the "principals" list of the file given to kms serve --principals (chmod 600); the secret is not stored anywhere else');
        return;
      }
      addPrincipalToFile(opts.file, entry);
      deps.io.stdout.write(`AWS_ACCESS_KEY_ID=${pair.accessKeyId}\nAWS_SECRET_ACCESS_KEY=${pair.secretAccessKey}\n`);
      say(deps, oneLine(`added ${pair.accessKeyId} (${roles.join('+')}) to ${opts.file}; restart kms serve to use it. The secret above is shown only once.`));
    });
}
