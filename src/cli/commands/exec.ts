import { Command } from 'commander';
import { parseContext } from '../arg-checks.js';
import { say, withKeystash, type CliDeps } from '../deps.js';
import { finishSkipped, skipCollector } from '../skipped.js';
import { childEnvironment, parseEnvMapping, type EnvMapping } from '../../core/process/exec-env.js';
import { describeOverride } from '../../core/process/layering.js';
import { ChildExit, UsageError } from '../../errors.js';

/** Options of `exec` (`--no-clobber` and `--no-aws-env` arrive as `clobber` / `awsEnv` false). */
interface ExecOptions {
  all?: boolean;
  env: EnvMapping[];
  file: EnvMapping[];
  stripPrefix: string[];
  override?: boolean;
  quietOverrides?: boolean;
  clobber: boolean;
  strict?: boolean;
  allowEnv: string[];
  pristine?: boolean;
  awsEnv: boolean;
  mask?: boolean;
  context: string[];
  skipUnreadable?: boolean;
  allowPartial?: boolean;
}

export function execCommand(deps: CliDeps): Command {
  return new Command('exec')
    .description('run a command with secrets in its environment (never on its command line)')
    .usage('[options] [SELECTOR...] -- COMMAND [ARG...]')
    .argument('[selectors...]', 'secret names or globs (app.*), then -- and the command')
    .option('--all', 'every secret')
    .option('-e, --env <VAR=name[@version]>', 'map one secret to a variable (repeatable)', collect, [] as EnvMapping[])
    .option('--file <VAR=name[@version]>', 'write one secret to a private temporary file and set VAR to its path; removed when the command ends (repeatable)', collectFile, [] as EnvMapping[])
    .option('--strip-prefix <prefix>', 'remove this prefix from secret names before naming variables (repeatable; the longest match)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--override', 'a secret chosen by a later selector (or --env/--file) wins a variable instead of an error; one stderr line per variable')
    .option('--quiet-overrides', 'with --override, do not report overridden variables')
    .option('--no-clobber', 'keep variables the environment already has (their secrets are left out)')
    .option('--strict', 'fail before starting if a glob matches no secret')
    .option('--allow-env <VAR>', 'let selected secrets set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--pristine', 'pass only the secrets and PATH, not the rest of the environment')
    .option('--no-aws-env', "withhold the parent's AWS credential variables (AWS_ACCESS_KEY_ID, AWS_PROFILE, …) from the command")
    .option('--mask', 'pass the command\'s stdout/stderr through keystash, replacing each injected value (4+ characters) with <concealed by keystash> (also KEYSTASH_MASK=1)')
    .option('--context <key=value>', 'encryption context pair (repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--skip-unreadable', 'list the selected secrets that cannot be read (wrong context, refused key, tampered row) on stderr and exit 11 without starting the command')
    .option('--allow-partial', 'with --skip-unreadable, start the command without those secrets')
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
      const entries = await withKeystash(deps, cmd, (ks) =>
        ks.execEnvironment({ selectors, all: opts.all, strict: opts.strict, onUnreadable, mappings: opts.env, files: opts.file, stripPrefix: opts.stripPrefix, allowEnv: opts.allowEnv, context: parseContext(opts.context),
          // --pristine passes none of the caller's variables, so there is nothing for --no-clobber to keep.
          override: opts.override === true, noClobber: opts.clobber === false && opts.pristine !== true, callerEnv: deps.io.env, onOverride: opts.quietOverrides ? undefined : (o) => say(deps, describeOverride(o)) }),
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
        return runChild(command, args, childEnvironment(deps.io.env, scope.entries, { pristine: opts.pristine === true, withholdAws: opts.awsEnv === false }), { mask });
      });
      if (status !== 0) throw new ChildExit(status);
    });
}

function collect(value: string, previous: EnvMapping[]): EnvMapping[] {
  return [...previous, parseEnvMapping(value)];
}

function collectFile(value: string, previous: EnvMapping[]): EnvMapping[] {
  return [...previous, parseEnvMapping(value, '--file')];
}

/** The argv as given to the root program (commander drops `--` from the operands). */
function rawArgs(cmd: Command): string[] {
  let root = cmd;
  while (root.parent) root = root.parent;
  return (root as unknown as { rawArgs?: string[] }).rawArgs ?? [];
}
