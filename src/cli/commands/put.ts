import { Command, Option } from 'commander';
import { parseDigest, parseVersionArg, parseWriteVersionArg, unknownOptionHidden, unknownOptionShown } from '../arg-parsers.js';
import { flagsOf, type CliDeps } from '../deps.js';
import { DEFAULT_KEY } from '../../config.js';
import { putAction, type PutOptions } from './actions.js';

/**
 * commander echoes an unknown option in its error; after `put NAME` that is most likely the secret
 * value itself (`keystash put db.pw -x9Secret`), so only an option-like flag is shown in full
 * (arg-parsers.ts unknownOptionShown), with a hint on how to store a value starting with '-'.
 */
class PutCommand extends Command {
  unknownOption(flag: string): never {
    const shown = unknownOptionShown(flag) ?? unknownOptionHidden(flag);
    this.error(`error: unknown option ${shown}; a value starting with '-' goes after '--': keystash put NAME -- VALUE`, { code: 'commander.unknownOption' });
  }
}

export function putCommand(deps: CliDeps): Command {
  return new PutCommand('put')
    .description('store a new version of a secret')
    .argument('<name>', 'secret name')
    .argument('[value]', "the value; '-' reads stdin, '@FILE' reads a file")
    .argument('[context...]', 'encryption context pairs key=value')
    .option('-k, --key <key>', 'KMS key id, ARN or alias', DEFAULT_KEY)
    .option('-c, --comment <comment>', 'comment stored in plaintext beside the secret')
    .option('-d, --digest <digest>', 'HMAC digest: SHA, SHA224, SHA256, SHA384, SHA512, MD5', parseDigest, 'SHA256')
    .option('-v, --version <version>', 'explicit version, a number (fails if it exists)', parseWriteVersionArg)
    .option('-a, --autoversion', 'choose the next version (the default; kept for credstash)')
    .option('--expect-version <version>', 'refuse unless the current latest version is this one', parseVersionArg)
    .option('-P, --prompt', 'read the value from the terminal without echo')
    .option('--allow-large', 'local store: store a value larger than any DynamoDB table could hold (400 KB items; the row cannot be migrated to AWS)')
    .addOption(new Option('--json', 'print {"name","version"} on stdout'))
    .addHelpText('after', '\nExamples:\n  $ keystash put db.pw hunter2 env=prod\n  $ keystash put tls.key @server.key -c "rotated 2026-11"\n  $ printf %s "$T" | keystash put api.token -')
    .action((name: string, value: string | undefined, pairs: string[], opts: PutOptions, cmd: Command) => putAction(deps, flagsOf(cmd), name, value, pairs, opts));
}
