import { Command } from 'commander';
import { parseContext } from '../arg-checks.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { readValueArg } from '../io.js';
import { progressReporter } from '../progress.js';
import { parseImport } from '../../core/transfer/import-file.js';
import { printImportReport } from './import.js';
import { DEFAULT_KEY } from '../../config.js';

/** Options of `putall`. */
interface PutallOptions {
  key: string;
  autoversion?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function putallCommand(deps: CliDeps): Command {
  return new Command('putall')
    .description('store every "name": "value" of a JSON object as a new version (credstash putall)')
    .argument('<credentials>', "a JSON object, '@FILE', or '-' for stdin")
    .argument('[context...]', 'encryption context pairs key=value')
    .option('-k, --key <key>', 'KMS key id, ARN or alias', DEFAULT_KEY)
    .option('-a, --autoversion', 'choose the next version (the default; kept for credstash)')
    .option('--dry-run', 'only list added / changed / unchanged names (values masked)')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', '\nExamples:\n  $ keystash putall \'{"db.user": "app", "db.pw": "hunter2"}\'\n  $ keystash putall @secrets.json env=prod')
    .action(async (credentials: string, pairs: string[], opts: PutallOptions, cmd: Command) => {
      const text = await readValueArg(deps.io, credentials);
      const secrets = parseImport(text, 'json', credentials.startsWith('@') ? credentials.slice(1) : 'credentials');
      const context = parseContext(pairs);
      const progress = progressReporter(deps.io, 'putall');
      const results = await withKeystash(deps, cmd, (ks) => ks.import(secrets, { dryRun: opts.dryRun, keyId: opts.key, context, onProgress: progress.onProgress }), { create: true }).finally(progress.done);
      printImportReport(deps, results, opts.json === true, opts.dryRun === true);
    });
}
