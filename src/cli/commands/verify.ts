import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { flagsOf, printJson, withKeystash, type CliDeps } from '../deps.js';
import { resolveConfig } from '../../config.js';
import type { ReplicaComparison } from '../../core/transfer/replicate.js';
import { Keystash } from '../../core/keystash.js';
import { createProgress, type Progress } from '../progress.js';
import { PartialFailureError } from '../../errors.js';
import { oneLine, safeLines } from '../../format/one-line.js';

/** Options of `verify`. */
export type VerifyOptions = OptionsOf<'verify'>;

export function verifyCommand(deps: CliDeps): Command {
  return withGrammar(new Command('verify'), COMMAND_GRAMMAR.verify)
    .description('decrypt and MAC-check every version; report failures and legacy encodings')
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
      const replicas = await compareRegions(deps, cmd);
      if (opts.json) {
        const json = { checked: report.checked, ok: report.ok, legacy: report.legacy, failed, ...(replicas === undefined ? {} : { regions: replicas }) };
        printJson(deps, json);
      } else {
        const lines = [
          ...failed.map((f) => `FAILED  ${oneLine(f.name)} version ${oneLine(f.version)}: ${f.error}`),
          ...report.legacy.map((l) => `legacy  ${oneLine(l.name)} version ${oneLine(l.version)}: ${l.issues.join(', ')}`),
          `checked ${report.checked}, ok ${report.ok}, legacy ${report.legacy.length}, failed ${failed.length}`,
          ...(replicas === undefined ? [] : replicaLines(replicas.comparison, replicas.home)),
        ];
        deps.io.stdout.write(lines.map((l) => `${safeLines(l)}\n`).join(''));
      }
      if (report.failed.length > 0) throw new PartialFailureError(`${report.failed.length} of ${report.checked} rows failed verification`, report.failed);
      const diverged = replicas?.comparison.diverged ?? [];
      if (diverged.length > 0) {
        const failures = diverged.map((d) => ({ name: d.name, error: new PartialFailureError(`${d.name} version ${d.version} differs between regions ${d.groups.map((g) => g.join('+')).join(' / ')}`, []) }));
        throw new PartialFailureError(`${diverged.length} versions diverged across regions; see the repair lines above`, failures);
      }
    });
}

/**
 * With several regions configured, compare every region's rows (issue 23: versions that diverged
 * across replicas, and versions a region lacks). Undefined with one region.
 */
async function compareRegions(deps: CliDeps, cmd: Command): Promise<{ home: string; comparison: ReplicaComparison } | undefined> {
  const flags = flagsOf(cmd);
  const config = resolveConfig(flags, deps.io.env);
  if (config.regions.length < 2 || config.store !== 'dynamodb') return undefined;
  const opened: Keystash[] = [];
  try {
    for (const region of config.regions) opened.push(await deps.open(resolveConfig({ ...flags, regions: region }, deps.io.env)));
    const comparison = await Keystash.compareReplicas(opened.map((ks, i) => ({ name: config.regions[i]!, keystash: ks })));
    return { home: config.regions[0]!, comparison };
  } finally {
    for (const ks of opened) ks.close();
  }
}

/** What diverged or is missing across regions, and the commands that repair it. */
function replicaLines(c: ReplicaComparison, home: string): string[] {
  const lines: string[] = [];
  for (const d of c.diverged) {
    const [keep, ...others] = d.groups;
    lines.push(`DIVERGED  ${oneLine(d.name)} version ${oneLine(d.version)}: ${d.groups.map((g) => g.join('+')).join(' differs from ')}`);
    const drop = others.flat();
    lines.push(`  repair: decide which content is right (keystash --regions REGION get ${oneLine(d.name)} -v ${oneLine(d.version)}); to keep ${(keep ?? []).join('+')}'s, run for each of ${drop.join(', ')}: keystash --regions REGION delete ${oneLine(d.name)} -v ${oneLine(d.version)} && keystash --regions ${(keep ?? [home])[0]} replicate --to-region REGION`);
  }
  for (const [region, count] of Object.entries(c.missing)) {
    if (count > 0) lines.push(`missing   ${region} lacks ${count} of ${c.versions} versions; copy them with: keystash --regions ${region === home ? '<a region that has them>' : home} replicate --to-region ${region}`);
  }
  lines.push(`regions compared: ${Object.keys(c.missing).join(', ')}; versions ${c.versions}, diverged ${c.diverged.length}`);
  return lines;
}
