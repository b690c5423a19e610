/**
 * Argument parsers for commander: each throws commander's InvalidArgumentError so bad input
 * becomes a usage error (exit 2) with credstash's wording where it has one (§3.4). The checks
 * themselves are commander-free (arg-checks.ts).
 */
import { Command, InvalidArgumentError } from 'commander';

/** Commander's parser for a value `problem` checks. */
export function checked(problem: (text: string) => string | undefined): (text: string) => string {
  return (text) => {
    const why = problem(text);
    if (why !== undefined) throw new InvalidArgumentError(why);
    return text;
  };
}

/**
 * commander's message for a value its parser refused, without the value: commander quotes it
 * ("option '-v, --version <version>' argument 'hunter2' is invalid. …"), and a value mistyped
 * where an option's value goes may be the secret (`put db.pw -v hunter2`). The parsers' own
 * reasons (arg-checks.ts) do not quote it either. Other messages are returned unchanged.
 */
export function withoutRefusedValue(message: string): string {
  return message
    .replace(/^(error: )?option '([^']*)' argument '[\s\S]*' is invalid\. ?/, "$1option '$2': ")
    .replace(/^(error: )?option '([^']*)' value '[\s\S]*' from env '([^']*)' is invalid\. ?/, "$1option '$2' (from $3): ")
    .replace(/^(error: )?command-argument value '[\s\S]*' is invalid for argument '([^']*)'\. ?/, "$1argument '$2': ");
}

/**
 * An unknown option as an error may show it: in full only when it looks like an option name
 * (`--lowercase-word`, or `-x`, one letter); anything else (`-XSeCrEt`, `--SeCrEt`, `--a=b`) may be a
 * value typed in the wrong place, so only its dashes are shown.
 */
export function unknownOptionShown(flag: string): string | undefined {
  return /^--[a-z][a-z-]*$/.test(flag) || /^-[A-Za-z]$/.test(flag) ? `'${flag}'` : undefined;
}

/** The hidden form of an unknown option {@link unknownOptionShown} refuses to show. */
export function unknownOptionHidden(flag: string): string {
  return `'${flag.startsWith('--') ? '--' : '-'}…' (not shown, in case it is the secret)`;
}

type UnknownOptionHook = { unknownOption(flag: string): void };
const commanderUnknownOption = (Command.prototype as unknown as UnknownOptionHook).unknownOption;

/**
 * Make `cmd` report an unknown option as {@link unknownOptionShown} allows: an option-like flag
 * through commander (with its "(Did you mean …?)" suggestion), anything else by its dashes alone
 * and without a suggestion (that would quote a near match of the text). A command with its own
 * unknownOption (put) keeps it.
 */
export function guardUnknownOptions(cmd: Command): void {
  const hook = cmd as unknown as UnknownOptionHook;
  if (hook.unknownOption !== commanderUnknownOption) return;
  hook.unknownOption = function (this: Command, flag: string): void {
    if ((this as unknown as { _allowUnknownOption: boolean })._allowUnknownOption) return;
    if (unknownOptionShown(flag) !== undefined) return commanderUnknownOption.call(this, flag);
    this.error(`error: unknown option ${unknownOptionHidden(flag)}`, { code: 'commander.unknownOption' });
  };
}
