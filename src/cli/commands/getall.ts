import { Command, Option } from 'commander';
import { parseContext, parseVersionArg } from '../arg-parsers.js';
import { withKeystash, type CliDeps } from '../deps.js';
import { renderFormat, CREDSTASH_FORMATS } from './formats.js';

/** Options of `getall`. */
export interface GetallOptions {
  version?: string;
  format: (typeof CREDSTASH_FORMATS)[number];
  allowEnv: string[];
  csvSafe?: boolean;
}

export function getallCommand(deps: CliDeps): Command {
  return new Command('getall')
    .description("print every secret's latest value; any failure prints nothing and exits non-zero")
    .argument('[context...]', 'encryption context pairs key=value')
    .option('-v, --version <version>', 'read this version of every secret', parseVersionArg)
    .addOption(new Option('-f, --format <format>', 'output format').choices(CREDSTASH_FORMATS).default('json'))
    .option('--allow-env <VAR>', 'dotenv: let a secret set this variable even if it changes how programs run (PATH, LD_*, …; repeatable)', (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option('--csv-safe', "csv: prefix cells starting with = + - @ with ' (spreadsheet formula injection)")
    .addHelpText('after', '\nExamples:\n  $ keystash getall\n  $ keystash getall -f dotenv env=prod > .env')
    .action(async (pairs: string[], opts: GetallOptions, cmd: Command) => {
      const context = parseContext(pairs);
      const secrets = await withKeystash(deps, cmd, (ks) => ks.getAll({ version: opts.version, context }));
      // Rendered whole before the first byte is written: a failure leaves stdout empty.
      deps.io.stdout.write(`${await renderFormat(opts.format, secrets, { allowEnv: opts.allowEnv, csvSafe: opts.csvSafe === true })}\n`);
    });
}
