import { Command } from 'commander';
import { parseContext } from '../arg-checks.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { writeOutput } from '../output-file.js';
import { parseTemplate } from '../../core/process/inject.js';
import { oneLine } from '../../format/one-line.js';

/** Options of `inject`. */
export interface InjectOptions {
  inFile: string;
  outFile?: string;
  dryRun?: boolean;
}

export function injectCommand(deps: CliDeps): Command {
  return new Command('inject')
    .description('copy a template, replacing {{ keystash:NAME }} and {{ keystash:NAME@VERSION }} with secret values; any failure writes nothing')
    .argument('[context...]', 'encryption context pairs key=value, for every reference')
    .requiredOption('-i, --in-file <template>', "template file ('-' for stdin)")
    .option('-o, --out-file <file>', "write to FILE (mode 0600, replaced atomically) instead of stdout ('-' for stdout)")
    .option('--dry-run', 'list the references (line, name, version) and read no secret')
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
