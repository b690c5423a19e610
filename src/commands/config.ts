import { Command } from 'commander';
import { configOf, type CliDeps } from '../cli/deps.js';
import { describeConfig } from '../config.js';

export function configCommand(deps: CliDeps): Command {
  return new Command('config')
    .description('show the effective settings and where each came from (flag, env, config, default)')
    .option('--json', 'print JSON')
    .action((opts, cmd: Command) => {
      const rows = describeConfig(configOf(deps, cmd));
      if (opts.json) return void deps.io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      const width = Math.max(...rows.map((r) => r.setting.length));
      deps.io.stdout.write(rows.map((r) => `${r.setting.padEnd(width)}  ${r.value}  (${r.source})\n`).join(''));
    });
}
