import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { configOf, flagsOf, printJson, say, withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { progressReporter } from '../progress.js';
import { resolveConfig } from '../../config.js';
import { parseBackup } from '../../core/transfer/backup-file.js';

/** Options of `restore`. */
export type RestoreOptions = OptionsOf<'restore'>;

export function restoreCommand(deps: CliDeps): Command {
  return withGrammar(new Command('restore'), COMMAND_GRAMMAR.restore)
    .description('write the rows of a backup into the configured table/backend; a damaged file is refused before any write')
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
