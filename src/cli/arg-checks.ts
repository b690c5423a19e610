/**
 * Command-line values, checked without commander: encryption-context pairs (parsed inside
 * actions, a UsageError), and what is wrong with a version or digest argument. No message quotes
 * the value: one typed in the wrong place may be the secret. The commander
 * parsers (arg-parsers.ts) and the quick path (quick.ts) share these checks.
 */
import type { EncryptionContext } from '../envelope/keyservice.js';
import { UsageError } from '../errors.js';
import { digestNameProblem } from '../envelope/digests.js';
import { readVersionProblem, writeVersionProblem } from '../core/secrets/versions.js';

/** One `key=value` pair: exactly one '=', non-empty sides (UsageError: parsed inside actions). */
export function parseContextPair(text: string): [string, string] {
  const parts = text.split('=');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    // Not quoted: after `put NAME` an unquoted value with spaces (`put db.pw correct horse`)
    // arrives here word by word.
    throw new UsageError('an encryption-context operand is not the form of "key=value" (not shown, in case it is part of a secret: a value with spaces needs quotes)');
  }
  return [parts[0]!, parts[1]!];
}

/** Whether `text` has the form of one `key=value` pair (parseContextPair would take it). */
export function isContextPair(text: string): boolean {
  const parts = text.split('=');
  return parts.length === 2 && parts[0] !== '' && parts[1] !== '';
}

/** `key=value ...` → an encryption context; a repeated key is an error. */
export function parseContext(pairs: readonly string[]): EncryptionContext {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const [key, value] = parseContextPair(pair);
    if (Object.hasOwn(context, key)) throw new UsageError(`context key '${key}' given twice`);
    // defineProperty, not `context[key] =`: an assignment to '__proto__' is silently dropped, and
    // the secret would be stored without the context the user asked to bind it to.
    Object.defineProperty(context, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return context;
}

/** What is wrong with `-d DIGEST` (one of credstash's names, exact case), or undefined. */
export function digestArgProblem(text: string): string | undefined {
  return digestNameProblem(text);
}

/**
 * What is wrong with a version to read given on the command line (`-v` of get, getall, delete;
 * `put --expect-version`), or undefined (core/secrets/versions.ts readVersionProblem).
 */
export const versionArgProblem = readVersionProblem;

/** What is wrong with `put -v VERSION` (a version to write: digits only), or undefined. */
export const writeVersionArgProblem = writeVersionProblem;

/** What is wrong with a TCP port: it must be 0 (any free one) to 65535, in decimal digits. */
export function portArgProblem(text: string): string | undefined {
  const n = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  return n >= 0 && n <= 65535 ? undefined : 'not a port number from 0 to 65535 (the value given is not shown, in case it is the secret)';
}

/**
 * What is wrong with an `--allow-env` value, or undefined. The variables a selected secret can set
 * are the naming rule's (format/varname.ts: upper case, digits and `_`, not starting with a
 * digit), so any other value could never match one: a lower-case `ld_preload` would allow nothing
 * while looking as if it did.
 */
export function allowEnvArgProblem(text: string): string | undefined {
  return /^[A-Z_][A-Z0-9_]*$/.test(text)
    ? undefined
    : 'takes a variable name as keystash makes them from secret names: upper-case letters, digits and _, not starting with a digit (--allow-env LD_PRELOAD)';
}
