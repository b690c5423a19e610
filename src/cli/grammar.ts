/**
 * The option grammar, declared once as data: the global options and the arguments and options of
 * the commands the quick path takes (get, put, getall), each with its value check, choices and
 * default; the other commands' are in command-grammar.ts, in the same form (OptionSpec), which the
 * quick path does not load. commander's program is built from them (commander-grammar.ts:
 * program.ts and every command in commands/), and the quick path's util.parseArgs parser from the
 * declarations here (quick.ts), so the two cannot disagree about which options exist, which take
 * a value, what a value may be or what is assumed when an option is not given. Shell completion
 * (commands/completion.ts) lists the options declared here and in command-grammar.ts, and skips
 * the value of a global option as commandIndex below does. Nothing here imports commander: the
 * quick path loads this without it.
 */
import { DEFAULT_KEY } from '../config.js';
import { allowEnvArgProblem, digestArgProblem, versionArgProblem, writeVersionArgProblem } from './arg-checks.js';
import { CREDSTASH_FORMATS } from './commands/formats.js';

/** One option. Its flags read `-s, --long <value>`: commander's help shows them so. */
export interface OptionSpec {
  /** The long name without its dashes; `no-x` is commander's negatable boolean. */
  long: string;
  /** The one-letter short name, without its dash. */
  short?: string;
  /** The value's name in help; an option without one is a boolean. */
  value?: string;
  description: string;
  /** The value must be one of these (commander's `.choices()`; not with problem, convert or repeatable). */
  choices?: readonly string[];
  /** What is wrong with a value, or undefined (never quoting it: it may be the secret). */
  problem?: (text: string) => string | undefined;
  /** The value as the command reads it (after problem); it may throw its own error (a UsageError). */
  convert?: (text: string) => unknown;
  /** Given again, the value is added to a list rather than replacing the last one. */
  repeatable?: boolean;
  /** The value when the option is not given. */
  default?: string | number | readonly unknown[];
  /** commander refuses the command line without it (`.requiredOption`). */
  mandatory?: boolean;
  /** Taken but left out of the help. */
  hidden?: boolean;
}

/** One operand: `<name>` is required, `[name]` optional, `[name...]` takes every operand left. */
export interface ArgumentSpec {
  name: string;
  required?: boolean;
  variadic?: boolean;
  description: string;
  /** The operand must be one of these (commander's `.choices()`). */
  choices?: readonly string[];
}

/** A command's operands and options, in help order. */
export interface CommandGrammar {
  arguments: readonly ArgumentSpec[];
  options: readonly OptionSpec[];
}

