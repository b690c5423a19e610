import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `history`. */
type HistoryOptions = OptionsOf<'history'>;

export function historyCommand(deps: CliDeps): Command {
  return withGrammar(new Command('history'), COMMAND_GRAMMAR.history)
    .description('every version of a secret, newest first: version, created time, comment')
    .addHelpText('after', '\nExamples:\n  $ keystash history db.pw\n  $ keystash history db.pw --keys --json')
    .action(async (name: string, pairs: string[], opts: HistoryOptions, cmd: Command) => {
      const rows = await withKeystash(deps, cmd, (ks) => ks.history(name, { keys: opts.keys, context: parseContext(pairs) }));
      if (opts.json) {
        const out = rows.map((r) => ({ version: r.version, createdAt: r.createdAt ?? null, comment: r.comment ?? null, ...(opts.keys ? { keyArn: r.keyArn ?? null } : {}) }));
        printJson(deps, out);
        return;
      }
      // Every field from the store escaped as list does (oneLine): a hostile row's version may hold an escape sequence.
      const lines = rows.map((r) => [r.version, r.createdAt ?? '-', ...(opts.keys ? [r.keyArn ?? '-'] : []), r.comment ?? ''].map(oneLine).join('  ').trimEnd());
      deps.io.stdout.write(lines.map((l) => `${l}\n`).join(''));
    });
}
