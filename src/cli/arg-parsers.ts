/**
 * Argument parsers for commander: each throws commander's InvalidArgumentError so bad input
 * becomes a usage error (exit 2) with credstash's wording where it has one (§3.4). The checks
 * themselves are commander-free (arg-checks.ts).
 */
import { InvalidArgumentError } from 'commander';
import { digestArgProblem, versionArgProblem } from './arg-checks.js';

/** Commander's parser for a value `problem` checks. */
function checked(problem: (text: string) => string | undefined): (text: string) => string {
  return (text) => {
    const why = problem(text);
    if (why !== undefined) throw new InvalidArgumentError(why);
    return text;
  };
}

/** `-d DIGEST`: one of credstash's names, exact case. */
export const parseDigest = checked(digestArgProblem);

/** A version given on the command line: digits, or a 19+ character stored form. */
export const parseVersionArg = checked(versionArgProblem);

/** A positive integer option (concurrency, limits). */
export function parsePositiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`'${text}' is not a positive integer`);
  return n;
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
