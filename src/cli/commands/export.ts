import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { say, withKeystash, type CliDeps } from '../deps.js';
import { isStandardOutput, isStandardOutputFile, runnerFiles, writeOutput } from '../output-file.js';
import { finishSkipped, skipCollector } from '../skipped.js';
import { describeOverride, layerSecrets } from '../../core/process/layering.js';
import { UsageError } from '../../errors.js';
import { checkAllowEnvApplies, renderFormat, writesVariables } from './formats.js';

/** Options of `export` (`--no-clobber` arrives as `clobber: false`). */
type ExportOptions = OptionsOf<'export'>;

export function exportCommand(deps: CliDeps): Command {
  return withGrammar(new Command('export'), COMMAND_GRAMMAR.export)
    .description('print selected secrets in a format for another tool; any failure prints nothing')
    .addHelpText(
      'after',
      '\nExamples:\n  $ keystash export \'app.*\' -f dotenv --strip-prefix app. > .env\n  $ keystash export --all -f github-env --mask -o "$GITHUB_ENV"\n  $ keystash export \'k8s.*\' -f k8s-secret --k8s-name app | kubectl apply -f -',
    )
    .action(async (selectors: string[], opts: ExportOptions, cmd: Command) => {
      const github = opts.format === 'github-env' || opts.format === 'github-output';
      if (opts.mask && !github) throw new UsageError('--mask applies only to -f github-env and -f github-output');
      // The runner reads workflow commands from the log stream (stdout); with the data on stdout too,
      // `>> "$GITHUB_ENV"` would write every value into the file as an '::add-mask::' line.
      if (opts.mask && isStandardOutput(opts.output)) throw new UsageError(`--mask needs -o FILE: its '::add-mask::' lines go to stdout, which here carries the ${opts.format} data (redirected into $${opts.format === 'github-env' ? 'GITHUB_ENV' : 'GITHUB_OUTPUT'} they would put every value in that file); use -o "$${opts.format === 'github-env' ? 'GITHUB_ENV' : 'GITHUB_OUTPUT'}" instead of >>`);
      // `-o "$GITHUB_ENV" >> "$GITHUB_ENV"`: the same file through both doors.
      if (opts.mask && opts.output !== undefined && isStandardOutputFile(opts.output)) throw new UsageError(`--mask: -o ${opts.output} is also standard output here, so the '::add-mask::' lines would put every value in that file; drop the redirection (>>)`);
      if ((opts.envKeys || opts.k8sNamespace !== undefined || opts.k8sName !== undefined) && opts.format !== 'k8s-secret') throw new UsageError('--k8s-name, --k8s-namespace and --env-keys apply only to -f k8s-secret');
      // A flag that would do nothing for the format is refused rather than silently ignored.
      checkAllowEnvApplies(opts.allowEnv, opts.format, { envKeys: opts.envKeys === true });
      if (opts.stripPrefix.length > 0 && !writesVariables(opts.format, opts.envKeys)) {
        throw new UsageError(`--strip-prefix names variables, so it applies only to formats with variable names (dotenv, shell, github-env, github-output, docker, env-no-quotes, k8s-secret --env-keys), not -f ${opts.format}, which keeps secret names`);
      }
      const layering = opts.override === true || opts.clobber === false;
      if (layering && !writesVariables(opts.format, opts.envKeys)) throw new UsageError('--override and --no-clobber apply only to formats with variable names (dotenv, shell, github-env, docker, k8s-secret --env-keys)');
      const { onUnreadable, skipped } = skipCollector(opts);
      let [secrets, dataDir] = await withKeystash(deps, cmd, async (ks, config) => [await ks.select({ selectors, all: opts.all, strict: opts.strict === true, context: parseContext(opts.context), onUnreadable, command: 'export' }), config.dataDir] as const);
      const layered = layering ? layerSecrets(secrets, { selectors, stripPrefix: opts.stripPrefix, override: opts.override === true, noClobber: opts.clobber === false, callerEnv: deps.io.env }) : undefined;
      if (layered !== undefined) secrets = layered.pairs;
      // Rendered whole before the first byte is written: a failure leaves stdout and FILE untouched.
      const text = await renderFormat(opts.format, secrets, { stripPrefix: opts.stripPrefix, k8sName: opts.k8sName, k8sNamespace: opts.k8sNamespace, envKeys: opts.envKeys === true, allowEnv: opts.allowEnv, csvSafe: opts.csvSafe === true });
      const body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
      let masks = '';
      if (opts.mask) {
        const { renderGithubMask } = await import('../../format/index.js');
        masks = renderGithubMask(secrets.map(([, value]) => value));
      }
      await writeOutput(deps.io.stdout, opts.output, body, { append: github, runnerNamed: runnerFiles(deps.io.env), dataDir });
      deps.io.stdout.write(masks);
      // Told once the output is written: a refusal (a variable, the -o file) tells of no override.
      if (!opts.quietOverrides) for (const o of layered?.overrides ?? []) say(deps, describeOverride(o));
      finishSkipped(deps, skipped, opts);
    });
}
