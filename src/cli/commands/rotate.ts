import { Command } from 'commander';
import { parseContext } from '../arg-checks.js';
import { printJson, say, withKeystash, type CliDeps } from '../deps.js';
import { progressReporter } from '../progress.js';
import { RotateFailedError, type RotateSummary } from '../../core/secrets/rotate.js';
import { isPattern } from '../../core/secrets/wildcard.js';
import { UsageError } from '../../errors.js';

function summaryLine(s: RotateSummary): string {
  const verb = s.dryRun ? 'would rotate' : 'rotated';
  const under = s.keys && s.keys.length > 0 ? ` under ${s.keys.join(', ')}` : '';
  const target = s.keyArn ? ` under ${s.keyArn}` : s.mode === 'reseal' ? ` (re-sealed as new versions${under})` : '';
  return `${verb} ${s.rotated} of ${s.selected} rows${target}; skipped ${s.skipped}; failed ${s.failed.length}${s.dryRun ? '' : `; verified ${s.verified}`}`;
}

function summaryJson(s: RotateSummary): object {
  return { ...s, keyArn: s.keyArn ?? null, failed: s.failed.map((f) => ({ name: f.name, version: f.version, code: f.error.code, error: f.error.message })) };
}

/** Options of `rotate`. */
export interface RotateOptions {
  all?: boolean;
  key?: string;
  reseal?: boolean;
  allVersions?: boolean;
  dryRun?: boolean;
  json?: boolean;
}

export function rotateCommand(deps: CliDeps): Command {
  return new Command('rotate')
    .description('re-wrap data keys under a new master key (--key), or re-seal values with fresh data keys (--reseal)')
    .argument('[selection...]', 'secret names or patterns (with *), then encryption context pairs key=value')
    .option('--all', 'every secret')
    .option('-k, --key <key>', 're-wrap: destination KMS key id, ARN or alias; with --reseal: the key of the new versions')
    .option('--reseal', 'write a new version of each secret with a fresh data key and the same value')
    .option('--all-versions', 're-wrap every version, not only the latest')
    .option('--dry-run', 'count what would change; write nothing')
    .option('--json', 'print the summary as JSON on stdout (also when rows failed)')
    .addHelpText('after', "\nExamples:\n  $ keystash rotate --all --key alias/k2 --all-versions\n  $ keystash rotate 'db.*' --reseal\n  $ keystash rotate --all --key alias/k2 --dry-run")
    .action(async (selection: string[], opts: RotateOptions, cmd: Command) => {
      // --reseal takes -k as the key of the new versions (README); --key alone re-wraps.
      if (!opts.key && !opts.reseal) throw new UsageError('choose --key NEWKEY (re-wrap) or --reseal (optionally with -k KEY)');
      const pairs = selection.filter((a) => a.includes('=') && !isPattern(a));
      const names = selection.filter((a) => !pairs.includes(a));
      if (!opts.all && names.length === 0) throw new UsageError('give secret names or patterns, or --all');
      const progress = progressReporter(deps.io, 'rotate');
      const report = (s: RotateSummary) => (opts.json ? printJson(deps, summaryJson(s)) : say(deps, summaryLine(s)));
      try {
        const summary = await withKeystash(deps, cmd, (ks) =>
          ks.rotate({
            mode: opts.reseal ? 'reseal' : 'rewrap',
            keyId: opts.key,
            all: opts.all,
            names,
            allVersions: opts.allVersions,
            dryRun: opts.dryRun,
            context: parseContext(pairs),
            onProgress: progress.onProgress,
          }),
        ).finally(progress.done);
        report(summary);
      } catch (error) {
        if (error instanceof RotateFailedError) report(error.summary);
        throw error;
      }
    });
}