/** The global options, on every command line before or after the command, in help order. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { long: 'backend', value: 'backend', description: 'local (SQLite + local KMS) or aws (DynamoDB + AWS KMS)', choices: ['local', 'aws'] },
  { long: 'store', value: 'store', description: 'override the store of the backend', choices: ['sqlite', 'dynamodb'] },
  { long: 'kms', value: 'kms', description: 'override the key service of the backend', choices: ['local', 'aws'] },
  { long: 'table', short: 't', value: 'table', description: 'table (logical table for SQLite); default credential-store' },
  { long: 'data-dir', value: 'dir', description: 'data directory for the local store and keyring (KEYSTASH_HOME)' },
  { long: 'region', short: 'r', value: 'region', description: 'AWS region' },
  { long: 'kms-region', value: 'region', description: 'AWS region for KMS only' },
  { long: 'profile', short: 'p', value: 'profile', description: 'AWS shared-config profile' },
  { long: 'role-arn', value: 'arn', description: 'assume this IAM role' },
  { long: 'endpoint-url', value: 'url', description: 'endpoint for DynamoDB and KMS (testing, local KMS server)' },
  { long: 'concurrency', value: 'n', description: 'parallel requests for bulk commands (default 16)' },
  { long: 'decrypt-key', value: 'key', description: 'AWS KMS: only this key may unwrap data keys (repeatable; KEYSTASH_DECRYPT_KEYS)', repeatable: true },
  { long: 'timeout', value: 'seconds', description: 'overall deadline of the AWS requests of this command (default 60; KEYSTASH_TIMEOUT)' },
  { long: 'regions', value: 'list', description: 'regions in order, home first: reads fall back to the next when one is out (KEYSTASH_REGIONS)' },
  { long: 'any-region', description: 'let writes go to a fallback region while the home region is out' },
  { long: 'no-color', description: 'disable colour (also NO_COLOR)' },
  { long: 'debug', description: 'print stack traces for errors' },
];

const READ_VERSION = { long: 'version', short: 'v', value: 'version', problem: versionArgProblem } as const;
export const ALLOW_ENV = {
  long: 'allow-env',
  value: 'VAR',
  description: 'dotenv: let a secret set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)',
  problem: allowEnvArgProblem,
  repeatable: true,
  default: [],
} as const satisfies OptionSpec;
export const CSV_SAFE = { long: 'csv-safe', description: "csv: prefix cells starting with = + - @ with ' (spreadsheet formula injection)" } as const satisfies OptionSpec;

export const SKIP_UNREADABLE = {
  long: 'skip-unreadable',
  description: 'leave out secrets that cannot be read (wrong context, refused key, tampered row), list them on stderr and exit 11',
} as const satisfies OptionSpec;
export const ALLOW_PARTIAL = { long: 'allow-partial', description: 'with --skip-unreadable, exit 0 (the skipped names are still listed on stderr)' } as const satisfies OptionSpec;

/** The commands both parsers take, with everything each parser needs to know of them. */
export const QUICK_GRAMMAR = {
  get: {
    arguments: [
      { name: 'name', required: true, description: "secret name, or a glob such as 'app.*'" },
      { name: 'context', variadic: true, description: 'encryption context pairs key=value' },
    ],
    options: [
      { ...READ_VERSION, description: 'version to read (3 or 0000000000000000003)' },
      { long: 'noline', short: 'n', description: 'do not append a newline' },
      { long: 'format', short: 'f', value: 'format', description: 'output format for patterns', choices: CREDSTASH_FORMATS, default: 'json' },
      ALLOW_ENV,
      CSV_SAFE,
    ],
  },
  put: {
    arguments: [
      { name: 'name', required: true, description: 'secret name' },
      { name: 'value', description: "the value; '-' reads stdin, '@FILE' reads a file" },
      { name: 'context', variadic: true, description: 'encryption context pairs key=value' },
    ],
    options: [
      { long: 'key', short: 'k', value: 'key', description: 'KMS key id, ARN or alias', default: DEFAULT_KEY },
      { long: 'comment', short: 'c', value: 'comment', description: 'comment stored in plaintext beside the secret' },
      { long: 'digest', short: 'd', value: 'digest', description: 'HMAC digest: SHA, SHA224, SHA256, SHA384, SHA512, MD5', problem: digestArgProblem, default: 'SHA256' },
      { long: 'version', short: 'v', value: 'version', description: 'explicit version, a number (fails if it exists)', problem: writeVersionArgProblem },
      { long: 'autoversion', short: 'a', description: 'choose the next version (the default; kept for credstash)' },
      { long: 'expect-version', value: 'version', description: 'refuse unless the current latest version is this one', problem: versionArgProblem },
      { long: 'prompt', short: 'P', description: 'read the value from the terminal without echo' },
      { long: 'allow-large', description: 'local store: store a value larger than any DynamoDB table could hold (400 KB items; the row cannot be migrated to AWS)' },
      { long: 'json', description: 'print {"name","version"} on stdout' },
    ],
  },
  getall: {
    arguments: [{ name: 'selectors-and-context', variadic: true, description: 'secret names or globs (app.*) to read only those, and encryption context pairs key=value' }],
    options: [
      { ...READ_VERSION, description: 'read this version of every secret' },
      { long: 'format', short: 'f', value: 'format', description: 'output format', choices: CREDSTASH_FORMATS, default: 'json' },
      ALLOW_ENV,
      CSV_SAFE,
      SKIP_UNREADABLE,
      ALLOW_PARTIAL,
    ],
  },
} as const satisfies Record<string, CommandGrammar>;

