import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { say, withKeystash, type CliDeps } from '../deps.js';
import { checkOutputPath, isStandardOutput, writeOutput } from '../output-file.js';

/** Options of `backup`. */
type BackupOptions = OptionsOf<'backup'>;

export function backupCommand(deps: CliDeps): Command {
  return withGrammar(new Command('backup'), COMMAND_GRAMMAR.backup)
    .description('write every version of every secret, still encrypted, as a checksummed JSON Lines file')
    .addHelpText('after', '\nExamples:\n  $ keystash backup -o keystash-$(date +%F).jsonl\n  $ keystash --backend aws -t prod backup > prod.jsonl')
    .action(async (opts: BackupOptions, cmd: Command) => {
      checkOutputPath(opts.output);
      // Built whole in memory: a failure writes nothing.
      const [text, dataDir] = await withKeystash(deps, cmd, async (ks, config) => [await ks.backup({ store: config.store, table: config.table }), config.dataDir] as const);
      await writeOutput(deps.io.stdout, opts.output, text, { dataDir });
      if (!isStandardOutput(opts.output)) say(deps, `backup of ${text.split('\n').length - 3} rows written to ${opts.output}`);
    });
}
