import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `list`. */
type ListOptions = OptionsOf<'list'>;

export function listCommand(deps: CliDeps): Command {
  return withGrammar(new Command('list'), COMMAND_GRAMMAR.list)
    .description('list every version of every secret: name, version, comment, created time')
    .addHelpText('after', '\nExamples:\n  $ keystash list\n  $ keystash list --json | jq -r ".[].name"')
    .action(async (opts: ListOptions, cmd: Command) => {
      const rows = await withKeystash(deps, cmd, (ks) => ks.list());
      if (opts.json) {
        printJson(deps, rows.map((r) => ({ name: r.name, version: r.version, comment: r.comment ?? null, createdAt: r.createdAt ?? null })));
        return;
      }
      const width = Math.max(0, ...rows.map((r) => oneLine(r.name).length));
      // credstash layout (docs/format.md §3.6), plus the creation time when known; one line per version.
      const lines = rows.map((r) => `${oneLine(r.name).padEnd(width)} -- version ${oneLine(r.version)} -- comment ${oneLine(r.comment ?? '')}${r.createdAt ? ` -- created ${oneLine(r.createdAt)}` : ''}\n`);
      deps.io.stdout.write(lines.join(''));
    });
}
