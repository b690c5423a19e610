/**
 * What `get`, `put` and `getall` do once their arguments are parsed. commander's commands
 * (get.ts, put.ts, getall.ts) and the quick path (../quick.ts) both call these, so the two
 * parsers share one behaviour; nothing here imports commander.
 */
import type { ConfigFlags } from '../../config.js';
import { isPattern } from '../../core/secrets/wildcard.js';
import { UsageError } from '../../errors.js';
import { isContextPair, parseContext } from '../arg-checks.js';
import { printJson, say, withKeystashOf, type CliDeps } from '../deps.js';
import { promptHidden, readValueArg } from '../io.js';
import type { OptionsOf } from '../grammar.js';
import { finishSkipped, skipCollector } from '../skipped.js';
import { checkAllowEnvApplies, renderFormat } from './formats.js';

/** Options of `get`, as declared in grammar.ts. */
export type GetOptions = OptionsOf<'get'>;

/** Options of `getall`, as declared in grammar.ts. */
export type GetallOptions = OptionsOf<'getall'>;

/** Options of `put`, as declared in grammar.ts. */
export type PutOptions = OptionsOf<'put'>;

/** `get NAME [context...]`: one value, or every match of a pattern in `--format`. */
export async function getAction(deps: CliDeps, flags: ConfigFlags, name: string, pairs: readonly string[], opts: GetOptions): Promise<void> {
  const context = parseContext(pairs);
  const options = { version: opts.version, context };
  if (!isPattern(name) && opts.allowEnv.length > 0) throw new UsageError('--allow-env applies only to a pattern printed with variable names (get PATTERN -f dotenv); one secret is printed as its value');
  checkAllowEnvApplies(opts.allowEnv, opts.format, { offered: 'dotenv' });
  if (isPattern(name)) {
    const pairsOut = await withKeystashOf(deps, flags, (ks) => ks.getMatching(name, options));
    const text = await renderFormat(opts.format, pairsOut, { allowEnv: opts.allowEnv, csvSafe: opts.csvSafe === true });
    // Ends with a newline, as credstash's print(json.dumps(…)) does (JSON renders without one).
    deps.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return;
  }
  const value = await withKeystashOf(deps, flags, (ks) => ks.get(name, options));
  deps.io.stdout.write(opts.noline ? value : `${value}\n`);
}

/**
 * `getall [SELECTOR...] [context...]`: every latest value (or those the names and globs select),
 * rendered whole before the first byte is written. An operand of the form key=value is context
 * (credstash's getall), any other a selector.
 */
export async function getallAction(deps: CliDeps, flags: ConfigFlags, operands: readonly string[], opts: GetallOptions): Promise<void> {
  const context = parseContext(operands.filter(isContextPair));
  const selectors = operands.filter((operand) => !isContextPair(operand));
  checkAllowEnvApplies(opts.allowEnv, opts.format, { offered: 'dotenv' });
  const { onUnreadable, skipped } = skipCollector(opts);
  const secrets = await withKeystashOf(deps, flags, (ks) =>
    selectors.length === 0 ? ks.getAll({ version: opts.version, context, onUnreadable }) : ks.select({ selectors, version: opts.version, context, onUnreadable }),
  );
  // Rendered whole before the first byte is written: a failure leaves stdout empty.
  deps.io.stdout.write(`${await renderFormat(opts.format, secrets, { allowEnv: opts.allowEnv, csvSafe: opts.csvSafe === true })}\n`);
  finishSkipped(deps, skipped, opts);
}

/** `put NAME [value] [context...]`: store a new version. */
export async function putAction(deps: CliDeps, flags: ConfigFlags, name: string, value: string | undefined, pairs: readonly string[], opts: PutOptions): Promise<void> {
  // With --prompt the value comes from the terminal, so every operand after NAME is context (the
  // first one no longer fills VALUE and is dropped: issue 24 item 8). Checked before the prompt,
  // and never echoed: a stray operand here is most likely the secret typed on the command line.
  const contextPairs = opts.prompt && value !== undefined ? [value, ...pairs] : pairs;
  if (opts.prompt) {
    const stray = contextPairs.findIndex((operand) => !isContextPair(operand));
    if (stray >= 0) {
      throw new UsageError(
        `with --prompt the value is typed at the terminal and every operand after NAME is an encryption-context pair key=value; operand ${stray + 2} is not (not shown, in case it is the secret)`,
      );
    }
  } else {
    // '-' and '@FILE' are the value itself, so they come first; one later is a misplaced value.
    const stray = pairs.findIndex((operand) => !isContextPair(operand) && (operand === '-' || operand.startsWith('@')));
    if (stray >= 0) throw new UsageError(`'-' or '@FILE' gives the value and goes right after NAME; operand ${stray + 3} is an encryption-context pair key=value or nothing`);
  }
  const context = parseContext(contextPairs);
  if (opts.version !== undefined && opts.expectVersion !== undefined) throw new UsageError('-v and --expect-version cannot be combined');
  let text: string;
  if (opts.prompt) text = await promptHidden(deps.io, name);
  else if (value === undefined) throw new UsageError("missing value: give it as an argument, '-' for stdin, '@FILE', or use --prompt");
  else text = await readValueArg(deps.io, value);
  const stored = await withKeystashOf(deps, flags, (ks) =>
    ks.put(name, text, {
      keyId: opts.key,
      comment: opts.comment,
      digest: opts.digest,
      context,
      version: opts.autoversion ? undefined : opts.version,
      expectVersion: opts.expectVersion,
      ...(opts.allowLarge ? { allowLarge: true } : {}),
    }),
    { create: true },
  );
  if (opts.json) printJson(deps, stored);
  else say(deps, `${name} has been stored (version ${stored.version})`);
}
