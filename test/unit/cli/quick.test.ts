/**
 * The quick path (src/cli/quick.ts) against the full CLI (commander, src/cli/main.ts), both built
 * from one grammar (src/cli/grammar.ts): which lines the quick path takes, and that every line it
 * takes is read as commander reads it — the same operands, options and defaults — and does
 * exactly what commander's program does — the same Keystash calls with the same arguments, the
 * same resolved configuration, the same output and exit code — for a table of lines and for
 * random ones built from a vocabulary of both parsers' tokens. Lines it refuses are left to
 * commander, which the rest of the suite tests.
 */
import { PassThrough } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config.js';
import { commandIndex, GLOBAL_OPTIONS, QUICK_GRAMMAR, type OptionSpec } from '../../../src/cli/grammar.js';
import { run } from '../../../src/cli/main.js';
import { createProgram } from '../../../src/cli/program.js';
import { parseQuick, runQuick } from '../../../src/cli/quick.js';
import { SecretNotFoundError } from '../../../src/errors.js';
import { memoryIo } from '../../helpers/io.js';
import { spyKeystash, type Call } from '../../helpers/spy-keystash.js';

interface Outcome {
  code: number | undefined;
  stdout: string;
  stderr: string;
  calls: Call[];
  configs: Config[];
}

/** Run `argv` through one parser with a spy Keystash; the name 'missing' fails as not found. */
async function outcome(parser: typeof run | typeof runQuick, argv: string[], env: Record<string, string> = {}): Promise<Outcome> {
  const m = memoryIo({ stdin: 'from-stdin', env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks', ...env } });
  const { open, calls, configs } = spyKeystash((method, args) => {
    if (args[0] === 'missing') throw new SecretNotFoundError('missing');
    if (method === 'put') return { name: args[0], version: '0000000000000000001' };
    if (method === 'get') return 'value\u001b[2J';
    if (method === 'getAll' || method === 'getMatching') return [['a.b', 'x y'], ['c', '=1+2']];
    return undefined;
  });
  const code = await parser(argv, m.io, { open });
  // --debug prints a stack trace: its frames name the parser, the rest must match.
  return { code, stdout: m.stdout(), stderr: m.stderr().replace(/^ {4}at .*\n/gm, ''), calls: calls.map(({ method, args }) => ({ method, args: args.map(namedFunctions) })), configs };
}

/** A call's options with each callback (a new closure per run) shown by its name, so calls compare. */
function namedFunctions(arg: unknown): unknown {
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  return Object.fromEntries(Object.entries(arg).map(([k, v]) => [k, typeof v === 'function' ? `[function ${k}]` : v]));
}

/**
 * What commander's program reads from `argv` (the command, its processed operands, the program's
 * and the command's options), in parseQuick's shape; the action then fails on an unopenable store.
 */
async function commanderReads(argv: string[]): Promise<unknown> {
  const m = memoryIo({ stdin: 'from-stdin', env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks' } });
  const unopened = () => Promise.reject(new Error('not opened'));
  const program = createProgram({ io: m.io, open: unopened, openKeys: unopened, openLocalKms: unopened, auditLogPath: () => '/nonexistent' }, argv);
  await program.parseAsync(argv, { from: 'user' }).catch(() => undefined);
  const cmd = program.commands.find((c) => c.name() === argv[commandIndex(argv)!])!;
  return { command: cmd.name(), args: cmd.processedArgs, flags: program.opts(), opts: cmd.opts() };
}

/** Lines the quick path must take (and then behave as commander does). */
const TAKEN: string[][] = [
  ['get', 'db.pw'],
  ['get', 'db.pw', '-v', '3'],
  ['get', 'db.pw', '--version', '0000000000000000003', 'env=prod', 'team=a'],
  ['get', 'db.pw', '--version=2', '-n'],
  ['get', '-n', 'db.pw', '--debug'],
  ['get', 'db.*', '-f', 'dotenv', '--allow-env', 'PATH', '--allow-env', 'LD_PRELOAD'],
  ['get', 'db.*', '--format=csv', '--csv-safe'],
  ['get', 'db.pw', 'bad-pair'],
  ['get', 'db.pw', 'k=v', 'k=w'],
  ['get', 'missing'],
  ['get', 'db.pw', '-t', 'other', '--region', 'eu-west-1', '--backend', 'aws', '--decrypt-key', 'k1', '--decrypt-key', 'k2'],
  ['get', 'db.pw', '--data-dir', '/tmp/elsewhere', '--no-color', '--timeout', '5', '--concurrency', '4'],
  ['get', 'db.pw', '--concurrency', '0'],
  ['get', 'db.pw', '--kms', 'aws', '--store', 'sqlite', '-r', 'us-west-2', '-p', 'prof', '--kms-region', 'eu-central-1', '--role-arn', 'arn:aws:iam::1:role/r', '--endpoint-url', 'http://127.0.0.1:9'],
  ['getall'],
  ['getall', 'env=prod', '-f', 'yaml'],
  ['getall', '-v', '2', '--format', 'json', '--table=t2'],
  ['getall', 'db.*', 'c', 'env=prod'],
  ['getall', 'missing'],
  ['getall', '--skip-unreadable'],
  ['getall', 'db.pw', '--skip-unreadable', '--allow-partial', '-f', 'dotenv'],
  ['getall', '--allow-partial'],
  ['put', 'db.pw', 'hunter2'],
  ['put', 'db.pw', 'hunter2', 'env=prod', '-k', 'alias/app', '-c', 'a comment', '-d', 'SHA512'],
  ['put', 'db.pw', '-', '--json'],
  ['put', 'db.pw', 'x', '-v', '5'],
  ['put', 'db.pw', 'x', '-a', '-v', '5'],
  ['put', 'db.pw', 'x', '--expect-version', '4'],
  ['put', 'db.pw', 'x', '-v', '5', '--expect-version', '4'],
  ['put', 'db.pw'],
  ['put', 'db.pw', '-P'],
  ['put', 'missing', 'x', '--debug'],
  ['put', 'db.pw', '@/nonexistent/file'],
  ['put', 'db.pw', '-P', 'env=prod'],
  ['put', 'db.pw', 'x', '--allow-large'],
  ['put', 'db.pw', '-P', 'env=prod', 'team=a'],
  ['put', 'db.pw', '-P', 'hunter2'],
  ['put', 'db.pw', '-P', 'env=prod', '-'],
  ['put', 'db.pw', '--prompt', '@/nonexistent/file'],
  ['put', 'db.pw', 'x', 'env=prod', '-'],
  ['put', 'db.pw', '-', 'env=prod', '@/nonexistent/file'],
  ['-t', 'other', 'get', 'db.pw'],
  ['--backend', 'aws', '--debug', 'getall', 'env=prod'],
  ['-r', 'eu-west-1', '--table=t4', 'put', 'x', 'v', '-c', 'note'],
  ['--no-color', 'get', 'missing'],
  ['-t', 'get', 'put', 'x', 'v'],
];

/** Lines the quick path must leave to commander. */
const REFUSED: string[][] = [
  [],
  ['list'],
  ['-V', 'get', 'db.pw'],
  ['--version', 'get', 'db.pw'],
  ['-h', 'get', 'db.pw'],
  ['-v', '3', 'get', 'db.pw'],
  ['-t', 'get'],
  ['-t', 'x', 'list'],
  ['--debug=1', 'get', 'x'],
  ['-t', 'a', 'get', 'x', '-t', 'b'],
  ['delete', 'get'],
  ['get'],
  ['get', '--help'],
  ['get', 'db.pw', '-h'],
  ['get', 'db.pw', '-V'],
  ['get', 'db.pw', '--', 'k=v'],
  ['get', 'db.pw', '-nv1'],
  ['get', 'db.pw', '-v3'],
  ['get', 'db.pw', '-v'],
  ['get', 'db.pw', '-v', '-1'],
  ['get', 'db.pw', '-v', 'x'],
  ['get', 'db.pw', '-v', '1', '-v', '2'],
  ['get', 'db.pw', '-f', 'xml'],
  ['get', 'db.pw', '--backend', 'gcp'],
  ['get', 'db.pw', '--noline=yes'],
  ['get', 'db.pw', '-x'],
  ['get', 'db.pw', '--constructor'],
  ['get', 'db.pw', '--__proto__', 'x'],
  ['get', 'db.pw', '--comment', 'x'],
  ['getall', '-n'],
  ['put', 'db.pw', '-xSecret'],
  ['put', 'db.pw', '-c', '-note'],
  ['put', 'db.pw', '-c', '-'],
  ['put', 'db.pw', '-d', 'sha1'],
  ['put', 'db.pw', '-v', '5', '-v', '6'],
  ['put', 'db.pw', '--', '-value'],
  ['put', '-Pn', 'db.pw'],
];

describe('parseQuick', () => {
  it.each(TAKEN.map((argv) => [argv.join(' '), argv]))('takes %s', (_, argv) => {
    expect(parseQuick(argv)).toBeDefined();
  });

  it.each(REFUSED.map((argv) => [argv.join(' ') || '(nothing)', argv]))('leaves %s to commander', (_, argv) => {
    expect(parseQuick(argv)).toBeUndefined();
  });

  it('reads options and operands as commander names them, defaults filled in', () => {
    expect(parseQuick(['get', 'db.pw', 'env=prod', '-v', '3', '--allow-env', 'A', '--allow-env', 'B', '-t', 'x'])).toEqual({
      command: 'get',
      args: ['db.pw', ['env=prod']],
      flags: { table: 'x', color: true },
      opts: { version: '3', allowEnv: ['A', 'B'], format: 'json' },
    });
  });

  it.each(TAKEN.map((argv) => [argv.join(' '), argv]))('reads %s as commander does', async (_, argv) => {
    expect(parseQuick(argv)).toEqual(await commanderReads(argv));
  });
});

describe('the quick path does what commander does', () => {
  it.each(TAKEN.map((argv) => [argv.join(' '), argv]))('%s', async (_, argv) => {
    const full = await outcome(run, argv);
    const quick = await outcome(runQuick, argv);
    expect(quick).toEqual(full);
  });

  it('with colour on a terminal and configuration from the environment', async () => {
    for (const argv of [['get', 'missing'], ['put', 'db.pw', 'x', 'bad']]) {
      const env = { KEYSTASH_TABLE: 'from-env', KEYSTASH_BACKEND: 'aws', AWS_REGION: 'ap-south-1' };
      const full = await outcome(run, argv, env);
      expect(full.code).not.toBe(0);
      expect(await outcome(runQuick, argv, env)).toEqual(full);
    }
  });

  it('put -P: every operand after NAME is context, typed at a terminal (issue 24 item 8)', async () => {
    for (const parser of [run, runQuick]) {
      const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
      const m = memoryIo({ stdin, env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks' } });
      const { open, calls } = spyKeystash((_method, args) => ({ name: args[0], version: '0000000000000000001' }));
      const pending = parser(['put', 'db.pw', '-P', 'env=prod', 'team=a'], m.io, { open });
      setTimeout(() => stdin.write('typed\r'), 20);
      expect(await pending, m.stderr()).toBe(0);
      expect(calls).toHaveLength(1);
      expect(calls[0]!.args[1]).toBe('typed');
      expect((calls[0]!.args[2] as { context: unknown }).context).toEqual({ env: 'prod', team: 'a' });
    }
  });

  it('put -P with a stray operand is refused before the prompt, without echoing it', async () => {
    for (const parser of [run, runQuick]) {
      const stdin = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => undefined });
      const m = memoryIo({ stdin, env: { HOME: '/nonexistent-home', KEYSTASH_HOME: '/nonexistent-ks' } });
      const { open, calls } = spyKeystash(() => undefined);
      expect(await parser(['put', 'db.pw', '-P', 'hunter2'], m.io, { open })).toBe(2);
      expect(m.stderr()).toMatch(/every operand after NAME is an encryption-context pair/);
      expect(m.stderr()).not.toMatch(/hunter2|db\.pw: /);
      expect(calls).toHaveLength(0);
    }
  });

  it('on random lines built from both parsers’ tokens', async () => {
    const words = ['db.pw', 'db.*', 'missing', 'env=prod', 'bad', 'k=v', '-', '3', '0000000000000000002', 'x', 'dotenv', 'yaml', 'xml', 'PATH', 'aws', 'local', 'sqlite', 't2', 'SHA512', 'sha1', 'alias/k'];
    // Every declared option in each spelling, and spellings only commander takes.
    const declared = [...GLOBAL_OPTIONS, ...Object.values(QUICK_GRAMMAR).flatMap((g): readonly OptionSpec[] => g.options)];
    const flags = [...new Set(declared.flatMap((o) => [`--${o.long}`, ...(o.short === undefined ? [] : [`-${o.short}`])])), '--version=2', '--format=csv', '--table=t3', '-V', '-h', '--', '-nv1', '-x'];
    const token = fc.oneof(fc.constantFrom(...words), fc.constantFrom(...flags));
    // Before the command: mostly global options with their values, sometimes anything.
    const leading = fc.oneof(
      fc.constantFrom(['-t', 't2'], ['--table', 'db.pw'], ['--debug'], ['--no-color'], ['--backend', 'aws'], ['--region=eu-west-1'], ['-r', 'x'], ['--kms', 'local'], ['--decrypt-key', 'k']),
      token.map((t) => [t]),
    );
    const line = fc.tuple(fc.array(leading, { maxLength: 2 }), fc.constantFrom('get', 'getall', 'put'), fc.array(token, { maxLength: 7 }));
    let taken = 0;
    await fc.assert(
      fc.asyncProperty(line, async ([before, command, rest]) => {
        const argv = [...before.flat(), command, ...rest];
        if (parseQuick(argv) === undefined) return;
        taken++;
        expect(parseQuick(argv)).toEqual(await commanderReads(argv));
        expect(await outcome(runQuick, argv)).toEqual(await outcome(run, argv));
      }),
      { numRuns: 500 },
    );
    expect(taken).toBeGreaterThan(25); // the property compared lines, not only refusals (typically 50–100 of 500)
  });
});
