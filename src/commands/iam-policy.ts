import { Command, Argument } from 'commander';
import { configOf, type CliDeps } from '../cli/deps.js';
import { DEFAULT_KEY } from '../config.js';
import { ACCOUNT_PLACEHOLDER, iamPolicy, type PolicyRole } from '../core/iam-policy.js';

export function iamPolicyCommand(deps: CliDeps): Command {
  return new Command('iam-policy')
    .description('print a least-privilege IAM policy for the configured table and key')
    .addArgument(new Argument('<role>', 'reader, writer or admin').choices(['reader', 'writer', 'admin']))
    .option('-k, --key <key>', 'KMS key id, ARN or alias (alias → kms:ResourceAliases condition)', DEFAULT_KEY)
    .option('--account-id <id>', 'AWS account id (the default is a placeholder to fill in)', ACCOUNT_PLACEHOLDER)
    .addHelpText('after', '\nExample:\n  $ keystash -t credential-store -r eu-west-1 iam-policy reader --account-id 123456789012')
    .action((role: PolicyRole, opts, cmd: Command) => {
      const config = configOf(deps, cmd);
      const policy = iamPolicy(role, { region: config.region, kmsRegion: config.kmsRegion, accountId: opts.accountId, table: config.table, keyId: opts.key });
      deps.io.stdout.write(`${JSON.stringify(policy, null, 2)}\n`);
    });
}
