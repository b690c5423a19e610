import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { flagsOf, say, withKeystash, type CliDeps } from '../deps.js';
import { ConfigError, UsageError } from '../../errors.js';
import { resolveConfig } from '../../config.js';

/**
 * `--tags key=value ...` → the table's extra tags. A refused pair is not quoted (a value typed
 * there may be a secret), and the message names tags, not an encryption context.
 */
function parseTags(pairs: readonly string[]): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || eq === pair.length - 1) throw new UsageError('--tags: a tag is not the form of "key=value" (not shown, in case it is a secret)');
    const key = pair.slice(0, eq);
    if (Object.hasOwn(tags, key)) throw new UsageError('--tags: a tag key is given twice (not shown, in case it is a secret)');
    Object.defineProperty(tags, key, { value: pair.slice(eq + 1), enumerable: true, writable: true, configurable: true });
  }
  return tags;
}

function parseProvisioned(text: string): { read: number; write: number } {
  const m = /^(\d+),(\d+)$/.exec(text);
  if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new UsageError(`--provisioned expects READ,WRITE capacity units, e.g. 5,5`);
  return { read: Number(m[1]), write: Number(m[2]) };
}

/** Options of `setup`. */
type SetupOptions = OptionsOf<'setup'>;

export function setupCommand(deps: CliDeps): Command {
  return withGrammar(new Command('setup'), COMMAND_GRAMMAR.setup)
    .description('create the store (table) and the default key if needed; safe to run again')
    .addHelpText('after', '\nExamples:\n  $ keystash setup\n  $ keystash --backend aws setup --tags team=ops --pitr')
    .action(async (opts: SetupOptions, cmd: Command) => {
      const tags = parseTags(opts.tags ?? []);
      // Tags are DynamoDB table tags; the local store has nowhere to keep them (it ignored them, exit 0).
      // Tags, capacity and point-in-time recovery are DynamoDB table settings; the local store has
      // nowhere to keep them (it ignored them, exit 0, as if they had been applied).
      const tableOnly = [opts.tags !== undefined && '--tags', opts.provisioned !== undefined && '--provisioned', opts.pitr === true && '--pitr'].filter((o): o is string => o !== false);
      if (tableOnly.length > 0 && resolveConfig(flagsOf(cmd), deps.io.env).store !== 'dynamodb') {
        throw new UsageError(`${tableOnly.join(', ')}: DynamoDB table settings (--backend aws); the local store has none`);
      }
      const provisioned = opts.provisioned === undefined ? undefined : parseProvisioned(opts.provisioned);
      await withKeystash(deps, cmd, async (ks, config) => {
        const result = await ks.setup({ tags, provisioned, pitr: opts.pitr, onProgress: (line) => say(deps, line) });
        say(deps, result.created ? `Created table ${config.table} (${config.store})` : `Credential Store table already exists: ${config.table} (${config.store})`);
        const arn = await ks.ensureKey(opts.key);
        say(deps, `Key ${opts.key} is ready: ${arn}`);
        const replicaRegions = opts.replicaRegion ?? [];
        if (replicaRegions.length === 0) return;
        if (config.store !== 'dynamodb' || config.kms !== 'aws' || deps.setupReplicas === undefined) {
          throw new UsageError('--replica-region needs the AWS backend (DynamoDB and AWS KMS); for the local backend use kms replicate-key and replicate --to-data-dir');
        }
        const replicas = await deps.setupReplicas(config, opts.key, replicaRegions);
        for (const line of replicas.lines) say(deps, line);
        for (const line of replicas.cannot) say(deps, `cannot convert: ${line}`);
        if (replicas.cannot.length > 0) throw new ConfigError(`setup --replica-region: ${replicas.cannot.length} thing(s) cannot be converted in place (see above)`, { code: 'config.notConvertible' });
      }, { create: true });
    });
}
