import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { flagsOf, printJson, say, type CliDeps } from '../deps.js';
import { progressReporter } from '../progress.js';
import { resolveConfig, type ConfigFlags } from '../../config.js';
import { MigrateFailedError, type MigrateSummary } from '../../core/transfer/migrate.js';
import { UsageError } from '../../errors.js';

/** `local`, `aws`, `local:TABLE` or `aws:TABLE` → config flags overriding the global ones. */
function endpointFlags(spec: string, what: string): ConfigFlags {
  const m = /^(local|aws)(?::(.+))?$/.exec(spec);
  if (!m) throw new UsageError(`invalid ${what} (not shown, in case it is the secret): expected local, aws, local:TABLE or aws:TABLE`);
  return { backend: m[1], store: undefined, kms: undefined, ...(m[2] ? { table: m[2] } : {}) };
}

function summaryLine(s: MigrateSummary): string {
  return `${s.dryRun ? 'would copy' : 'copied'} ${s.copied} of ${s.total} rows; skipped ${s.skipped} already present; conflicts ${s.conflicts.length}; failed ${s.failed.length}${s.dryRun ? '' : `; verified ${s.verified}`}`;
}

function summaryJson(s: MigrateSummary): object {
  return { ...s, failed: s.failed.map((f) => ({ name: f.name, version: f.version, code: f.error.code, error: f.error.message })) };
}

/** Options of `migrate`. */
export type MigrateOptions = OptionsOf<'migrate'>;

export function migrateCommand(deps: CliDeps): Command {
  return withGrammar(new Command('migrate'), COMMAND_GRAMMAR.migrate)
    .description('copy every version to another store and/or key service, re-wrapping data keys (values are never decrypted)')
    .addHelpText('after', '\nExamples:\n  $ keystash migrate --from aws --to local\n  $ keystash migrate --from local --to aws:prod-secrets --to-key alias/prod')
    .action(async (pairs: string[], opts: MigrateOptions, cmd: Command) => {
      const globals = flagsOf(cmd);
      const from = resolveConfig({ ...globals, ...endpointFlags(opts.from, '--from') }, deps.io.env);
      const to = resolveConfig({ ...globals, ...endpointFlags(opts.to, '--to') }, deps.io.env);
      const sameStore = from.store === to.store && (from.store === 'sqlite' ? from.storePath === to.storePath : from.region === to.region && from.dynamodbEndpoint === to.dynamodbEndpoint);
      if (sameStore && from.table === to.table) {
        throw new UsageError(`--from and --to are the same table '${from.table}': nothing would be copied; to re-wrap in place use: keystash rotate --all --all-versions --key KEY`);
      }
      const source = await deps.open(from);
      const progress = progressReporter(deps.io, 'migrate');
      const report = (s: MigrateSummary) => (opts.json ? printJson(deps, summaryJson(s)) : say(deps, summaryLine(s)));
      try {
        const dest = await deps.open(to, { create: true });
        try {
          const summary = await source.migrate(dest, {
            destKeyId: opts.toKey,
            context: parseContext(pairs),
            dryRun: opts.dryRun,
            setup: true,
            onProgress: progress.onProgress,
          }).finally(progress.done);
          report(summary);
        } catch (error) {
          if (error instanceof MigrateFailedError) report(error.summary);
          throw error;
        } finally {
          dest.close();
        }
      } finally {
        source.close();
      }
    });
}
