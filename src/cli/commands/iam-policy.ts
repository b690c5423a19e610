import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { configOf, printJson, type CliDeps } from '../deps.js';
import { iamPolicy, type PolicyRole } from '../../core/policy/iam-policy.js';

/** Options of `iam-policy`. */
type IamPolicyOptions = OptionsOf<'iam-policy'>;

export function iamPolicyCommand(deps: CliDeps): Command {
  return withGrammar(new Command('iam-policy'), COMMAND_GRAMMAR['iam-policy'])
    .description('print a least-privilege IAM policy for the configured table and key')
    .addHelpText('after', "\nExamples:\n  $ keystash -t credential-store -r eu-west-1 iam-policy reader --account-id 123456789012\n  $ keystash iam-policy reader --context app=web --prefix web.")
    .action((role: PolicyRole, opts: IamPolicyOptions, cmd: Command) => {
      const config = configOf(deps, cmd);
      const scope = { context: parseContext(opts.context), prefix: opts.prefix };
      const policy = iamPolicy(role, { region: config.region, kmsRegion: config.kmsRegion, accountId: opts.accountId, table: config.table, keyId: opts.key, regions: config.regions }, scope);
      printJson(deps, policy);
    });
}
