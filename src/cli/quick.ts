/**
 * The quick path (docs/architecture.md "Start-up cost"): `get`, `put` and `getall`, which are most runs of
 * keystash, parsed with Node's own util.parseArgs instead of commander, so their start-up neither
 * loads commander (a fifth of the CLI bundle) nor any other command (bin/keystash.cjs loads this
 * from its own bundle, dist/bundle/quick.cjs).
 *
 * It takes only command lines whose meaning is plain: the command, its own options and the global
 * ones (before or after the command), each spelt out once (`-v 3`, `--version 3`, `--version=3`;
 * booleans alone), and operands. Anything else (help, `-V`, an unknown, repeated, grouped or attached short option, a
 * value starting with '-', a value commander would refuse, `--`, a missing operand) is not taken:
 * `parseQuick` returns undefined and the full CLI (main.ts) runs the line, so every message about
 * a command line stays commander's. Both parsers call the same actions (commands/actions.ts);
 * test/unit/cli/quick.test.ts runs command lines through both and compares what they print.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_KEY, type ConfigFlags } from '../config.js';
import { digestArgProblem, versionArgProblem, writeVersionArgProblem } from './arg-checks.js';
import { WIRING } from './backends.js';
import { getAction, getallAction, putAction } from './commands/actions.js';
import { CREDSTASH_FORMATS } from './commands/formats.js';
import type { CliDeps, CliWiring } from './deps.js';
import { EXIT } from './exit-codes.js';
import type { Io } from './io.js';
import { report, runProcess } from './report.js';

/** One option as util.parseArgs takes it, with the checks commander makes of its value. */
interface Spec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** The value must be one of these (commander's `.choices()`). */
  choices?: readonly string[];
  /** What is wrong with the value (commander's argument parser), or undefined. */
  problem?: (text: string) => string | undefined;
}

/** program.ts globalOptions(), as parseArgs options (`-V, --version` is never taken here). */
const GLOBAL: Record<string, Spec> = {
  backend: { type: 'string', choices: ['local', 'aws'] },
  store: { type: 'string', choices: ['sqlite', 'dynamodb'] },
  kms: { type: 'string', choices: ['local', 'aws'] },
  table: { type: 'string', short: 't' },
  'data-dir': { type: 'string' },
  region: { type: 'string', short: 'r' },
  'kms-region': { type: 'string' },
  profile: { type: 'string', short: 'p' },
  'role-arn': { type: 'string' },
  'endpoint-url': { type: 'string' },
  concurrency: { type: 'string' },
  'decrypt-key': { type: 'string', multiple: true },
  timeout: { type: 'string' },
  regions: { type: 'string' },
  'any-region': { type: 'boolean' },
  'no-color': { type: 'boolean' },
  debug: { type: 'boolean' },
};

const VERSION: Spec = { type: 'string', short: 'v', problem: versionArgProblem };
const FORMAT: Spec = { type: 'string', short: 'f', choices: CREDSTASH_FORMATS };
const ALLOW_ENV: Spec = { type: 'string', multiple: true };

/** Each command's own options (get.ts, put.ts, getall.ts) and its operands. */
const COMMANDS = {
  get: { options: { version: VERSION, noline: { type: 'boolean', short: 'n' }, format: FORMAT, 'allow-env': ALLOW_ENV, 'csv-safe': { type: 'boolean' } }, required: 1 },
  getall: { options: { version: VERSION, format: FORMAT, 'allow-env': ALLOW_ENV, 'csv-safe': { type: 'boolean' }, 'skip-unreadable': { type: 'boolean' }, 'allow-partial': { type: 'boolean' } }, required: 0 },
  put: {
    options: {
      key: { type: 'string', short: 'k' },
      comment: { type: 'string', short: 'c' },
      digest: { type: 'string', short: 'd', problem: digestArgProblem },
      version: { type: 'string', short: 'v', problem: writeVersionArgProblem },
      autoversion: { type: 'boolean', short: 'a' },
      'expect-version': { type: 'string', problem: versionArgProblem },
      prompt: { type: 'boolean', short: 'P' },
      'allow-large': { type: 'boolean' },
      json: { type: 'boolean' },
    },
    required: 1,
  },
} satisfies Record<string, { options: Record<string, Spec>; required: number }>;

