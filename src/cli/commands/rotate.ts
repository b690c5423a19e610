import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
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
export type RotateOptions = OptionsOf<'rotate'>;

export function rotateCommand(deps: CliDeps): Command {
  return withGrammar(new Command('rotate'), COMMAND_GRAMMAR.rotate)
    .description('re-wrap data keys under a new master key (--key), or re-seal values with fresh data keys (--reseal)')
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
