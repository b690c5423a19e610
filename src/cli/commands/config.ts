import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { configOf, printJson, type CliDeps } from '../deps.js';
import { describeConfig } from '../../config.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `config`. */
type ConfigOptions = OptionsOf<'config'>;

export function configCommand(deps: CliDeps): Command {
  return withGrammar(new Command('config'), COMMAND_GRAMMAR.config)
    .description('show the effective settings and where each came from (flag, env, config, default)')
    .action((opts: ConfigOptions, cmd: Command) => {
      const rows = describeConfig(configOf(deps, cmd));
      if (opts.json) return void printJson(deps, rows);
      const cells = rows.map((r) => [r.setting, r.value === '' ? '-' : oneLine(r.value), `(${r.source})`] as const);
      const w0 = Math.max(...cells.map((c) => c[0].length));
      const w1 = Math.max(...cells.map((c) => c[1].length));
      deps.io.stdout.write(cells.map(([s, v, src]) => `${s.padEnd(w0)}  ${v.padEnd(w1)}  ${src}\n`).join(''));
    });
}