type Values = Record<string, string | boolean | string[] | undefined>;

/** A command line the quick path runs: the command, its operands, and every option given. */
interface QuickLine {
  command: keyof typeof COMMANDS;
  operands: string[];
  values: Values;
}

/** `argv` (without node and script) as a QuickLine, or undefined when the full CLI must run it. */
export function parseQuick(argv: readonly string[]): QuickLine | undefined {
  const at = commandIndex(argv);
  const command = at === undefined ? undefined : argv[at];
  if (command === undefined || !Object.hasOwn(COMMANDS, command)) return undefined;
  const own: Record<string, Spec> = COMMANDS[command as keyof typeof COMMANDS].options;
  const specs: Record<string, Spec> = { ...GLOBAL, ...own };
  const shorts = shortNames(specs);
  // Global options before the command (credstash's order: `keystash -t prod get db.pw`) mean what
  // they mean after it.
  const rest = [...argv.slice(0, at), ...argv.slice(at! + 1)];
  // Spelling: `-x`, `--long` and `--long=value` only (no groups such as `-nv1`, no `--`), and a
  // string option's next argument must not look like an option (commander would take it as the
  // value; parseArgs would refuse it).
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '-' || !arg.startsWith('-')) continue;
    const spec = specOf(arg, specs, shorts);
    if (spec === undefined) return undefined;
    if (arg.includes('=') && (!arg.startsWith('--') || spec.type === 'boolean')) return undefined;
    if (spec.type === 'string' && !arg.includes('=')) {
      const value = rest[++i];
      if (value === undefined || value.startsWith('-')) return undefined;
    }
  }
  let parsed: { values: Values; positionals: string[]; tokens: Array<{ kind: string; name?: string }> };
  try {
    const options = Object.fromEntries(Object.entries(specs).map(([name, { type, short, multiple }]) => [name, { type, ...(short ? { short } : {}), ...(multiple ? { multiple } : {}) }]));
    parsed = parseArgs({ args: [...rest], options, strict: true, allowPositionals: true, tokens: true }) as typeof parsed;
  } catch {
    return undefined;
  }
  // An option given twice (commander keeps the last, or collects): leave it to commander.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind === 'option-terminator') return undefined;
    if (token.kind !== 'option') continue;
    if (seen.has(token.name!) && !specs[token.name!]!.multiple) return undefined;
    seen.add(token.name!);
  }
  for (const [name, value] of Object.entries(parsed.values)) {
    const spec = specs[name]!;
    for (const text of typeof value === 'string' ? [value] : Array.isArray(value) ? value : []) {
      if (spec.choices !== undefined && !spec.choices.includes(text)) return undefined;
      if (spec.problem?.(text) !== undefined) return undefined;
    }
  }
  if (parsed.positionals.length < COMMANDS[command as keyof typeof COMMANDS].required) return undefined;
  return { command: command as keyof typeof COMMANDS, operands: parsed.positionals, values: parsed.values };
}

/** `-x` → option name, for the short forms among `specs`. */
function shortNames(specs: Record<string, Spec>): Map<string, string> {
  return new Map(Object.entries(specs).flatMap(([name, spec]) => (spec.short ? [[`-${spec.short}`, name] as const] : [])));
}

const GLOBAL_SHORTS = shortNames(GLOBAL);

/** The option `arg` (`--name`, `--name=value` or `-x`) names among `specs`, or undefined. */
function specOf(arg: string, specs: Record<string, Spec>, shorts: Map<string, string>): Spec | undefined {
  const name = arg.startsWith('--') ? arg.slice(2).split('=')[0]! : shorts.get(arg);
  return name !== undefined && Object.hasOwn(specs, name) ? specs[name] : undefined;
}

