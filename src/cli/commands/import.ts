import { Command, Option } from 'commander';
import { parseContext } from '../arg-checks.js';
import { printJson, withKeystash, type CliDeps } from '../deps.js';
import { readStdin, readValueFile } from '../io.js';
import { progressReporter } from '../progress.js';
import { oneLine } from '../../format/one-line.js';
import type { ImportResult } from '../../core/transfer/import.js';
import { detectFormat, IMPORT_FORMATS, parseImport, type ImportFormat } from '../../core/transfer/import-file.js';
import { DEFAULT_KEY } from '../../config.js';

/** Options of `import`. */
export interface ImportOptions {
  format?: ImportFormat;
  key: string;
  comment?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function importCommand(deps: CliDeps): Command {
  return new Command('import')
    .description('store every NAME=value of a JSON, dotenv or YAML file as a new version (unchanged values skipped)')
    .argument('<file>', "the file, or '-' for stdin")
    .argument('[context...]', 'encryption context pairs key=value')
    .addOption(new Option('--format <format>', 'file format (default: from the extension, else sniffed)').choices(IMPORT_FORMATS))
    .option('-k, --key <key>', 'KMS key id, ARN or alias', DEFAULT_KEY)
    .option('-c, --comment <comment>', 'comment stored beside every written version')
    .option('--dry-run', 'only list added / changed / unchanged names (values masked)')
    .option('--json', 'print the report as JSON')
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
