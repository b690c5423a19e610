import { Command } from 'commander';
import { parseContext } from '../arg-checks.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { createProgress, type Progress } from '../progress.js';
import { PartialFailureError } from '../../errors.js';
import { oneLine, safeLines } from '../../format/one-line.js';

/** Options of `verify`. */
export interface VerifyOptions {
  json?: boolean;
}

export function verifyCommand(deps: CliDeps): Command {
  return new Command('verify')
    .description('decrypt and MAC-check every version; report failures and legacy encodings')
    .argument('[pattern]', 'secret name or pattern (with *); default every secret')
    .argument('[context...]', 'encryption context pairs key=value')
    .option('--json', 'print the report as JSON')
    .addHelpText('after', "\nExamples:\n  $ keystash verify\n  $ keystash verify 'db.*' env=prod --json")
    .action(async (pattern: string | undefined, pairs: string[], opts: VerifyOptions, cmd: Command) => {
      if (pattern?.includes('=')) [pattern, pairs] = [undefined, [pattern, ...pairs]];
      let progress: Progress | undefined;
      const report = await withKeystash(deps, cmd, (ks) =>
        ks.verify({
          pattern,
          context: parseContext(pairs),
          onProgress: ({ total }) => (progress ??= createProgress(deps.io, 'verify', total)).tick(),
        }),
      ).finally(() => progress?.done());
      const failed = report.failed.map((f) => ({ name: f.name, version: f.version, code: f.error.code, error: f.error.message }));
      if (opts.json) {
        const json = { checked: report.checked, ok: report.ok, legacy: report.legacy, failed };
        deps.io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        const lines = [
          ...failed.map((f) => `FAILED  ${oneLine(f.name)} version ${oneLine(f.version)}: ${f.error}`),
          ...report.legacy.map((l) => `legacy  ${oneLine(l.name)} version ${oneLine(l.version)}: ${l.issues.join(', ')}`),
          `checked ${report.checked}, ok ${report.ok}, legacy ${report.legacy.length}, failed ${failed.length}`,
        ];
        deps.io.stdout.write(lines.map((l) => `${safeLines(l)}\n`).join(''));
      }
      if (report.failed.length > 0) throw new PartialFailureError(`${report.failed.length} of ${report.checked} rows failed verification`, report.failed);
    });
}
