import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { progressReporter } from '../progress.js';
import { oneLine } from '../../format/one-line.js';
import type { ImportResult } from '../../core/transfer/import.js';
import { detectFormat, parseImport, type ImportFormat } from '../../core/transfer/import-file.js';

/** Options of `import`. */
export type ImportOptions = OptionsOf<'import'>;

export function importCommand(deps: CliDeps): Command {
  return withGrammar(new Command('import'), COMMAND_GRAMMAR.import)
    .description('store every NAME=value of a JSON, dotenv or YAML file as a new version (unchanged values skipped)')
    .addHelpText('after', '\nExamples:\n  $ keystash import .env --dry-run\n  $ keystash import secrets.yaml env=prod\n  $ cat vars.json | keystash import - --format json')
    .action(async (file: string, pairs: string[], opts: ImportOptions, cmd: Command) => {
      const text = file === '-' ? await readStdin(deps.io) : await readValueFile(file);
      const source = file === '-' ? 'standard input' : file;
      const format: ImportFormat = opts.format ?? detectFormat(text, file === '-' ? undefined : file);
      const secrets = parseImport(text, format, source);
      const context = parseContext(pairs);
      const progress = progressReporter(deps.io, 'import');
      const results = await withKeystash(deps, cmd, (ks) =>
        ks.import(secrets, { dryRun: opts.dryRun, keyId: opts.key, context, comment: opts.comment, onProgress: progress.onProgress }),
      { create: true },
      ).finally(progress.done);
      printImportReport(deps, results, opts.json === true, opts.dryRun === true);
    });
}

/** The per-name report: JSON on stdout, or `added NAME=***` lines (never a value). */
export function printImportReport(deps: CliDeps, results: readonly ImportResult[], json: boolean, dryRun: boolean): void {
  if (json) {
    printJson(deps, { dryRun, results });
    return;
  }
  const lines = results.map((r) => `${r.status.padEnd(9)} ${oneLine(r.name)}=***${r.version ? ` (version ${r.version})` : ''}\n`);
  deps.io.stdout.write(lines.join(''));
  const count = (s: string) => results.filter((r) => r.status === s).length;
  deps.io.stderr.write(`${dryRun ? 'dry run: would add' : 'added'} ${count('added')}, ${dryRun ? 'change' : 'changed'} ${count('changed')}, unchanged ${count('unchanged')}\n`);
}
