// The GitHub Actions runner's side of the file commands, for tests of github-env, github-output
// and action.yml.
import { spawnSync } from 'node:child_process';
import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The reader: a line-for-line port of actions/runner `SetEnvFileCommand.ProcessCommand` and its
 * `ReadLine` (actions/runner/src/Runner.Worker/FileCommandManager.cs, non-Windows branch). `SetOutputFileCommand`
 * reads `$GITHUB_OUTPUT` with the same rules.
 */
export function parseGithubEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  let index = 0;
  const readLine = (): { line: string | null; newline: string } => {
    if (index >= text.length) return { line: null, newline: '' };
    const start = index;
    const lf = text.indexOf('\n', index);
    if (lf < 0) {
      index = text.length;
      return { line: text.slice(start), newline: '' };
    }
    index = lf + 1;
    return { line: text.slice(start, lf), newline: '\n' };
  };
  for (let { line } = readLine(); line !== null; { line } = readLine()) {
    if (line === '') continue;
    const equals = line.indexOf('=');
    const heredoc = line.indexOf('<<');
    if (equals >= 0 && (heredoc < 0 || equals < heredoc)) {
      env[line.slice(0, equals)] = line.slice(equals + 1);
    } else if (heredoc >= 0 && (equals < 0 || heredoc < equals)) {
      const name = line.slice(0, heredoc);
      const delimiter = line.slice(heredoc + 2);
      if (name === '' || delimiter === '') throw new Error(`invalid format '${line}'`);
      const startIndex = index;
      let endIndex = index;
      let next = readLine();
      while (next.line !== delimiter) {
        if (next.line === null) throw new Error(`Matching delimiter not found '${delimiter}'`);
        endIndex = index - next.newline.length;
        next = readLine();
      }
      env[name] = endIndex > startIndex ? text.slice(startIndex, endIndex) : '';
    } else {
      throw new Error(`invalid format '${line}'`);
    }
  }
  return env;
}

/**
 * The values of `::add-mask::` workflow commands in a step's stdout, unescaped as the runner does
 * (`%0D` → CR, `%0A` → LF, `%25` → %; actions/runner ActionCommand.UnescapeData).
 */
export function addMaskValues(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((line) => line.startsWith('::add-mask::'))
    .map((line) => line.slice('::add-mask::'.length).replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%'));
}

/** A step of a composite action (action.yml `runs.steps`). */
export interface ActionStep {
  name: string;
  id?: string;
  if?: string;
  shell?: string;
  uses?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  run?: string;
}
export interface CompositeAction {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs?: Record<string, { value: string }>;
  runs: { using: string; steps: ActionStep[] };
}

export interface StepResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** What the step appended to its GITHUB_ENV, GITHUB_OUTPUT and GITHUB_PATH files. */
  githubEnv: string;
  githubOutput: string;
  githubPath: string;
}

/**
 * One job running a composite action's steps as the runner does: each `run` step is
 * `bash --noprofile --norc -eo pipefail FILE` with the step's `env` (`${{ inputs.X }}` from the given
 * inputs or the declared defaults, `${{ steps.ID.outputs.X }}` from earlier steps' GITHUB_OUTPUT),
 * fresh GITHUB_ENV / GITHUB_OUTPUT / GITHUB_PATH files per step in a `_runner_file_commands`
 * directory, and GITHUB_PATH lines put in front of PATH for the later steps. `fileOwner` makes
 * that directory and its files another uid's, as in a `container:` job (the step runs as root,
 * the files belong to the runner user, uid 1001). `uses:` steps are not run (recorded in `skipped`).
 */
export class CompositeJob {
  readonly outputs = new Map<string, Record<string, string>>();
  readonly skipped: string[] = [];
  private path: string[] = [];
  private counter = 0;

  constructor(
    private readonly action: CompositeAction,
    private readonly inputs: Record<string, string>,
    private readonly options: { dir: string; actionPath: string; env: Record<string, string | undefined>; fileOwner?: number },
  ) {}

  private expression(text: string): string {
    return text.replace(/\$\{\{ ([^}]*) \}\}/g, (_whole, body: string) => {
      const input = /^inputs\.([-\w]+)$/.exec(body)?.[1];
      if (input !== undefined) return this.inputs[input] ?? this.action.inputs[input]?.default ?? '';
      const output = /^steps\.([-\w]+)\.outputs\.([-\w]+)$/.exec(body);
      if (output) return this.outputs.get(output[1] ?? '')?.[output[2] ?? ''] ?? '';
      throw new Error(`unsupported expression in action.yml: ${body}`);
    });
  }

  private condition(text: string | undefined): boolean {
    if (text === undefined) return true;
    const m = /^inputs\.([-\w]+) == '([^']*)'$/.exec(text);
    if (!m) throw new Error(`unsupported if: ${text}`);
    return this.expression(`\${{ inputs.${m[1]} }}`) === m[2];
  }

  /** Run one step (by id or name); undefined when its `if` is false. */
  run(idOrName: string): StepResult | undefined {
    const step = this.action.runs.steps.find((s) => s.id === idOrName || s.name === idOrName);
    if (!step) throw new Error(`no step ${idOrName}`);
    if (!this.condition(step.if)) return undefined;
    if (step.uses !== undefined || step.run === undefined) {
      this.skipped.push(step.name);
      return undefined;
    }
    const n = ++this.counter;
    const commands = join(this.options.dir, '_runner_file_commands');
    mkdirSync(commands, { recursive: true, mode: 0o755 });
    const files = { env: join(commands, `set_env_${n}`), output: join(commands, `set_output_${n}`), path: join(commands, `add_path_${n}`) };
    for (const file of Object.values(files)) writeFileSync(file, '', { mode: 0o644 });
    if (this.options.fileOwner !== undefined) {
      for (const file of [commands, ...Object.values(files)]) chownSync(file, this.options.fileOwner, this.options.fileOwner);
    }
    const stepEnv: Record<string, string> = {};
    for (const [key, value] of Object.entries(step.env ?? {})) stepEnv[key] = this.expression(value);
    const script = join(this.options.dir, `step_${n}.sh`);
    writeFileSync(script, step.run);
    const base = this.options.env;
    const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      env: {
        ...base,
        PATH: [...this.path, base.PATH ?? ''].join(':'),
        GITHUB_ENV: files.env,
        GITHUB_OUTPUT: files.output,
        GITHUB_PATH: files.path,
        GITHUB_ACTION_PATH: this.options.actionPath,
        RUNNER_OS: 'Linux',
        RUNNER_TEMP: join(this.options.dir, '_temp'),
        ...stepEnv,
      },
      encoding: 'utf8',
      timeout: 540_000,
    });
    const read = (file: string) => readFileSync(file, 'utf8');
    const githubOutput = read(files.output);
    if (step.id !== undefined) this.outputs.set(step.id, result.status === 0 ? parseGithubEnvFile(githubOutput) : {});
    const githubPath = read(files.path);
    this.path = [...githubPath.split('\n').filter((line) => line !== '').reverse(), ...this.path];
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, githubEnv: read(files.env), githubOutput, githubPath };
  }

  /** The action's outputs (`outputs.X.value` evaluated against the steps run so far). */
  actionOutputs(): Record<string, string> {
    return Object.fromEntries(Object.entries(this.action.outputs ?? {}).map(([name, { value }]) => [name, this.expression(value)]));
  }
}
