import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { writeOutput } from '../output-file.js';
import { parseTemplate } from '../../core/process/inject.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `inject`. */
export type InjectOptions = OptionsOf<'inject'>;

export function injectCommand(deps: CliDeps): Command {
  return withGrammar(new Command('inject'), COMMAND_GRAMMAR.inject)
    .description('copy a template, replacing {{ keystash:NAME }} and {{ keystash:NAME@VERSION }} with secret values; any failure writes nothing')
    .addHelpText(
      'after',
      "\nExamples:\n  $ keystash inject -i config.yml.tpl -o config.yml\n  $ keystash inject -i app.env.tpl env=prod > app.env\n  $ keystash inject -i config.yml.tpl --dry-run",
    )
    .action(async (pairs: string[], opts: InjectOptions, cmd: Command) => {
      const context = parseContext(pairs);
      const template = opts.inFile === '-' ? await readStdin(deps.io) : await readValueFile(opts.inFile);
      if (opts.dryRun) {
        deps.io.stdout.write(parseTemplate(template).map((r) => `line ${r.line}: ${oneLine(r.name)}${r.version === undefined ? '' : `@${r.version}`}\n`).join(''));
        return;
      }
      const [text, dataDir] = await withKeystash(deps, cmd, async (ks, config) => [await ks.inject(template, { context }), config.dataDir] as const);
      await writeOutput(deps.io.stdout, opts.outFile, text, { dataDir });
    });
}
