import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { readValueArg } from '../io.js';
import { progressReporter } from '../progress.js';
import { parseImport } from '../../core/transfer/import-file.js';
import { printImportReport } from './import.js';

/** Options of `putall`. */
type PutallOptions = OptionsOf<'putall'>;

export function putallCommand(deps: CliDeps): Command {
  return withGrammar(new Command('putall'), COMMAND_GRAMMAR.putall)
    .description('store every "name": "value" of a JSON object as a new version (credstash putall)')
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