/**
 * Where the command is: the first argument after the global options that lead the line (each
 * string option with its value as the next argument unless written `--name=value`); undefined
 * when something else leads it.
 */
function commandIndex(argv: readonly string[]): number | undefined {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-')) {
    const arg = argv[i]!;
    const spec = specOf(arg, GLOBAL, GLOBAL_SHORTS);
    if (spec === undefined) return undefined;
    i += spec.type === 'string' && !arg.includes('=') ? 2 : 1;
  }
  return i < argv.length ? i : undefined;
}

/** The configuration flags of a line, named as commander names them (deps.ts flagsOf). */
function configFlagsOf(values: Values): ConfigFlags {
  const text = (name: string) => values[name] as string | undefined;
  return {
    backend: text('backend'),
    store: text('store'),
    kms: text('kms'),
    table: text('table'),
    dataDir: text('data-dir'),
    region: text('region'),
    kmsRegion: text('kms-region'),
    profile: text('profile'),
    roleArn: text('role-arn'),
    endpointUrl: text('endpoint-url'),
    concurrency: text('concurrency'),
    decryptKey: values['decrypt-key'] as string[] | undefined,
    timeout: text('timeout'),
    regions: text('regions'),
    anyRegion: values['any-region'] as boolean | undefined,
    debug: values.debug as boolean | undefined,
  };
}

/** Run a parsed line; resolves to the exit code. */
async function runLine(line: QuickLine, argv: readonly string[], deps: CliDeps): Promise<number> {
  const v = line.values;
  const flags = configFlagsOf(v);
  const str = (name: string) => v[name] as string | undefined;
  const render = { format: (str('format') ?? 'json') as (typeof CREDSTASH_FORMATS)[number], allowEnv: (v['allow-env'] as string[] | undefined) ?? [], csvSafe: v['csv-safe'] as boolean | undefined };
  try {
    const [first, ...others] = line.operands;
    if (line.command === 'get') {
      await getAction(deps, flags, first!, others, { ...render, version: str('version'), noline: v.noline as boolean | undefined });
    } else if (line.command === 'getall') {
      await getallAction(deps, flags, line.operands, { ...render, version: str('version'), skipUnreadable: v['skip-unreadable'] as boolean | undefined, allowPartial: v['allow-partial'] as boolean | undefined });
    } else {
      const [value, ...pairs] = others;
      await putAction(deps, flags, first!, value, pairs, {
        key: str('key') ?? DEFAULT_KEY,
        comment: str('comment'),
        digest: str('digest') ?? 'SHA256',
        version: str('version'),
        autoversion: v.autoversion as boolean | undefined,
        expectVersion: str('expect-version'),
        prompt: v.prompt as boolean | undefined,
        allowLarge: v['allow-large'] as boolean | undefined,
        json: v.json as boolean | undefined,
      });
    }
    return EXIT.OK;
  } catch (error) {
    return report(error, deps.io, argv);
  }
}

/**
 * Run `argv` on the quick path: the exit code, or undefined when the full CLI must run it (nothing
 * has been done then). `wiring` replaces any of the real backends (tests).
 */
export async function runQuick(argv: readonly string[], io: Io, wiring: Partial<CliWiring> = {}): Promise<number | undefined> {
  const line = parseQuick(argv);
  return line === undefined ? undefined : runLine(line, argv, { ...WIRING, ...wiring, io });
}

/** bin/keystash.cjs calls this first; false: not taken, run the full CLI (main.ts). */
export async function quickMain(): Promise<boolean> {
  const argv = process.argv.slice(2);
  const line = parseQuick(argv);
  if (line === undefined) return false;
  await runProcess((io) => runLine(line, argv, { ...WIRING, io }));
  return true;
}
