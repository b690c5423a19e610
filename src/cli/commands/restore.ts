import { Command, Option } from 'commander';
import { parseContext } from '../arg-checks.js';
import { configOf, flagsOf, printJson, say, withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { progressReporter } from '../progress.js';
import { DEFAULT_KEY, resolveConfig } from '../../config.js';
import { parseBackup } from '../../core/transfer/backup-file.js';

/** Options of `restore`. */
export interface RestoreOptions {
  rewrapFrom?: 'local' | 'aws';
  toKey: string;
  createTable?: boolean;
  allowLarge?: boolean;
  json?: boolean;
}

export function restoreCommand(deps: CliDeps): Command {
  return new Command('restore')
    .description('write the rows of a backup into the configured table/backend; a damaged file is refused before any write')
    .argument('<file>', "the backup, or '-' for stdin")
    .argument('[context...]', 'encryption context of the rows (for re-wrapping)')
    .addOption(new Option('--rewrap-from <kms>', "re-wrap data keys: decrypt with this key service (the backup's), encrypt with the configured one").choices(['local', 'aws']))
    .option('--to-key <key>', 'master key that wraps the re-wrapped data keys', DEFAULT_KEY)
    .option('--create-table', 'create the destination table (or store file) first if it does not exist')
    .option('--allow-large', 'local store: take rows larger than any DynamoDB table could hold (400 KB items)')
    .option('--json', 'print the summary as JSON')
    .addHelpText('after', '\nExamples:\n  $ keystash -t restored restore backup.jsonl\n  $ keystash --backend aws restore backup.jsonl --rewrap-from local --to-key alias/prod')
    .action(async (file: string, pairs: string[], opts: RestoreOptions, cmd: Command) => {
      const text = file === '-' ? await readStdin(deps.io) : await readValueFile(file);
      const { rows } = parseBackup(text);
      const context = parseContext(pairs);
      const fromConfig = resolveConfig({ ...flagsOf(cmd), kms: opts.rewrapFrom }, deps.io.env);
      const from = opts.rewrapFrom === undefined ? undefined : await deps.openKeys(fromConfig);
      const progress = progressReporter(deps.io, 'restore');
      try {
        const summary = await withKeystash(deps, cmd, (ks) => ks.restore(rows, { context, rewrap: from && { from, keyId: opts.toKey }, createTable: opts.createTable === true, allowLarge: opts.allowLarge === true, onProgress: progress.onProgress }), { create: true }).finally(progress.done);
        if (opts.json) printJson(deps, summary);
        else say(deps, `restored ${summary.written} rows into table ${configOf(deps, cmd).table} (${summary.skipped} already present${summary.repaired > 0 ? `, ${summary.repaired} re-wrapped in place` : ''})`);
      } finally {
        from?.close?.();
      }
    });
}
