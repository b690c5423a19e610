import { Command } from 'commander';
import { withGrammar } from '../commander-grammar.js';
import { COMMAND_GRAMMAR } from '../command-grammar.js';
import type { OptionsOf } from '../grammar.js';
import { parseContext } from '../arg-checks.js';
import { say, withKeystash, type CliDeps } from '../deps.js';
import { finishSkipped, skipCollector } from '../skipped.js';
import { childEnvironment } from '../../core/process/exec-env.js';
import { describeOverride, type Override } from '../../core/process/layering.js';
import { ChildExit, UsageError } from '../../errors.js';

/** Options of `exec` (`--no-clobber` and `--no-aws-env` arrive as `clobber` / `awsEnv` false). */
type ExecOptions = OptionsOf<'exec'>;

export function execCommand(deps: CliDeps): Command {
  return withGrammar(new Command('exec'), COMMAND_GRAMMAR.exec)
    .description('run a command with secrets in its environment (never on its command line)')
    .usage('[options] [SELECTOR...] -- COMMAND [ARG...]')
    .addHelpText(
      'after',
      '\nVariable names: upper-cased, every character other than A-Z a-z 0-9 becomes _; PATH, LD_*, NODE_OPTIONS and the like only with --env or --allow-env.\nExit status: the command\'s, or 128+N when signal N killed it.\n\nExamples:\n  $ keystash exec \'app.*\' --strip-prefix app. -- ./server\n  $ keystash exec --env PGPASSWORD=db.pw -- psql -h db\n  $ keystash exec \'ci.*\' --mask -- ./deploy.sh\n  $ keystash exec --file KUBECONFIG=k8s.kubeconfig -- kubectl get pods\n  $ keystash exec \'base.*\' \'prod.*\' --strip-prefix base. --strip-prefix prod. --override -- ./server',
    )
    .action(async (operands: string[], opts: ExecOptions, cmd: Command) => {
      const raw = rawArgs(cmd);
      const dashes = raw.indexOf('--', raw.indexOf('exec') + 1);
      const commandLength = dashes < 0 ? 0 : raw.length - dashes - 1;
      if (commandLength === 0) throw new UsageError('missing command: keystash exec [SELECTOR...] -- COMMAND [ARG...]');
      const selectors = operands.slice(0, operands.length - commandLength);
      const [command = '', ...args] = operands.slice(operands.length - commandLength);
      const { onUnreadable, skipped } = skipCollector(opts);
      const overrides: Override[] = [];
      const entries = await withKeystash(deps, cmd, (ks) =>
        ks.execEnvironment({ selectors, all: opts.all, strict: opts.strict, onUnreadable, mappings: opts.env, files: opts.file, stripPrefix: opts.stripPrefix, allowEnv: opts.allowEnv, context: parseContext(opts.context),
          // --pristine passes none of the caller's variables, so there is nothing for --no-clobber to keep.
          override: opts.override === true, noClobber: opts.clobber === false && opts.pristine !== true, callerEnv: deps.io.env, onOverride: (o) => overrides.push(o) }),
      );
      // Before the command starts: without --allow-partial it never runs with secrets missing.
      finishSkipped(deps, skipped, opts);
      // Loaded here: node:child_process is not needed on any other command's start-up path.
      const { runChild, signalStatus } = await import('../run-child.js');
      const { withSecretFiles } = await import('../secret-files.js');
      const masking = opts.mask === true || /^(1|true|yes)$/i.test(deps.io.env.KEYSTASH_MASK ?? '');
      const mask = masking ? (await import('../../core/process/mask.js')).maskPatterns(entries.map((e) => e.value)) : undefined;
      const status = await withSecretFiles(entries, deps.io.env, async (scope) => {
        const signal = scope.signal();
        if (signal !== undefined) return signalStatus(signal);
        // Said as the command starts: a refusal before it (unreadable secrets, no private place
        // for --file) tells of no override that never happened.
        if (!opts.quietOverrides) for (const o of overrides) say(deps, describeOverride(o));
        return runChild(command, args, childEnvironment(deps.io.env, scope.entries, { pristine: opts.pristine === true, withholdAws: opts.awsEnv === false }), { mask });
      });
      if (status !== 0) throw new ChildExit(status);
    });
}

/** The argv as given to the root program (commander drops `--` from the operands). */
function rawArgs(cmd: Command): string[] {
  let root = cmd;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
}