export type QuickCommand = keyof typeof QUICK_GRAMMAR;

/** `allow-env` → `allowEnv` (attributeName, for the types). */
type Camel<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<Camel<Tail>>}` : S;

/** The attribute an option's value is under: `--allow-env` → allowEnv, `--no-clobber` → clobber. */
type AttributeOf<O extends OptionSpec> = O['long'] extends `no-${infer Positive}` ? Camel<Positive> : Camel<O['long']>;

/** One value of an option: what convert returns, one of its choices, its text, or true. */
type OneValueOf<O> = O extends { convert: (text: string) => infer T } ? T : O extends { choices: readonly (infer C)[] } ? C : O extends { value: `${string}...` } ? string[] : O extends { value: string } ? string : boolean;

/** An option's value as commander hands it over: a list of values when repeatable. */
type ValueOf<O> = O extends { repeatable: true } ? OneValueOf<O>[] : OneValueOf<O>;

/** Always there: an option with a default, a mandatory one, and a negatable `--no-x` (true unless given). */
type Present<O> = O extends { default: unknown } | { mandatory: true } | { long: `no-${string}` } ? true : false;

/** The options `specs` declare as commander hands them to an action: one that is always there is not optional. */
export type OptionsOfSpecs<Specs extends readonly OptionSpec[]> = {
  [O in Specs[number] as Present<O> extends true ? AttributeOf<O> : never]: ValueOf<O>;
} & {
  [O in Specs[number] as Present<O> extends true ? never : AttributeOf<O>]?: ValueOf<O> | undefined;
};

/** Every command's grammar: those of the quick path here, the others in command-grammar.ts (which the quick path does not load). */
type Grammars = typeof QUICK_GRAMMAR & typeof import('./command-grammar.js').COMMAND_GRAMMAR;

/**
 * The options of a command as commander (and, for the quick path's commands, quick.ts) hands them
 * to its action, typed from the declaration; a kms subcommand is `'kms serve'`.
 */
export type OptionsOf<C extends keyof Grammars> = OptionsOfSpecs<Grammars[C]['options']>;

/** The name commander gives an option's value: `--allow-env` → allowEnv, `--no-color` → color. */
export function attributeName(spec: OptionSpec): string {
  return spec.long.replace(/^no-/, '').replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** The option `arg` (`--long`, `--long=value`, `-s` or `-sVALUE`) names among `specs`, or undefined. */
export function optionOf(arg: string, specs: readonly OptionSpec[]): OptionSpec | undefined {
  return arg.startsWith('--') ? specs.find((s) => `--${s.long}` === arg.split('=')[0]) : specs.find((s) => s.short !== undefined && arg.startsWith(`-${s.short}`));
}

/**
 * Where the command is in `argv`: the first operand after the global options that lead the line
 * (a value-taking one followed by its value unless it is attached: `--table=t`, `-tt`), as
 * commander reads them; undefined on anything else leading it (`-`, `--`, an unknown option,
 * `--debug=x`), which the caller leaves to commander. program.ts builds that one command and the
 * quick path parses its line.
 */
export function commandIndex(argv: readonly string[]): number | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('-')) return i;
    if (arg === '-' || arg === '--') return undefined;
    const spec = optionOf(arg, GLOBAL_OPTIONS);
    if (spec === undefined) return undefined;
    const attached = arg.startsWith('--') ? arg.includes('=') : arg.length > 2;
    if (spec.value === undefined) {
      if (attached) return undefined; // `--debug=x` or grouped short flags
    } else if (!attached) {
      i++; // the value is the next argument
    }
  }
  return undefined;
}
