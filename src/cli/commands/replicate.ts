/**
 * `keystash replicate`: copy the versions missing in another region's table (or another data
 * directory) without decrypting values; resumable and idempotent (core/transfer/replicate.ts).
 */
import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { flagsOf, printJson, say, type CliDeps } from '../deps.js';
import { resolveConfig, type Config } from '../../config.js';
import { ReplicateFailedError, type ReplicateSummary } from '../../core/transfer/replicate.js';
import { UsageError } from '../../errors.js';

/** Options of `replicate`. */
type ReplicateCommandOptions = OptionsOf<'replicate'>;

function summaryLine(s: ReplicateSummary, to: string): string {
  return `replicated to ${to}: copied ${s.copied} of ${s.total} versions; already present ${s.present}; diverged ${s.diverged.length}; failed ${s.failed.length}`;
}

export function replicateCommand(deps: CliDeps): Command {
  return withGrammar(new Command('replicate'), COMMAND_GRAMMAR.replicate)
    .description('copy the versions missing in another region (or data directory); values are never decrypted; run again to resume')
    .addHelpText('after', '\nExamples:\n  $ keystash --backend aws replicate --to-region eu-west-1\n  $ keystash replicate --to-data-dir /mnt/standby/keystash')
    .action(async (pairs: string[], opts: ReplicateCommandOptions, cmd: Command) => {
      if ((opts.toRegion === undefined) === (opts.toDataDir === undefined)) throw new UsageError('replicate needs exactly one of --to-region REGION or --to-data-dir DIR');
      const globals = flagsOf(cmd);
      const base = resolveConfig(globals, deps.io.env);
      // The source is the home region alone (no fallback: a copy must come from one store).
      const from = resolveConfig({ ...globals, regions: base.regions[0] }, deps.io.env);
      let to: Config;
      let label: string;
      if (opts.toRegion !== undefined) {
        if (from.store !== 'dynamodb') throw new UsageError('--to-region needs the DynamoDB store (--backend aws); for the local store use --to-data-dir');
        to = resolveConfig({ ...globals, regions: opts.toRegion, table: opts.toTable ?? from.table }, deps.io.env);
        label = `${to.region} table ${to.table}`;
        if (to.region === from.region && to.table === from.table) throw new UsageError(`--to-region ${to.region} is the source region and table: nothing to copy`);
      } else {
        to = resolveConfig({ ...globals, backend: 'local', store: undefined, kms: undefined, dataDir: opts.toDataDir, regions: undefined, table: opts.toTable ?? from.table }, deps.io.env);
        label = to.dataDir;
        if (from.store === 'sqlite' && to.storePath === from.storePath && to.table === from.table) throw new UsageError('--to-data-dir is the source data directory: nothing to copy');
      }
      const source = await deps.open(from);
      try {
        const dest = await deps.open(to, { create: true });
        try {
          await dest.setup();
          let summary: ReplicateSummary;
          try {
            summary = await source.replicate(dest, { rewrapKeyId: opts.rewrapKey, context: parseContext(pairs) });
          } catch (error) {
            if (error instanceof ReplicateFailedError) report(deps, error.summary, label, opts.json === true);
            throw error;
          }
          report(deps, summary, label, opts.json === true);
        } finally {
          dest.close();
        }
      } finally {
        source.close();
      }
    });
}

function report(deps: CliDeps, s: ReplicateSummary, label: string, json: boolean): void {
  if (json) printJson(deps, { ...s, failed: s.failed.map((f) => ({ name: f.name, version: f.version, code: f.error.code, error: f.error.message })) });
  else say(deps, summaryLine(s, label));
}
