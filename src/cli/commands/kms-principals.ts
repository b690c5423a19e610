import { Command, InvalidArgumentError, Option } from 'commander';
import { parseContextPair } from '../arg-checks.js';
import { printJson, say, type CliDeps } from '../deps.js';
import { addPrincipalToFile, generateKeyPair, type PrincipalEntry } from '../kms-principals-file.js';
import { oneLine } from '../../format/one-line.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const collectRole = (value: string, previous: string[] = []): string[] => {
  if (value !== 'user' && value !== 'manager') throw new InvalidArgumentError("Allowed choices are user, manager.");
  return [...previous, value];
};
const collectPair = (value: string, previous: Array<[string, string]> = []): Array<[string, string]> => [...previous, parseContextPair(value)];

/** Options of `kms principals`. */
interface KmsPrincipalsOptions {
  role: string[];
  key?: string[];
  context?: Array<[string, string]>;
  file?: string;
}

export function kmsPrincipalsCommand(deps: CliDeps): Command {
  return new Command('principals')
    .description('create a principal for `kms serve --principals`: a new access key (secret shown once) with a role and limits')
    .addOption(new Option('--role <role>', 'user (use keys) or manager (administer keys); both: --role user --role manager').argParser(collectRole).makeOptionMandatory())
    .option('--key <key>', 'limit to this key id, ARN or alias (repeatable)', collect)
    .option('--context <key=value>', 'require this encryption-context pair on cryptographic calls (repeatable)', collectPair)
    .option('--file <file>', 'add the entry to this principals file (created 0600) instead of printing it')
    .action((opts: KmsPrincipalsOptions) => {
      const roles = [...new Set(opts.role)] as Array<'user' | 'manager'>;
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
