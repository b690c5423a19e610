import { Command, Argument } from 'commander';
import { parseContext } from '../arg-checks.js';
import { configOf, printJson, type CliDeps } from '../deps.js';
import { DEFAULT_KEY } from '../../config.js';
import { ACCOUNT_PLACEHOLDER, iamPolicy, type PolicyRole } from '../../core/policy/iam-policy.js';

/** Options of `iam-policy`. */
interface IamPolicyOptions {
  key: string;
  accountId: string;
  context: string[];
  prefix?: string;
}

export function iamPolicyCommand(deps: CliDeps): Command {
  return new Command('iam-policy')
    .description('print a least-privilege IAM policy for the configured table and key')
    .addArgument(new Argument('<role>', 'reader, writer or admin').choices(['reader', 'writer', 'admin']))
    .option('-k, --key <key>', 'KMS key id, ARN or alias (alias → kms:ResourceAliases condition)', DEFAULT_KEY)
    .option('--account-id <id>', 'AWS account id (the default is a placeholder to fill in)', ACCOUNT_PLACEHOLDER)
    .option('--context <key=value>', 'reader/writer: only secrets stored with this encryption context pair (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--prefix <prefix>', 'reader/writer: only secrets whose names start with PREFIX (no Scan: exact names only)')
    .addHelpText('after', "\nExamples:\n  $ keystash -t credential-store -r eu-west-1 iam-policy reader --account-id 123456789012\n  $ keystash iam-policy reader --context app=web --prefix web.")
    .action((role: PolicyRole, opts: IamPolicyOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      const scope = { context: parseContext(opts.context), prefix: opts.prefix };
      const policy = iamPolicy(role, { region: config.region, kmsRegion: config.kmsRegion, accountId: opts.accountId, table: config.table, keyId: opts.key, regions: config.regions }, scope);
      printJson(deps, policy);
    });
}
